/**
 * One run of a send: the state machine that hands recipients to connections, at the pace the
 * settings and the server allow, retries what was deferred, and journals every outcome (fsynced
 * in groups) before anyone is told of it.
 *
 *   idle ─start()→ running ⇄ paused
 *    │                │ cancel() / interrupt() / the server, network or disk gives out
 *    │                ▼
 *    │             stopping ── abort(): connections closed now, in-flight recipients stay pending
 *    │                │ the messages in flight settle, within their deadlines
 *    │                ▼
 *    │             ending ◀── running, once no recipient is left
 *    │                │ the outcome log closed, how the send ended recorded (ending.ts)
 *    ▼                ▼
 *   done: connections closed, the lock released (close(), the one way out)
 *
 * What becomes of a recipient after an attempt is decided from the reply table (decision.ts);
 * who goes next is in recipients.ts, the connections in connections.ts, the relays in relays.ts.
 * The hot path is deliberately plain: the body is encoded once by MessageTemplate, workers are
 * callbacks rather than promise chains, journal writes are grouped, progress is sampled.
 */
import {MassmailError} from '../errors.js';
import {outcomeGroupGapMs, statusCodes, type OutcomeLine, type OutcomeWriter, type SendLock, type SendLog, type SendRecord} from '../journal.js';
import type {DeliveryProgress, DeliveryResult} from '../types.js';
import type {Worker} from './connections.js';
import {decide} from './decision.js';
import {DsnOffer} from './dsn-offer.js';
import {DeliveryEvents, type Listener} from './events.js';
import {journalUnwritable, recordEnd, recordUnstarted, serverRefused, serverStalled, type Ending} from './ending.js';
import type {Ticket} from './pacing.js';
import type {Phase} from './phase.js';
import {notePace, retireStale, RunRelays, type Relay} from './relays.js';
import type {EngineOptions, RunInit} from './options.js';
import {ProgressMeter} from './progress.js';
import {RunRecipients} from './recipients.js';
import type {AttemptOutcome, SmtpSession} from './transport.js';
import {WakeTimer} from './wake-timer.js';

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
	private readonly options: EngineOptions;
	private readonly addresses: string[];
	private readonly recipients: RunRecipients;
	/** Per recipient of the send: its status code (statusCodes). */
	private readonly status: Uint8Array;
	private readonly events = new DeliveryEvents();
	/** Where the messages go: one relay, or several sharing the recipients (relays.ts). */
	private readonly relays: RunRelays;
	private readonly run: RunInit['run'];
	private readonly meter: ProgressMeter;

	private phase: Phase = {name: 'idle'};
	private writer: OutcomeWriter | undefined;
	/** One timer for every reason to look again later (a retry due, the pace, a reconnect). */
	private readonly wake = new WakeTimer(() => {
		this.pumpAll();
	});
	private progressTimer: NodeJS.Timeout | undefined;
	private resolveDone: ((result: DeliveryResult) => void) | undefined;
	private rejectDone: ((error: unknown) => void) | undefined;
	private runSent = 0;
	private lastActivity = 0;
	private readonly dsn: DsnOffer;

	/** @internal Use createDelivery or reopenDelivery. */
	constructor(init: RunInit) {
		this.sends = init.sends;
		this.record = init.record;
		this.id = init.record.id;
		this.lock = init.lock;
		this.destination = init.target.description;
		this.captured = init.target.captured;
		this.dsn = new DsnOffer(init.target, this.events, init.relays.length > 1);
		this.options = init.options;
		this.addresses = init.addresses;
		this.total = init.work.length;
		this.recipients = new RunRecipients(init.record, init.addresses, init.names, init.work, init.attempts, init.thread, init.options.reports);
		this.status = init.status;
		this.run = init.run;
		this.meter = new ProgressMeter(this.total, init.addresses.length, init.options.rate * init.relays.length);
		this.relays = new RunRelays(init.record.id, init.relays, init.options, Math.max(1, Math.min(this.options.concurrency, this.total)), () => {
			// An idle connection the server closed is opened again when needed (by this worker or one resting under the limit).
			if (this.phase.name === 'running') {
				this.pumpAll();
			}
		});
	}

	/** Listens to outcome, progress, state and limiting events; returns the unsubscribe function. */
	subscribe(listener: Listener): () => void {
		return this.events.subscribe(listener);
	}

	/**
	 * Sends; resolves when every recipient of this run has a final outcome, or the run stopped:
	 * cancelled, interrupted, or given out by the server, the network or the disk (then
	 * `stopped` says why). In every case the journal is complete and the send can be resumed.
	 * Rejects only on a bug.
	 */
	async start(): Promise<DeliveryResult> {
		if (this.phase.name !== 'idle') {
			throw new MassmailError('usage', `send ${this.id} was already started`);
		}

		const done = new Promise<DeliveryResult>((resolve, reject) => {
			this.resolveDone = resolve;
			this.rejectDone = reject;
		});
		try {
			this.writer = this.sends.openOutcomes(this.id, group => {
				this.onDurable(group);
			}, {
				// A strict journal holds each final dot for the acceptance before it: nothing may wait longer.
				intervalMs: this.options.journalIntervalMs, maxGroup: this.options.journalGroup, minGapMs: this.options.strictJournal ? 0 : outcomeGroupGapMs,
			}, error => {
				this.onJournalFailure(error);
			});
		} catch (error) {
			this.close();
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
		this.relays.restartPacers(this.options, now);
		this.phase = {name: 'running', heldForDisk: false};
		this.events.emit({type: 'state', state: 'running'});
		// A relay whose check before the run failed: said now that someone listens.
		this.relays.list.filter(relay => relay.left).forEach(relay => {
			this.tellLeft(relay);
		});

		this.progressTimer = setInterval(() => {
			this.tick();
		}, 250);
		this.pumpAll();
		return done;
	}

	/** Stops taking recipients; in-flight messages finish. True when it was running and is paused now. */
	pause(): boolean {
		if (this.phase.name === 'running') {
			this.phase = {name: 'paused'};
			this.events.emit({type: 'state', state: 'paused'});
			return true;
		}

		return false;
	}

	resume(): void {
		if (this.phase.name === 'paused') {
			this.phase = {name: 'running', heldForDisk: false};
			this.lastActivity = Date.now();
			this.events.emit({type: 'state', state: 'running'});
			this.pumpAll();
		}
	}

	/** Stops taking recipients; in-flight messages finish and are journaled; the send ends 'cancelled' (resumable). */
	cancel(): void {
		this.stop('cancelled');
	}

	/** As cancel, but the send ends 'interrupted': by a person (Ctrl+C), or by a SIGTERM or SIGHUP ('signal'). */
	interrupt(by: 'person' | 'signal' = 'person'): void {
		this.stop('interrupted', undefined, by === 'signal');
	}

	/**
	 * Ends the run now (a second Ctrl+C): every connection is closed at once, the messages in
	 * flight stay pending (they can be resumed), and what is journaled so far reaches the disk.
	 */
	abort(): void {
		this.stop('interrupted');
		if (this.phase.name === 'stopping') {
			this.phase.aborted = true;
			this.relays.each('destroy', 'interrupted');
		}
	}

	progress(): DeliveryProgress {
		const now = Date.now();
		return this.meter.snapshot(now, this.relays.limiting(now));
	}

	/** Running or paused: taking recipients, or about to again. */
	private get accepting(): boolean {
		return this.phase.name === 'running' || this.phase.name === 'paused';
	}

	private stop(as: 'cancelled' | 'interrupted', fatal?: MassmailError, bySignal = false): void {
		if (this.phase.name === 'idle') {
			// Never started: release what createDelivery/reopenDelivery took.
			try {
				recordUnstarted({id: this.id, run: this.run, status: this.status, sends: this.sends}, as, fatal);
			} finally {
				this.close();
			}
		}

		if (!this.accepting) {
			return;
		}

		this.phase = {name: 'stopping', as, aborted: false, fatal, bySignal};
		this.events.emit({type: 'state', state: as === 'cancelled' ? 'cancelling' : 'stopping'});
		this.clearWaiting();
		// A connection being opened is not needed any more.
		this.relays.each('cancelOpenings');
		this.maybeFinish();
	}

	/** The server, the network or the disk gave out: the run stops, resumable. */
	private giveOut(error: MassmailError): void {
		const {phase} = this;
		if (phase.name === 'stopping' || phase.name === 'ending') {
			phase.fatal ??= error;
		} else {
			this.stop('interrupted', error);
		}
	}

	private onJournalFailure(error: Error): void {
		// Outcomes that cannot be recorded must not go on: stop, the rest stays pending.
		this.relays.each('hangUpHeld', 'the journal could not be written');
		this.giveOut(journalUnwritable(this.id, error, this.options.command));
	}

	private tick(): void {
		const now = Date.now();
		this.meter.sample(now);
		if (this.relays.recoverConnections(now)) {
			this.events.limiting(this.relays.limiting(now));
			this.pumpAll();
		}

		if (this.phase.name === 'running' && this.recipients.waiting && now - this.lastActivity > this.options.stallMs) {
			const used = this.relays.used()[0] ?? this.relays.list[0]!;
			this.giveOut(serverStalled(used.target, this.id, this.options.stallMs, this.events.limitingText, this.options.command));
		}

		if (this.events.heard) {
			this.events.emit({type: 'progress', progress: this.progress()});
		}
	}

	/** A group of outcomes reached the disk: count them and tell the listeners. */
	private onDurable(group: OutcomeLine[]): void {
		const tell = this.events.heard;
		for (const outcome of group) {
			this.meter.count(outcome);
			if (outcome.code === 'S' && outcome.slot !== undefined) {
				this.relays.durable(outcome.slot);
			}

			if (tell) {
				this.events.outcome(outcome, this.addresses[outcome.index]);
			}
		}

		if (this.phase.name === 'running' && this.phase.heldForDisk) {
			this.phase.heldForDisk = false;
			this.pumpAll();
		}
	}

	private pumpAll(): void {
		for (const relay of this.relays.list) {
			for (const worker of relay.connections.workers) {
				this.pump(relay, worker);
			}
		}

		this.maybeFinish();
	}

	/** Gives a free worker its next recipient, if one may go now; opens its connection first. */
	private pump(relay: Relay, worker: Worker): void {
		const {phase} = this;
		if (phase.name !== 'running' || worker.busy || worker.opening) {
			return;
		}

		const {connections, pacer} = relay;
		if (relay.left) {
			connections.closeIdle(worker);
			return;
		}

		const now = Date.now();
		if (!this.recipients.due(now)) {
			// Nothing to take now: retries may come due later.
			const due = this.recipients.nextDue();
			if (Number.isFinite(due)) {
				this.wake.at(due);
			} else {
				connections.closeIdle(worker);
			}

			return;
		}

		if (this.writer && this.writer.waiting >= this.options.journalGroup) {
			// Accepted but not yet on disk is what a crash would send twice: keep it bounded.
			phase.heldForDisk = true;
			return;
		}

		retireStale(relay, worker);
		if (!worker.session?.open) {
			worker.session = undefined;
			if (connections.inUse() >= pacer.connectionLimit) {
				// The server allows no more connections now: this worker rests until one closes or the limit rises.
				return;
			}

			if (now < worker.reopenAt) {
				this.wake.at(worker.reopenAt);
			} else {
				this.open(relay, worker);
			}

			return;
		}

		const ticket = pacer.take(now);
		if (!ticket.go) {
			if (Number.isFinite(ticket.waitMs)) {
				this.wake.at(now + ticket.waitMs);
			}

			return;
		}

		this.sendNext(relay, worker, worker.session, ticket);
	}

	private sendNext(relay: Relay, worker: Worker, session: SmtpSession, ticket: Ticket & {go: true}): void {
		const index = this.recipients.take();
		const how = {strict: this.options.strictJournal, stepwise: ticket.probe, behind: () => {
			this.pumpBehind(relay, worker, session);
		}};
		relay.connections.send(worker, session, this.recipients.attempt(index), how, outcome => {
			this.settle(relay, worker, index, ticket, outcome);
		});
	}

	/** At the worker's final dot the next message goes behind it (its commands in the dot's write) when nothing paces the send. */
	private pumpBehind(relay: Relay, worker: Worker, session: SmtpSession): void {
		const now = Date.now();
		const {rate, journalGroup} = this.options;
		if (this.phase.name === 'running' && rate === 0 && !relay.left && !relay.pacer.limiting(now) && this.recipients.due(now) && !(this.writer && this.writer.waiting >= journalGroup)) {
			const ticket = relay.pacer.take(now);
			if (ticket.go) {
				this.sendNext(relay, worker, session, ticket);
			}
		}
	}

	private clearWaiting(): void {
		this.wake.clear();
		// Waiting retries stay pending in the journal (their last line is "deferred"): resumable.
		this.recipients.dropWaiting();
	}

	private open(relay: Relay, worker: Worker): void {
		relay.connections.open(worker, relay.pacer, () => this.accepting && !relay.left, opened => {
			this.events.limiting(this.relays.limiting(Date.now()));
			if (opened === 'opened') {
				// Every worker, not only this one: the pacer allows one more connection as each opens.
				this.dsn.note(worker.session, relay.name);
				this.pumpAll();
			} else if (opened === 'unwanted') {
				this.maybeFinish();
			} else if (opened === 'later') {
				this.pumpAll();
			} else {
				this.leave(relay, opened.stop);
			}
		});
	}

	/** A relay failed (relays.ts): the run goes on over the others; with none left it stops as one relay's would. */
	private leave(relay: Relay, error: MassmailError): void {
		if (this.relays.isLast(relay)) {
			this.giveOut(error);
		} else if (!relay.left) {
			this.relays.leave(relay, error);
			if (this.accepting) {
				this.tellLeft(relay);
				this.pumpAll();
			}
		}
	}

	private tellLeft(relay: Relay): void {
		this.events.emit(this.relays.leftEvent(relay, this.meter.snapshot(Date.now(), undefined).remaining));
	}

	/** An attempt ended: journal what the reply table decides, tell the pacer, schedule a retry. */
	private settle(relay: Relay, worker: Worker, index: number, ticket: Ticket, outcome: AttemptOutcome): void {
		const now = Date.now();
		const {phase} = this;
		const {recipients} = this;
		const decision = decide(outcome, {run: recipients.runAttemptsOf(index), max: this.options.maxAttempts}, phase.name === 'stopping' && phase.aborted);
		recipients.decided(index, decision, now, this.accepting ? this.options.retryDelayMs : undefined);

		if (decision.answered) {
			this.lastActivity = now;
		}

		notePace(relay, worker, ticket, outcome, now);
		if (outcome.kind === 'accepted') {
			this.runSent++;
			worker.undurable++;
		}

		this.status[index] = statusCodes[decision.status];
		this.writer!.append({
			index,
			code: decision.code,
			attempts: recipients.attempts[index],
			response: decision.response,
			ambiguous: decision.ambiguous,
			slot: outcome.kind === 'accepted' ? worker.slot : undefined,
			relay: this.relays.several ? relay.name : undefined,
		});
		if (outcome.kind === 'accepted' || outcome.kind === 'limited') {
			this.events.limiting(this.relays.limiting(now));
		}

		if (decision.stopsRun) {
			this.leave(relay, serverRefused(relay.target, outcome.kind === 'auth' ? 'auth' : 'tls', outcome.response));
		}

		relay.connections.settled(worker);
		if (this.phase.name === 'running') {
			this.pumpAll();
		} else {
			this.maybeFinish();
		}
	}

	/** Ends the run once nothing is in flight and it is stopping, or has nothing left to send. */
	private maybeFinish(): void {
		const {phase} = this;
		if ((phase.name !== 'running' && phase.name !== 'stopping') || this.relays.busyCount() > 0) {
			return;
		}

		if (phase.name === 'stopping') {
			this.finish({name: 'ending', status: phase.as, fatal: phase.fatal, bySignal: phase.bySignal});
		} else if (this.recipients.exhausted) {
			this.finish({name: 'ending', status: 'finished'});
		}
	}

	/** Every message settled: the connections close, the end is recorded (ending.ts), then the run closes. */
	private finish(ending: Ending): void {
		this.phase = ending;
		this.clearWaiting();
		clearInterval(this.progressTimer);
		this.progressTimer = undefined;
		this.relays.each('close');
		recordEnd(ending, {id: this.id, total: this.record.total, runSent: this.runSent, status: this.status, writer: this.writer!, sends: this.sends, command: this.options.command}).then(result => {
			this.events.emit({type: 'progress', progress: this.progress()});
			return this.relays.several ? {...result, relays: this.relays.list.length} : result;
		}).finally(() => {
			this.close();
		}).then(result => this.resolveDone?.(result), (error: unknown) => this.rejectDone?.(error));
	}

	/** The one place a run ends, started or not: done, every connection closed, the lock released. */
	private close(): void {
		this.phase = {name: 'done'};
		this.relays.each('close');
		this.lock.release();
	}
}
