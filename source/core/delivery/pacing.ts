/**
 * The pace of a send: how many connections, and how fast messages may start. It begins at the
 * settings (concurrency, `delivery.rate`) and adapts when the server says it is limiting this
 * client, the way Postfix's anvil, Exim's ratelimit and the big providers do:
 *
 * - "too many connections" (421 at the greeting): use as many connections as are open now
 *   (one at least), and try one more after a quiet minute.
 * - "too much mail" (450 4.7.1 and the like): hold. One probe message goes after 1 s, then
 *   after a quarter of the time since the current window began (1 s to 30 s). When a probe is
 *   accepted, the server has opened a new window (it ended between the last refusal and this
 *   acceptance): the pace becomes what it allowed over the last one (messages accepted / its
 *   length), a multiplicative back-off from the pace that ran into the limit, with a window's
 *   worth allowed at once (the server just opened a new window), as a token bucket. After each quiet period as long as that window, the pace rises by 10%: slowly.
 *
 * Pure: every method takes the time, so the tests drive it with a clock of their own.
 */

export interface PacingOptions {
	/** Connections at most (the setting). */
	concurrency: number;
	/** Messages a second at most (the setting); 0: no limit of ours. */
	rate: number;
}

import type {Limiting} from '../types.js';

export type {Limiting} from '../types.js';

/** A message may start now (`probe`: the one message sent to see whether the server takes more). */
export type Ticket = {go: true; probe: boolean} | {go: false; waitMs: number};

const minimumHoldMs = 1000;
const maximumHoldMs = 30_000;
const connectionRecoveryMs = 60_000;
const recoveryStep = 1.1;
/** How long the most connections open at once is remembered, against a server's late count. */
const peakMemoryMs = 10_000;

export class Pacer {
	/** Connections the send may use now. */
	connectionLimit: number;
	/** True once the server limited this run in any way. */
	limited = false;

	private readonly options: PacingOptions;
	/** Messages a second; Infinity when neither the settings nor the server set one. */
	private pace: number;
	private tokens: number;
	/** Messages that may go at once: a window's worth once the server's window is known. */
	private burst: number | undefined;
	private tokensAt: number;
	private holding = false;
	private probing = false;
	private holdUntil = 0;
	private windowStart: number;
	private acceptedInWindow = 0;
	/** The length of the last window the server allowed, once one was seen. */
	private windowMs: number | undefined;
	private raisedAt = 0;
	private lastRefusal = 0;
	private lastConnectionRefusal = 0;
	private peakOpen = 0;
	private peakAt = Number.NEGATIVE_INFINITY;
	/** The server's last limiting reply, for display. */
	private reply: string | undefined;

	constructor(options: PacingOptions, now: number) {
		this.options = options;
		this.connectionLimit = Math.max(1, options.concurrency);
		this.pace = options.rate > 0 ? options.rate : Number.POSITIVE_INFINITY;
		// One message may go at once; a burst of at most 1/20 s worth of messages after that.
		this.tokens = 1;
		this.tokensAt = now;
		this.windowStart = now;
	}

	/** May a message start now? A `go` ticket has used its turn. */
	take(now: number): Ticket {
		if (this.holding) {
			if (this.probing) {
				return {go: false, waitMs: Number.POSITIVE_INFINITY};
			}

			if (now < this.holdUntil) {
				return {go: false, waitMs: this.holdUntil - now};
			}

			this.probing = true;
			return {go: true, probe: true};
		}

		if (this.pace === Number.POSITIVE_INFINITY) {
			return {go: true, probe: false};
		}

		const capacity = this.burst ?? Math.max(1, this.pace / 20);
		this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAt) * this.pace) / 1000);
		this.tokensAt = now;
		if (this.tokens >= 1) {
			this.tokens -= 1;
			return {go: true, probe: false};
		}

		return {go: false, waitMs: Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.pace))};
	}

	/** A ticket that was not used after all (no connection, the run stopping). */
	giveBack(ticket: Ticket): void {
		if (!ticket.go) {
			return;
		}

		if (ticket.probe) {
			this.probing = false;
		} else if (this.pace !== Number.POSITIVE_INFINITY) {
			this.tokens += 1;
		}
	}

	/** The server accepted a message. */
	accepted(now: number, probe: boolean): void {
		if (this.holding && probe) {
			// A new window: the server allowed what was accepted since the last one began.
			this.holding = false;
			this.probing = false;
			// The window ended between the last refusal and this acceptance: take the middle.
			const windowMs = Math.max(1, ((this.lastRefusal + now) / 2) - this.windowStart);
			this.windowMs = windowMs;
			const allowed = (this.acceptedInWindow * 1000) / windowMs;
			const cap = this.options.rate > 0 ? this.options.rate : Number.POSITIVE_INFINITY;
			this.pace = Math.min(cap, Math.max(allowed, 1 / 3600));
			// The server has just opened a new window of as many messages as the last one took: they
			// may go at once, and the bucket refills at the pace (a window's worth per window).
			this.burst = Math.max(1, this.acceptedInWindow);
			this.tokens = this.burst - 1;
			this.tokensAt = now;
			this.raisedAt = now;
			this.windowStart = now;
			this.acceptedInWindow = 1;
			return;
		}

		this.acceptedInWindow++;
		const cap = this.options.rate > 0 ? this.options.rate : Number.POSITIVE_INFINITY;
		if (!this.holding && this.windowMs !== undefined && this.pace < cap && now - this.raisedAt >= Math.max(10_000, this.windowMs)) {
			this.pace = Math.min(cap, this.pace * recoveryStep);
			this.raisedAt = now;
		}
	}

	/** The server deferred a message because it limits this client; `reply`: its words. */
	refused(now: number, probe: boolean, reply?: string): void {
		this.limited = true;
		this.lastRefusal = now;
		this.remember(reply);
		if (!this.holding) {
			this.holding = true;
			this.probing = false;
			this.holdUntil = now + minimumHoldMs;
			return;
		}

		if (probe) {
			this.probing = false;
			const step = Math.min(maximumHoldMs, Math.max(minimumHoldMs, (now - this.windowStart) / 4));
			this.holdUntil = now + step;
		}
	}

	/** The server turned a new connection away ("too many connections"); `open`: sessions open now. */
	connectionRefused(now: number, open: number, reply?: string): void {
		this.limited = true;
		this.lastConnectionRefusal = now;
		this.remember(reply);
		// As many as worked lately: a server notices a closed connection a moment late, so a new
		// one refused right after an old one closed does not mean it allows fewer.
		const recentPeak = now - this.peakAt <= peakMemoryMs ? this.peakOpen : 0;
		this.connectionLimit = Math.max(1, Math.min(this.connectionLimit, Math.max(open, recentPeak)));
	}

	/** A connection opened: as many as are open now evidently work (up to the setting). */
	connectionOpened(open: number, now: number): void {
		this.connectionLimit = Math.min(this.options.concurrency, Math.max(this.connectionLimit, open));
		if (open >= this.peakOpen || now - this.peakAt > peakMemoryMs) {
			this.peakOpen = open;
			this.peakAt = now;
		}
	}

	/** After a quiet minute, one more connection may be tried (up to the setting). Returns true when it rose. */
	recoverConnections(now: number): boolean {
		if (this.connectionLimit >= this.options.concurrency || now - this.lastConnectionRefusal < connectionRecoveryMs) {
			return false;
		}

		this.connectionLimit++;
		this.lastConnectionRefusal = now;
		return true;
	}

	/** For display: undefined while the server has not limited this run. */
	limiting(): Limiting | undefined {
		if (!this.limited) {
			return undefined;
		}

		return {
			connections: this.connectionLimit,
			perMinute: this.windowMs !== undefined && this.pace !== Number.POSITIVE_INFINITY ? this.pace * 60 : null,
			holding: this.holding,
			...(this.reply ? {reply: this.reply} : {}),
		};
	}

	private remember(reply: string | undefined): void {
		const line = reply === undefined ? '' : oneLine(reply);
		if (line) {
			this.reply = line;
		}
	}
}

/**
 * A text as it enters a record of ours to be matched or kept short (a delivery report's field,
 * the server's last limiting words): one line of at most 300 characters, terminal escape
 * sequences dropped, control and direction characters and runs of blanks made one space.
 * This cleans a value where it enters; what shows a text from outside makes its control
 * characters visible with `printable` (core/format.ts) instead.
 */
export function oneLine(reply: string): string {
	return reply.replaceAll(/\u001B\[[\d;?]*[ -/]*[@-~]/g, '').replaceAll(/[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\s]+/g, ' ').trim().slice(0, 300);
}

/** A learned pace as people read it: `~84/min`, `~2.5/min`, `~30/h`. */
export function formatPace(perMinute: number): string {
	return perMinute >= 10 ? `~${Math.round(perMinute)}/min` : perMinute >= 1 ? `~${perMinute.toFixed(1)}/min` : `~${Math.round(perMinute * 60)}/h`;
}

/** `server is limiting: 2 connections, ~30/min` */
export function describeLimiting(limiting: Limiting): string {
	const connections = `${limiting.connections} connection${limiting.connections === 1 ? '' : 's'}`;
	if (limiting.perMinute === null) {
		return `server is limiting: ${connections}${limiting.holding ? ', waiting until it takes more' : ''}`;
	}

	const pace = formatPace(limiting.perMinute);
	return `server is limiting: ${connections}, ${pace}${limiting.holding ? ', waiting until it takes more' : ''}`;
}
