/**
 * The read models of the send records: the history's list, a send's summary, its recipients
 * with their outcomes, the damage check, and the compact state a run picks its work from.
 * Reading to show (`list`, `summary`, `check`, `inspect`, `recipients` with `report`) never
 * refuses over damage. Reading to send (`outcomes`, `readRecipients`, `recipients`) refuses a
 * send with unreadable recipients unless the call says how to treat them ({@link UnreadablePolicy}):
 * the policy is an argument of each read, never remembered.
 */
import fs from 'node:fs';
import path from 'node:path';
import {MassmailError} from '../errors.js';
import {tryReadJsonFile} from '../json-file.js';
import {lockHolder, type LockHolder} from '../storage/index.js';
import type {MessageDraft, RecipientReport, RecipientStatus, SendStatus, SendSummary} from '../types.js';
import {damageReport, describeDamage, listedDamage, UnreadableRecipientsError, type DamagedLine, type DamageReport, type UnreadablePolicy} from './damage.js';
import {changedAfter, countOutcomes, decodeOutcomes, outcomesFile, statusCodes, type LogRead, type OutcomeState} from './outcome-log.js';
import {createdAtOfId, decodeRecipients, idPattern, recipientsFile, recordProblem, runStateProblem, type RecipientsRead, type RunState, type SendRecord} from './record.js';
import {readDeliveries, reportsFile, type DeliveriesRead} from './reports.js';

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
	/** In a send over several relays: the relay that gave the last outcome (null: none did). Absent otherwise. */
	relay?: string | null;
}

/** A send as the history lists it: its summary, and what is damaged if anything is. */
export interface SendListing extends SendSummary {
	/** One line on what is damaged: `send.json: not a send record: "id" is missing`, `outcomes.log:12: …`. */
	damaged?: string;
	/** send.json cannot be read: every field but `id`, `status` and `createdAt` (from the id) is a placeholder. */
	recordUnreadable?: true;
}

/** Options of the reads that feed a send. */
export interface ReadOptions {
	/** How to treat unreadable recipients; without it, a send with any refuses. */
	unreadable?: UnreadablePolicy;
}

/** send.json, recipients.jsonl and outcomes.log, checked, and what they add up to. */
interface SendRead {
	record: SendRecord;
	people: RecipientsRead;
	log: LogRead;
	/** The damage of recipients.jsonl and outcomes.log (state.json aside). */
	report: DamageReport;
}

const noSuchSend = (id: string) => new MassmailError('usage', `no send with id ${id}`, {hint: 'massmail history lists the sends'});

/**
 * The send records of one data folder, read.
 *
 * @example
 * const sends = new SendLog(store.paths.sendsDir);
 * for (const send of sends.list()) console.log(send.id, send.status, send.damaged ?? '');
 */
export class SendReader {
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
				const loaded = this.loadRecord(name);
				summaries.push('why' in loaded ? this.unreadableListing(name, loaded.why) : this.summaryOf(loaded.record));
			} catch (error) {
				summaries.push(this.unreadableListing(name, (error as Error).message ?? String(error)));
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
	 * record -> MassmailError 'store' (`…/send.json: not a send record: "total" is …`, `file` set).
	 */
	record(id: string): SendRecord {
		const loaded = this.loadRecord(id);
		if ('why' in loaded) {
			const file = this.file(id, 'send.json');
			throw new MassmailError('store', `${file}: ${loaded.why}`, {file, hint: `the record of send ${id} is damaged: it cannot be shown, resumed or followed up`});
		}

		return loaded.record;
	}

	/**
	 * The history's line of a send. Reads send.json (damaged -> MassmailError 'store'), the lock,
	 * state.json, and the outcome log when the run did not record its end; damage in these is
	 * reported in `damaged`, never thrown.
	 */
	summary(id: string): SendListing {
		return this.summaryOf(this.record(id));
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
		const loaded = this.loadRecord(id);
		if ('why' in loaded) {
			return damageReport({id, folder: this.folder(id), lines: [{file: 'send.json', why: loaded.why}], damagedLines: 1, total: 0, unknownAddresses: 0, uncertainOutcomes: 0, unreadableRecipients: 0});
		}

		return this.checked(this.read(loaded.record, false));
	}

	/**
	 * Before a resume, a retry or a follow-up: what reading the send to send from meets. With
	 * unreadable recipients and no policy -> {@link UnreadableRecipientsError} naming the damaged
	 * lines (MassmailError 'store', exit 2); a send.json that cannot be read -> MassmailError 'store'.
	 *
	 * @example
	 * const damage = sends.requireReadable(id, policy); // then reopenDelivery(ctx, id, {only, unreadable: policy})
	 */
	requireReadable(id: string, policy: UnreadablePolicy | undefined): DamageReport {
		const {report} = this.read(this.record(id), false);
		if (report.unreadableRecipients > 0 && policy === undefined) {
			throw new UnreadableRecipientsError(report);
		}

		return report;
	}

	/**
	 * Everything `show` prints, read once: the summary (its counts from the readable outcome lines
	 * when the record is damaged), every recipient with its outcome (unreadable ones marked), and
	 * the damage. Throws only when send.json itself cannot be read.
	 */
	inspect(id: string): {summary: SendListing; recipients: RecipientRecord[]; damage: DamageReport} {
		const record = this.record(id);
		const summary = this.summaryOf(record);
		const read = this.read(record, true);
		const damage = this.checked(read);
		if (damage.damaged) {
			Object.assign(summary, {...countOutcomes(read.log.status), damaged: describeDamage(damage)});
		}

		return {summary, recipients: this.recipientRecords(read), damage};
	}

	/**
	 * Every recipient of the send with its outcome, in send order. With unreadable recipients this
	 * refuses ({@link UnreadableRecipientsError}) unless a policy is given; `report` reads what can
	 * be read, for showing. Unreadable recipients carry `unreadable`.
	 */
	recipients(id: string, options: {unreadable?: UnreadablePolicy | 'report'} = {}): RecipientRecord[] {
		const read = this.read(this.record(id), true);
		if (read.report.unreadableRecipients > 0 && options.unreadable === undefined) {
			throw new UnreadableRecipientsError(read.report);
		}

		return this.recipientRecords(read);
	}

	/**
	 * The recipients file, as two parallel arrays (no object per recipient) of the recorded total.
	 * A damaged or missing line refuses ({@link UnreadableRecipientsError}, naming it) unless a
	 * policy is given; then its address is ''.
	 */
	readRecipients(id: string, options: ReadOptions = {}): {addresses: string[]; names: string[]} {
		const record = this.record(id);
		const people = this.recipientsOf(id, record.total);
		if (people.unknownCount > 0 && options.unreadable === undefined) {
			throw new UnreadableRecipientsError(this.read(record, false).report);
		}

		return {addresses: [...people.addresses], names: [...people.names]};
	}

	/**
	 * The status of every recipient, compact, from the outcome log, for a run to pick its work.
	 * With unreadable recipients this refuses ({@link UnreadableRecipientsError}) unless a policy
	 * is given; then a recipient without an address, and under `skip` one whose outcome is
	 * uncertain, has status `statusCodes.unreadable`, which neither resume nor retry picks.
	 */
	outcomes(id: string, total = this.record(id).total, options: ReadOptions = {}): OutcomeState {
		const policy = options.unreadable;
		const people = this.recipientsOf(id, total);
		const log = this.logOf(id, total, false);
		if ((people.unknownCount > 0 || log.uncertainCount > 0) && policy === undefined) {
			throw new UnreadableRecipientsError(this.read(this.record(id), false).report);
		}

		const {status} = log;
		for (let index = 0; index < total; index++) {
			if (status[index] !== statusCodes.sent && (people.unknown[index] || (policy === 'skip' && log.uncertain[index]))) {
				status[index] = statusCodes.unreadable;
			}
		}

		return {status, attempts: log.attempts, ...countOutcomes(status)};
	}

	/**
	 * Each recipient's delivery from the reports folded into reports.log (core/tracking/fold.ts):
	 * `accepted` (sent, no report yet), `delivered`, `bounced` or `delayed`, with the report's
	 * status, diagnostic and time, and the counts. A send without reports reads as every sent
	 * recipient accepted. Never refuses over damage: damaged report lines are skipped and
	 * counted in `damage`, a damaged outcome line leaves its recipient as the readable lines say.
	 * An unknown id -> MassmailError 'usage'; a send.json that cannot be read -> 'store'.
	 *
	 * @example
	 * const {recipients, counts} = sends.deliveries(id);
	 * // counts: {accepted: 1180, delivered: 0, bounced: 17, delayed: 3, replied: 2}
	 * // recipients[2]: {state: 'bounced', status: '5.2.2', diagnostic: 'mailbox full', at: '2026-01-01T12:00:01.000Z'}
	 */
	deliveries(id: string): DeliveriesRead {
		const record = this.record(id);
		const log = this.logOf(id, record.total, false);
		let text: Buffer | undefined;
		try {
			text = fs.readFileSync(this.file(id, reportsFile));
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
				const read = readDeliveries(undefined, log.status);
				read.damage.add(reportsFile, undefined, failureOf(error));
				return read;
			}
		}

		return readDeliveries(text, log.status);
	}

	/**
	 * Who holds the lock of a send, if anyone. A lock of another host counts as alive; on this host
	 * the holder is alive when its PID runs, in this boot, with the start time the lock recorded.
	 */
	lockHolder(id: string): LockHolder | undefined {
		return lockHolder(this.file(id, 'lock'));
	}

	protected folder(id: string): string {
		return path.join(this.sendsDir, id);
	}

	protected file(id: string, name: string): string {
		return path.join(this.sendsDir, id, name);
	}

	/** send.json, checked; `why` it is not a send record. An unknown id -> MassmailError 'usage'. */
	private loadRecord(id: string): {record: SendRecord} | {why: string} {
		if (!idPattern.test(id)) {
			throw new MassmailError('usage', `no send with id ${JSON.stringify(id)}`, {hint: 'massmail history lists the sends'});
		}

		const read = tryReadJsonFile(this.file(id, 'send.json'));
		if ('missing' in read) {
			throw noSuchSend(id);
		}

		if ('why' in read) {
			return {why: read.why};
		}

		const why = recordProblem(read.value, id);
		return why === undefined ? {record: read.value as SendRecord} : {why};
	}

	/** How the last run of a send ended, as recorded; undefined while none recorded it (or its record is damaged: `check` says so). */
	lastRun(id: string): RunState | undefined {
		return this.runState(id).state;
	}

	/** state.json: how the last run ended; `why` it is damaged; neither when there is none. */
	private runState(id: string): {state?: RunState; why?: string} {
		const read = tryReadJsonFile(this.file(id, 'state.json'));
		if ('missing' in read) {
			return {};
		}

		if ('why' in read) {
			return {why: read.why};
		}

		const why = runStateProblem(read.value);
		return why === undefined ? {state: read.value as RunState} : {why};
	}

	private summaryOf(record: SendRecord): SendListing {
		const {id} = record;
		const running = this.lockHolder(id)?.alive === true;
		const notes: string[] = [];
		const {state, why} = this.runState(id);
		if (why !== undefined) {
			notes.push(`state.json: ${why}`);
		}

		let sent: number;
		let failed: number;
		let status: SendStatus;
		if (!running && state) {
			({sent, failed} = state);
			status = state.status;
			// Listing many sends reads no log, unless it changed after the end was recorded: damage then is said.
			const log = changedAfter(this.file(id, outcomesFile), this.file(id, 'state.json')) ? this.logOf(id, record.total, false) : undefined;
			if (log && log.damage.count > 0) {
				notes.push(describeDamage({lines: log.damage.lines, damagedLines: log.damage.count}));
			}
		} else {
			const log = this.logOf(id, record.total, false);
			({sent, failed} = countOutcomes(log.status));
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

	/** The history's line of a send whose send.json cannot be read. */
	private unreadableListing(id: string, why: string): SendListing {
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

	/** A read's damage with state.json's added: what `check` reports. */
	private checked(read: SendRead): DamageReport {
		const {why} = this.runState(read.record.id);
		if (why === undefined) {
			return read.report;
		}

		const stateLine: DamagedLine = {file: 'state.json', why};
		return damageReport({...read.report, lines: [...read.report.lines, stateLine], damagedLines: read.report.damagedLines + 1});
	}

	private recipientRecords({record, people, log}: SendRead): RecipientRecord[] {
		const {id} = record;
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
			if (log.relays) {
				recipient.relay = log.relays[index]!;
			}

			if (people.unknown[index]) {
				recipient.unreadable = 'address';
			} else if (log.uncertain[index]) {
				recipient.unreadable = 'outcome';
			}

			reports[index] = recipient;
		}

		return reports;
	}

	/** recipients.jsonl and outcomes.log of a send whose record was read, and their damage. */
	private read(record: SendRecord, withResponses: boolean): SendRead {
		const {id, total} = record;
		const people = this.recipientsOf(id, total);
		const log = this.logOf(id, total, withResponses);
		let unreadable = 0;
		for (let index = 0; index < total; index++) {
			if (people.unknown[index] || log.uncertain[index]) {
				unreadable++;
			}
		}

		const report = damageReport({
			id,
			folder: this.folder(id),
			lines: [...people.damage.lines, ...log.damage.lines].slice(0, listedDamage),
			damagedLines: people.damage.count + log.damage.count,
			total,
			unknownAddresses: people.unknownCount,
			uncertainOutcomes: log.uncertainCount,
			unreadableRecipients: unreadable,
		});
		return {record, people, log, report};
	}

	/** recipients.jsonl, read again only when its stat changed. */
	private recipientsOf(id: string, total: number): RecipientsRead {
		const file = this.file(id, recipientsFile);
		let text: string;
		let key: string;
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
			return decodeRecipients(undefined, total, failureOf(error));
		}

		const read = decodeRecipients(text, total);
		this.recipientsCache = {key, read};
		return read;
	}

	private logOf(id: string, total: number, withResponses: boolean): LogRead {
		let text: string;
		try {
			const file = this.file(id, outcomesFile);
			// A device in its place (/dev/full, /dev/zero) would be read forever: it holds no outcome.
			if (!fs.statSync(file).isFile()) {
				throw new Error('not a regular file');
			}

			text = fs.readFileSync(file, 'utf8');
		} catch (error) {
			return decodeOutcomes(undefined, total, withResponses, failureOf(error));
		}

		return decodeOutcomes(text, total, withResponses);
	}
}

/** Why a file of a send could not be read, as its damage says it. */
function failureOf(error: unknown): string {
	return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read: ${(error as Error).message}`;
}
