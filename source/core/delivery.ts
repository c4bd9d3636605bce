/**
 * The delivery engine: one message per recipient over SMTP, at a set concurrency (one
 * connection per worker) and rate, with retries, pause/resume/cancel, typed events, and every
 * outcome journaled (fsynced in groups) before anyone is told of it.
 *
 * The hot path is deliberately plain: the message body is encoded once by {@link MessageTemplate}
 * and sent raw over nodemailer's SMTPConnection; workers are callbacks, not promise chains;
 * journal writes are grouped; progress events are coalesced.
 *
 * @example
 * const ctx = openDeliveryContext(store);
 * const delivery = await createDelivery(ctx, {draft, audience: 'domain:example.com', recipients});
 * delivery.subscribe(event => console.log(event));
 * const result = await delivery.start();
 * await ctx.close();
 */
import {randomBytes} from 'node:crypto';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import {MessageTemplate, messageIdFor, validateDraft} from './compose.js';
import {startCaptureServer, type CaptureServer} from './capture-server.js';
import {MassmailError} from './errors.js';
import {SendLog, statusCodes, type OutcomeLine, type OutcomeWriter, type SendLock, type SendRecord} from './journal.js';
import {describeTarget, resolveSmtpTarget} from './smtp-config.js';
import {classifyFailure, connectionFailure, connectionTarget, openConnection, replyOf, verifyConnection, type ConnectionTarget} from './smtp-connect.js';
import type {Store} from './store.js';
import type {DeliveryEvent, DeliveryProgress, DeliveryResult, MessageDraft, Recipient, SendStatus, Settings} from './types.js';

/** What the engine works with: the store, the send records, the environment, and a capture server it may start. */
export interface DeliveryContext {
	store: Store;
	sends: SendLog;
	env?: NodeJS.ProcessEnv;
	/** Where mail goes now (starts the capture server when no SMTP server is configured). */
	target(): Promise<ConnectionTarget>;
	/** Stops a capture server it started. */
	close(): Promise<void>;
}

/** A context over a store; the capture server starts only when a send needs it. */
export function openDeliveryContext(store: Store, env: NodeJS.ProcessEnv = process.env): DeliveryContext {
	const sends = new SendLog(store.paths.sendsDir);
	let capture: Promise<CaptureServer> | undefined;
	return {
		store,
		sends,
		env,
		async target() {
			const target = resolveSmtpTarget(store.settings.get(), env);
			if (target.kind === 'server') {
				return connectionTarget(target, describeTarget(target));
			}

			capture ??= startCaptureServer(store.paths.captureDir);
			const server = await capture;
			return {
				host: server.host,
				port: server.port,
				tls: 'none',
				user: '',
				allowUnverifiedTls: false,
				description: describeTarget(target),
				captured: true,
			};
		},
		async close() {
			if (capture) {
				const server = await capture;
				capture = undefined;
				await server.close();
			}
		},
	};
}

export interface SendRequest {
	draft: MessageDraft;
	/** The group as typed (`domain:example.com`), or `send:ID`. */
	audience: string;
	recipients: Recipient[];
	/** Send id: each recipient threads under the Message-ID it got from that send. */
	followUpOf?: string;
}

export interface DeliveryOverrides {
	/** Connections (workers). */
	concurrency?: number;
	/** Messages per second, 0 = unlimited. */
	rate?: number;
	/** Attempts per recipient for temporary failures, the first included. */
	maxAttempts?: number;
	/** First retry delay; doubles with each attempt. */
	retryDelayMs?: number;
	/** How long a silent server is waited for (connect, greeting, each reply). Default 60 s. */
	timeoutMs?: number;
	/** Journal grouping: 0 (default) writes a group as soon as the previous one is on disk; else every this many ms. */
	journalIntervalMs?: number;
	/**
	 * At most this many outcomes wait for the disk (default 200): workers pause when as many
	 * accepted messages are not yet journaled. This bounds what a crash can send twice to
	 * journalGroup + concurrency.
	 */
	journalGroup?: number;
	/**
	 * Hold each message's final dot until the same connection's previous acceptance is on disk:
	 * a crash then re-sends at most one message per connection (the window is `concurrency`),
	 * at the cost of waiting for an fsync per message (about a third to half of the rate on a
	 * fast local server). Default false: the window is then up to `journalGroup` + `concurrency`.
	 */
	strictJournal?: boolean;
}

interface EngineOptions {
	concurrency: number;
	rate: number;
	maxAttempts: number;
	retryDelayMs: number;
	timeoutMs: number;
	journalIntervalMs: number;
	journalGroup: number;
	strictJournal: boolean;
}

function engineOptions(settings: Settings, overrides: DeliveryOverrides = {}): EngineOptions {
	const positive = (value: number | undefined, fallback: number, name: string) => {
		const chosen = value ?? fallback;
		if (!Number.isFinite(chosen) || chosen < 0) {
			throw new MassmailError('usage', `${name} must be a number of at least 0, not ${chosen}`);
		}

		return chosen;
	};

	const options = {
		concurrency: Math.floor(positive(overrides.concurrency, settings.delivery.concurrency, 'concurrency')),
		rate: positive(overrides.rate, settings.delivery.rate, 'rate'),
		maxAttempts: Math.floor(positive(overrides.maxAttempts, settings.delivery.maxAttempts, 'maxAttempts')),
		retryDelayMs: positive(overrides.retryDelayMs, settings.delivery.retryDelayMs, 'retryDelayMs'),
		timeoutMs: positive(overrides.timeoutMs, 60_000, 'timeoutMs'),
		journalIntervalMs: positive(overrides.journalIntervalMs, 0, 'journalIntervalMs'),
		journalGroup: Math.max(1, Math.floor(positive(overrides.journalGroup, 200, 'journalGroup'))),
		strictJournal: overrides.strictJournal ?? false,
	};
	if (options.concurrency < 1) {
		throw new MassmailError('usage', 'concurrency must be at least 1');
	}

	options.maxAttempts = Math.max(1, options.maxAttempts);
	return options;
}

function snapshot(settings: Settings): SendRecord['settings'] {
	const {host, port, tls, user, allowUnverifiedTls} = settings.smtp;
	return {smtp: {host, port, tls, user, allowUnverifiedTls}, sender: settings.sender, delivery: settings.delivery};
}

/** For a follow-up: the Message-ID each address got in the original send. */
function threadIds(sends: SendLog, originalId: string, addresses: string[]): {ids: Int32Array; originalId: string; senderAddress: string} {
	const original = sends.record(originalId);
	const originalRecipients = sends.readRecipients(originalId).addresses;
	const indexOf = new Map<string, number>();
	for (const [index, address] of originalRecipients.entries()) {
		indexOf.set(address.toLowerCase(), index);
	}

	const ids = new Int32Array(addresses.length).fill(-1);
	for (const [index, address] of addresses.entries()) {
		ids[index] = indexOf.get(address.toLowerCase()) ?? -1;
	}

	return {ids, originalId, senderAddress: original.draft.from.address};
}

/**
 * Checks the connection and the login first (unreachable/TLS -> MassmailError 'connection',
 * refused login -> 'auth': nothing written, nothing sent), then writes the send record and takes
 * its lock. Does not start sending: call `start()`.
 */
export async function createDelivery(ctx: DeliveryContext, request: SendRequest, overrides?: DeliveryOverrides): Promise<Delivery> {
	validateDraft(request.draft);
	if (request.recipients.length === 0) {
		throw new MassmailError('validation', 'there is no recipient to send to');
	}

	const settings = ctx.store.settings.get();
	const options = engineOptions(settings, overrides);
	const target = await ctx.target();
	const thread = request.followUpOf === undefined
		? undefined
		: threadIds(ctx.sends, request.followUpOf, request.recipients.map(r => r.address));
	const first = await verifyConnection(target, options);
	let created: {record: SendRecord; lock: SendLock};
	try {
		created = ctx.sends.create({
			kind: request.draft.kind,
			draft: request.draft,
			audience: request.audience,
			captured: target.captured,
			destination: target.description,
			settings: snapshot(settings),
			followUpOf: request.followUpOf,
			recipients: request.recipients,
		});
	} catch (error) {
		first.close();
		throw error;
	}

	const {record, lock} = created;
	const addresses = request.recipients.map(r => r.address);
	const names = request.recipients.map(r => r.name);
	const work = new Uint32Array(addresses.length);
	for (let index = 0; index < work.length; index++) {
		work[index] = index;
	}

	return new Delivery({
		ctx,
		record,
		lock,
		target,
		options,
		addresses,
		names,
		work,
		thread,
		attempts: new Uint16Array(addresses.length),
		status: new Uint8Array(addresses.length),
		firstConnection: first,
		run: 'new',
	});
}

/**
 * Resumes (`only: 'unfinished'`: every recipient without a final outcome) or retries
 * (`only: 'failed'`: the failed recipients, with a fresh set of attempts) an existing send.
 * A recipient whose acceptance was journaled is never sent again.
 */
export async function reopenDelivery(ctx: DeliveryContext, sendId: string, options: {only: 'unfinished' | 'failed'}, overrides?: DeliveryOverrides): Promise<Delivery> {
	const record = ctx.sends.record(sendId);
	const settings = ctx.store.settings.get();
	const engine = engineOptions(settings, overrides);
	const lock = ctx.sends.lock(sendId);
	try {
		const target = await ctx.target();
		if (target.captured !== record.captured) {
			throw new MassmailError('usage', record.captured
				? `send ${sendId} went to the local capture server; now mail would go to ${target.description}`
				: `send ${sendId} went to ${record.destination}; now mail would go to local capture`, {
				hint: 'set the SMTP server back as it was for this send, or start a new send',
			});
		}

		const state = ctx.sends.outcomes(sendId, record.total);
		const wanted = options.only === 'failed' ? statusCodes.failed : statusCodes.pending;
		let count = 0;
		for (const value of state.status) {
			if (value === wanted) {
				count++;
			}
		}

		const work = new Uint32Array(count);
		let next = 0;
		for (const [index, value] of state.status.entries()) {
			if (value === wanted) {
				work[next++] = index;
			}
		}

		const {addresses, names} = ctx.sends.readRecipients(sendId);
		const thread = record.followUpOf === undefined ? undefined : threadIds(ctx.sends, record.followUpOf, addresses);
		const first = count > 0 ? await verifyConnection(target, engine) : undefined;
		return new Delivery({
			ctx,
			record,
			lock,
			target,
			options: engine,
			addresses,
			names,
			work,
			thread,
			attempts: state.attempts,
			status: state.status,
			firstConnection: first,
			run: options.only,
		});
	} catch (error) {
		lock.release();
		throw error;
	}
}

/** Settings' "test connection": resolves with what was reached, rejects with the server's words. */
export async function checkConnection(ctx: DeliveryContext): Promise<string> {
	const target = await ctx.target();
	const connection = await verifyConnection(target, {timeoutMs: 20_000});
	connection.quit();
	return target.captured
		? target.description
		: `connected to ${target.description}${target.user === '' ? '' : `, logged in as ${target.user}`}`;
}

/** Sends one copy of a draft to one address (not journaled in any send). Resolves with the server's reply. */
export async function sendTestCopy(ctx: DeliveryContext, draft: MessageDraft, address: string): Promise<string> {
	validateDraft(draft);
	const target = await ctx.target();
	const connection = await verifyConnection(target, {timeoutMs: 30_000});
	const template = new MessageTemplate(draft, {sendId: 'test-' + randomBytes(4).toString('hex')});
	const {envelope, raw} = template.render({address, name: ''}, 0);
	return new Promise((resolve, reject) => {
		connection.send({from: envelope.from, to: [envelope.to]}, raw, (error, info) => {
			connection.quit();
			if (error) {
				const reply = replyOf(error);
				reject(error.responseCode
					? new MassmailError('validation', `the server refused the test copy to ${address}: ${reply}`)
					: connectionFailure(error, target));
				return;
			}

			resolve(info.response);
		});
	});
}

type Listener = (event: DeliveryEvent) => void;

interface DeliveryInit {
	ctx: DeliveryContext;
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
	firstConnection?: SMTPConnection;
	run: 'new' | 'unfinished' | 'failed';
}

interface Worker {
	slot: number;
	connection: SMTPConnection | undefined;
	busy: boolean;
	/** Messages this worker saw accepted whose outcome is not on disk yet. */
	undurable: number;
	/** Sends the final dot of the current message: held while `undurable` > 0. */
	heldEnd: (() => void) | undefined;
}

/** Connections that fail to open in a row before the run stops (the server is down, not a recipient's fault). */
const maxConnectFailures = 5;

/** Retries waiting for their time, one FIFO per delay (equal delays come due in order). */
class RetryQueue {
	private readonly levels = new Map<number, {indexes: number[]; due: number[]; head: number}>();
	size = 0;

	add(index: number, due: number, delay: number): void {
		let level = this.levels.get(delay);
		if (!level) {
			level = {indexes: [], due: [], head: 0};
			this.levels.set(delay, level);
		}

		level.indexes.push(index);
		level.due.push(due);
		this.size++;
	}

	/** The earliest due time, or Infinity. */
	nextDue(): number {
		let next = Number.POSITIVE_INFINITY;
		for (const level of this.levels.values()) {
			if (level.head < level.indexes.length && level.due[level.head] < next) {
				next = level.due[level.head];
			}
		}

		return next;
	}

	/** Moves every retry due by `now` into `ready`. */
	takeDue(now: number, ready: number[]): void {
		for (const [delay, level] of this.levels) {
			while (level.head < level.indexes.length && level.due[level.head] <= now) {
				ready.push(level.indexes[level.head]);
				level.head++;
				this.size--;
			}

			if (level.head === level.indexes.length) {
				this.levels.delete(delay);
			}
		}
	}

	clear(): void {
		this.levels.clear();
		this.size = 0;
	}
}

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

	private readonly ctx: DeliveryContext;
	private readonly lock: SendLock;
	private readonly target: ConnectionTarget;
	private readonly options: EngineOptions;
	private readonly addresses: string[];
	private readonly names: string[];
	private readonly work: Uint32Array;
	private readonly thread?: {ids: Int32Array; originalId: string; senderAddress: string};
	private readonly attempts: Uint16Array;
	/** Attempts in this run (the retry budget); cumulative ones are in `attempts`. */
	private readonly runAttempts: Uint8Array;
	private readonly status: Uint8Array;
	/** 1 while a recipient's last durable outcome is "deferred". */
	private readonly deferredFlag: Uint8Array;
	private readonly template: MessageTemplate;
	private readonly listeners = new Set<Listener>();
	private readonly workers: Worker[] = [];
	private readonly retries = new RetryQueue();
	private readonly ready: number[] = [];
	private readonly run: DeliveryInit['run'];
	private spareConnection: SMTPConnection | undefined;

	private cursor = 0;
	private inFlight = 0;
	private state: 'idle' | 'running' | 'paused' | 'stopping' | 'done' = 'idle';
	private stopAs: 'cancelled' | 'interrupted' = 'interrupted';
	private writer: OutcomeWriter | undefined;
	private retryTimer: NodeJS.Timeout | undefined;
	private rateTimer: NodeJS.Timeout | undefined;
	private progressTimer: NodeJS.Timeout | undefined;
	private tokens = 0;
	private tokensAt = 0;
	private startedAt = 0;
	private fatal: Error | undefined;
	private resolveDone: ((result: DeliveryResult) => void) | undefined;
	private rejectDone: ((error: unknown) => void) | undefined;
	private finishing = false;
	private waitingForDisk = false;
	private connectFailures = 0;

	// Durable counts: what is on disk, and so what may be reported.
	private sent = 0;
	private failed = 0;
	private deferred = 0;
	private readonly rateSamples: Array<{at: number; done: number}> = [];

	/** @internal Use createDelivery or reopenDelivery. */
	constructor(init: DeliveryInit) {
		this.ctx = init.ctx;
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
		this.deferredFlag = new Uint8Array(init.addresses.length);
		this.spareConnection = init.firstConnection;
		this.run = init.run;
		this.template = new MessageTemplate(init.record.draft, {sendId: init.record.id, date: new Date(init.record.createdAt)});
	}

	/** Listens to outcome, progress and state events; returns the unsubscribe function. */
	subscribe(listener: Listener): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	/**
	 * Sends; resolves when every recipient of this run has a final outcome, or the run was
	 * cancelled/interrupted. Rejects with MassmailError 'auth' or 'connection' when the server
	 * turns the engine away mid-run (a refused login, or connections failing again and again):
	 * the send is then 'interrupted', its unsent recipients pending, and it can be resumed.
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
			this.writer = this.ctx.sends.openOutcomes(this.id, group => {
				this.onDurable(group);
			}, {intervalMs: this.options.journalIntervalMs, maxGroup: this.options.journalGroup}, error => {
				// Outcomes that cannot be recorded must not go on: stop, the rest stays pending.
				this.fatal ??= new MassmailError('store', `cannot write the journal of send ${this.id}: ${error.message}`, {hint: `massmail resume ${this.id} once the disk is fixed`});
				this.waitingForDisk = false;
				// A held message must not be completed now: hang up instead (its recipient stays pending).
				for (const worker of this.workers) {
					if (worker.heldEnd) {
						worker.heldEnd = undefined;
						worker.connection?.close();
					}
				}

				this.stop('interrupted');
			});
		} catch (error) {
			this.state = 'done';
			this.spareConnection?.close();
			this.lock.release();
			throw error;
		}

		if (this.run !== 'new') {
			// A new run: how the last one ended no longer describes the send.
			this.ctx.sends.clearState(this.id);
		}

		this.writer.note(`run ${this.run} ${new Date().toISOString()} pid ${process.pid} recipients ${this.total}`);
		this.startedAt = Date.now();
		this.tokensAt = this.startedAt;
		this.tokens = Math.min(1, this.options.rate);
		this.state = 'running';
		this.emit({type: 'state', state: 'running'});
		this.progressTimer = setInterval(() => {
			this.emitProgress();
		}, 250);
		const workers = Math.max(1, Math.min(this.options.concurrency, this.total));
		for (let index = 0; index < workers; index++) {
			this.workers.push({slot: index, connection: undefined, busy: false, undurable: 0, heldEnd: undefined});
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
			this.emit({type: 'state', state: 'running'});
			this.pumpAll();
		}
	}

	/** Stops taking recipients; in-flight messages finish and are journaled; the send ends 'cancelled' (resumable). */
	cancel(): void {
		this.stop('cancelled');
	}

	/** As cancel, but the send ends 'interrupted' (Ctrl+C). */
	interrupt(): void {
		this.stop('interrupted');
	}

	progress(): DeliveryProgress {
		const now = Date.now();
		const elapsedMs = this.startedAt === 0 ? 0 : now - this.startedAt;
		const done = this.sent + this.failed;
		const remaining = Math.max(0, this.total - done);
		let rate = 0;
		const oldest = this.rateSamples.find(sample => now - sample.at <= 5000) ?? this.rateSamples[0];
		if (oldest && now - oldest.at >= 200) {
			rate = ((done - oldest.done) * 1000) / (now - oldest.at);
		} else if (elapsedMs >= 200) {
			rate = (done * 1000) / elapsedMs;
		}

		return {
			total: this.total,
			sent: this.sent,
			failed: this.failed,
			deferred: this.deferred,
			remaining,
			rate,
			elapsedMs,
			etaMs: remaining === 0 ? 0 : rate > 0 ? Math.round((remaining * 1000) / rate) : null,
		};
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
			this.spareConnection?.close();
			if (this.run === 'new') {
				this.ctx.sends.finish(this.id, as, this.countAll());
			}

			this.lock.release();
			return;
		}

		this.state = 'stopping';
		this.emit({type: 'state', state: 'cancelling'});
		this.clearRetries();
		this.maybeFinish();
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

	private emitProgress(): void {
		const now = Date.now();
		this.rateSamples.push({at: now, done: this.sent + this.failed});
		while (this.rateSamples.length > 0 && now - this.rateSamples[0].at > 6000) {
			this.rateSamples.shift();
		}

		if (this.listeners.size > 0) {
			this.emit({type: 'progress', progress: this.progress()});
		}
	}

	/** A group of outcomes reached the disk: count them and tell the listeners. */
	private onDurable(group: OutcomeLine[]): void {
		this.countDurable(group);
		if (this.waitingForDisk) {
			this.waitingForDisk = false;
			this.pumpAll();
		}
	}

	private countDurable(group: OutcomeLine[]): void {
		const tell = this.listeners.size > 0;
		for (const outcome of group) {
			if (this.deferredFlag[outcome.index] === 1) {
				this.deferredFlag[outcome.index] = 0;
				this.deferred--;
			}

			if (outcome.code === 'S') {
				this.sent++;
				const worker = outcome.slot === undefined ? undefined : this.workers[outcome.slot];
				if (worker && --worker.undurable === 0 && worker.heldEnd) {
					const end = worker.heldEnd;
					worker.heldEnd = undefined;
					end();
				}
			} else if (outcome.code === 'F') {
				this.failed++;
			} else {
				this.deferredFlag[outcome.index] = 1;
				this.deferred++;
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
	}

	private pumpAll(): void {
		for (const worker of this.workers) {
			this.pump(worker);
		}

		this.maybeFinish();
	}

	/** Gives a free worker its next recipient, if one may go now. */
	private pump(worker: Worker): void {
		if (worker.busy || this.state !== 'running') {
			return;
		}

		if (this.ready.length === 0 && this.retries.size > 0) {
			this.retries.takeDue(Date.now(), this.ready);
		}

		if (this.ready.length === 0 && this.cursor >= this.work.length) {
			// Nothing to take now: retries may come due later.
			this.scheduleRetryTimer();
			if (this.retries.size === 0 && worker.connection) {
				worker.connection.quit();
				worker.connection = undefined;
			}

			return;
		}

		if (this.writer && this.writer.waiting >= this.options.journalGroup) {
			// Accepted but not yet on disk is what a crash would send twice: keep it bounded.
			this.waitingForDisk = true;
			return;
		}

		if (this.options.rate > 0 && !this.takeToken()) {
			return;
		}

		const index = this.ready.length > 0 ? this.ready.shift()! : this.work[this.cursor++];
		worker.busy = true;
		this.inFlight++;
		this.deliver(worker, index);
	}

	private takeToken(): boolean {
		const now = Date.now();
		const rate = this.options.rate;
		// A burst of at most 1/20 s worth of messages (at least one).
		const capacity = Math.max(1, rate / 20);
		this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAt) * rate) / 1000);
		this.tokensAt = now;
		if (this.tokens >= 1) {
			this.tokens -= 1;
			return true;
		}

		this.rateTimer ??= setTimeout(() => {
			this.rateTimer = undefined;
			this.pumpAll();
		}, Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / rate)));
		return false;
	}

	private scheduleRetryTimer(): void {
		if (this.retryTimer || this.retries.size === 0 || this.state !== 'running') {
			return;
		}

		const wait = Math.max(0, this.retries.nextDue() - Date.now());
		this.retryTimer = setTimeout(() => {
			this.retryTimer = undefined;
			this.retries.takeDue(Date.now(), this.ready);
			this.pumpAll();
		}, wait);
	}

	private clearRetries(): void {
		if (this.retryTimer) {
			clearTimeout(this.retryTimer);
			this.retryTimer = undefined;
		}

		if (this.rateTimer) {
			clearTimeout(this.rateTimer);
			this.rateTimer = undefined;
		}

		// Waiting retries stay pending in the journal (their last line is "deferred"): resumable.
		this.retries.clear();
		this.ready.length = 0;
	}

	private deliver(worker: Worker, index: number): void {
		const connection = worker.connection ?? this.takeSpare();
		if (connection && !(connection as unknown as {_destroyed?: boolean})._destroyed) {
			worker.connection = connection;
			this.sendOn(worker, connection, index);
			return;
		}

		worker.connection = undefined;
		openConnection(this.target, this.options, (error, opened, secret) => {
			if (error || !opened) {
				const failure = connectionFailure(error ?? new Error('no connection'), this.target, secret);
				this.connectFailures++;
				if (failure.kind === 'auth' || this.connectFailures >= maxConnectFailures) {
					// The server turns us away, not this recipient: stop the run; the recipient stays
					// pending (nothing was journaled for it) and the send can be resumed.
					this.fatal ??= failure;
					worker.busy = false;
					this.inFlight--;
					this.stop('interrupted');
					this.maybeFinish();
					return;
				}

				this.attempts[index] = Math.min(65_535, this.attempts[index] + 1);
				this.runAttempts[index] = Math.min(255, this.runAttempts[index] + 1);
				this.settle(worker, index, {kind: 'temporary', response: failure.message, connectionLost: true, ambiguous: false});
				return;
			}

			this.connectFailures = 0;
			worker.connection = opened;
			opened.on('error', () => {
				// Reported to the send callback; an idle connection that dies is simply replaced.
				if (worker.connection === opened) {
					worker.connection = undefined;
				}
			});
			opened.on('end', () => {
				if (worker.connection === opened) {
					worker.connection = undefined;
				}
			});
			this.sendOn(worker, opened, index);
		});
	}

	private takeSpare(): SMTPConnection | undefined {
		const spare = this.spareConnection;
		this.spareConnection = undefined;
		if (spare) {
			spare.on('error', () => undefined);
		}

		return spare;
	}

	private sendOn(worker: Worker, connection: SMTPConnection, index: number): void {
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
		let dataSent = false;
		let end: (() => void) | undefined;
		// SMTPConnection pipes a message that has pipe(): this writes the shared body without
		// copying it into a per-recipient buffer, and lets the final dot wait.
		const message = {
			pipe: (stream: NodeJS.WritableStream) => {
				// Corked, the message (and its final dot) leave in one write instead of several.
				const socket = connection._socket;
				if (socket) {
					socket.cork();
					setImmediate(() => {
						socket.uncork();
					});
				}

				stream.write(head);
				stream.write(body);
				end = () => {
					dataSent = true;
					stream.end();
				};

				if (worker.undurable > 0 && this.options.strictJournal) {
					// The server takes a message at its final dot. Holding the dot until this worker's
					// previous acceptance is on disk means a crash can leave at most one accepted,
					// unjournaled message per connection: the in-flight window, nothing more.
					worker.heldEnd = end;
				} else {
					end();
				}

				return stream;
			},
		};
		this.attempts[index] = Math.min(65_535, this.attempts[index] + 1);
		this.runAttempts[index] = Math.min(255, this.runAttempts[index] + 1);
		connection.send({from: this.record.draft.from.address, to: [address]}, message as unknown as Buffer, (error, info) => {
			if (worker.heldEnd === end) {
				worker.heldEnd = undefined;
			}

			if (!error) {
				this.settleSent(worker, index, info.response);
				return;
			}

			const failure = classifyFailure(error, dataSent);
			if (failure.kind === 'temporary' && failure.connectionLost) {
				if (worker.connection === connection) {
					worker.connection = undefined;
				}

				connection.close();
				this.settle(worker, index, failure);
				return;
			}

			// The server refused this recipient; the session goes on after a RSET.
			worker.busy = true;
			connection.reset(resetError => {
				if (resetError && worker.connection === connection) {
					worker.connection = undefined;
					connection.close();
				}

				this.settle(worker, index, failure);
			});
		});
	}

	private settleSent(worker: Worker, index: number, response: string): void {
		this.status[index] = statusCodes.sent;
		worker.undurable++;
		this.writer!.append({index, code: 'S', attempts: this.attempts[index], response, ambiguous: false, slot: worker.slot});
		this.release(worker);
	}

	private settle(worker: Worker, index: number, failure: ReturnType<typeof classifyFailure>): void {
		const attempts = this.attempts[index];
		if (failure.kind === 'permanent') {
			this.status[index] = statusCodes.failed;
			this.writer!.append({index, code: 'F', attempts, response: failure.response, ambiguous: false});
		} else if (this.runAttempts[index] >= this.options.maxAttempts) {
			this.status[index] = statusCodes.failed;
			this.writer!.append({index, code: 'F', attempts, response: `${failure.response} (gave up after ${this.runAttempts[index]} attempts)`, ambiguous: failure.ambiguous});
		} else {
			this.status[index] = statusCodes.pending;
			this.writer!.append({index, code: 'D', attempts, response: failure.response, ambiguous: failure.ambiguous});
			const delay = Math.min(this.options.retryDelayMs * (2 ** (this.runAttempts[index] - 1)), 15 * 60_000);
			if (this.state === 'running' || this.state === 'paused') {
				this.retries.add(index, Date.now() + delay, delay);
				this.scheduleRetryTimer();
			}
		}

		this.release(worker);
	}

	private release(worker: Worker): void {
		worker.busy = false;
		this.inFlight--;
		if (this.state === 'running') {
			this.pump(worker);
		}

		this.maybeFinish();
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
		let sent = 0;
		let failed = 0;
		for (const value of this.status) {
			if (value === statusCodes.sent) {
				sent++;
			} else if (value === statusCodes.failed) {
				failed++;
			}
		}

		return {sent, failed};
	}

	private async finish(status: Exclude<SendStatus, 'running'>): Promise<DeliveryResult> {
		this.clearRetries();
		if (this.progressTimer) {
			clearInterval(this.progressTimer);
			this.progressTimer = undefined;
		}

		for (const worker of this.workers) {
			worker.connection?.quit();
			worker.connection = undefined;
		}

		this.spareConnection?.close();
		this.spareConnection = undefined;
		try {
			try {
				await this.writer!.close();
			} catch (error) {
				throw this.fatal ?? new MassmailError('store', `cannot write the journal of send ${this.id}: ${(error as Error).message}`);
			}

			const counts = this.countAll();
			this.ctx.sends.finish(this.id, status, counts);
			this.state = 'done';
			this.emitProgress();
			if (this.fatal) {
				throw this.fatal;
			}

			return {id: this.id, total: this.record.total, ...counts, status};
		} finally {
			this.state = 'done';
			this.lock.release();
		}
	}
}
