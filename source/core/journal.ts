/**
 * Send records on disk, one folder per send under `sends/<id>/`:
 *
 * - `send.json`       what was sent, to which audience, with which settings (written once, before the first message)
 * - `recipients.jsonl` one `[address, name]` per line; the line number is the recipient's index (and part of its Message-ID)
 * - `outcomes.log`    append-only, one line per outcome: `index TAB code TAB attempts TAB response`
 *                     (code S sent, F failed, D deferred, with an `a` suffix when the attempt was ambiguous);
 *                     the last line of a recipient decides its status. Written in fsynced groups.
 * - `state.json`      how the last run ended (finished, cancelled, interrupted) and its counts
 * - `lock`            `{pid, host}` of the process working on the send
 *
 * A torn last line (a crash in the middle of a write) is ignored when reading and cut off before appending.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {MassmailError} from './errors.js';
import {readJsonFile, writeFileAtomic} from './json-file.js';
import type {MessageDraft, Recipient, RecipientReport, RecipientStatus, SendKind, SendStatus, SendSummary, Settings} from './types.js';

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
}

interface StateFile {
	status: Exclude<SendStatus, 'running'>;
	endedAt: string;
	sent: number;
	failed: number;
}

/** Per-recipient state read from the log, compact: one byte/short per recipient. */
export interface OutcomeState {
	/** 0 pending, 1 sent, 2 failed. */
	status: Uint8Array;
	attempts: Uint16Array;
	sent: number;
	failed: number;
}

export const statusCodes = {pending: 0, sent: 1, failed: 2} as const;

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

function clean(text: string): string {
	return text.replaceAll(/[\t\r\n]+/g, ' ').trim();
}

/** A new send id: sortable by time, unique. */
export function newSendId(now = new Date()): string {
	const stamp = now.toISOString().replaceAll(/[-:]/g, '').replace('T', '-').slice(0, 15);
	return stamp + '-' + randomBytes(3).toString('hex');
}

/** Writes one line per item in chunks (no whole-file string for 100,000 recipients), fsynced, renamed into place. */
function writeLinesDurable<T>(file: string, items: readonly T[], line: (item: T) => string): void {
	const temporary = file + '.' + process.pid + '.tmp';
	const fd = fs.openSync(temporary, 'w', 0o600);
	try {
		let chunk = '';
		for (const item of items) {
			chunk += line(item);
			if (chunk.length >= 65_536) {
				fs.writeSync(fd, chunk);
				chunk = '';
			}
		}

		if (chunk !== '') {
			fs.writeSync(fd, chunk);
		}

		fs.fsyncSync(fd);
	} finally {
		fs.closeSync(fd);
	}

	fs.renameSync(temporary, file);
}

function fsyncDirectory(directory: string): void {
	try {
		const fd = fs.openSync(directory, 'r');
		try {
			fs.fsyncSync(fd);
		} finally {
			fs.closeSync(fd);
		}
	} catch {
		// Not every platform can fsync a directory; the files themselves are synced.
	}
}

function processIsAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** A held lock on one send. */
export interface SendLock {
	release(): void;
}

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

		fs.write(this.fd, data, null, 'utf8', writeError => {
			if (writeError) {
				done(writeError);
				return;
			}

			fs.fdatasync(this.fd, syncError => {
				done(syncError);
			});
		});
	}
}

/**
 * The send records of one data folder.
 *
 * @example
 * const sends = new SendLog(store.paths.sendsDir);
 * for (const send of sends.list()) console.log(send.id, send.status);
 */
export class SendLog {
	constructor(readonly sendsDir: string) {}

	/** Every send, newest first. */
	list(): SendSummary[] {
		let names: string[];
		try {
			names = fs.readdirSync(this.sendsDir);
		} catch {
			return [];
		}

		const summaries: SendSummary[] = [];
		for (const name of names) {
			if (!fs.existsSync(path.join(this.sendsDir, name, 'send.json'))) {
				continue;
			}

			summaries.push(this.summary(name));
		}

		return summaries.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : (a.id < b.id ? 1 : -1)));
	}

	/** True when a send of this id exists. */
	has(id: string): boolean {
		return /^[\w.-]+$/.test(id) && fs.existsSync(path.join(this.sendsDir, id, 'send.json'));
	}

	/** The send record (send.json). Unknown id -> MassmailError 'usage'. */
	record(id: string): SendRecord {
		if (!/^[\w.-]+$/.test(id)) {
			throw new MassmailError('usage', `no send with id ${JSON.stringify(id)}`, {hint: 'massmail history lists the sends'});
		}

		const record = readJsonFile(this.file(id, 'send.json')) as SendRecord | undefined;
		if (!record) {
			throw new MassmailError('usage', `no send with id ${id}`, {hint: 'massmail history lists the sends'});
		}

		return record;
	}

	summary(id: string): SendSummary {
		const record = this.record(id);
		const running = this.lockHolder(id)?.alive === true;
		const state = readJsonFile(this.file(id, 'state.json')) as StateFile | undefined;
		let sent: number;
		let failed: number;
		let status: SendStatus;
		if (!running && state) {
			({sent, failed} = state);
			status = state.status;
		} else {
			({sent, failed} = this.outcomes(id, record.total));
			status = running ? 'running' : 'interrupted';
		}

		const summary: SendSummary = {
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
		};
		if (record.followUpOf) {
			summary.followUpOf = record.followUpOf;
		}

		return summary;
	}

	draft(id: string): MessageDraft {
		return this.record(id).draft;
	}

	/** Every recipient of the send with its outcome, in send order. */
	recipients(id: string): RecipientRecord[] {
		const record = this.record(id);
		const {addresses} = this.readRecipients(id);
		const domain = record.draft.from.address.slice(record.draft.from.address.lastIndexOf('@') + 1).toLowerCase();
		const reports: RecipientRecord[] = addresses.map((address, index) => ({
			address,
			status: 'pending' as RecipientStatus,
			attempts: 0,
			response: null,
			messageId: '<' + id + '.' + index + '@' + domain + '>',
			ambiguous: false,
		}));
		this.scanLog(id, (index, code, attempts, response, ambiguous) => {
			const report = reports[index];
			if (!report) {
				return;
			}

			report.status = code === 'S' ? 'sent' : code === 'F' ? 'failed' : 'pending';
			report.attempts = attempts;
			report.response = response;
			report.ambiguous ||= ambiguous;
		});
		return reports;
	}

	/** The recipients file, as two parallel arrays (no object per recipient). */
	readRecipients(id: string): {addresses: string[]; names: string[]} {
		const addresses: string[] = [];
		const names: string[] = [];
		let text: string;
		try {
			text = fs.readFileSync(this.file(id, 'recipients.jsonl'), 'utf8');
		} catch {
			throw new MassmailError('store', `the recipients of send ${id} are missing (${this.file(id, 'recipients.jsonl')})`);
		}

		let start = 0;
		while (start < text.length) {
			let end = text.indexOf('\n', start);
			if (end === -1) {
				end = text.length;
			}

			if (end > start) {
				const [address, name] = JSON.parse(text.slice(start, end)) as [string, string];
				addresses.push(address);
				names.push(name);
			}

			start = end + 1;
		}

		return {addresses, names};
	}

	/** The status of every recipient, compact, from the outcome log. */
	outcomes(id: string, total = this.record(id).total): OutcomeState {
		const status = new Uint8Array(total);
		const attempts = new Uint16Array(total);
		this.scanLog(id, (index, code, count) => {
			if (index >= total) {
				return;
			}

			status[index] = code === 'S' ? statusCodes.sent : code === 'F' ? statusCodes.failed : statusCodes.pending;
			attempts[index] = Math.min(count, 65_535);
		});
		let sent = 0;
		let failed = 0;
		for (const value of status) {
			if (value === statusCodes.sent) {
				sent++;
			} else if (value === statusCodes.failed) {
				failed++;
			}
		}

		return {status, attempts, sent, failed};
	}

	/**
	 * Creates the record of a new send and takes its lock: send.json and the recipients are on
	 * disk (fsynced) before this returns, so before the first message.
	 */
	create(input: Omit<SendRecord, 'id' | 'createdAt' | 'total'> & {recipients: Recipient[]}): {record: SendRecord; lock: SendLock} {
		fs.mkdirSync(this.sendsDir, {recursive: true, mode: 0o700});
		let id = newSendId();
		while (fs.existsSync(path.join(this.sendsDir, id))) {
			id = newSendId();
		}

		fs.mkdirSync(path.join(this.sendsDir, id), {mode: 0o700});
		const lock = this.lock(id);
		try {
			const {recipients, ...rest} = input;
			const record: SendRecord = {id, createdAt: new Date().toISOString(), total: recipients.length, ...rest};
			writeLinesDurable(this.file(id, 'recipients.jsonl'), recipients, recipient => JSON.stringify([recipient.address, recipient.name]) + '\n');
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
	 * the lock of a process that is gone (on this host) is taken over at once.
	 */
	lock(id: string): SendLock {
		const file = this.file(id, 'lock');
		const content = JSON.stringify({pid: process.pid, host: os.hostname(), since: new Date().toISOString()});
		for (let attempt = 0; attempt < 5; attempt++) {
			try {
				const fd = fs.openSync(file, 'wx', 0o600);
				fs.writeSync(fd, content);
				fs.fsyncSync(fd);
				fs.closeSync(fd);
				let released = false;
				return {
					release() {
						if (released) {
							return;
						}

						released = true;
						try {
							const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as {pid: number};
							if (holder.pid === process.pid) {
								fs.unlinkSync(file);
							}
						} catch {
							// Already gone.
						}
					},
				};
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
					throw new MassmailError('store', `cannot lock send ${id}: ${(error as Error).message}`);
				}
			}

			const holder = this.lockHolder(id);
			if (holder?.alive) {
				throw new MassmailError('locked', `send ${id} is being worked on by process ${holder.pid}${holder.host === os.hostname() ? '' : ' on ' + holder.host}`, {
					hint: holder.host === os.hostname()
						? 'wait for it to finish, or stop that process first'
						: `if no massmail runs on ${holder.host}, delete ${file}`,
				});
			}

			// The holder is gone: take the lock over, unless someone else just did.
			try {
				const before = fs.readFileSync(file, 'utf8');
				if (holder === undefined || before === holder.raw) {
					fs.unlinkSync(file);
				}
			} catch {
				// Removed meanwhile: try again.
			}
		}

		throw new MassmailError('locked', `cannot take the lock of send ${id}`, {hint: 'another massmail may be starting on it; try again'});
	}

	/** Who holds the lock of a send, if anyone. A lock of another host counts as alive. */
	lockHolder(id: string): {pid: number; host: string; alive: boolean; raw: string} | undefined {
		let raw: string;
		try {
			raw = fs.readFileSync(this.file(id, 'lock'), 'utf8');
		} catch {
			return undefined;
		}

		let holder: {pid?: unknown; host?: unknown};
		try {
			holder = JSON.parse(raw) as {pid?: unknown; host?: unknown};
		} catch {
			// A lock torn by a crash while it was written: its process died then.
			return {pid: 0, host: os.hostname(), alive: false, raw};
		}

		const pid = typeof holder.pid === 'number' ? holder.pid : 0;
		const host = typeof holder.host === 'string' ? holder.host : os.hostname();
		const alive = host === os.hostname() ? pid > 0 && processIsAlive(pid) : true;
		return {pid, host, alive, raw};
	}

	/** Opens the outcome log for appending (cutting off a torn last line first). Call with the lock held. */
	openOutcomes(id: string, onDurable: (group: OutcomeLine[]) => void, options?: {intervalMs: number; maxGroup: number}, onFailure?: (error: Error) => void): OutcomeWriter {
		const file = this.file(id, 'outcomes.log');
		const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);
		const size = fs.fstatSync(fd).size;
		if (size > 0) {
			const tail = Buffer.alloc(Math.min(size, 4096));
			fs.readSync(fd, tail, 0, tail.length, size - tail.length);
			if (tail.at(-1) !== 0x0A) {
				const lastNewline = tail.lastIndexOf(0x0A);
				const keep = lastNewline === -1 ? (size > tail.length ? size : 0) : size - tail.length + lastNewline + 1;
				fs.ftruncateSync(fd, keep);
				fs.fsyncSync(fd);
			}
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

	private file(id: string, name: string): string {
		return path.join(this.sendsDir, id, name);
	}

	private scanLog(id: string, visit: (index: number, code: string, attempts: number, response: string, ambiguous: boolean) => void): void {
		let text: string;
		try {
			text = fs.readFileSync(this.file(id, 'outcomes.log'), 'utf8');
		} catch {
			return;
		}

		let start = 0;
		for (;;) {
			const end = text.indexOf('\n', start);
			if (end === -1) {
				break; // A torn last line has no newline: it never happened.
			}

			if (text.charCodeAt(start) !== 35 /* # */) {
				const tab1 = text.indexOf('\t', start);
				const tab2 = text.indexOf('\t', tab1 + 1);
				const tab3 = text.indexOf('\t', tab2 + 1);
				if (tab1 > start && tab2 > tab1 && tab3 > tab2 && tab3 < end) {
					const index = Number(text.slice(start, tab1));
					const code = text.slice(tab1 + 1, tab2);
					const attempts = Number(text.slice(tab2 + 1, tab3));
					if (Number.isInteger(index) && index >= 0) {
						visit(index, code[0], attempts, text.slice(tab3 + 1, end), code[1] === 'a');
					}
				}
			}

			start = end + 1;
		}
	}
}
