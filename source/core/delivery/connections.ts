/**
 * The connections of one run, shaped like nodemailer's smtp-pool and its pool resources: one
 * worker per connection the run may use, each sending one message at a time on its own session.
 * The session opened to check the server before the send was created is used first. A
 * connection that fails to open is opened again after a doubling wait (reconnectDelay), and the
 * server counts as gone after too many in a row. With a strict journal, a worker holds each
 * final dot until its previous acceptance is on disk.
 */
import type {MassmailError} from '../errors.js';
import {serverLost} from './ending.js';
import type {EngineOptions} from './options.js';
import type {Pacer} from './pacing.js';
import {reconnectDelay} from './retry-queue.js';
import {openSession, type AttemptOutcome, type ConnectionTarget, type Envelope, type OpenFailure, type SmtpSession} from './transport.js';

export interface Worker {
	slot: number;
	session: SmtpSession | undefined;
	/** Cancels the connection being opened, if one is. */
	opening: (() => void) | undefined;
	/** A message is in flight on this worker. */
	busy: boolean;
	/** A second one is in flight behind it (pipelined behind its final dot). */
	behind: boolean;
	/** Not before this time may the worker open a connection again (after a failure). */
	reopenAt: number;
	/** Messages this worker saw accepted whose outcome is not on disk yet. */
	undurable: number;
	/** Sends the final dot of the current message: held while `undurable` > 0 (strict journal). */
	heldEnd: (() => void) | undefined;
}

/**
 * How an opening ended: the connection is attached to the worker; it was not wanted any more
 * (closed); the worker opens one again later (`reopenAt`); or the run must stop.
 */
export type Opened = 'opened' | 'unwanted' | 'later' | {stop: MassmailError};

export class Connections {
	readonly workers: Worker[] = [];
	private spare: SmtpSession | undefined;
	/** Openings that failed in a row (the server refused, or was not there). */
	private failures = 0;

	/**
	 * `onIdleClose`: the server closed a connection no message was in flight on (opened again when
	 * needed).
	 */
	constructor(
		private readonly sendId: string,
		private readonly target: ConnectionTarget,
		private readonly options: Pick<EngineOptions, 'deadlines' | 'reconnectDelayMs' | 'maxConnectFailures' | 'command'>,
		spare: SmtpSession | undefined,
		private readonly onIdleClose: (worker: Worker) => void,
		/** The first worker's slot: the workers of several relays are numbered on from one to the next. */
		private readonly firstSlot = 0,
	) {
		this.spare = spare;
	}

	/** Makes the run's workers, none connected yet. */
	addWorkers(count: number): void {
		for (let made = this.workers.length; made < count; made++) {
			this.workers.push({slot: this.firstSlot + made, session: undefined, opening: undefined, busy: false, behind: false, reopenAt: 0, undurable: 0, heldEnd: undefined});
		}
	}

	/**
	 * Opens a connection for `worker`: the spare at once when it is still open, else a new one.
	 * When the answer comes: a connection no longer `wanted()` is closed; one opened is attached
	 * and counted by the pacer; one refused because the server limits this client's connections
	 * lowers the pacer's limit, and the worker waits; after another failure the worker waits,
	 * unless so many failed in a row, with none open, that the server is gone; a refused login or
	 * TLS stops the run.
	 */
	open(worker: Worker, pacer: Pacer, wanted: () => boolean, done: (opened: Opened) => void): void {
		const spare = this.spare;
		if (spare) {
			this.spare = undefined;
			if (spare.open) {
				this.opened(worker, spare, pacer);
				done('opened');
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

			if (cancelled || !wanted()) {
				session?.destroy();
				done('unwanted');
			} else if (session) {
				this.opened(worker, session, pacer);
				done('opened');
			} else {
				done(this.failed(worker, failure!, pacer));
			}
		});
		if (!answered) {
			worker.opening = cancel;
		}
	}

	/** The worker sends on `session` from now on: the failures in a row are over. */
	private opened(worker: Worker, session: SmtpSession, pacer: Pacer): void {
		this.failures = 0;
		worker.session = session;
		session.onClose(() => {
			if (worker.session === session) {
				worker.session = undefined;
				if (!worker.busy) {
					this.onIdleClose(worker);
				}
			}
		});
		pacer.connectionOpened(this.openCount(), Date.now());
	}

	private failed(worker: Worker, failure: OpenFailure, pacer: Pacer): Opened {
		if (failure.kind === 'auth' || failure.kind === 'tls') {
			return {stop: failure.error};
		}

		const now = Date.now();
		const open = this.openCount();
		if (failure.kind === 'limited') {
			// "Too many connections": use the ones that work; the rest wait until the pacer tries
			// one more (when the server's window for new connections is due to end, or later and
			// later against a server that counts open ones).
			pacer.connectionRefused(now, open, failure.response);
			worker.reopenAt = pacer.connectionRetryAt(now);
			return 'later';
		}

		this.failures++;
		worker.reopenAt = now + reconnectDelay(this.options.reconnectDelayMs, this.failures);
		return this.failures >= this.options.maxConnectFailures && open === 0
			? {stop: serverLost(this.target, this.sendId, failure.response, this.failures, this.options.command)}
			: 'later';
	}

	/**
	 * Sends one message on the worker's session; `done` gets its outcome. `strict`: the final dot
	 * waits until the worker's previous acceptance is on disk (see `durable`). `stepwise`: each
	 * command waits for the last one's reply (the pacer's probe: see SmtpSession.send). `behind`:
	 * called as the final dot is written, to send the next message on this worker behind it.
	 */
	send(worker: Worker, session: SmtpSession, message: {envelope: Envelope; head: Buffer; body: Buffer}, how: {strict: boolean; stepwise: boolean; behind?: () => void}, done: (outcome: AttemptOutcome) => void): void {
		const {strict, behind} = how;
		if (worker.busy) {
			worker.behind = true;
		} else {
			worker.busy = true;
		}

		let end: (() => void) | undefined;
		const holdEnd = strict && worker.undurable > 0
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
		session.send(message.envelope, message, outcome => {
			if (end !== undefined && worker.heldEnd === end) {
				worker.heldEnd = undefined;
			}

			if (worker.session === session && !session.open) {
				worker.session = undefined;
			}

			done(outcome);
		}, {holdEnd, stepwise: how.stepwise, atDot: strict || !behind ? undefined : () => {
			// One message may go behind this one's final dot, on this session (see SmtpSession.send).
			// Not with a strict journal: each dot waits for the last acceptance to be on disk.
			if (!worker.behind && worker.session === session && session.open) {
				behind();
			}
		}});
	}

	/** A message on the worker settled: the one behind it, if any, is now the one in flight. */
	settled(worker: Worker): void {
		if (worker.behind) {
			worker.behind = false;
		} else {
			worker.busy = false;
		}
	}

	/** An acceptance on the worker in `slot` reached the disk: a final dot held for it goes now. */
	durable(slot: number): void {
		const worker = this.workers[slot - this.firstSlot];
		if (worker && --worker.undurable === 0 && worker.heldEnd) {
			const end = worker.heldEnd;
			worker.heldEnd = undefined;
			end();
		}
	}

	/** The journal cannot be written: a held message must not be completed; it is hung up on instead (its recipient stays pending). */
	hangUpHeld(reason: string): void {
		for (const worker of this.workers) {
			if (worker.heldEnd) {
				worker.heldEnd = undefined;
				worker.session?.destroy(reason);
			}
		}
	}

	/** Connections open now. */
	openCount(): number {
		let open = 0;
		for (const worker of this.workers) {
			if (worker.session?.open) {
				open++;
			}
		}

		return open;
	}

	/** Connections open or being opened. */
	inUse(): number {
		let count = 0;
		for (const worker of this.workers) {
			if (worker.session?.open || worker.opening) {
				count++;
			}
		}

		return count;
	}

	/** Workers with a message in flight. */
	busyCount(): number {
		let busy = 0;
		for (const worker of this.workers) {
			if (worker.busy) {
				busy++;
			}
		}

		return busy;
	}

	/** A worker with nothing left to send says goodbye to the server. */
	closeIdle(worker: Worker): void {
		if (worker.session) {
			worker.session.quit();
			worker.session = undefined;
		}
	}

	/** Gives up the connections being opened: none is needed any more. */
	cancelOpenings(): void {
		for (const worker of this.workers) {
			worker.opening?.();
			worker.opening = undefined;
		}
	}

	/** Closes every connection now: the messages in flight on them end as lost. */
	destroy(reason: string): void {
		for (const worker of this.workers) {
			worker.opening?.();
			worker.opening = undefined;
			worker.session?.destroy(reason);
		}
	}

	/** The end of a run: every connection says goodbye, none is being opened, the spare is closed. */
	close(): void {
		for (const worker of this.workers) {
			worker.opening?.();
			worker.opening = undefined;
			worker.session?.quit();
			worker.session = undefined;
		}

		this.spare?.destroy();
		this.spare = undefined;
	}
}
