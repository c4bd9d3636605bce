/**
 * One run of a send: the state machine that hands recipients to connections, at the pace the
 * settings and the server allow, retries what was deferred, and journals every outcome (fsynced
 * in groups) before anyone is told of it.
 *
 *   idle ─start()→ running ⇄ paused
 *                    │ cancel() / interrupt() / the server, network or disk gives out
 *                    ▼
 *                 stopping ─(in-flight messages settle, within their deadlines)→ done
 *                    │ abort(): connections closed now, in-flight recipients stay pending
 *                    ▼
 *                   done
 *
 * The hot path is deliberately plain: the body is encoded once by MessageTemplate, workers are
 * callbacks rather than promise chains, journal writes are grouped, progress is sampled.
 */
import {messageIdFor, MessageTemplate} from '../compose.js';
import {MassmailError} from '../errors.js';
import {countOutcomes, statusCodes, type OutcomeLine, type OutcomeWriter, type SendLock, type SendLog, type SendRecord} from '../journal.js';
import type {DeliveryEvent, DeliveryProgress, DeliveryResult, SendStatus} from '../types.js';
import {describeLimiting, Pacer, type Ticket} from './pacing.js';
import {ProgressMeter} from './progress.js';
import type {ReplyKind} from './replies.js';
import {retryDelay, RetryQueue} from './retry-queue.js';
import {openSession, type AttemptOutcome, type ConnectionTarget, type Deadlines, type OpenFailure, type SmtpSession} from './transport.js';

/** How a run behaves; every field has a default from the settings (see delivery.ts). */
export interface EngineOptions {
	concurrency: number;
	/** Messages a second at most; 0: no limit. */
	rate: number;
	maxAttempts: number;
	retryDelayMs: number;
	deadlines: Deadlines;
	/** First wait before opening a connection again after one failed; doubles, at most 30 s. */
	reconnectDelayMs: number;
	/** Connections that fail to open in a row, with none open, before the run stops: the server is gone. */
	maxConnectFailures: number;
	/** With recipients waiting, this long without any accepted or refused message stops the run. */
	stallMs: number;
	journalIntervalMs: number;
	/**
	 * At most this many outcomes wait for the disk: workers pause when as many accepted messages
	 * are not yet journaled. This bounds what a crash can send twice to journalGroup + concurrency.
	 */
	journalGroup: number;
	/** Hold each final dot until the same connection's previous acceptance is on disk. */
	strictJournal: boolean;
}

type Listener = (event: DeliveryEvent) => void;

export interface RunInit {
	sends: SendLog;
	record: SendRecord;
	lock: SendLock;
	target: ConnectionTarget;
	options: EngineOptions;
	addresses: string[];
	names: string[];
	/** Indexes of the recipients this run works on, in order. */
	work: Uint32Array;
	thread?: {ids: Int32Array; originalId: string; senderAddress: string};
	attempts: Uint16Array;
	status: Uint8Array;
	/** The connection opened to check the server before the send was created. */
	firstSession?: SmtpSession;
	run: 'new' | 'unfinished' | 'failed';
}

interface Worker {
	slot: number;
	session: SmtpSession | undefined;
	/** Cancels the connection being opened, if one is. */
	opening: (() => void) | undefined;
	busy: boolean;
	/** Not before this time may the worker open a connection again (after a failure). */
	reopenAt: number;
	/** Messages this worker saw accepted whose outcome is not on disk yet. */
	undurable: number;
	/** Sends the final dot of the current message: held while `undurable` > 0 (strict journal). */
	heldEnd: (() => void) | undefined;
}

const maximumReconnectDelayMs = 30_000;

/**
 * One run of a send. Events are emitted only after the outcome they report is on disk.
 * `total` counts the recipients this run works on; the result of `start()` counts the whole send.
 */
export class Delivery {
	readonly id: string;
	readonly total: number;
	readonly destination: string;
	readonly captured: boolean;
	readonly record: SendRecord;

	private readonly sends: SendLog;
	private readonly lock: SendLock;
	private readonly target: ConnectionTarget;
	private readonly options: EngineOptions;
	private readonly addresses: string[];
	private readonly names: string[];
	private readonly work: Uint32Array;
	private readonly thread?: RunInit['thread'];
	private readonly attempts: Uint16Array;
	/** Attempts in this run (the retry budget); cumulative ones are in `attempts`. */
	private readonly runAttempts: Uint8Array;
	private readonly status: Uint8Array;
	private readonly template: MessageTemplate;
	private readonly listeners = new Set<Listener>();
	private readonly workers: Worker[] = [];
	private readonly retries = new RetryQueue();
	private readonly ready: number[] = [];
	private readonly run: RunInit['run'];
	private readonly meter: ProgressMeter;
	private pacer: Pacer;
	private spare: SmtpSession | undefined;

	private cursor = 0;
	private inFlight = 0;
	private state: 'idle' | 'running' | 'paused' | 'stopping' | 'done' = 'idle';
	private stopAs: 'cancelled' | 'interrupted' = 'interrupted';
	private aborted = false;
	private writer: OutcomeWriter | undefined;
	private wakeTimer: NodeJS.Timeout | undefined;
	private wakeAtTime = Number.POSITIVE_INFINITY;
	private progressTimer: NodeJS.Timeout | undefined;
	private fatal: MassmailError | undefined;
	private resolveDone: ((result: DeliveryResult) => void) | undefined;
	private rejectDone: ((error: unknown) => void) | undefined;
	private finishing = false;
	private waitingForDisk = false;
	private connectFailures = 0;
	private limitedOpens = 0;
	private runSent = 0;
	private lastActivity = 0;
	private limitingText = '';
	private limitingReply: string | undefined;

	/** @internal Use createDelivery or reopenDelivery. */
	constructor(init: RunInit) {
		this.sends = init.sends;
		this.record = init.record;
		this.id = init.record.id;
		this.lock = init.lock;
		this.target = init.target;
		this.destination = init.target.description;
		this.captured = init.target.captured;
		this.options = init.options;
		this.addresses = init.addresses;
		this.names = init.names;
		this.work = init.work;
		this.total = init.work.length;
		this.thread = init.thread;
		this.attempts = init.attempts;
		this.status = init.status;
		this.runAttempts = new Uint8Array(init.addresses.length);
		this.spare = init.firstSession;
		this.run = init.run;
		this.meter = new ProgressMeter(this.total, init.addresses.length);
		this.pacer = new Pacer(this.options, Date.now());
		this.template = new MessageTemplate(init.record.draft, {sendId: init.record.id, date: new Date(init.record.createdAt)});
	}

	/** Listens to outcome, progress, state and limiting events; returns the unsubscribe function. */
	subscribe(listener: Listener): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	/**
	 * Sends; resolves when every recipient of this run has a final outcome, or the run stopped:
	 * cancelled, interrupted, or given out by the server, the network or the disk (then
	 * `stopped` says why). In every case the journal is complete and the send can be resumed.
	 * Rejects only on a bug.
	 */
	async start(): Promise<DeliveryResult> {
		if (this.state !== 'idle') {
			throw new MassmailError('usage', `send ${this.id} was already started`);
		}

		const done = new Promise<DeliveryResult>((resolve, reject) => {
			this.resolveDone = resolve;
			this.rejectDone = reject;
		});
		try {
			this.writer = this.sends.openOutcomes(this.id, group => {
				this.onDurable(group);
			}, {intervalMs: this.options.journalIntervalMs, maxGroup: this.options.journalGroup}, error => {
				this.onJournalFailure(error);
			});
		} catch (error) {
			this.state = 'done';
			this.spare?.destroy();
			this.lock.release();
			throw error;
		}

		if (this.run !== 'new') {
			// A new run: how the last one ended no longer describes the send.
			this.sends.clearState(this.id);
		}

		this.writer.note(`run ${this.run} ${new Date().toISOString()} pid ${process.pid} recipients ${this.total}`);
		const now = Date.now();
		this.meter.startedAt = now;
		this.lastActivity = now;
		this.pacer = new Pacer(this.options, now);
		this.state = 'running';
		this.emit({type: 'state', state: 'running'});
		this.progressTimer = setInterval(() => {
			this.tick();
		}, 250);
		const workers = Math.max(1, Math.min(this.options.concurrency, this.total));
		for (let slot = 0; slot < workers; slot++) {
			this.workers.push({slot, session: undefined, opening: undefined, busy: false, reopenAt: 0, undurable: 0, heldEnd: undefined});
		}

		this.pumpAll();
		return done;
	}

	/** Stops taking recipients; in-flight messages finish. */
	pause(): void {
		if (this.state === 'running') {
			this.state = 'paused';
			this.emit({type: 'state', state: 'paused'});
		}
	}

	resume(): void {
		if (this.state === 'paused') {
			this.state = 'running';
			this.lastActivity = Date.now();
			this.emit({type: 'state', state: 'running'});
			this.pumpAll();
		}
	}

	/** Stops taking recipients; in-flight messages finish and are journaled; the send ends 'cancelled' (resumable). */
	cancel(): void {
		this.stop('cancelled');
	}

	/** As cancel, but the send ends 'interrupted' (Ctrl+C, a signal). */
	interrupt(): void {
		this.stop('interrupted');
	}

	/**
	 * Ends the run now (a second Ctrl+C): every connection is closed at once, the messages in
	 * flight stay pending (they can be resumed), and what is journaled so far reaches the disk.
	 */
	abort(): void {
		this.aborted = true;
		this.stop('interrupted');
		for (const worker of this.workers) {
			worker.opening?.();
			worker.opening = undefined;
			worker.session?.destroy('interrupted');
		}
	}

	progress(): DeliveryProgress {
		return this.meter.snapshot(Date.now(), this.pacer.limiting());
	}

	private stop(as: 'cancelled' | 'interrupted'): void {
		if (this.state === 'done' || this.state === 'stopping') {
			return;
		}

		this.stopAs = as;
		if (this.state === 'idle') {
			// Never started: release what createDelivery/reopenDelivery took. A new send that never
			// started is recorded as such; a reopened one keeps how its last run ended.
			this.state = 'done';
			this.spare?.destroy();
			if (this.run === 'new') {
				this.sends.finish(this.id, as, this.countAll());
			}

			this.lock.release();
			return;
		}

		this.state = 'stopping';
		this.emit({type: 'state', state: 'cancelling'});
		this.clearWaiting();
		for (const worker of this.workers) {
			// A connection being opened is not needed any more.
			worker.opening?.();
			worker.opening = undefined;
		}

		this.maybeFinish();
	}

	/** The server, the network or the disk gave out: the run stops, resumable. */
	private giveOut(error: MassmailError): void {
		this.fatal ??= error;
		this.stop('interrupted');
	}

	private onJournalFailure(error: Error): void {
		// Outcomes that cannot be recorded must not go on: stop, the rest stays pending.
		this.waitingForDisk = false;
		// A held message must not be completed now: hang up instead (its recipient stays pending).
		for (const worker of this.workers) {
			if (worker.heldEnd) {
				worker.heldEnd = undefined;
				worker.session?.destroy('the journal could not be written');
			}
		}

		this.giveOut(new MassmailError('store', `cannot write the journal of send ${this.id}: ${error.message}`, {hint: `free some disk space, then: massmail resume ${this.id}`}));
	}

	private emit(event: DeliveryEvent): void {
		for (const listener of this.listeners) {
			try {
				listener(event);
			} catch {
				// A listener's bug must not stop the send.
			}
		}
	}

	private tick(): void {
		const now = Date.now();
		this.meter.sample(now);
		if (this.pacer.recoverConnections(now)) {
			this.tellLimiting();
			this.pumpAll();
		}

		const waiting = this.ready.length > 0 || this.cursor < this.work.length;
		if (this.state === 'running' && waiting && now - this.lastActivity > this.options.stallMs) {
			this.giveOut(new MassmailError('connection', `the SMTP server ${this.target.host}:${this.target.port} took no message for ${Math.round(this.options.stallMs / 1000)} s: ${this.limitingText || 'it deferred or dropped every attempt'}`, {hint: `try again later: massmail resume ${this.id}`}));
		}

		if (this.listeners.size > 0) {
			this.emit({type: 'progress', progress: this.progress()});
		}
	}

	private tellLimiting(): void {
		const limiting = this.pacer.limiting();
		if (!limiting) {
			return;
		}

		const text = describeLimiting(limiting);
		if (text !== this.limitingText || limiting.reply !== this.limitingReply) {
			this.limitingText = text;
			this.limitingReply = limiting.reply;
			this.emit({type: 'limiting', limiting, text});
		}
	}

	/** A group of outcomes reached the disk: count them and tell the listeners. */
	private onDurable(group: OutcomeLine[]): void {
		const tell = this.listeners.size > 0;
		for (const outcome of group) {
			this.meter.count(outcome);
			if (outcome.code === 'S') {
				const worker = outcome.slot === undefined ? undefined : this.workers[outcome.slot];
				if (worker && --worker.undurable === 0 && worker.heldEnd) {
					const end = worker.heldEnd;
					worker.heldEnd = undefined;
					end();
				}
			}

			if (tell) {
				this.emit({
					type: 'outcome',
					address: this.addresses[outcome.index],
					status: outcome.code === 'S' ? 'sent' : outcome.code === 'F' ? 'failed' : 'deferred',
					attempts: outcome.attempts,
					response: outcome.response,
				});
			}
		}

		if (this.waitingForDisk) {
			this.waitingForDisk = false;
			this.pumpAll();
		}
	}

	private pumpAll(): void {
		for (const worker of this.workers) {
			this.pump(worker);
		}

		this.maybeFinish();
	}

	/** Gives a free worker its next recipient, if one may go now; opens its connection first. */
	private pump(worker: Worker): void {
		if (this.state !== 'running' || worker.busy || worker.opening) {
			return;
		}

		const now = Date.now();
		if (this.ready.length === 0 && this.retries.size > 0) {
			this.retries.takeDue(now, this.ready);
		}

		if (this.ready.length === 0 && this.cursor >= this.work.length) {
			// Nothing to take now: retries may come due later.
			if (this.retries.size > 0) {
				this.wakeAt(this.retries.nextDue());
			} else {
				this.closeIdle(worker);
			}

			return;
		}

		if (this.writer && this.writer.waiting >= this.options.journalGroup) {
			// Accepted but not yet on disk is what a crash would send twice: keep it bounded.
			this.waitingForDisk = true;
			return;
		}

		if (!worker.session?.open) {
			worker.session = undefined;
			if (this.connectionsInUse() >= this.pacer.connectionLimit) {
				// The server allows no more connections now: this worker rests until one closes or
				// the limit rises again.
				return;
			}

			if (now < worker.reopenAt) {
				this.wakeAt(worker.reopenAt);
			} else {
				this.open(worker);
			}

			return;
		}

		const ticket = this.pacer.take(now);
		if (!ticket.go) {
			if (Number.isFinite(ticket.waitMs)) {
				this.wakeAt(now + ticket.waitMs);
			}

			return;
		}

		const index = this.ready.length > 0 ? this.ready.shift()! : this.work[this.cursor++];
		worker.busy = true;
		this.inFlight++;
		this.sendOn(worker, worker.session, index, ticket);
	}

	private closeIdle(worker: Worker): void {
		if (worker.session) {
			worker.session.quit();
			worker.session = undefined;
		}
	}

	/** One timer for every reason to look again later (a retry due, the pace, a reconnect). */
	private wakeAt(at: number): void {
		if (at >= this.wakeAtTime) {
			return;
		}

		clearTimeout(this.wakeTimer);
		this.wakeAtTime = at;
		this.wakeTimer = setTimeout(() => {
			this.wakeTimer = undefined;
			this.wakeAtTime = Number.POSITIVE_INFINITY;
			this.pumpAll();
		}, Math.max(0, at - Date.now()));
	}

	private clearWaiting(): void {
		clearTimeout(this.wakeTimer);
		this.wakeTimer = undefined;
		this.wakeAtTime = Number.POSITIVE_INFINITY;
		// Waiting retries stay pending in the journal (their last line is "deferred"): resumable.
		this.retries.clear();
		this.ready.length = 0;
	}

	private open(worker: Worker): void {
		const spare = this.spare;
		if (spare) {
			this.spare = undefined;
			if (spare.open) {
				this.attach(worker, spare);
				this.pacer.connectionOpened(this.openSessions(), Date.now());
				this.pump(worker);
				return;
			}
		}

		let cancelled = false;
		let answered = false;
		const cancel = () => {
			cancelled = true;
			cancelOpening();
		};

		const cancelOpening = openSession(this.target, this.options.deadlines, (failure, session) => {
			answered = true;
			if (worker.opening === cancel) {
				worker.opening = undefined;
			}

			if (cancelled || this.state === 'done' || this.state === 'stopping') {
				session?.destroy();
				this.maybeFinish();
				return;
			}

			if (session) {
				this.connectFailures = 0;
				this.limitedOpens = 0;
				this.attach(worker, session);
				this.pacer.connectionOpened(this.openSessions(), Date.now());
				this.tellLimiting();
				this.pump(worker);
				this.maybeFinish();
				return;
			}

			this.onOpenFailure(worker, failure!);
		});
		if (!answered) {
			worker.opening = cancel;
		}
	}

	private attach(worker: Worker, session: SmtpSession): void {
		worker.session = session;
		session.onClose(() => {
			if (worker.session === session) {
				worker.session = undefined;
				// An idle connection the server closed is simply opened again when needed (by this
				// worker or one resting under the connection limit).
				if (!worker.busy && this.state === 'running') {
					this.pumpAll();
				}
			}
		});
	}

	private openSessions(): number {
		let open = 0;
		for (const worker of this.workers) {
			if (worker.session?.open) {
				open++;
			}
		}

		return open;
	}

	/** Connections open or being opened. */
	private connectionsInUse(): number {
		let count = 0;
		for (const worker of this.workers) {
			if (worker.session?.open || worker.opening) {
				count++;
			}
		}

		return count;
	}

	private onOpenFailure(worker: Worker, failure: OpenFailure): void {
		const now = Date.now();
		if (failure.kind === 'auth' || failure.kind === 'tls') {
			this.giveOut(failure.error);
			return;
		}

		const open = this.openSessions();
		if (failure.kind === 'limited') {
			// "Too many connections": use the ones that work; the rest wait their turn.
			this.pacer.connectionRefused(now, open, failure.response);
			this.tellLimiting();
			this.limitedOpens++;
			worker.reopenAt = now + Math.min(maximumReconnectDelayMs, this.options.reconnectDelayMs * (2 ** Math.min(5, this.limitedOpens - 1)));
		} else {
			this.connectFailures++;
			worker.reopenAt = now + Math.min(maximumReconnectDelayMs, this.options.reconnectDelayMs * (2 ** Math.min(5, this.connectFailures - 1)));
			if (this.connectFailures >= this.options.maxConnectFailures && open === 0) {
				this.giveOut(new MassmailError('connection', `lost the SMTP server ${this.target.host}:${this.target.port}: ${failure.response} (${this.connectFailures} connections failed in a row)`, {
					hint: `once the server is back: massmail resume ${this.id}`,
				}));
				return;
			}
		}

		this.pumpAll();
	}

	private sendOn(worker: Worker, session: SmtpSession, index: number, ticket: Ticket): void {
		const address = this.addresses[index];
		const recipient = {address, name: this.names[index]};
		const messageId = messageIdFor(this.id, index, this.record.draft.from.address);
		let thread: {inReplyTo: string} | undefined;
		if (this.thread) {
			const original = this.thread.ids[index];
			if (original >= 0) {
				thread = {inReplyTo: messageIdFor(this.thread.originalId, original, this.thread.senderAddress)};
			}
		}

		const head = Buffer.from(this.template.headLines(recipient, messageId, thread), 'utf8');
		const body = this.template.bodyFor(recipient);
		this.attempts[index] = Math.min(65_535, this.attempts[index] + 1);
		this.runAttempts[index] = Math.min(255, this.runAttempts[index] + 1);
		let end: (() => void) | undefined;
		const holdEnd = this.options.strictJournal && worker.undurable > 0
			? (sendDot: () => void) => {
				// The server takes a message at its final dot. Holding the dot until this worker's
				// previous acceptance is on disk means a crash can leave at most one accepted,
				// unjournaled message per connection.
				end = sendDot;
				if (worker.undurable > 0) {
					worker.heldEnd = sendDot;
				} else {
					sendDot();
				}
			}
			: undefined;
		session.send({from: this.record.draft.from.address, to: address}, {head, body}, outcome => {
			if (end !== undefined && worker.heldEnd === end) {
				worker.heldEnd = undefined;
			}

			if (worker.session === session && !session.open) {
				worker.session = undefined;
			}

			this.settle(worker, index, ticket, outcome);
		}, holdEnd);
	}

	private settle(worker: Worker, index: number, ticket: Ticket, outcome: AttemptOutcome): void {
		const now = Date.now();
		const probe = ticket.go && ticket.probe;
		const writer = this.writer!;
		const attempts = this.attempts[index];
		switch (outcome.kind) {
			case 'accepted': {
				this.pacer.accepted(now, probe);
				this.runSent++;
				this.lastActivity = now;
				this.status[index] = statusCodes.sent;
				worker.undurable++;
				writer.append({index, code: 'S', attempts, response: outcome.response, ambiguous: false, slot: worker.slot});
				this.tellLimiting();
				break;
			}

			case 'permanent': {
				this.lastActivity = now;
				this.status[index] = statusCodes.failed;
				writer.append({index, code: 'F', attempts, response: outcome.response, ambiguous: false});
				break;
			}

			case 'limited': {
				// The server limits this client, not this recipient: the attempt does not count, the
				// recipient goes first when the server takes more, and the whole send slows down.
				this.pacer.refused(now, probe, outcome.response);
				this.uncount(index);
				this.status[index] = statusCodes.pending;
				writer.append({index, code: 'D', attempts: this.attempts[index], response: outcome.response, ambiguous: false});
				if (this.state === 'running' || this.state === 'paused') {
					this.ready.unshift(index);
				}

				if (!worker.session) {
					// It hung up ("too many errors"): a new connection, without waiting.
					worker.reopenAt = 0;
				}

				this.tellLimiting();
				break;
			}

			case 'auth':
			case 'tls': {
				this.uncount(index);
				this.status[index] = statusCodes.pending;
				writer.append({index, code: 'D', attempts: this.attempts[index], response: outcome.response, ambiguous: false});
				this.giveOut(new MassmailError(outcome.kind === 'auth' ? 'auth' : 'connection', `the SMTP server ${this.target.host}:${this.target.port} refused to go on: ${outcome.response}`));
				break;
			}

			default: {
				this.settleTemporary(index, outcome.kind, outcome.response, now);
			}
		}

		if (probe && outcome.kind !== 'accepted' && outcome.kind !== 'limited') {
			// The probe ended without telling whether the server takes more: the next one may go.
			this.pacer.giveBack(ticket);
		}

		this.release(worker);
	}

	/** A temporary failure (a 4xx for this mailbox, a lost connection, a timeout): retry with backoff, up to the limit. */
	private settleTemporary(index: number, kind: Exclude<ReplyKind, 'permanent' | 'limited' | 'auth' | 'tls'>, response: string, now: number): void {
		const writer = this.writer!;
		const ambiguous = kind === 'ambiguous';
		const attempts = this.attempts[index];
		if (kind === 'temporary') {
			this.lastActivity = now;
		}

		if (this.aborted) {
			// Cut off by abort(): not the server's doing, so it stays pending, whatever its attempts.
			this.status[index] = statusCodes.pending;
			writer.append({index, code: 'D', attempts, response: `interrupted: ${response}`, ambiguous});
			return;
		}

		if (this.runAttempts[index] >= this.options.maxAttempts) {
			this.status[index] = statusCodes.failed;
			writer.append({index, code: 'F', attempts, response: `${response} (gave up after ${this.runAttempts[index]} attempts)`, ambiguous});
			return;
		}

		this.status[index] = statusCodes.pending;
		writer.append({index, code: 'D', attempts, response, ambiguous});
		if (this.state === 'running' || this.state === 'paused') {
			const delay = retryDelay(this.options.retryDelayMs, this.runAttempts[index]);
			this.retries.add(index, now + delay, delay);
		}
	}

	/** Takes back an attempt that the server's limit, not the recipient, ended. */
	private uncount(index: number): void {
		this.attempts[index] = Math.max(0, this.attempts[index] - 1);
		this.runAttempts[index] = Math.max(0, this.runAttempts[index] - 1);
	}

	private release(worker: Worker): void {
		worker.busy = false;
		this.inFlight--;
		if (this.state === 'running') {
			this.pumpAll();
		} else {
			this.maybeFinish();
		}
	}

	private maybeFinish(): void {
		if (this.finishing || this.inFlight > 0) {
			return;
		}

		const exhausted = this.cursor >= this.work.length && this.ready.length === 0 && this.retries.size === 0;
		if (this.state === 'stopping' || (this.state === 'running' && exhausted)) {
			this.finishing = true;
			this.finish(exhausted && this.state === 'running' ? 'finished' : this.stopAs).then(
				result => this.resolveDone?.(result),
				(error: unknown) => this.rejectDone?.(error),
			);
		}
	}

	private countAll(): {sent: number; failed: number} {
		return countOutcomes(this.status);
	}

	private async finish(status: Exclude<SendStatus, 'running'>): Promise<DeliveryResult> {
		this.clearWaiting();
		clearInterval(this.progressTimer);
		this.progressTimer = undefined;
		for (const worker of this.workers) {
			worker.opening?.();
			worker.opening = undefined;
			worker.session?.quit();
			worker.session = undefined;
		}

		this.spare?.destroy();
		this.spare = undefined;
		try {
			try {
				await this.writer!.close();
			} catch (error) {
				this.fatal ??= new MassmailError('store', `cannot write the journal of send ${this.id}: ${(error as Error).message}`, {hint: `free some disk space, then: massmail resume ${this.id}`});
			}

			const counts = this.countAll();
			try {
				this.sends.finish(this.id, status, counts);
			} catch (error) {
				this.fatal ??= new MassmailError('store', `cannot record how send ${this.id} ended: ${(error as Error).message}`, {hint: `massmail resume ${this.id} once the disk is fixed`});
			}

			this.state = 'done';
			this.emit({type: 'progress', progress: this.progress()});
			const result: DeliveryResult = {id: this.id, total: this.record.total, ...counts, status, runSent: this.runSent};
			if (this.fatal) {
				const kind = this.fatal.kind === 'auth' ? 'auth' : this.fatal.kind === 'store' ? 'store' : 'connection';
				result.stopped = {kind, message: this.fatal.message, hint: this.fatal.hint};
			}

			return result;
		} finally {
			this.state = 'done';
			this.lock.release();
		}
	}
}
