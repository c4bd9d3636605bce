/**
 * The fold: the delivery reports in the bounce mailbox, read over IMAP and recorded in each send's
 * reports.log (journal/reports.ts), then moved out of the inbox to `massmail/processed`.
 *
 * What is massmail's is decided by match.ts: a report matched to a send and recipient of the
 * record (ENVID, else VERP, else the returned Message-ID) is recorded and moved; an auto-reply to
 * one of massmail's messages is recorded as a reply and moved; a report that cannot be read or
 * matched stays in the inbox and is counted; anything else — another program's report, a reply to
 * someone else's mail, a person's message — is never moved, flagged or marked read (the messages
 * are read with BODY.PEEK). Nothing is ever deleted: a server without MOVE or UIDPLUS, where a
 * move would need an EXPUNGE of the whole mailbox, keeps what was folded in the inbox.
 *
 * The record is written before the move: a fold stopped in between (the server gone, a crash)
 * leaves recorded reports in the inbox, and the next fold moves them without recording them again
 * (each report line has a key: the report's Message-ID and its recipient). Folds of one data
 * folder take turns (`sends/.fold.lock`, held while a fold runs: the sessions of two folds moving
 * the same message at once may each leave a copy); were two to meet all the same, each report is
 * appended once (reports.log has a lock of its own, never the send's: a fold runs beside a send
 * in progress).
 *
 * A password goes in clear only to a loopback address; TLS is verified unless allowUnverifiedTls.
 * A failed login or an unreachable server is a MassmailError ('auth' / 'connection') before
 * anything is recorded; the password never appears in a message.
 */
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {ImapFlow, type FetchMessageObject} from 'imapflow';
import {MassmailError} from '../errors.js';
import {ReportAppender, type DeliveryCounts, type ReportLine, type SendReader} from '../journal/index.js';
import {takeProcessLock, type LockHolder, type ProcessLock} from '../storage/index.js';
import {withoutSecret} from '../tls.js';
import {seconds} from '../values.js';
import {connectFailure, imapClientOptions, imapWords, passwordHint, plainAddress, uidSet, type ImapTarget} from './imap.js';
import {matchReport, type KnownSend, type Match} from './match.js';
import {NotOursMemory} from './not-ours.js';

export {uidSet, type ImapTarget} from './imap.js';
import {maxReportBytes, readReport} from './report.js';

/** The folder folded reports are moved to, as path parts (joined with the server's separator). */
export const processedFolder = ['massmail', 'processed'];
/** The folder as people read it. */
export const processedFolderName = 'massmail/processed';

/** How far a fold has come, after each batch is recorded and moved. */
export interface FoldProgress {
	/** Messages read so far, of `total` in the inbox when the fold began. */
	looked: number;
	total: number;
	folded: number;
	replies: number;
}

export interface FoldOptions {
	imap: ImapTarget;
	/** The bounce address the sends went out with (`tracking.returnPath`). */
	returnPath: string;
	/** The server's recipient delimiter of the VERP addresses (`+`). */
	delimiter: string;
	/** The send records (a SendLog). */
	sends: SendReader;
	/** Fold only the reports of these sends (each must exist); the others' are left in the inbox. Absent: every send. */
	sendIds?: string[];
	/** The whole fold, connection included: past it the connection is closed and the fold fails ('connection'). */
	deadlineMs: number;
	/** Stops the fold ('interrupted'); what was recorded before stays. */
	signal?: AbortSignal;
	/** Messages fetched at once (default 200; fewer when they are large). */
	batchSize?: number;
	onProgress?: (progress: FoldProgress) => void;
}

/** What a fold did. */
export interface FoldSummary {
	/** Messages of the inbox read (those already marked \Deleted by someone are left alone, unread). */
	looked: number;
	/** Reports on massmail's messages recorded by this fold, and moved. */
	folded: number;
	/** Auto-replies to massmail's messages recorded by this fold, and moved. */
	replies: number;
	/** Reports or replies recorded before (by an earlier fold whose move did not happen, or by one running at the same time): moved, not counted again. */
	already: number;
	/** Reports that cannot be read or matched to a recipient of the record: left in the inbox. */
	unmatched: number;
	/** Messages that are none of massmail's: left in the inbox, untouched. */
	notOurs: number;
	/** massmail's reports on sends not asked for (`sendIds`): left in the inbox. */
	skipped: number;
	/** Recorded, but the server did not move them (or cannot without an EXPUNGE of the mailbox): the next fold moves them. */
	notMoved: number;
	/** For every send a report was recorded for (and every send asked for): its delivery counts in the record after this fold. */
	bySend: Record<string, DeliveryCounts>;
	/** Why some reports were unmatched, the first few. */
	unmatchedWhy: string[];
}

const defaultBatchSize = 200;
/** The bytes of one batch at most (each message counted to the megabyte readReport reads). */
const maxBatchBytes = 16 * 1024 * 1024;
/** The start of a bounce's text searched for a status when it has no report part. */
const textBytes = 16 * 1024;
const listedWhy = 5;

/** The message's text after its header, its first bytes. */
function textOf(source: Buffer): string {
	const crlf = source.indexOf('\r\n\r\n');
	const lf = source.indexOf('\n\n');
	const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf === -1 ? source.length : lf + 2;
	return source.toString('utf8', end, Math.min(source.length, end + textBytes));
}

/** The lock folds of one data folder take turns with: in the sends folder, named so that no send is ever called it. */
export const foldLockFile = '.fold.lock';

/**
 * Takes the fold lock of the sends folder, waiting while another fold (of this process or
 * another) holds it; a holder that is gone is taken over at once. `wait` ends with the fold;
 * `onHeld` hears who holds it meanwhile.
 */
async function takeFoldLock(sendsDir: string, wait: (promise: Promise<unknown>) => Promise<unknown>, onHeld: (holder: LockHolder) => void): Promise<ProcessLock> {
	const file = path.join(sendsDir, foldLockFile);
	for (let delay = 10; ; delay = Math.min(200, delay * 2)) {
		let taken: ReturnType<typeof takeProcessLock>;
		try {
			fs.mkdirSync(sendsDir, {recursive: true, mode: 0o700});
			taken = takeProcessLock(file);
		} catch (error) {
			throw new MassmailError('store', `${file}: cannot take the lock of the fold: ${(error as Error).message}`, {cause: error, file});
		}

		if ('lock' in taken) {
			return taken.lock;
		}

		if ('holder' in taken) {
			onHeld(taken.holder);
		}

		await wait(sleep(delay));
	}
}

/** Batches of UIDs of at most `size` messages and about maxBatchBytes. */
function batchesOf(listing: Array<{uid: number; size: number}>, size: number): number[][] {
	const batches: number[][] = [];
	let batch: number[] = [];
	let bytes = 0;
	for (const {uid, size: messageBytes} of listing) {
		const counted = Math.min(messageBytes, maxReportBytes);
		if (batch.length > 0 && (batch.length >= size || bytes + counted > maxBatchBytes)) {
			batches.push(batch);
			batch = [];
			bytes = 0;
		}

		batch.push(uid);
		bytes += counted;
	}

	if (batch.length > 0) {
		batches.push(batch);
	}

	return batches;
}

/**
 * Folds the delivery reports of the bounce mailbox into the send records: see the file's comment.
 * Rejects with a MassmailError: 'auth' (the login refused, or no password), 'connection' (the
 * server unreachable, TLS, the connection lost or the deadline passed mid-fold: what was recorded
 * before stays, and the next fold goes on from there), 'interrupted' (the signal), 'usage' (a send
 * asked for that does not exist), 'store' or 'locked' (reports.log).
 *
 * @example
 * const summary = await foldReports({
 *   imap: {host: 'mail.example.com', port: 993, tls: 'implicit', user: 'bounces@example.com', password: async () => process.env.MASSMAIL_TRACKING_PASSWORD ?? ''},
 *   returnPath: 'bounces@example.com', delimiter: '+', sends: new SendLog(paths.sendsDir), deadlineMs: 120_000,
 * });
 * // {looked: 24, folded: 20, replies: 1, already: 0, unmatched: 1, notOurs: 2, skipped: 0, notMoved: 0,
 * //  bySend: {'20260101-120000-ab12cd': {accepted: 1180, delivered: 0, bounced: 17, delayed: 3, replied: 1}}, unmatchedWhy: […]}
 */
export async function foldReports(options: FoldOptions): Promise<FoldSummary> {
	const {imap, sends} = options;
	const where = `${imap.host}:${imap.port}`;
	const only = options.sendIds === undefined ? undefined : new Set(options.sendIds);
	for (const id of only ?? []) {
		sends.record(id); // An unknown send is a usage error before anything connects.
	}

	const summary: FoldSummary = {looked: 0, folded: 0, replies: 0, already: 0, unmatched: 0, notOurs: 0, skipped: 0, notMoved: 0, bySend: {}, unmatchedWhy: []};
	const started = Date.now();
	let client: ImapFlow | undefined;
	let ended: MassmailError | undefined;
	let rejectEnded!: (error: MassmailError) => void;
	const endedPromise = new Promise<never>((_resolve, reject) => {
		rejectEnded = reject;
	});
	endedPromise.catch(() => undefined);
	const end = (error: MassmailError) => {
		if (ended === undefined) {
			ended = error;
			client?.close();
			rejectEnded(error);
		}
	};

	/** A wait that ends with the fold's deadline or signal, whatever it waits for. */
	const within = async <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, endedPromise]);
	const timer = setTimeout(() => {
		end(new MassmailError('connection', `the fold of the IMAP server ${where} did not finish within ${seconds(options.deadlineMs)}`, {
			hint: 'what was folded is kept; fold again to go on',
		}));
	}, options.deadlineMs);
	const onAbort = () => {
		end(new MassmailError('interrupted', 'the fold was stopped; what was folded is kept'));
	};

	if (options.signal?.aborted) {
		onAbort();
	} else {
		options.signal?.addEventListener('abort', onAbort, {once: true});
	}

	let password: string | undefined;
	let foldLock: ProcessLock | undefined;
	try {
		let holder: LockHolder | undefined;
		try {
			foldLock = await within(takeFoldLock(sends.sendsDir, within, each => {
				holder = each;
			}));
		} catch (error) {
			if (holder && ended?.kind === 'connection') {
				// The whole wait went on another fold: say so, not that the server was slow.
				throw new MassmailError('locked', `another fold of the bounce mailbox (process ${holder.pid}${holder.host === os.hostname() ? '' : ' on ' + holder.host}) went on for all of ${seconds(options.deadlineMs)}`, {
					hint: 'wait for it to finish, then fold again',
				});
			}

			throw error;
		}

		// 1. Connect and log in: nothing is recorded if this fails.
		try {
			const host = imap.tls === 'none' ? await within(plainAddress(imap)) : imap.host;
			try {
				password = await within(imap.password());
			} catch (error) {
				throw error instanceof MassmailError ? error : new MassmailError('auth', `no password for the IMAP user ${JSON.stringify(imap.user)}: ${(error as Error).message}`, {hint: passwordHint});
			}

			const remaining = Math.max(1000, options.deadlineMs - (Date.now() - started));
			client = new ImapFlow(imapClientOptions(imap, host, password, remaining));
			// An 'error' event without a listener would end the process; the commands reject with it.
			client.on('error', () => undefined);
			if (ended) {
				throw ended;
			}

			await within(client.connect());
		} catch (error) {
			throw ended ?? connectFailure(error, imap, password);
		}

		// 2. Read the inbox in batches, record, move.
		let total = 0;
		try {
			await foldInbox(client, options, only, summary, within, value => {
				total = value;
			});
		} catch (error) {
			if (ended) {
				throw ended;
			}

			if (error instanceof MassmailError) {
				throw error;
			}

			throw new MassmailError('connection', withoutSecret(`the IMAP server ${where} failed during the fold, after ${summary.looked} of ${total} messages: ${imapWords(error)}`, password), {
				hint: 'what was folded before is kept; fold again to go on',
				cause: error,
			});
		}

		try {
			await Promise.race([client.logout(), new Promise(resolve => {
				setTimeout(resolve, 1000).unref();
			}), endedPromise]);
		} catch {
			// Folded and recorded: a logout that fails changes nothing.
		}
	} finally {
		clearTimeout(timer);
		options.signal?.removeEventListener('abort', onAbort);
		client?.close();
		foldLock?.release();
	}

	return summary;
}

/** The inbox, folded: the body of foldReports once logged in. */
async function foldInbox(
	client: ImapFlow,
	options: FoldOptions,
	only: ReadonlySet<string> | undefined,
	summary: FoldSummary,
	within: <T>(promise: Promise<T>) => Promise<T>,
	setTotal: (total: number) => void,
): Promise<void> {
	const {sends} = options;
	const known = new Map<string, KnownSend | undefined>();
	const sendOf = (sendId: string): KnownSend | undefined => {
		if (!known.has(sendId)) {
			let send: KnownSend | undefined;
			try {
				// A send id is a folder's name: never `.`, `..` or a file of the sends folder's own (`.fold.lock`).
				if (!sendId.startsWith('.') && sends.has(sendId)) {
					const record = sends.record(sendId);
					const from = record.draft.from.address;
					send = {total: record.total, domain: from.slice(from.lastIndexOf('@') + 1).toLowerCase(), addresses: sends.readRecipients(sendId, {unreadable: 'send'}).addresses};
				}
			} catch {
				// A record that cannot be read: its reports cannot be matched (they stay in the inbox).
			}

			known.set(sendId, send);
		}

		return known.get(sendId);
	};

	const appenders = new Map<string, ReportAppender>();
	const appenderOf = (sendId: string) => {
		let appender = appenders.get(sendId);
		if (!appender) {
			appender = new ReportAppender(sends.sendsDir, sendId, sendOf(sendId)!.total);
			appenders.set(sendId, appender);
		}

		return appender;
	};

	const touched = new Set<string>(only ?? []);
	const lock = await within(client.getMailboxLock('INBOX'));
	try {
		const exists = client.mailbox ? client.mailbox.exists : 0;
		const listing = exists === 0 ? [] : await within(client.fetchAll('1:*', {uid: true, size: true, flags: true}));
		// What an earlier fold judged none of massmail's is not read again (not-ours.ts).
		const {imap} = options;
		const notOurs = NotOursMemory.load(sends.sendsDir, `${imap.host}:${imap.port} ${imap.user} INBOX ${String(client.mailbox ? client.mailbox.uidValidity : '')}`);
		// A message someone marked \Deleted is on its way out: not ours to read.
		const present = listing.filter(message => !message.flags?.has('\\Deleted'));
		const candidates = present.filter(message => !notOurs.has(message.uid)).map(message => ({uid: message.uid, size: message.size ?? 0}));
		summary.notOurs += present.length - candidates.length;
		setTotal(candidates.length);
		const canMove = client.capabilities.has('MOVE') || client.capabilities.has('UIDPLUS');
		let folderReady = false;
		const batches = batchesOf(candidates, Math.max(1, options.batchSize ?? defaultBatchSize));
		const fetchBatch = async (batch: number[]) => client.fetchAll(uidSet(batch), {uid: true, envelope: true, internalDate: true, source: {maxLength: maxReportBytes}}, {uid: true});
		// The next batch is asked for before this one is read: the server reads its files while the
		// reports are parsed (half the time of a large fold was spent waiting for the fetch).
		let next = batches.length > 0 ? fetchBatch(batches[0]) : undefined;
		for (let index = 0; index < batches.length; index++) {
			const messages = await within(next!);
			next = index + 1 < batches.length ? fetchBatch(batches[index + 1]) : undefined;
			next?.catch(() => undefined); // Awaited at the next turn; a fold that ends first must not leave it unhandled.
			const ours = await matchBatch(messages, options, only, sendOf, summary, notOurs);
			const lines = new Map<string, ReportLine[]>();
			const foldedAt = new Date().toISOString();
			for (const each of ours) {
				const list = lines.get(each.match.sendId) ?? [];
				list.push(...each.match.lines.map(line => ({...line, foldedAt})));
				lines.set(each.match.sendId, list);
			}

			// Recorded first, moved after: a move that does not happen leaves a recorded report to move next time.
			const added = new Set<string>();
			for (const [sendId, list] of lines) {
				for (const line of appenderOf(sendId).append(list)) {
					added.add(`${sendId} ${line.key}`);
				}
			}

			for (const {match} of ours) {
				const fresh = match.lines.length === 0 || match.lines.some(line => added.has(`${match.sendId} ${line.key}`));
				if (!fresh) {
					summary.already++;
				} else if (match.reply) {
					summary.replies++;
				} else {
					summary.folded++;
				}

				touched.add(match.sendId);
			}

			if (ours.length > 0) {
				if (canMove) {
					if (!folderReady) {
						await within(client.mailboxCreate(processedFolder)); // Resolves when it exists already.
						folderReady = true;
					}

					const moved = await within(client.messageMove(uidSet(ours.map(each => each.uid)), processedFolder, {uid: true}));
					if (moved === false) {
						summary.notMoved += ours.length;
					}
				} else {
					summary.notMoved += ours.length;
				}
			}

			options.onProgress?.({looked: summary.looked, total: candidates.length, folded: summary.folded, replies: summary.replies});
		}

		notOurs.save(listing.map(message => message.uid));
	} finally {
		lock.release();
	}

	for (const sendId of touched) {
		if (sendOf(sendId)) {
			summary.bySend[sendId] = sends.deliveries(sendId).counts;
		}
	}
}

/** Reads and matches one batch; counts what is not ours to record, returns what is. */
async function matchBatch(
	messages: FetchMessageObject[],
	options: FoldOptions,
	only: ReadonlySet<string> | undefined,
	sendOf: (sendId: string) => KnownSend | undefined,
	summary: FoldSummary,
	notOurs: NotOursMemory,
): Promise<Array<{uid: number; match: Extract<Match, {kind: 'ours'}>}>> {
	const ours: Array<{uid: number; match: Extract<Match, {kind: 'ours'}>}> = [];
	for (const message of messages) {
		const {source} = message;
		if (!Buffer.isBuffer(source)) {
			continue; // Gone meanwhile (another fold moved it): nothing to read.
		}

		summary.looked++;
		const report = await readReport(source);
		const messageId = message.envelope?.messageId?.replaceAll(/[\u0000-\u0020\u007F]+/g, '').slice(0, 500);
		const arrived = message.internalDate === undefined ? undefined : new Date(message.internalDate);
		const match = matchReport(report, {
			returnPath: options.returnPath,
			delimiter: options.delimiter,
			send: sendOf,
			only,
			messageId: messageId === '' ? undefined : messageId,
			fallbackKey: 'sha256:' + createHash('sha256').update(source).digest('hex').slice(0, 32),
			arrived,
			text: report.kind === 'other' ? textOf(source) : undefined,
		});
		switch (match.kind) {
			case 'ours': {
				ours.push({uid: message.uid, match});
				break;
			}

			case 'unmatched': {
				summary.unmatched++;
				if (summary.unmatchedWhy.length < listedWhy) {
					summary.unmatchedWhy.push(match.why);
				}

				break;
			}

			case 'skipped': {
				summary.skipped++;
				break;
			}

			case 'not-ours': {
				summary.notOurs++;
				notOurs.add(message.uid);
				break;
			}
		}
	}

	return ours;
}
