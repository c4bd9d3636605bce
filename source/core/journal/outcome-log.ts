/**
 * The outcome log of a send (`outcomes.log`): its line format, the decoder that tells a torn last
 * line (a crash mid-write: never happened) from a damaged one, and the group-commit writer.
 *
 * One line per outcome, appended: `index TAB code TAB attempts TAB reply`, where code is S (sent),
 * F (failed) or D (deferred), with an `a` suffix when the attempt was ambiguous (the connection
 * dropped after the message went: the server may have it), and, in a send over several relays,
 * `@` and the relay that gave the outcome (`Sa@mx1.example.com:25`; a line without one reads as
 * before). The reply holds no tab or line break.
 * A line starting with `#` is a note (a run marker), not an outcome. The last line of a recipient
 * decides its status.
 */
import fs from 'node:fs';
import {DamageList} from './damage.js';

/** A recipient's status as the log and the engine keep it, one byte each. */
export const statusCodes = {pending: 0, sent: 1, failed: 2, unreadable: 3} as const;

/** Per-recipient state read from the log, compact: one byte/short per recipient. */
export interface OutcomeState {
	/** 0 pending, 1 sent, 2 failed, 3 unreadable (never picked by resume or retry). */
	status: Uint8Array;
	attempts: Uint16Array;
	sent: number;
	failed: number;
}

/** One outcome as the engine appends it. */
export interface OutcomeLine {
	index: number;
	code: 'S' | 'F' | 'D';
	attempts: number;
	response: string;
	ambiguous: boolean;
	/** The engine's worker that produced it (not written). */
	slot?: number;
	/** The relay that gave it (`mx1.example.com:25`), when the send goes over several. */
	relay?: string;
}

export const outcomesFile = 'outcomes.log';

/** How many recipients are sent and how many failed: the one count of a status array. */
export function countOutcomes(status: Uint8Array): {sent: number; failed: number} {
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

function clean(text: string): string {
	return text.replaceAll(/[\t\r\n]+/g, ' ').trim();
}

/**
 * Whether the outcome log changed after the run's end was recorded in `stateFile`, which is
 * written once the log is closed: then the counts recorded there may no longer be what the log
 * says (an edit, a bad copy), and the log must be read to tell. The change time (ctime), which no
 * tool sets back; the same time is taken as a change (a clock too coarse to tell).
 */
export function changedAfter(logFile: string, stateFile: string): boolean {
	try {
		return fs.statSync(logFile).ctimeMs >= fs.statSync(stateFile).ctimeMs;
	} catch {
		// One of them is gone: reading the log tells what there is.
		return true;
	}
}

/** One outcome's line. */
export function encodeOutcome(outcome: OutcomeLine): string {
	return outcome.index + '\t' + outcome.code + (outcome.ambiguous ? 'a' : '') + (outcome.relay === undefined ? '' : '@' + clean(outcome.relay)) + '\t' + outcome.attempts + '\t' + clean(outcome.response) + '\n';
}

/** A note's line (`#…`): read past, never an outcome. */
export function encodeNote(text: string): string {
	return '#' + clean(text) + '\n';
}

/** One line of the outcome log: calls `visit`, or returns why it is not an outcome line. */
function decodeOutcome(text: string, start: number, end: number, total: number, visit: (index: number, code: string, attempts: number, response: string, ambiguous: boolean, relay: string | undefined) => void): string | undefined {
	const tab1 = text.indexOf('\t', start);
	const tab2 = tab1 === -1 ? -1 : text.indexOf('\t', tab1 + 1);
	const tab3 = tab2 === -1 ? -1 : text.indexOf('\t', tab2 + 1);
	const indexText = tab1 === -1 || tab1 > end ? '' : text.slice(start, tab1);
	if (tab3 === -1 || tab3 > end || !/^\d{1,10}$/.test(indexText)) {
		return 'not an outcome line (index TAB code TAB attempts TAB reply)';
	}

	const field = text.slice(tab1 + 1, tab2);
	const at = field.indexOf('@');
	const code = at === -1 ? field : field.slice(0, at);
	if (!/^[SFD]a?$/.test(code) || at === field.length - 1) {
		return `unknown outcome code ${JSON.stringify(field.slice(0, 12))}`;
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

	visit(index, code[0]!, Number(attemptsText), response, code[1] === 'a', at === -1 ? undefined : field.slice(at + 1));
	return undefined;
}

/** outcomes.log as read. */
export interface LogRead {
	status: Uint8Array;
	attempts: Uint16Array;
	ambiguous: Uint8Array;
	/** The last readable reply of each recipient (only when asked for). */
	responses: Array<string | null> | undefined;
	/**
	 * The relay that gave each recipient's last outcome (null: none did, or its line names none);
	 * only when the replies are asked for and a line names a relay (a send over several).
	 */
	relays: Array<string | null> | undefined;
	/** 1 where a damaged line may hold the recipient's outcome. */
	uncertain: Uint8Array;
	uncertainCount: number;
	damage: DamageList;
}

/**
 * outcomes.log, checked line by line. `text` undefined: the file could not be read, for the reason
 * `failure` (then every outcome not known is uncertain). A torn last line (no newline) is the
 * crash case and is not damage. A recipient's outcome is uncertain when it is not known to be
 * accepted and a damaged line comes after its last readable one: that line may have been its acceptance.
 */
export function decodeOutcomes(text: string | undefined, total: number, withResponses: boolean, failure = 'cannot be read'): LogRead {
	const status = new Uint8Array(total);
	const attempts = new Uint16Array(total);
	const ambiguous = new Uint8Array(total);
	const lastLine = new Uint32Array(total);
	const responses: Array<string | null> | undefined = withResponses ? Array.from({length: total}, () => null) : undefined;
	let relays: Array<string | null> | undefined;
	const damage = new DamageList();
	let lastDamaged = 0;
	if (text === undefined) {
		damage.add(outcomesFile, undefined, failure);
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
		if (text.charCodeAt(start) !== 35 /* # a note */) {
			const why = decodeOutcome(text, start, end, total, (index, code, count, response, isAmbiguous, relay) => {
				status[index] = code === 'S' ? statusCodes.sent : code === 'F' ? statusCodes.failed : statusCodes.pending;
				attempts[index] = Math.min(count, 65_535);
				ambiguous[index] ||= isAmbiguous ? 1 : 0;
				lastLine[index] = line;
				if (responses) {
					responses[index] = response;
					if (relay !== undefined) {
						relays ??= Array.from({length: total}, () => null);
					}

					if (relays) {
						relays[index] = relay ?? null;
					}
				}
			});
			if (why !== undefined) {
				damage.add(outcomesFile, line, why);
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

	return {status, attempts, ambiguous, responses, relays, uncertain, uncertainCount, damage};
}

/**
 * How the outcome log groups its writes. `intervalMs` 0: a group is written as soon as the disk is
 * free (group commit), but not sooner than `minGapMs` after the previous group began (default 0);
 * otherwise a group waits up to `intervalMs`. Either way a group goes at once when `maxGroup`
 * outcomes wait.
 */
export interface OutcomeGrouping {
	intervalMs: number;
	maxGroup: number;
	/**
	 * A disk that syncs in microseconds (a cache, a RAM disk) would otherwise get a write and an
	 * fdatasync for every few outcomes: each costs the sending thread a system call and a wake-up of
	 * a thread of libuv's pool, thousands of times a second. Leave 0 when someone waits for each
	 * outcome to be on disk (the strict journal holds a final dot for it).
	 */
	minGapMs?: number;
}

/**
 * The gap a sender leaves between groups (OutcomeGrouping.minGapMs). Measured (bench delivery's
 * profile, 20,000 messages into smtp-sink): about 5,000 groups without it, a write and an
 * fdatasync every four outcomes; outcomes, and the events that tell of them, wait at most this much.
 */
export const outcomeGroupGapMs = 10;

/**
 * Appends outcomes in groups: one write and one fdatasync per group, never two at once (see
 * OutcomeGrouping). `onDurable` receives each group once it is on disk,
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
	/** When the last group began to be written (performance.now()). */
	private lastFlushAt = Number.NEGATIVE_INFINITY;

	constructor(
		private readonly fd: number,
		private readonly onDurable: (group: OutcomeLine[]) => void,
		private readonly options: OutcomeGrouping = {intervalMs: 0, maxGroup: 200},
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
		this.pending += encodeOutcome(outcome);
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
		this.pending += encodeNote(text);
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
		this.flush(true);
		if (!this.flushing && this.pending === '') {
			return;
		}

		await new Promise<void>(resolve => {
			this.idleWaiters.push(resolve);
		});
	}

	/** Writes what is pending, unless a write is under way or (`now` false) the minimum gap has not passed. */
	private flush(now = false): void {
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

		const gapLeft = this.lastFlushAt + (this.options.minGapMs ?? 0) - performance.now();
		if (!now && gapLeft > 0 && this.pendingOutcomes.length < this.options.maxGroup) {
			this.timer = setTimeout(() => {
				this.timer = undefined;
				this.flush();
			}, gapLeft);
			return;
		}

		this.flushing = true;
		this.lastFlushAt = performance.now();
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
				// What arrived during this write forms the next group: right away when someone waits for the disk.
				this.flush(this.idleWaiters.length > 0);
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
