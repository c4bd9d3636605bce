/**
 * The delivery reports of a send (`reports.log`): what the mail system said after it accepted
 * each message — delivered, bounced, delayed, or answered by an auto-reply — folded in from the
 * bounce mailbox (core/tracking/fold.ts), and the read of each recipient's delivery from it.
 *
 * One JSON object per line, appended, never rewritten:
 *
 *   {"index":2,"state":"bounced","status":"5.2.2","diagnostic":"mailbox full","at":"2026-01-01T12:00:01.000Z",
 *    "foldedAt":"2026-01-01T12:05:00.000Z","key":"<20260101120001.7C9F1@mx.example.com> full@example.com","via":"envid"}
 *
 * `index` is the recipient's line in recipients.jsonl; `state` delivered | bounced | delayed |
 * replied; `status` the report's enhanced status code (null for a reply); `diagnostic` the remote
 * server's words (Diagnostic-Code), one line; `at` when the report says it happened; `foldedAt`
 * when it was recorded; `key` the report message's Message-ID and the recipient it is about,
 * which makes folding idempotent (a key already in the file is never appended again); `via` how
 * the report was matched (envid, verp, message-id, in-reply-to).
 *
 * The file has a lock of its own (`reports.log.lock`, file-lock.ts's kind: held for one
 * synchronous append), never the send's: a fold runs while the engine holds the send's lock and
 * appends to outcomes.log, which this layer never touches. A torn last line (a crash in the
 * middle of a write) is cut before the next append and never read; a damaged line is skipped
 * and counted. A send without the file reads as it always did: every sent recipient accepted.
 */
import fs from 'node:fs';
import path from 'node:path';
import {MassmailError} from '../errors.js';
import {withFileLock} from '../file-lock.js';
import {fsyncDirectory, openForAppend, readFullySync, writeAllSync} from '../storage/index.js';
import {isObject} from '../values.js';
import {DamageList} from './damage.js';
import {statusCodes} from './outcome-log.js';

export const reportsFile = 'reports.log';

/**
 * What a report says of one recipient; `resent` is not a report but massmail's own mark: a retry
 * sent the message again (`retry --bounced`), so the reports older than it no longer count.
 */
export type ReportState = 'delivered' | 'bounced' | 'delayed' | 'replied' | 'resent';

/** A recipient's delivery: `accepted` is sent with no report yet. */
export type DeliveryState = 'accepted' | 'delivered' | 'bounced' | 'delayed';

/** How a report was matched to its recipient. */
export type ReportVia = 'envid' | 'verp' | 'message-id' | 'in-reply-to' | 'retry';

/** One line of reports.log. */
export interface ReportLine {
	index: number;
	state: ReportState;
	/** The enhanced status code (`5.2.2`); null for a reply. */
	status: string | null;
	diagnostic: string | null;
	/** When the report says it happened (ISO 8601). */
	at: string;
	/** When it was folded into the record (ISO 8601). */
	foldedAt: string;
	/** The report message's Message-ID and the recipient it is about: the same key is never appended twice. */
	key: string;
	via: ReportVia;
}

/** A recipient's delivery as `show --json` gives it. */
export interface Delivery {
	state: DeliveryState;
	status: string | null;
	diagnostic: string | null;
	/** When the report of this state came; null while accepted. */
	at: string | null;
	/** An auto-reply (a vacation notice) answered the message at this time: it reached someone. */
	repliedAt?: string;
}

export interface DeliveryCounts {
	/** Sent, and no report yet. */
	accepted: number;
	delivered: number;
	bounced: number;
	/** Delayed, and no final report yet. */
	delayed: number;
	/** Answered by an auto-reply (whatever their state). */
	replied: number;
}

/** Each recipient's delivery, read. */
export interface DeliveriesRead {
	/** In send order; null for a recipient neither sent nor reported on (pending, or failed at the server's reply). */
	recipients: Array<Delivery | null>;
	counts: DeliveryCounts;
	/** When the last report was folded; null when none was. */
	lastFoldedAt: string | null;
	/** Damaged lines of reports.log (skipped). */
	damage: DamageList;
}

const states = new Set<string>(['delivered', 'bounced', 'delayed', 'replied', 'resent']);
const vias = new Set<string>(['envid', 'verp', 'message-id', 'in-reply-to', 'retry']);
const statusPattern = /^[245]\.\d{1,3}\.\d{1,3}$/;
/** The longest key and diagnostic kept: a report is written by whoever sent it. */
export const maxKeyLength = 1000;
export const maxDiagnosticLength = 1000;

function isIsoDate(value: unknown): value is string {
	return typeof value === 'string' && value.length <= 40 && !Number.isNaN(Date.parse(value));
}

function hasControl(text: string): boolean {
	return /[\u0000-\u001F\u007F]/.test(text);
}

/** Why a line's object is not a report line of a send of `total` recipients, or undefined when it is one. */
function reportLineProblem(value: unknown, total: number): string | undefined {
	if (!isObject(value)) {
		return 'not a JSON object';
	}

	if (typeof value.index !== 'number' || !Number.isSafeInteger(value.index) || value.index < 0) {
		return '"index" is not a recipient';
	}

	if (value.index >= total) {
		return `recipient ${value.index} does not exist (the send has ${total})`;
	}

	if (typeof value.state !== 'string' || !states.has(value.state)) {
		return '"state" is not delivered, bounced, delayed, replied or resent';
	}

	if (value.status !== null && !(typeof value.status === 'string' && statusPattern.test(value.status))) {
		return '"status" is not a status code';
	}

	if (value.diagnostic !== null && !(typeof value.diagnostic === 'string' && value.diagnostic.length <= maxDiagnosticLength && !hasControl(value.diagnostic))) {
		return '"diagnostic" is not one line';
	}

	if (!isIsoDate(value.at) || !isIsoDate(value.foldedAt)) {
		return '"at" or "foldedAt" is not a date';
	}

	if (typeof value.key !== 'string' || value.key === '' || value.key.length > maxKeyLength || hasControl(value.key)) {
		return '"key" is missing';
	}

	if (typeof value.via !== 'string' || !vias.has(value.via)) {
		return '"via" is not envid, verp, message-id, in-reply-to or retry';
	}

	return undefined;
}

/** The marks a retry appends for the recipients it sends again, so their older reports stop counting. */
export function resentLines(indexes: readonly number[], now = new Date()): ReportLine[] {
	const at = now.toISOString();
	return indexes.map(index => ({index, state: 'resent', status: null, diagnostic: null, at, foldedAt: at, key: `resent ${at} ${index}`, via: 'retry'}));
}

/** A report line's text (its fields in a fixed order), ending in a newline. */
export function encodeReportLine(line: ReportLine): string {
	const {index, state, status, diagnostic, at, foldedAt, key, via} = line;
	return JSON.stringify({index, state, status, diagnostic, at, foldedAt, key, via}) + '\n';
}

/**
 * Reads report lines from `text` (a whole file, or what was appended after a known offset),
 * calling `visit` for each readable one; a damaged line is added to `damage` (line numbers from
 * `firstLine`). A last line without its newline is a torn write: never read. Returns the number
 * of whole lines and the bytes they take.
 */
function decodeReportLines(text: Buffer, total: number, visit: (line: ReportLine) => void, damage?: DamageList, firstLine = 1): {lines: number; bytes: number} {
	let start = 0;
	let lines = 0;
	while (start < text.length) {
		const end = text.indexOf(0x0A, start);
		if (end === -1) {
			break; // A torn last line: it never happened.
		}

		const lineText = text.toString('utf8', start, end);
		let value: unknown;
		let why: string | undefined;
		try {
			value = JSON.parse(lineText);
			why = reportLineProblem(value, total);
		} catch {
			why = 'not JSON';
		}

		if (why === undefined) {
			visit(value as ReportLine);
		} else {
			damage?.add(reportsFile, firstLine + lines, why);
		}

		lines++;
		start = end + 1;
	}

	return {lines, bytes: start};
}

/** Final reports outrank a delay; between two of the same rank, the later one wins (the later line on a tie). */
function outranks(candidate: ReportLine, current: ReportLine | undefined): boolean {
	if (current === undefined) {
		return true;
	}

	const candidateFinal = candidate.state !== 'delayed';
	const currentFinal = current.state !== 'delayed';
	if (candidateFinal !== currentFinal) {
		return candidateFinal;
	}

	return Date.parse(candidate.at) >= Date.parse(current.at);
}

/**
 * Each recipient's delivery from reports.log's text (undefined: no file) and the outcome log's
 * status of each recipient: a recipient sent with no report is `accepted`; a final report
 * (delivered, bounced) wins over a delay whatever their order; an auto-reply sets `repliedAt`
 * and leaves the state as it is. A report on a recipient the outcome log does not show as sent
 * (an ambiguous attempt that did reach the server) counts all the same.
 *
 * @example readDeliveries(fs.readFileSync(file), status).counts // {accepted: 1180, delivered: 0, bounced: 17, delayed: 3, replied: 2}
 */
export function readDeliveries(text: Buffer | undefined, status: Uint8Array): DeliveriesRead {
	const total = status.length;
	const best: Array<ReportLine | undefined> = Array.from({length: total});
	const replied: Array<string | undefined> = Array.from({length: total});
	const damage = new DamageList();
	let lastFoldedAt: string | null = null;
	if (text !== undefined) {
		const lines: ReportLine[] = [];
		decodeReportLines(text, total, line => {
			lines.push(line);
		}, damage);
		// A retry's mark: what was reported before the message went again is about the old copy.
		const resentAt: Array<number | undefined> = Array.from({length: total});
		for (const line of lines) {
			if (line.state === 'resent') {
				resentAt[line.index] = Math.max(resentAt[line.index] ?? 0, Date.parse(line.at));
			}
		}

		for (const line of lines) {
			if (lastFoldedAt === null || Date.parse(line.foldedAt) > Date.parse(lastFoldedAt)) {
				lastFoldedAt = line.foldedAt;
			}

			const since = resentAt[line.index];
			if (line.state === 'resent' || (since !== undefined && Date.parse(line.at) < since)) {
				continue;
			}

			if (line.state === 'replied') {
				const before = replied[line.index];
				if (before === undefined || Date.parse(line.at) > Date.parse(before)) {
					replied[line.index] = line.at;
				}
			} else if (outranks(line, best[line.index])) {
				best[line.index] = line;
			}
		}
	}

	const counts: DeliveryCounts = {accepted: 0, delivered: 0, bounced: 0, delayed: 0, replied: 0};
	const recipients: Array<Delivery | null> = Array.from({length: total}, () => null);
	for (let index = 0; index < total; index++) {
		const line = best[index];
		let delivery: Delivery | null = null;
		if (line) {
			delivery = {state: line.state as DeliveryState, status: line.status, diagnostic: line.diagnostic, at: line.at};
		} else if (status[index] === statusCodes.sent || replied[index] !== undefined) {
			delivery = {state: 'accepted', status: null, diagnostic: null, at: null};
		}

		if (delivery) {
			if (replied[index] !== undefined) {
				delivery.repliedAt = replied[index];
				counts.replied++;
			}

			counts[delivery.state]++;
			recipients[index] = delivery;
		}
	}

	return {recipients, counts, lastFoldedAt, damage};
}

/**
 * Appends report lines to one send's reports.log, each key once: under the file's lock, what
 * others appended since this appender last looked is read (only that: the keys already seen are
 * kept), the lines with new keys are written whole and fsynced, and only those are returned.
 * Keep one appender per send for a whole fold; two appenders (two folds, two processes) never
 * append the same key.
 *
 * @example
 * const reports = new ReportAppender(sends.sendsDir, id, record.total);
 * const added = reports.append(lines); // [] when every line was folded before
 */
export class ReportAppender {
	readonly file: string;
	private readonly keys = new Set<string>();
	/** The end of the last whole line read. */
	private offset = 0;

	constructor(sendsDir: string, readonly id: string, private readonly total: number) {
		this.file = path.join(sendsDir, id, reportsFile);
	}

	/**
	 * Appends the lines whose key is not in the file yet (nor twice in `lines`); returns them once
	 * they are on disk. Another process's append in progress is waited for (up to
	 * MASSMAIL_LOCK_WAIT_MS, then MassmailError 'locked'); a write that fails is MassmailError 'store'.
	 */
	append(lines: ReportLine[]): ReportLine[] {
		if (lines.length === 0) {
			return [];
		}

		return withFileLock(this.file, {what: `the delivery reports of send ${this.id}`}, () => {
			const created = !fs.existsSync(this.file);
			let fd: number;
			try {
				fd = openForAppend(this.file);
			} catch (error) {
				throw this.failure('cannot be opened for appending', error);
			}

			try {
				this.catchUp(fd);
				const added: ReportLine[] = [];
				let text = '';
				for (const line of lines) {
					if (!this.keys.has(line.key)) {
						this.keys.add(line.key);
						added.push(line);
						text += encodeReportLine(line);
					}
				}

				if (text !== '') {
					const bytes = Buffer.from(text, 'utf8');
					try {
						writeAllSync(fd, bytes);
						fs.fsyncSync(fd);
					} catch (error) {
						// Not on disk: not seen. The torn part, if any, is cut before the next append.
						for (const line of added) {
							this.keys.delete(line.key);
						}

						throw this.failure('cannot be appended to', error);
					}

					this.offset += bytes.length;
				}

				if (created) {
					fsyncDirectory(path.dirname(this.file));
				}

				return added;
			} finally {
				fs.closeSync(fd);
			}
		});
	}

	/** Reads the keys of the lines appended since this appender last looked (the whole file the first time). */
	private catchUp(fd: number): void {
		const size = fs.fstatSync(fd).size;
		if (size < this.offset) {
			// Shorter than what was read (replaced by hand): read it all again.
			this.keys.clear();
			this.offset = 0;
		}

		if (size === this.offset) {
			return;
		}

		const buffer = Buffer.alloc(size - this.offset);
		try {
			readFullySync(fd, buffer, buffer.length, this.offset);
		} catch (error) {
			throw this.failure('cannot be read', error);
		}

		// openForAppend cut any torn line: every byte up to `size` is whole lines.
		const {bytes} = decodeReportLines(buffer, this.total, line => this.keys.add(line.key));
		this.offset += bytes;
	}

	private failure(what: string, error: unknown): MassmailError {
		return new MassmailError('store', `${this.file}: ${what}: ${(error as Error).message}`, {cause: error, file: this.file});
	}
}
