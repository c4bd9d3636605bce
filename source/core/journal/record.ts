/**
 * The format of a send's record, and its validation: `send.json` (what was sent, to whom, with
 * which settings), `recipients.jsonl` (one `[address, name]` per line; the line number is the
 * recipient's index and part of its Message-ID) and `state.json` (how the last run ended).
 * Decoding never throws over damage: it says why a file or a line is not what it should be.
 * Changing what is written here changes what older versions and older records read.
 */
import {randomBytes} from 'node:crypto';
import {formatCount} from '../format.js';
import type {MessageDraft, Operator, Recipient, SendKind, SendStatus, Settings} from '../types.js';
import {isObject} from '../values.js';
import {DamageList} from './damage.js';

/** What `send.json` holds. */
export interface SendRecord {
	id: string;
	kind: SendKind;
	draft: MessageDraft;
	audience: string;
	createdAt: string;
	total: number;
	captured: boolean;
	followUpOf?: string;
	/** Who started it (absent in records written before massmail kept it). */
	operator?: Operator;
	/** Where mail went, as shown to the user ("smtp.example.com:587 (STARTTLS)"). */
	destination: string;
	/** Settings in force when the send was created; never a password or password command. */
	settings: {
		smtp: {host: string; port: number; tls: string; user: string; allowUnverifiedTls: boolean};
		sender: Settings['sender'];
		delivery: Settings['delivery'];
	};
}

/** What `state.json` holds: how the last run ended. */
export interface RunState {
	status: Exclude<SendStatus, 'running'>;
	endedAt: string;
	sent: number;
	failed: number;
	/**
	 * What stopped an interrupted run when a person did not: the server or the network
	 * ('connection'), a refused login ('auth'), the disk ('store'), SIGTERM or SIGHUP ('signal':
	 * the service manager, a shutdown, the terminal gone). Absent in records written before it was
	 * kept, and for a run a person stopped (Ctrl+C, Cancel).
	 */
	stoppedBy?: 'connection' | 'auth' | 'store' | 'signal';
}

/** A send id, and so a folder name: nothing that climbs out of the sends folder. */
export const idPattern = /^[\w.-]+$/;

/** A new send id: sortable by time, unique. */
export function newSendId(now = new Date()): string {
	const stamp = now.toISOString().replaceAll(/[-:]/g, '').replace('T', '-').slice(0, 15);
	return stamp + '-' + randomBytes(3).toString('hex');
}

/** When a send of this id was created, read from the id itself (`20260101-120000-abcdef`); '' when it is not one. */
export function createdAtOfId(id: string): string {
	const match = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(id);
	return match ? `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}.000Z` : '';
}

/** send.json's text. */
export function encodeRecord(record: SendRecord): string {
	return JSON.stringify(record, null, '\t') + '\n';
}

/** state.json's text. */
export function encodeRunState(state: RunState): string {
	return JSON.stringify(state) + '\n';
}

/** recipients.jsonl, line by line (a generator: no whole-file string for 100,000 recipients). */
export function* encodeRecipients(recipients: Iterable<Recipient>): Generator<string> {
	for (const recipient of recipients) {
		yield JSON.stringify([recipient.address, recipient.name]) + '\n';
	}
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Why a parsed send.json is not a send record of this id, or undefined when it is one. */
export function recordProblem(value: unknown, id: string): string | undefined {
	const notRecord = (what: string) => `not a send record: ${what}`;
	if (!isObject(value)) {
		return notRecord('not a JSON object');
	}

	if (typeof value.id !== 'string') {
		return notRecord('"id" is missing');
	}

	if (value.id !== id) {
		return notRecord(`its id ${JSON.stringify(value.id)} is not its folder's name`);
	}

	if (value.kind !== 'email' && value.kind !== 'reminder') {
		return notRecord('"kind" is neither "email" nor "reminder"');
	}

	if (!isCount(value.total)) {
		return notRecord('"total" is not a number of recipients');
	}

	if (typeof value.createdAt !== 'string' || Number.isNaN(Date.parse(value.createdAt))) {
		return notRecord('"createdAt" is not a date');
	}

	for (const name of ['audience', 'destination'] as const) {
		if (typeof value[name] !== 'string') {
			return notRecord(`"${name}" is missing`);
		}
	}

	if (typeof value.captured !== 'boolean') {
		return notRecord('"captured" is not true or false');
	}

	if (value.followUpOf !== undefined && (typeof value.followUpOf !== 'string' || !idPattern.test(value.followUpOf))) {
		return notRecord('"followUpOf" is not a send id');
	}

	if (value.operator !== undefined && !(isObject(value.operator) && typeof value.operator.user === 'string' && typeof value.operator.host === 'string' && (value.operator.from === null || typeof value.operator.from === 'string'))) {
		return notRecord('"operator" is not {"user", "from", "host"}');
	}

	const {draft} = value;
	if (!isObject(draft)) {
		return notRecord('"draft" is missing');
	}

	if (!isObject(draft.from) || typeof draft.from.name !== 'string' || typeof draft.from.address !== 'string' || !draft.from.address.includes('@')) {
		return notRecord('"draft.from" is not a sender');
	}

	for (const name of ['kind', 'friendlyName', 'subject', 'body'] as const) {
		if (typeof draft[name] !== 'string') {
			return notRecord(`"draft.${name}" is missing`);
		}
	}

	if (typeof draft.html !== 'boolean') {
		return notRecord('"draft.html" is not true or false');
	}

	const {settings} = value;
	if (!isObject(settings) || !isObject(settings.smtp) || !isObject(settings.sender) || !isObject(settings.delivery)) {
		return notRecord('"settings" is missing its smtp, sender or delivery part');
	}

	return undefined;
}

/** Why a parsed state.json is not a run's end, or undefined when it is one. */
export function runStateProblem(value: unknown): string | undefined {
	if (!isObject(value)) {
		return 'not a run state: not a JSON object';
	}

	if (value.status !== 'finished' && value.status !== 'interrupted' && value.status !== 'cancelled') {
		return 'not a run state: "status" is not finished, interrupted or cancelled';
	}

	if (!isCount(value.sent) || !isCount(value.failed)) {
		return 'not a run state: "sent" or "failed" is not a count';
	}

	if (typeof value.endedAt !== 'string') {
		return 'not a run state: "endedAt" is missing';
	}

	if (value.stoppedBy !== undefined && value.stoppedBy !== 'connection' && value.stoppedBy !== 'auth' && value.stoppedBy !== 'store' && value.stoppedBy !== 'signal') {
		return 'not a run state: "stoppedBy" is not connection, auth, store or signal';
	}

	return undefined;
}

/** A mailbox address, roughly: what the engine could hand to a server (the directory checked it fully). */
function plausibleAddress(address: string): boolean {
	const at = address.lastIndexOf('@');
	return address.length >= 3 && address.length <= 320 && at > 0 && at < address.length - 1 && !/[\s\u0000-\u001F\u007F]/.test(address);
}

/** A line of recipients.jsonl as [address, name], or why it is not one. */
function decodeRecipientLine(text: string): [string, string] | string {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return 'not JSON';
	}

	if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
		return 'not an [address, name] pair';
	}

	if (!plausibleAddress(value[0])) {
		return `not an address: ${JSON.stringify(value[0].slice(0, 80))}`;
	}

	return [value[0], value[1]];
}

/** recipients.jsonl as read: arrays of the recorded total, '' where a line is damaged or missing. */
export interface RecipientsRead {
	addresses: string[];
	names: string[];
	/** 1 where the address cannot be read. */
	unknown: Uint8Array;
	unknownCount: number;
	damage: DamageList;
}

export const recipientsFile = 'recipients.jsonl';

/**
 * recipients.jsonl, checked line by line against the recorded total. `text` undefined: the file
 * could not be read, for the reason `failure`.
 */
export function decodeRecipients(text: string | undefined, total: number, failure = 'cannot be read'): RecipientsRead {
	const addresses: string[] = Array.from({length: total}, () => '');
	const names: string[] = Array.from({length: total}, () => '');
	const unknown = new Uint8Array(total);
	const damage = new DamageList();
	let line = 0;
	if (text === undefined) {
		damage.add(recipientsFile, undefined, failure, Math.max(total, 1));
	} else {
		let start = 0;
		while (start < text.length) {
			let end = text.indexOf('\n', start);
			const torn = end === -1;
			if (torn) {
				end = text.length;
			}

			line++;
			const index = line - 1;
			if (index >= total) {
				damage.add(recipientsFile, line, `one line more than the ${formatCount(total)} recipients of the record`);
			} else {
				const parsed = start === end ? 'an empty line' : decodeRecipientLine(text.slice(start, end));
				if (typeof parsed === 'string') {
					damage.add(recipientsFile, line, parsed + (torn ? ' (the file ends in the middle of this line)' : ''));
					unknown[index] = 1;
				} else {
					[addresses[index], names[index]] = parsed;
				}
			}

			start = end + 1;
		}

		if (line < total) {
			damage.add(recipientsFile, line + 1, `missing: the file ends after ${formatCount(line)} of ${formatCount(total)} recipients`, total - line);
		}
	}

	let unknownCount = 0;
	for (let index = 0; index < total; index++) {
		if (index >= line || text === undefined) {
			unknown[index] = 1;
		}

		unknownCount += unknown[index]!;
	}

	return {addresses, names, unknown, unknownCount, damage};
}
