/**
 * Send records on disk, one folder per send under `sends/<id>/`:
 *
 * - `send.json`       what was sent, to which audience, with which settings (written once, before the first message)
 * - `recipients.jsonl` one `[address, name]` per line; the line number is the recipient's index (and part of its Message-ID)
 * - `outcomes.log`    append-only, one line per outcome: `index TAB code TAB attempts TAB response`
 *                     (code S sent, F failed, D deferred, with an `a` suffix when the attempt was ambiguous);
 *                     the last line of a recipient decides its status. Written in fsynced groups.
 * - `state.json`      how the last run ended (finished, cancelled, interrupted) and its counts
 * - `lock`            `{pid, host, since, bootId, startTime}` of the process working on the send
 *
 * A torn last line (a crash in the middle of a write) is ignored when reading and cut off before appending.
 * Every other file is checked when read: a line that does not parse is damage, named with its file
 * and line number ({@link DamageReport}). Reading to send (`outcomes`, `readRecipients`, `recipients`)
 * refuses a send with unreadable recipients unless told how to treat them ({@link UnreadablePolicy});
 * reading to show (`summary`, `list`, `check`, `recipients(id, {unreadable: 'report'})`) never refuses.
 * Files are 0600, folders 0700.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {isMassmailError, MassmailError} from './errors.js';
import {formatCount, plural} from './format.js';
import {tryReadJsonFile, writeFileAtomic} from './json-file.js';
import {fsyncDirectory, keepPrivate, openForAppend, writeAtomicSync} from './storage/durable.js';
import {lockHolder, takeProcessLock, type LockHolder, type ProcessLock} from './storage/process-lock.js';
import type {MessageDraft, Operator, Recipient, RecipientReport, RecipientStatus, SendKind, SendStatus, SendSummary, Settings} from './types.js';

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

/** A recipient's line in `show`, with whether one of its attempts was ambiguous. */
export interface RecipientRecord extends RecipientReport {
	/** A connection dropped after the message was sent: the server may have delivered that copy. */
	ambiguous: boolean;
	/**
	 * Set when part of the recipient cannot be read: `address`, its line of recipients.jsonl is
	 * damaged or missing (then `address` is ''); `outcome`, a damaged line of outcomes.log may be
	 * its outcome (its status is what the readable lines say).
	 */
	unreadable?: 'address' | 'outcome';
}

/**
 * How reading to send treats the recipients of a damaged record it cannot read.
 * `skip` leaves them out of resume and retry: safe, nobody is sent the message twice.
 * `send` takes the readable lines at their word: an acceptance lost in a damaged line is sent again.
 * A recipient whose address cannot be read is never sent to, whatever the policy.
 */
export type UnreadablePolicy = 'skip' | 'send';

/** One damaged line (or, without `line`, a whole file) of a send's record. */
export interface DamagedLine {
	/** The file's name in the send's folder: `outcomes.log`, `recipients.jsonl`, `send.json`, `state.json`. */
	file: string;
	/** 1-based; absent when the whole file is unreadable. */
	line?: number;
	why: string;
}

/** What {@link SendLog.check} found in the files of one send. */
export interface DamageReport {
	id: string;
	/** The send's folder. */
	folder: string;
	damaged: boolean;
	/** The damaged lines and files, in file order (the first 1,000). */
	lines: DamagedLine[];
	/** How many lines are damaged in all (a missing stretch of recipients.jsonl counts each missing line). */
	damagedLines: number;
	/** The recipients the record says it has (0 when send.json cannot be read). */
	total: number;
	/** Recipients whose address and outcome can both be read. */
	readableRecipients: number;
	/** Recipients whose line of recipients.jsonl is damaged or missing. */
	unknownAddresses: number;
	/** Recipients not known to be accepted whose outcome may be in a damaged line of outcomes.log. */
	uncertainOutcomes: number;
	/** total - readableRecipients: what resume, retry and remind --follow-up refuse over without a policy. */
	unreadableRecipients: number;
}

/** A send as the history lists it: its summary, and what is damaged if anything is. */
export interface SendListing extends SendSummary {
	/** One line on what is damaged: `send.json: not a send record: "id" is missing`, `outcomes.log:12: …`. */
	damaged?: string;
	/** send.json cannot be read: every field but `id`, `status` and `createdAt` (from the id) is a placeholder. */
	recordUnreadable?: true;
}

interface StateFile {
	status: Exclude<SendStatus, 'running'>;
	endedAt: string;
	sent: number;
	failed: number;
}

/** Per-recipient state read from the log, compact: one byte/short per recipient. */
export interface OutcomeState {
	/** 0 pending, 1 sent, 2 failed, 3 unreadable (never picked by resume or retry). */
	status: Uint8Array;
	attempts: Uint16Array;
	sent: number;
	failed: number;
}

export const statusCodes = {pending: 0, sent: 1, failed: 2, unreadable: 3} as const;

/** One outcome as the engine appends it. */
export interface OutcomeLine {
	index: number;
	code: 'S' | 'F' | 'D';
	attempts: number;
	response: string;
	ambiguous: boolean;
	/** The engine's worker that produced it (not written). */
	slot?: number;
}

/** Options of the reads that feed a send. */
export interface ReadOptions {
	/** How to treat unreadable recipients; default: the policy given to {@link SendLog.treatUnreadable}, else refuse. */
	unreadable?: UnreadablePolicy;
}

const listedDamage = 1000;

/** Damaged lines as they are found: every one counted, the first 1,000 kept. */
class DamageList {
	readonly lines: DamagedLine[] = [];
	count = 0;

	add(file: string, line: number | undefined, why: string, count = 1): void {
		this.count += count;
		if (this.lines.length < listedDamage) {
			this.lines.push(line === undefined ? {file, why} : {file, line, why});
		}
	}
}

/** `outcomes.log:12: not an outcome line`, `send.json: not valid JSON`. */
export function formatDamagedLine(damage: DamagedLine): string {
	return damage.line === undefined ? `${damage.file}: ${damage.why}` : `${damage.file}:${damage.line}: ${damage.why}`;
}

/**
 * The damage in one line, for people: `20 lines unreadable (outcomes.log:4, outcomes.log:6,
 * outcomes.log:8, and 17 more)`; a whole file: `state.json: not valid JSON …`.
 */
export function describeDamage(report: Pick<DamageReport, 'lines' | 'damagedLines'>, shown = 3): string {
	const withLine = report.lines.filter(damage => damage.line !== undefined);
	const whole = report.lines.filter(damage => damage.line === undefined).map(damage => formatDamagedLine(damage));
	const parts: string[] = [];
	const lineCount = report.damagedLines - whole.length;
	if (lineCount > 0) {
		const where = withLine.slice(0, shown).map(damage => `${damage.file}:${damage.line}`);
		const more = lineCount - where.length;
		parts.push(`${plural(lineCount, 'line')} unreadable (${where.join(', ')}${more > 0 ? `, and ${formatCount(more)} more` : ''})`);
	}

	return [...whole, ...parts].join('; ');
}

function clean(text: string): string {
	return text.replaceAll(/[\t\r\n]+/g, ' ').trim();
}

/** A new send id: sortable by time, unique. */
export function newSendId(now = new Date()): string {
	const stamp = now.toISOString().replaceAll(/[-:]/g, '').replace('T', '-').slice(0, 15);
	return stamp + '-' + randomBytes(3).toString('hex');
}

const idPattern = /^[\w.-]+$/;

/** When a send of this id was created, read from the id itself (`20260101-120000-abcdef`); '' when it is not one. */
function createdAtOfId(id: string): string {
	const match = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(id);
	return match ? `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}.000Z` : '';
}

/** Reads to JSON or gives the reason it is not; `missing` when the file does not exist. */
function readJsonOrWhy(file: string): {value?: unknown; why?: string; missing?: true} {
	const read = tryReadJsonFile(file);
	return 'why' in read ? {why: read.why} : 'missing' in read ? {missing: true} : {value: read.value};
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Why a parsed send.json is not a send record of this id, or undefined when it is one. */
function recordProblem(value: unknown, id: string): string | undefined {
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
function stateProblem(value: unknown): string | undefined {
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

	return undefined;
}

/** A mailbox address, roughly: what the engine could hand to a server (the directory checked it fully). */
function plausibleAddress(address: string): boolean {
	const at = address.lastIndexOf('@');
	return address.length >= 3 && address.length <= 320 && at > 0 && at < address.length - 1 && !/[\s\u0000-\u001F\u007F]/.test(address);
}

/** A line of recipients.jsonl as [address, name], or why it is not one. */
function parseRecipientLine(text: string): [string, string] | string {
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
interface RecipientsRead {
	addresses: string[];
	names: string[];
	/** 1 where the address cannot be read. */
	unknown: Uint8Array;
	unknownCount: number;
	damage: DamageList;
}

/** outcomes.log as read. */
interface LogRead {
	status: Uint8Array;
	attempts: Uint16Array;
	ambiguous: Uint8Array;
	/** The last readable reply of each recipient (only when asked for). */
	responses: Array<string | null> | undefined;
	/** 1 where a damaged line may hold the recipient's outcome. */
	uncertain: Uint8Array;
	uncertainCount: number;
	damage: DamageList;
}

/** Both, and what they add up to. */
interface SendRead {
	record: SendRecord;
	people: RecipientsRead;
	log: LogRead;
	report: DamageReport;
}

/** A held lock on one send. */
export type SendLock = ProcessLock;

/**
 * Appends outcomes in groups: one write and one fdatasync per group, never two at once. With
 * `intervalMs` 0 (the default) a group is written as soon as the disk is free, so a group is what
 * arrived during the previous fsync (group commit); otherwise a group waits up to `intervalMs`, or
 * until `maxGroup` outcomes wait. `onDurable` receives each group once it is on disk,
 * so whoever is told of an outcome is told after it would survive a crash.
 */
export class OutcomeWriter {
	private pending = '';
	private pendingOutcomes: OutcomeLine[] = [];
	private flushing = false;
	private timer: NodeJS.Timeout | undefined;
	private immediate: NodeJS.Immediate | undefined;
	private closed = false;
	private failure: Error | undefined;
	private idleWaiters: Array<() => void> = [];
	private appended = 0;
	private durable = 0;

	constructor(
		private readonly fd: number,
		private readonly onDurable: (group: OutcomeLine[]) => void,
		private readonly options: {intervalMs: number; maxGroup: number} = {intervalMs: 0, maxGroup: 200},
		private readonly onFailure?: (error: Error) => void,
	) {}

	/** The first write error, if any (the engine stops on it: outcomes that cannot be recorded must not go on). */
	get error(): Error | undefined {
		return this.failure;
	}

	/** Outcomes appended but not yet on disk. */
	get waiting(): number {
		return this.appended - this.durable;
	}

	append(outcome: OutcomeLine): void {
		this.appended++;
		this.pending += outcome.index + '\t' + outcome.code + (outcome.ambiguous ? 'a' : '') + '\t' + outcome.attempts + '\t' + clean(outcome.response) + '\n';
		this.pendingOutcomes.push(outcome);
		if (this.pendingOutcomes.length >= this.options.maxGroup) {
			this.flush();
		} else if (!this.timer && !this.immediate) {
			if (this.options.intervalMs > 0) {
				this.timer = setTimeout(() => {
					this.timer = undefined;
					this.flush();
				}, this.options.intervalMs);
			} else {
				// Group commit: write as soon as the disk is free; what arrives meanwhile is the next group.
				this.immediate = setImmediate(() => {
					this.immediate = undefined;
					this.flush();
				});
			}
		}
	}

	/** A line that is not an outcome (a run marker), written with the next group. */
	note(text: string): void {
		this.pending += '#' + clean(text) + '\n';
	}

	/** Resolves when everything appended so far is on disk; closes the file. */
	async close(): Promise<void> {
		await this.drain();
		if (!this.closed) {
			this.closed = true;
			fs.closeSync(this.fd);
		}

		if (this.failure) {
			throw this.failure;
		}
	}

	/** Resolves when everything appended so far is on disk. */
	async drain(): Promise<void> {
		this.flush();
		if (!this.flushing && this.pending === '') {
			return;
		}

		await new Promise<void>(resolve => {
			this.idleWaiters.push(resolve);
		});
	}

	private flush(): void {
		if (this.timer) {
			clearTimeout(this.timer);
			this.timer = undefined;
		}

		if (this.immediate) {
			clearImmediate(this.immediate);
			this.immediate = undefined;
		}

		if (this.flushing || this.pending === '' || this.closed) {
			return;
		}

		this.flushing = true;
		const data = this.pending;
		const group = this.pendingOutcomes;
		this.pending = '';
		this.pendingOutcomes = [];
		const done = (error: Error | null) => {
			// Still "flushing" while the listener runs: what it appends joins the next group.
			if (error) {
				const first = this.failure === undefined;
				this.failure ??= error;
				if (first) {
					this.onFailure?.(error);
				}
			} else {
				this.durable += group.length;
				this.onDurable(group);
			}

			this.flushing = false;
			if (this.pending !== '' && !this.failure) {
				// What arrived during this write forms the next group right away.
				this.flush();
				return;
			}

			const waiters = this.idleWaiters;
			this.idleWaiters = [];
			for (const resolve of waiters) {
				resolve();
			}
		};

		const buffer = Buffer.from(data, 'utf8');
		// A write may take fewer bytes than it was given: write the rest before the fdatasync.
		const writeFrom = (offset: number) => {
			fs.write(this.fd, buffer, offset, buffer.length - offset, null, (writeError, written) => {
				if (writeError) {
					done(writeError);
				} else if (written <= 0) {
					done(new Error(`short write to the outcome log: ${offset} of ${buffer.length} bytes`));
				} else if (offset + written < buffer.length) {
					writeFrom(offset + written);
				} else {
					fs.fdatasync(this.fd, syncError => {
						done(syncError);
					});
				}
			});
		};

		writeFrom(0);
	}
}


/** What a refusal over unreadable recipients suggests (the command line's --unreadable flag). */
const unreadableHint = (id: string) => `massmail show ${id} shows what can be read. To go on anyway: --unreadable skip leaves those recipients out (safe: nobody is sent anything twice); --unreadable send takes the readable lines at their word (whoever's acceptance was lost is sent again)`;

/**
 * The send records of one data folder.
 *
 * @example
 * const sends = new SendLog(store.paths.sendsDir);
 * for (const send of sends.list()) console.log(send.id, send.status, send.damaged ?? '');
 */
export class SendLog {
	private readonly policies = new Map<string, UnreadablePolicy>();
	/** The last recipients file read (written once, so its stat says whether it changed). */
	private recipientsCache: {key: string; read: RecipientsRead} | undefined;

	constructor(readonly sendsDir: string) {}

	/** Every send, newest first. A damaged send is listed with `damaged` set; it never hides the others. */
	list(): SendListing[] {
		let names: string[];
		try {
			names = fs.readdirSync(this.sendsDir);
		} catch {
			return [];
		}

		const summaries: SendListing[] = [];
		for (const name of names) {
			if (!fs.existsSync(path.join(this.sendsDir, name, 'send.json'))) {
				continue; // A crash before send.json was written: never a send.
			}

			try {
				summaries.push(this.summary(name));
			} catch (error) {
				summaries.push(this.unreadableListing(name, error));
			}
		}

		return summaries.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : (a.id < b.id ? 1 : -1)));
	}

	/** True when a send of this id exists. */
	has(id: string): boolean {
		return idPattern.test(id) && fs.existsSync(path.join(this.sendsDir, id, 'send.json'));
	}

	/**
	 * The send record (send.json). Unknown id -> MassmailError 'usage'; a file that is not a send
	 * record -> MassmailError 'store' (`…/send.json: not a send record: "total" is …`).
	 */
	record(id: string): SendRecord {
		if (!idPattern.test(id)) {
			throw new MassmailError('usage', `no send with id ${JSON.stringify(id)}`, {hint: 'massmail history lists the sends'});
		}

		const file = this.file(id, 'send.json');
		const {value, why, missing} = readJsonOrWhy(file);
		if (missing) {
			throw new MassmailError('usage', `no send with id ${id}`, {hint: 'massmail history lists the sends'});
		}

		const problem = why ?? recordProblem(value, id);
		if (problem !== undefined) {
			throw new MassmailError('store', `${file}: ${problem}`, {hint: `the record of send ${id} is damaged: it cannot be shown, resumed or followed up`});
		}

		return value as SendRecord;
	}

	/**
	 * The history's line of a send. Reads send.json (damaged -> MassmailError 'store'), the lock,
	 * state.json, and the outcome log when the run did not record its end; damage in these is
	 * reported in `damaged`, never thrown.
	 */
	summary(id: string): SendListing {
		const record = this.record(id);
		const running = this.lockHolder(id)?.alive === true;
		const notes: string[] = [];
		const stateRead = readJsonOrWhy(this.file(id, 'state.json'));
		const stateWhy = stateRead.why ?? (stateRead.missing ? undefined : stateProblem(stateRead.value));
		if (stateWhy !== undefined) {
			notes.push(`state.json: ${stateWhy}`);
		}

		const state = stateWhy === undefined ? stateRead.value as StateFile | undefined : undefined;
		let sent: number;
		let failed: number;
		let status: SendStatus;
		if (!running && state) {
			({sent, failed} = state);
			status = state.status;
		} else {
			const log = this.logOf(id, record.total, false);
			({sent, failed} = countOf(log.status));
			status = running ? 'running' : 'interrupted';
			if (log.damage.count > 0) {
				notes.push(describeDamage({lines: log.damage.lines, damagedLines: log.damage.count}));
			}
		}

		const summary: SendListing = {
			id,
			kind: record.kind,
			subject: record.draft.subject,
			createdAt: record.createdAt,
			total: record.total,
			sent,
			failed,
			status,
			audience: record.audience,
			captured: record.captured,
			operator: record.operator ?? null,
		};
		if (record.followUpOf) {
			summary.followUpOf = record.followUpOf;
		}

		if (notes.length > 0) {
			summary.damaged = notes.join('; ');
		}

		return summary;
	}

	draft(id: string): MessageDraft {
		return this.record(id).draft;
	}

	/**
	 * Checks every file of a send and says what is damaged and how much can still be read.
	 * Never throws over damage (an unknown id is MassmailError 'usage').
	 *
	 * @example
	 * const report = sends.check(id);
	 * if (report.damaged) console.log(describeDamage(report), report.readableRecipients, 'of', report.total, 'readable');
	 */
	check(id: string): DamageReport {
		let read: SendRead;
		try {
			read = this.read(id, false);
		} catch (error) {
			if (!isMassmailError(error) || error.kind !== 'store') {
				throw error;
			}

			const prefix = this.file(id, 'send.json') + ': ';
			const why = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
			return {id, folder: this.folder(id), damaged: true, lines: [{file: 'send.json', why}], damagedLines: 1, total: 0, readableRecipients: 0, unknownAddresses: 0, uncertainOutcomes: 0, unreadableRecipients: 0};
		}

		const {report} = read;
		const stateRead = readJsonOrWhy(this.file(id, 'state.json'));
		const stateWhy = stateRead.why ?? (stateRead.missing ? undefined : stateProblem(stateRead.value));
		if (stateWhy !== undefined) {
			report.lines.push({file: 'state.json', why: stateWhy});
			report.damagedLines++;
			report.damaged = true;
		}

		return report;
	}

	/**
	 * Before a resume, a retry or a follow-up: checks the send and says how this SendLog treats
	 * its unreadable recipients from now on (in `outcomes`, `readRecipients`, `recipients`, so in
	 * the engine too). With unreadable recipients and no policy -> MassmailError 'store' naming
	 * the damaged lines (exit 2); a policy that is not `skip` or `send` -> MassmailError 'usage'.
	 *
	 * @example
	 * ctx.sends.treatUnreadable(id, options.unreadable); // then reopenDelivery(ctx, id, …)
	 */
	treatUnreadable(id: string, policy: string | undefined): DamageReport {
		if (policy !== undefined && policy !== 'skip' && policy !== 'send') {
			throw new MassmailError('usage', `--unreadable is skip or send, not ${JSON.stringify(policy)}`, {hint: 'skip leaves the unreadable recipients out (safe); send may send some a second time'});
		}

		const report = this.read(id, false).report;
		if (report.unreadableRecipients > 0 && policy === undefined) {
			throw this.refusal(id, report);
		}

		if (policy === undefined) {
			this.policies.delete(id);
		} else {
			this.policies.set(id, policy);
		}

		return report;
	}

	/**
	 * Everything `show` prints, read once: the summary (its counts from the readable outcome lines
	 * when the record is damaged), every recipient with its outcome (unreadable ones marked), and
	 * the damage. Throws only when send.json itself cannot be read.
	 */
	inspect(id: string): {summary: SendListing; recipients: RecipientRecord[]; damage: DamageReport} {
		const summary = this.summary(id);
		const damage = this.check(id);
		const recipients = this.recipients(id, {unreadable: 'report'});
		if (damage.damaged) {
			let sent = 0;
			let failed = 0;
			for (const recipient of recipients) {
				if (recipient.status === 'sent') {
					sent++;
				} else if (recipient.status === 'failed') {
					failed++;
				}
			}

			Object.assign(summary, {sent, failed, damaged: describeDamage(damage)});
		}

		return {summary, recipients, damage};
	}

	/**
	 * Every recipient of the send with its outcome, in send order. With unreadable recipients this
	 * refuses (MassmailError 'store') unless a policy is given or set ({@link treatUnreadable});
	 * `report` reads what can be read, for showing. Unreadable recipients carry `unreadable`.
	 */
	recipients(id: string, options: {unreadable?: UnreadablePolicy | 'report'} = {}): RecipientRecord[] {
		const {record, people, log, report} = this.read(id, true);
		if (report.unreadableRecipients > 0 && (options.unreadable ?? this.policies.get(id)) === undefined) {
			throw this.refusal(id, report);
		}

		const domain = record.draft.from.address.slice(record.draft.from.address.lastIndexOf('@') + 1).toLowerCase();
		const reports: RecipientRecord[] = Array.from({length: record.total});
		for (let index = 0; index < record.total; index++) {
			const code = log.status[index];
			const recipient: RecipientRecord = {
				address: people.addresses[index]!,
				status: (code === statusCodes.sent ? 'sent' : code === statusCodes.failed ? 'failed' : 'pending') as RecipientStatus,
				attempts: log.attempts[index]!,
				response: log.responses![index]!,
				messageId: '<' + id + '.' + index + '@' + domain + '>',
				ambiguous: log.ambiguous[index] === 1,
			};
			if (people.unknown[index]) {
				recipient.unreadable = 'address';
			} else if (log.uncertain[index]) {
				recipient.unreadable = 'outcome';
			}

			reports[index] = recipient;
		}

		return reports;
	}

	/**
	 * The recipients file, as two parallel arrays (no object per recipient) of the recorded total.
	 * A damaged or missing line refuses (MassmailError 'store', naming it) unless a policy is given
	 * or set; then its address is ''.
	 */
	readRecipients(id: string, options: ReadOptions = {}): {addresses: string[]; names: string[]} {
		const record = this.record(id);
		const people = this.recipientsOf(id, record.total);
		if (people.unknownCount > 0 && this.policyOf(id, options) === undefined) {
			throw this.refusal(id, this.read(id, false).report);
		}

		return {addresses: [...people.addresses], names: [...people.names]};
	}

	/**
	 * The status of every recipient, compact, from the outcome log, for a run to pick its work.
	 * With unreadable recipients this refuses (MassmailError 'store') unless a policy is given or
	 * set; then a recipient without an address, and under `skip` one whose outcome is uncertain,
	 * has status `statusCodes.unreadable`, which neither resume nor retry picks.
	 */
	outcomes(id: string, total = this.record(id).total, options: ReadOptions = {}): OutcomeState {
		const policy = this.policyOf(id, options);
		const people = this.recipientsOf(id, total);
		const log = this.logOf(id, total, false);
		if ((people.unknownCount > 0 || log.uncertainCount > 0) && policy === undefined) {
			throw this.refusal(id, this.read(id, false).report);
		}

		const {status} = log;
		for (let index = 0; index < total; index++) {
			if (status[index] !== statusCodes.sent && (people.unknown[index] || (policy === 'skip' && log.uncertain[index]))) {
				status[index] = statusCodes.unreadable;
			}
		}

		return {status, attempts: log.attempts, ...countOf(status)};
	}

	/**
	 * Creates the record of a new send and takes its lock: send.json and the recipients are on
	 * disk (fsynced) before this returns, so before the first message.
	 */
	create(input: Omit<SendRecord, 'id' | 'createdAt' | 'total'> & {recipients: Recipient[]}): {record: SendRecord; lock: SendLock} {
		fs.mkdirSync(this.sendsDir, {recursive: true, mode: 0o700});
		keepPrivate(this.sendsDir);
		let id = newSendId();
		while (fs.existsSync(path.join(this.sendsDir, id))) {
			id = newSendId();
		}

		fs.mkdirSync(path.join(this.sendsDir, id), {mode: 0o700});
		const lock = this.lock(id);
		try {
			const {recipients, ...rest} = input;
			const record: SendRecord = {id, createdAt: new Date().toISOString(), total: recipients.length, ...rest};
			writeAtomicSync(this.file(id, 'recipients.jsonl'), recipients.map(recipient => JSON.stringify([recipient.address, recipient.name]) + '\n'));
			writeFileAtomic(this.file(id, 'outcomes.log'), '');
			// send.json last: a folder without it is not a send (a crash half-way leaves no broken record).
			writeFileAtomic(this.file(id, 'send.json'), JSON.stringify(record, null, '\t') + '\n');
			fsyncDirectory(path.join(this.sendsDir, id));
			fsyncDirectory(this.sendsDir);
			return {record, lock};
		} catch (error) {
			lock.release();
			throw error;
		}
	}

	/**
	 * Takes the lock of a send. A lock held by a live process refuses with MassmailError 'locked';
	 * the lock of a process that is gone (on this host: its PID is dead, reused by another process,
	 * or from before a reboot) is taken over at once.
	 */
	lock(id: string): SendLock {
		const file = this.file(id, 'lock');
		let taken: ReturnType<typeof takeProcessLock>;
		try {
			taken = takeProcessLock(file);
		} catch (error) {
			throw new MassmailError('store', `cannot lock send ${id}: ${(error as Error).message}`);
		}

		if ('lock' in taken) {
			return taken.lock;
		}

		if ('holder' in taken) {
			const {holder} = taken;
			throw new MassmailError('locked', `send ${id} is being worked on by process ${holder.pid}${holder.host === os.hostname() ? '' : ' on ' + holder.host}`, {
				hint: holder.host === os.hostname()
					? 'wait for it to finish, or stop that process first'
					: `if no massmail runs on ${holder.host}, delete ${file}`,
			});
		}

		throw new MassmailError('locked', `cannot take the lock of send ${id}`, {hint: 'another massmail may be starting on it; try again'});
	}

	/**
	 * Who holds the lock of a send, if anyone. A lock of another host counts as alive; on this host
	 * the holder is alive when its PID runs, in this boot, with the start time the lock recorded.
	 */
	lockHolder(id: string): LockHolder | undefined {
		return lockHolder(this.file(id, 'lock'));
	}

	/** Opens the outcome log for appending (cutting off a torn last line first, however long). Call with the lock held. */
	openOutcomes(id: string, onDurable: (group: OutcomeLine[]) => void, options?: {intervalMs: number; maxGroup: number}, onFailure?: (error: Error) => void): OutcomeWriter {
		const file = this.file(id, 'outcomes.log');
		let fd: number;
		try {
			fd = openForAppend(file);
		} catch (error) {
			throw new MassmailError('store', `${file}: cannot be prepared for appending: ${(error as Error).message}`, {cause: error, file});
		}

		return new OutcomeWriter(fd, onDurable, options, onFailure);
	}

	/** Forgets how the last run ended (a new run starts). Call with the lock held. */
	clearState(id: string): void {
		fs.rmSync(this.file(id, 'state.json'), {force: true});
	}

	/** Records how this run ended. Call with the lock held, after the outcome log is closed. */
	finish(id: string, status: Exclude<SendStatus, 'running'>, counts: {sent: number; failed: number}): void {
		const state: StateFile = {status, endedAt: new Date().toISOString(), sent: counts.sent, failed: counts.failed};
		writeFileAtomic(this.file(id, 'state.json'), JSON.stringify(state) + '\n');
	}

	/** Removes a send's folder (used when a send never started, e.g. the login failed after all). */
	remove(id: string): void {
		fs.rmSync(path.join(this.sendsDir, id), {recursive: true, force: true});
	}

	private folder(id: string): string {
		return path.join(this.sendsDir, id);
	}

	private file(id: string, name: string): string {
		return path.join(this.sendsDir, id, name);
	}

	private policyOf(id: string, options: ReadOptions): UnreadablePolicy | undefined {
		return options.unreadable ?? this.policies.get(id);
	}

	private refusal(id: string, report: DamageReport): MassmailError {
		const details = report.lines.slice(0, 20).map(damage => formatDamagedLine(damage));
		if (report.damagedLines > details.length) {
			details.push(`and ${plural(report.damagedLines - details.length, 'more damaged line')}`);
		}

		const what = [
			report.unknownAddresses > 0 ? `${plural(report.unknownAddresses, 'address', 'addresses')} unreadable` : '',
			report.uncertainOutcomes > 0 ? `${plural(report.uncertainOutcomes, 'outcome')} unknown` : '',
		].filter(Boolean).join(', ');
		return new MassmailError('store', `send ${id} is damaged: ${plural(report.unreadableRecipients, 'recipient')} of ${formatCount(report.total)} cannot be read (${what}) in ${report.folder}`, {
			details,
			hint: unreadableHint(id),
		});
	}

	/** The history's line of a send whose send.json cannot be read. */
	private unreadableListing(id: string, error: unknown): SendListing {
		const prefix = this.file(id, 'send.json') + ': ';
		const message = (error as Error).message ?? String(error);
		const why = message.startsWith(prefix) ? message.slice(prefix.length) : message;
		let status: SendStatus = 'interrupted';
		try {
			if (idPattern.test(id) && this.lockHolder(id)?.alive) {
				status = 'running';
			}
		} catch {
			// The lock cannot be read either: nothing runs that we can tell of.
		}

		return {id, kind: 'email', subject: '', createdAt: createdAtOfId(id), total: 0, sent: 0, failed: 0, status, audience: '', captured: false, operator: null, damaged: `send.json: ${why}`, recordUnreadable: true};
	}

	/** send.json, recipients.jsonl and outcomes.log, checked, and what they add up to. */
	private read(id: string, withResponses: boolean): SendRead {
		const record = this.record(id);
		const people = this.recipientsOf(id, record.total);
		const log = this.logOf(id, record.total, withResponses);
		let unreadable = 0;
		for (let index = 0; index < record.total; index++) {
			if (people.unknown[index] || log.uncertain[index]) {
				unreadable++;
			}
		}

		const lines = [...people.damage.lines, ...log.damage.lines].slice(0, listedDamage);
		const damagedLines = people.damage.count + log.damage.count;
		const report: DamageReport = {
			id,
			folder: this.folder(id),
			damaged: damagedLines > 0,
			lines,
			damagedLines,
			total: record.total,
			readableRecipients: record.total - unreadable,
			unknownAddresses: people.unknownCount,
			uncertainOutcomes: log.uncertainCount,
			unreadableRecipients: unreadable,
		};
		return {record, people, log, report};
	}

	/** recipients.jsonl, checked line by line against the recorded total. */
	private recipientsOf(id: string, total: number): RecipientsRead {
		const name = 'recipients.jsonl';
		const file = this.file(id, name);
		let text: string | undefined;
		let key: string | undefined;
		let failure: string | undefined;
		try {
			const fd = fs.openSync(file, 'r');
			try {
				const stat = fs.fstatSync(fd);
				key = `${id}:${total}:${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
				if (this.recipientsCache?.key === key) {
					return this.recipientsCache.read;
				}

				text = fs.readFileSync(fd, 'utf8');
			} finally {
				fs.closeSync(fd);
			}
		} catch (error) {
			failure = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read: ${(error as Error).message}`;
		}

		const addresses: string[] = Array.from({length: total}, () => '');
		const names: string[] = Array.from({length: total}, () => '');
		const unknown = new Uint8Array(total);
		const damage = new DamageList();
		let line = 0;
		if (text === undefined) {
			damage.add(name, undefined, failure ?? 'cannot be read', Math.max(total, 1));
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
					damage.add(name, line, `one line more than the ${formatCount(total)} recipients of the record`);
				} else {
					const parsed = start === end ? 'an empty line' : parseRecipientLine(text.slice(start, end));
					if (typeof parsed === 'string') {
						damage.add(name, line, parsed + (torn ? ' (the file ends in the middle of this line)' : ''));
						unknown[index] = 1;
					} else {
						[addresses[index], names[index]] = parsed;
					}
				}

				start = end + 1;
			}

			if (line < total) {
				damage.add(name, line + 1, `missing: the file ends after ${formatCount(line)} of ${formatCount(total)} recipients`, total - line);
			}
		}

		let unknownCount = 0;
		for (let index = 0; index < total; index++) {
			if (index >= line || text === undefined) {
				unknown[index] = 1;
			}

			unknownCount += unknown[index]!;
		}

		const read = {addresses, names, unknown, unknownCount, damage};
		if (key !== undefined) {
			this.recipientsCache = {key, read};
		}

		return read;
	}

	/**
	 * outcomes.log, checked line by line. A torn last line (no newline) is the crash case and is
	 * not damage. A recipient's outcome is uncertain when it is not known to be accepted and a
	 * damaged line comes after its last readable one: that line may have been its acceptance.
	 */
	private logOf(id: string, total: number, withResponses: boolean): LogRead {
		const name = 'outcomes.log';
		const status = new Uint8Array(total);
		const attempts = new Uint16Array(total);
		const ambiguous = new Uint8Array(total);
		const lastLine = new Uint32Array(total);
		const responses: Array<string | null> | undefined = withResponses ? Array.from({length: total}, () => null) : undefined;
		const damage = new DamageList();
		let lastDamaged = 0;
		let text: string | undefined;
		try {
			text = fs.readFileSync(this.file(id, name), 'utf8');
		} catch (error) {
			damage.add(name, undefined, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read: ${(error as Error).message}`);
			lastDamaged = Number.MAX_SAFE_INTEGER;
		}

		let line = 0;
		let start = 0;
		while (text !== undefined) {
			const end = text.indexOf('\n', start);
			if (end === -1) {
				break; // A torn last line has no newline: it never happened.
			}

			line++;
			if (text.charCodeAt(start) !== 35 /* # a run marker */) {
				const why = this.parseOutcome(text, start, end, total, (index, code, count, response, isAmbiguous) => {
					status[index] = code === 'S' ? statusCodes.sent : code === 'F' ? statusCodes.failed : statusCodes.pending;
					attempts[index] = Math.min(count, 65_535);
					ambiguous[index] ||= isAmbiguous ? 1 : 0;
					lastLine[index] = line;
					if (responses) {
						responses[index] = response;
					}
				});
				if (why !== undefined) {
					damage.add(name, line, why);
					lastDamaged = line;
				}
			}

			start = end + 1;
		}

		const uncertain = new Uint8Array(total);
		let uncertainCount = 0;
		if (lastDamaged > 0) {
			for (let index = 0; index < total; index++) {
				if (status[index] !== statusCodes.sent && lastLine[index]! < lastDamaged) {
					uncertain[index] = 1;
					uncertainCount++;
				}
			}
		}

		return {status, attempts, ambiguous, responses, uncertain, uncertainCount, damage};
	}

	/** One line of the outcome log: calls `visit`, or returns why it is not an outcome line. */
	private parseOutcome(text: string, start: number, end: number, total: number, visit: (index: number, code: string, attempts: number, response: string, ambiguous: boolean) => void): string | undefined {
		const tab1 = text.indexOf('\t', start);
		const tab2 = tab1 === -1 ? -1 : text.indexOf('\t', tab1 + 1);
		const tab3 = tab2 === -1 ? -1 : text.indexOf('\t', tab2 + 1);
		const indexText = tab1 === -1 || tab1 > end ? '' : text.slice(start, tab1);
		if (tab3 === -1 || tab3 > end || !/^\d{1,10}$/.test(indexText)) {
			return 'not an outcome line (index TAB code TAB attempts TAB reply)';
		}

		const code = text.slice(tab1 + 1, tab2);
		if (!/^[SFD]a?$/.test(code)) {
			return `unknown outcome code ${JSON.stringify(code.slice(0, 12))}`;
		}

		const attemptsText = text.slice(tab2 + 1, tab3);
		if (!/^\d{1,6}$/.test(attemptsText)) {
			return 'attempts is not a number';
		}

		const index = Number(indexText);
		if (index >= total) {
			return `recipient ${index} does not exist (the send has ${total})`;
		}

		const response = text.slice(tab3 + 1, end);
		if (response.includes('\t')) {
			// Replies are written without tabs: this is two lines run together (a torn line, then the next).
			return 'two lines run together';
		}

		visit(index, code[0]!, Number(attemptsText), response, code[1] === 'a');
		return undefined;
	}
}

function countOf(status: Uint8Array): {sent: number; failed: number} {
	let sent = 0;
	let failed = 0;
	for (const value of status) {
		if (value === statusCodes.sent) {
			sent++;
		} else if (value === statusCodes.failed) {
			failed++;
		}
	}

	return {sent, failed};
}
