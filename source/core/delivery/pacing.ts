/**
 * The pace of a send: how many connections, and how fast messages may start. It begins at the
 * settings (concurrency, `delivery.rate`) and adapts to what the server does when it limits
 * this client, the way Postfix's anvil, Exim's ratelimit and the big providers do: so many
 * messages (or new connections) per window of time, the window beginning with the first one.
 *
 * Messages ("too much mail", 450 4.7.1 and the like) — the window is learnt, not probed for:
 * - Until the server first refuses, messages go as fast as the connections carry them. The
 *   window began with the first message.
 * - At the first refusal, the send holds, and one message at a time (a probe) asks whether a
 *   new window has begun, just after the usual windows (1, 2, 3, … 15, 20, 30 s, a minute, …)
 *   would end on a clock of whole seconds: a round window is met to a second, another
 *   overshot once by a quarter at most, and a 20 s one costs 11 replies, not 20.
 * - The probe accepted ends the window (its length: from its first message to the probe), and
 *   the server's allowance is what it accepted in it; the probe opened the next window.
 * - From then on, each window's allowance goes at once, and the send holds until the window
 *   is due to end: a probe goes then; refused (the server's clock ticks in whole seconds),
 *   another 250 ms later, then 500 ms, 1 s, … and the window ended between the last two.
 *   Accepted at the first try, the next window is tried 250 ms earlier.
 * - While it holds, one message asks whether the server takes more: in a window of 10 s or more
 *   right after the allowance, then every eighth of the time the send has run (a sixth of a
 *   window at least, half at most: a lift costs an eighth more time at most); in a shorter one
 *   half way. Refused, its session ends, so that a new one asks next; accepted, messages go at
 *   full speed until it refuses, older sessions closed. No connection opens while it holds (one
 *   the server closes stays closed) until the probe is due.
 *
 * Connections ("too many connections", 421 at the greeting): one at first, one more as each
 * opens, until the server refuses one; then as many as are open (one at least). One more is
 * tried, while messages go, just after the usual windows would end (2, 3, 4, 6, 11, 16, 21, 31 s,
 * …, then every minute): a server that counts connections refuses it, one that limits new
 * connections per window takes it once its window has ended — then that window is known, and
 * the next one is tried as soon as the server allows new ones again. A lifted message limit
 * starts the growth again.
 *
 * Pure: every method takes the time, so the tests drive it with a clock of their own (`limiting`
 * reads the clock when given none: the engine's progress asks it without one).
 */

export interface PacingOptions {
	/** Connections at most (the setting). */
	concurrency: number;
	/** Messages a second at most (the setting); 0: no limit of ours. */
	rate: number;
}

import type {Limiting} from '../types.js';
import {likelyConnectionWindowsS, likelyEnd, likelyWindowsS} from './likely-windows.js';
import {oneLine} from './limiting-words.js';
export type {Limiting} from '../types.js';

/** A message may start now (`probe`: the one message sent to see whether the server takes more). */
export type Ticket = {go: true; probe: boolean} | {go: false; waitMs: number};

const minimumHoldMs = 1000;
const maximumHoldMs = 30_000;
/** Connections are tried every minute after the likely windows. */
const connectionTryEveryMs = 60_000;
/**
 * From this long a window, the send asks right after the allowance and then every
 * `checkShareOfRun` of the time it has run; in a shorter one the end comes soon anyway, and the
 * replies would cost more than they save (a 1 s window asked every second): it asks half way.
 */
const checkAtAllowanceFromMs = 10_000;
const checkShareOfRun = 1 / 8;
/** A refused probe at a known window's end is followed by another this much later. */
const resetStepMs = 250;
/** How long the most connections open at once is remembered, against a server's late count. */
const peakMemoryMs = 60_000;

export class Pacer {
	/** Connections the server allows, as far as the send knows. */
	private allowed: number;
	/** True once the server limited this run in any way. */
	limited = false;

	private readonly options: PacingOptions;
	private readonly startedAt: number;
	/** Our own rate (the setting), messages a second; Infinity when none. */
	private readonly ownRate: number;
	private tokens = 1;
	private tokensAt: number;

	/** When the server's current window began: the taking of its first message. */
	private windowStart: number;
	/** Messages started in the current window (not given back). */
	private takenInWindow = 0;
	private acceptedInWindow = 0;
	/** What the server accepted in its last full window; undefined while not known (or lifted). */
	private perWindow: number | undefined;
	/** The length of the server's window, once learnt. */
	private windowMs: number | undefined;
	private holding = false;
	private holdUntil = 0;
	/** The hold's time is up: a connection may be opened for the probe. */
	private probeDue = false;
	/** What the probe at the end of the hold asks: whether a new window began, or whether the server takes more in this one. */
	private holdFor: 'reset' | 'check' = 'reset';
	/** The one probe in flight: `reset` asks whether a new window began, `check` whether the server takes more than its allowance. */
	private probe: {takenAt: number; kind: 'reset' | 'check'} | undefined;
	/** When the last check the server accepted (it had lifted or raised its limit) was taken. */
	liftedAt: number | undefined;
	/** When the last refused `reset` probe of this hold was taken, and how many were refused. */
	private refusedProbeAt: number | undefined;
	private refusedProbes = 0;

	/** When the server first refused a connection in the current run of refusals; undefined when none. */
	private connectionRefusedSince: number | undefined;
	/** When one more connection may be tried. */
	private nextConnectionAt = Number.POSITIVE_INFINITY;
	/** When the server's connection window began (the first connection opened in it). */
	private connectionWindowStart: number;
	/** The length of the server's window for new connections, once one was seen to end. */
	private connectionWindowMs: number | undefined;
	/** The limit was raised to try one more connection, and it is being opened. */
	private tryingConnection = false;
	private tryingSince = 0;
	/** One more connection as each opens: at the start, and again once the server lifts its limit, until it refuses one. */
	private growing = true;
	/** The limit rose as a connection opened: `recoverConnections` says so at its next call. */
	private connectionsRose = false;
	private peakOpen = 0;
	private peakAt = Number.NEGATIVE_INFINITY;
	/** The server's last limiting reply, for display. */
	private reply: string | undefined;

	/**
	 * Connections the send may open now: none while the server holds the messages until the probe
	 * is due (a new one would only idle; the probe's finds the server's settings of then).
	 */
	get connectionLimit(): number {
		return this.holding && !this.probeDue ? 0 : this.allowed;
	}

	constructor(options: PacingOptions, now: number) {
		this.options = options;
		// One connection first, one more as each opens (until the server refuses one): a server
		// that counts connections then refuses one, not every connection past its count at once.
		this.allowed = 1;
		this.ownRate = options.rate > 0 ? options.rate : Number.POSITIVE_INFINITY;
		this.startedAt = now;
		this.tokensAt = now;
		this.windowStart = now;
		this.connectionWindowStart = now;
	}

	/** May a message start now? A `go` ticket has used its turn. */
	take(now: number): Ticket {
		if (this.probe) {
			// One message asks the server; the others wait for its answer.
			return {go: false, waitMs: Number.POSITIVE_INFINITY};
		}

		if (this.holding) {
			if (now < this.holdUntil) {
				return {go: false, waitMs: this.holdUntil - now};
			}

			this.probeDue = true;

			this.probe = {takenAt: now, kind: this.holdFor};
			return {go: true, probe: true};
		}

		if (this.ownRate !== Number.POSITIVE_INFINITY) {
			// One message may go at once; a burst of at most 1/20 s worth of messages after that.
			const capacity = Math.max(1, this.ownRate / 20);
			this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAt) * this.ownRate) / 1000);
			this.tokensAt = now;
			if (this.tokens < 1) {
				return {go: false, waitMs: Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ownRate))};
			}

			this.tokens -= 1;
		}

		if (this.takenInWindow === 0 && this.acceptedInWindow === 0 && this.windowMs === undefined) {
			// Nothing went yet: the server's window begins with this message.
			this.windowStart = now;
		} else if (this.windowMs !== undefined && now >= this.windowStart + this.windowMs) {
			// The server's window ended while messages went on (its limit was lifted, or ours is
			// slower): the next one begins with this message.
			this.windowStart = now;
			this.takenInWindow = 0;
			this.acceptedInWindow = 0;
		}

		this.takenInWindow++;
		if (this.perWindow !== undefined && this.takenInWindow >= this.perWindow) {
			this.holdForAllowance(now);
		}

		return {go: true, probe: false};
	}

	/** A ticket that was not used after all (no connection, the run stopping). */
	giveBack(ticket: Ticket): void {
		if (!ticket.go) {
			return;
		}

		if (ticket.probe) {
			this.probe = undefined;
		} else {
			this.takenInWindow = Math.max(0, this.takenInWindow - 1);
		}

		if (this.ownRate !== Number.POSITIVE_INFINITY) {
			this.tokens += 1;
		}
	}

	/** The server accepted a message. */
	accepted(now: number, probe: boolean): void {
		const asked = probe ? this.probe : undefined;
		if (asked?.kind === 'reset') {
			// A new window began between the last refused probe and this one.
			this.learnWindow(asked.takenAt);
			this.perWindow = Math.max(1, this.acceptedInWindow);
			this.holding = false;
			this.probe = undefined;
			this.refusedProbeAt = undefined;
			this.refusedProbes = 0;
			this.windowStart = asked.takenAt;
			this.takenInWindow = 1;
			this.acceptedInWindow = 1;
			if (this.takenInWindow >= this.perWindow) {
				this.holdForAllowance(asked.takenAt);
			}

			return;
		}

		if (asked?.kind === 'check') {
			// More than the window's allowance was taken: the server's limit was lifted or raised.
			// Messages go as fast as they can until it refuses again, and as its connection limit
			// may have gone with it, connections grow again as at the start, one more as each opens.
			this.probe = undefined;
			this.liftedAt = asked.takenAt;
			this.perWindow = undefined;
			this.holding = false;
			this.connectionRefusedSince = undefined;
			this.connectionWindowMs = undefined;
			this.nextConnectionAt = Number.POSITIVE_INFINITY;
			this.growing = true;
			this.raiseConnectionLimit(this.allowed + 1);
		}

		this.acceptedInWindow++;
	}

	/**
	 * The server deferred a message because it limits this client; `reply`: its words. True when
	 * its session should end: a session keeps the settings it began with (Postfix's smtpd until its
	 * client leaves, so a limit lifted by `postfix reload` is seen by new ones only). So a refused
	 * check's session ends, for the next to ask a new one (not when the server limits new
	 * connections per window: each would use one); one opened before a lift ends, not holding.
	 */
	refused(now: number, probe: boolean, reply?: string, sessionOpenedAt = Number.NEGATIVE_INFINITY): boolean {
		this.limited = true;
		this.remember(reply);
		if (!probe && sessionOpenedAt < (this.liftedAt ?? Number.NEGATIVE_INFINITY)) {
			return true;
		}

		const asked = probe ? this.probe : undefined;
		this.probe = asked ? undefined : this.probe;
		if (asked?.kind === 'reset') {
			// The window has not ended yet.
			this.refusedProbeAt = asked.takenAt;
			this.refusedProbes++;
			this.holdUntil = this.nextProbeAt(now);
			this.probeDue = false;
			return false;
		}

		if (asked?.kind === 'check' && this.windowMs! >= checkAtAllowanceFromMs) {
			// The server still limits: in a long window it is asked again a while later.
			const gap = Math.min(this.windowMs! / 2, Math.max(this.windowMs! / 6, (now - this.startedAt) * checkShareOfRun));
			this.holdForCheck(now, now + gap);
			return this.connectionWindowMs === undefined;
		}

		if (!probe && this.liftedAt !== undefined && this.perWindow === undefined) {
			// Since the lift, on a session it may not have reached (Postfix hands a connection to an
			// smtpd of before its reload): asked again at once, on a new session; the others in
			// flight do not change the question.
			if (!this.holding) {
				this.holdForAllowance(now);
			}

			return this.connectionWindowMs === undefined;
		}

		if (!this.holding || asked?.kind === 'check' || this.holdFor === 'check') {
			// Until the window is due to end; the first time, until the first probe.
			this.hold('reset', this.windowMs === undefined ? this.likelyEndAfter(now) : Math.max(now, this.windowStart + this.windowMs));
		}

		return asked?.kind === 'check' && this.connectionWindowMs === undefined;
	}

	/**
	 * The allowance has gone: in a long window one message asks at once whether the server takes
	 * more, in a short one half way through the window (not the wait: a first message answered late
	 * shortens the wait, and a lift is still met within half a window).
	 */
	private holdForAllowance(now: number): void {
		const long = this.windowMs! >= checkAtAllowanceFromMs;
		this.holdForCheck(now, long ? now : Math.max(now, this.windowStart + (this.windowMs! / 2)));
	}

	/** Hold until `checkAt` for a check, or to the window's end when that is too near for one. */
	private holdForCheck(now: number, checkAt: number): void {
		const end = this.windowStart + this.windowMs!;
		if (end - now >= 2 * minimumHoldMs && end - checkAt >= minimumHoldMs) {
			this.hold('check', checkAt);
		} else {
			this.hold('reset', Math.max(now, end));
		}
	}

	private hold(holdFor: 'reset' | 'check', until: number): void {
		this.holding = true;
		this.probeDue = false;
		this.holdFor = holdFor;
		this.holdUntil = until;
		this.refusedProbeAt = undefined;
		this.refusedProbes = 0;
	}

	/** The server turned a new connection away ("too many connections"); `open`: sessions open now. */
	connectionRefused(now: number, open: number, reply?: string): void {
		this.limited = true;
		this.growing = false;
		this.connectionsRose = false;
		this.remember(reply);
		// As many as worked lately: a server notices a closed connection a moment late, so a new
		// one refused right after an old one closed (or the server hung up) does not mean it
		// allows fewer.
		const recentPeak = now - this.peakAt <= peakMemoryMs ? this.peakOpen : 0;
		if (open >= recentPeak) {
			this.peakOpen = open;
			this.peakAt = now;
		}

		this.allowed = Math.max(1, Math.min(this.allowed, Math.max(open, recentPeak)));
		this.tryingConnection = false;
		this.connectionRefusedSince ??= now;
		if (this.connectionWindowMs !== undefined && now < this.connectionWindowStart + this.connectionWindowMs) {
			// The server allows new connections again when its window ends.
			this.nextConnectionAt = this.connectionWindowStart + this.connectionWindowMs;
		} else {
			this.nextConnectionAt = likelyEnd(this.connectionWindowStart, now, likelyConnectionWindowsS, connectionTryEveryMs);
		}
	}

	/** A connection opened: as many as are open now evidently work (up to the setting). */
	connectionOpened(open: number, now: number): void {
		if (this.connectionRefusedSince !== undefined && this.tryingConnection) {
			// Refused before, taken now with no fewer open: the server's window for new connections
			// ended. The next one may be tried at once (the new window may allow several).
			this.connectionWindowMs ??= Math.max(minimumHoldMs, now - this.connectionWindowStart);
			this.connectionWindowStart = now;
			this.connectionRefusedSince = undefined;
			this.nextConnectionAt = now;
		}

		this.tryingConnection = false;
		this.allowed = Math.min(this.options.concurrency, Math.max(this.allowed, open));
		if (open >= this.peakOpen || now - this.peakAt > peakMemoryMs) {
			this.peakOpen = open;
			this.peakAt = now;
		}

		if (this.growing) {
			this.raiseConnectionLimit(open + 1);
		}
	}

	private raiseConnectionLimit(limit: number): void {
		const raised = Math.min(this.options.concurrency, Math.max(this.allowed, limit));
		this.connectionsRose ||= raised > this.allowed;
		this.allowed = raised;
	}

	/** When the time has come, one more connection may be tried (up to the setting). Returns true when the limit rose. */
	recoverConnections(now: number): boolean {
		if (this.tryingConnection && now - this.tryingSince > maximumHoldMs) {
			// The connection tried failed otherwise (the network), or was never opened: try again.
			this.tryingConnection = false;
			this.allowed = Math.max(1, this.allowed - 1);
			this.nextConnectionAt = now;
		}

		if (this.connectionsRose) {
			// One more as the last opened: the engine opens it.
			this.connectionsRose = false;
			return true;
		}

		if (this.holding && !this.probeDue && now >= this.holdUntil) {
			// The probe is due: a connection may be opened for it, should none be open.
			this.probeDue = true;
			return true;
		}

		// While the server holds the messages, another connection would carry nothing: it is tried
		// when messages go again.
		if (this.allowed >= this.options.concurrency || this.tryingConnection || now < this.nextConnectionAt || this.holding) {
			return false;
		}

		this.allowed++;
		this.tryingConnection = true;
		this.tryingSince = now;
		this.nextConnectionAt = Number.POSITIVE_INFINITY;
		return true;
	}

	/** When a connection the server refused may be opened again. */
	connectionRetryAt(now: number): number {
		return Number.isFinite(this.nextConnectionAt) ? this.nextConnectionAt : now + minimumHoldMs;
	}

	/** For display: undefined while the server has not limited this run. */
	limiting(now = Date.now()): Limiting | undefined {
		if (!this.limited) {
			return undefined;
		}

		const known = this.windowMs !== undefined && this.perWindow !== undefined;
		return {
			connections: this.allowed,
			perMinute: known ? (this.perWindow! * 60_000) / this.windowMs! : null,
			holding: this.holding,
			...(known ? {window: {messages: this.perWindow!, ms: Math.round(this.windowMs!), nextInMs: this.nextWindowInMs(now)}} : {}),
			...(this.reply ? {reply: this.reply} : {}),
		};
	}

	/** How long until the server's next window begins: 0 while the current one still takes messages. */
	private nextWindowInMs(now: number): number {
		if (!this.holding) {
			return 0;
		}

		return Math.max(0, Math.round(this.windowStart + this.windowMs! - now));
	}

	/** A probe taken at `acceptedAt` opened a new window: how long was the last one? */
	private learnWindow(acceptedAt: number): void {
		const length = acceptedAt - this.windowStart;
		const refusedAt = this.refusedProbeAt === undefined ? undefined : this.refusedProbeAt - this.windowStart;
		if (this.windowMs === undefined) {
			// It ended just before this probe: probes go just after the ends of the usual windows,
			// seconds apart, so the middle of the two would be seconds short.
			this.windowMs = length;
		} else if (refusedAt === undefined) {
			// Accepted at the first try: it may end earlier still; try a step earlier next time.
			this.windowMs = Math.max(resetStepMs, length - resetStepMs);
		} else {
			// Refused a moment before: it ended between the two.
			this.windowMs = (refusedAt + length) / 2;
		}
	}

	/** After a refused probe, when the next one goes. */
	private nextProbeAt(now: number): number {
		const sinceStart = now - this.windowStart;
		if (this.windowMs !== undefined && sinceStart < (this.windowMs * 1.5) + minimumHoldMs) {
			// Near the end of a known window: 250 ms, then twice as long after each refusal, so a
			// window learnt a few seconds short costs a few replies, not one every 250 ms.
			return now + Math.min(maximumHoldMs, resetStepMs * (2 ** Math.max(0, this.refusedProbes - 1)));
		}

		return this.likelyEndAfter(now);
	}

	/** While the window is not known: just after the next of the usual windows would end. */
	private likelyEndAfter(now: number): number {
		return likelyEnd(this.windowStart, now, likelyWindowsS, maximumHoldMs);
	}

	private remember(reply: string | undefined): void {
		const line = reply === undefined ? '' : oneLine(reply);
		if (line) {
			this.reply = line;
		}
	}
}
