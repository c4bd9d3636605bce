/**
 * The relays of one run: the way a sender grows past one machine is the mail system's own,
 * several outbound MTAs (`smtp.host` naming several, MASSMAIL_SMTP_URL holding several URLs).
 * Each relay has its own connections (as many as `concurrency`), its own pace learnt from what it
 * answers (a Pacer of its own), and is left when it fails; recipients come from the run's one
 * queue, so whichever relay has a free connection takes the next, and a faster relay takes more.
 * With one relay this is the run as it always was.
 */
import type {MassmailError} from '../errors.js';
import {relayName} from '../settings.js';
import type {DeliveryEvent, Limiting} from '../types.js';
import {Connections, type Worker} from './connections.js';
import type {EngineOptions} from './options.js';
import {Pacer, type Ticket} from './pacing.js';
import type {AttemptOutcome, ConnectionTarget, SmtpSession} from './transport.js';

/** A relay as a run starts it: where it is, the session its check opened, or why it was left at the check. */
export interface RelayStart {
	target: ConnectionTarget;
	firstSession?: SmtpSession;
	/** The check before the run could not reach it, or it refused the login or TLS. */
	left?: MassmailError;
}

/** One relay of a run. */
export interface Relay {
	/** `mx1.example.com:25`: in the record of each outcome it gave (when the run has several), and on screen. */
	readonly name: string;
	readonly target: ConnectionTarget;
	readonly connections: Connections;
	pacer: Pacer;
	/** Why the run left it; undefined while it is used. */
	left: MassmailError | undefined;
}

/** Tells the relay's pacer how an attempt ended. */
export function notePace(relay: Relay, worker: Worker, ticket: Ticket, outcome: AttemptOutcome, now: number): void {
	const probe = ticket.go && ticket.probe;
	if (outcome.kind === 'accepted') {
		relay.pacer.accepted(now, probe);
	} else if (outcome.kind === 'limited') {
		const ends = relay.pacer.refused(now, probe, outcome.response, worker.session?.openedAt);
		if (ends && worker.session && !worker.behind) {
			// A session keeps the settings it began with: a new one has the server's of now.
			relay.connections.closeIdle(worker);
		}

		if (!worker.session) {
			// It hung up ("too many errors"), or was left: a new connection, without waiting.
			worker.reopenAt = 0;
		}
	} else if (probe) {
		// The probe ended without telling whether the server takes more: the next one may go.
		relay.pacer.giveBack(ticket);
	}
}

/**
 * A session opened before the relay's server was seen to lift its limit may keep the old limit
 * (Postfix's smtpd keeps its settings until its client leaves, and then answers slowly): once idle
 * it ends, and a new one opens at once.
 */
export function retireStale(relay: Relay, worker: Worker): void {
	if (worker.session && worker.session.openedAt < (relay.pacer.liftedAt ?? Number.NEGATIVE_INFINITY)) {
		relay.connections.closeIdle(worker);
		worker.reopenAt = 0;
	}
}

/** The relays of a target: each of `relays`, or the target itself when it names one. */
export function relayTargets(target: ConnectionTarget): ConnectionTarget[] {
	return target.relays ?? [target];
}

/**
 * The relays of a run, their workers numbered on from one relay to the next (`workersEach` each),
 * so that an outcome's worker slot names its relay; what the run does to all of them at once.
 */
export class RunRelays {
	readonly list: Relay[];
	/** More than one: each outcome's record names its relay. */
	readonly several: boolean;

	constructor(sendId: string, starts: readonly RelayStart[], options: EngineOptions, private readonly workersEach: number, onIdleClose: (worker: Worker) => void) {
		this.several = starts.length > 1;
		this.list = starts.map((start, index) => {
			const connections = new Connections(sendId, start.target, options, start.firstSession, onIdleClose, index * workersEach);
			connections.addWorkers(workersEach);
			return {
				name: this.several ? start.target.description : relayName(start.target),
				target: start.target,
				connections,
				pacer: new Pacer(options, Date.now()),
				left: start.left,
			};
		});
	}

	/** The run starts: each relay's pace is learnt from now. */
	restartPacers(options: EngineOptions, now: number): void {
		for (const relay of this.list) {
			relay.pacer = new Pacer(options, now);
		}
	}

	/** The relays still used. */
	used(): Relay[] {
		return this.list.filter(relay => !relay.left);
	}

	/** Whether leaving `relay` would leave none. */
	isLast(relay: Relay): boolean {
		return this.list.every(other => other === relay || other.left);
	}

	/**
	 * Leaves a relay that failed: its connections failed too many times in a row with none open, or
	 * it refused the login or TLS. Nothing more is opened to it, its idle connections close, its
	 * messages in flight settle as any do (a recipient not sent goes back to the queue, one whose
	 * final dot went unanswered stays ambiguous), and the other relays take the recipients.
	 */
	leave(relay: Relay, why: MassmailError): void {
		relay.left = why;
		relay.connections.cancelOpenings();
		for (const worker of relay.connections.workers) {
			if (!worker.busy) {
				relay.connections.closeIdle(worker);
			}
		}
	}

	/** What the run's listeners are told when it left `relay`, with `remaining` recipients not done. */
	leftEvent(relay: Relay, remaining: number): DeliveryEvent {
		return {type: 'relay-left', relay: relay.name, reason: relay.left?.message ?? '', remaining, relays: this.used().map(other => other.name)};
	}

	/** An acceptance on the worker in `slot` reached the disk (Connections.durable). */
	durable(slot: number): void {
		this.list[Math.floor(slot / this.workersEach)]?.connections.durable(slot);
	}

	/** Each used relay's pacer may try another connection: true when one may. */
	recoverConnections(now: number): boolean {
		let recovered = false;
		for (const relay of this.list) {
			recovered = (!relay.left && relay.pacer.recoverConnections(now)) || recovered;
		}

		return recovered;
	}

	/**
	 * How the servers limit the run, for people: one relay's as it says it; several relays' summed
	 * (connections, and the pace while every limiting relay's is known), the window only when one
	 * relay limits.
	 */
	limiting(now: number): Limiting | undefined {
		let merged: Limiting | undefined;
		let count = 0;
		for (const relay of this.list) {
			const limiting = relay.left ? undefined : relay.pacer.limiting(now);
			if (!limiting) {
				continue;
			}

			count++;
			merged = merged === undefined ? limiting : {
				connections: merged.connections + limiting.connections,
				perMinute: merged.perMinute === null || limiting.perMinute === null ? null : merged.perMinute + limiting.perMinute,
				holding: merged.holding && limiting.holding,
				...(merged.reply ?? limiting.reply ? {reply: merged.reply ?? limiting.reply} : {}),
			};
		}

		if (merged && count > 1) {
			delete merged.window;
		}

		return merged;
	}

	/** Workers with a message in flight, over every relay. */
	busyCount(): number {
		let busy = 0;
		for (const relay of this.list) {
			busy += relay.connections.busyCount();
		}

		return busy;
	}

	/** Connections.cancelOpenings, hangUpHeld, destroy or close, on every relay. */
	each(action: 'cancelOpenings' | 'close'): void;
	each(action: 'hangUpHeld' | 'destroy', reason: string): void;
	each(action: 'cancelOpenings' | 'close' | 'hangUpHeld' | 'destroy', reason = ''): void {
		for (const {connections} of this.list) {
			connections[action](reason);
		}
	}
}
