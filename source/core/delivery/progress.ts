/**
 * What a run reports: the counts of outcomes that are on disk (and only those), the rate over
 * a moving window, the ETA. Pure: every method takes the time, so the tests drive it with a
 * clock of their own.
 *
 * The window is a minute (or the run so far, when shorter) because a limiting server lets mail
 * through in bursts: Postfix's anvil takes a window's worth at once, then defers everything for
 * up to its time unit (60 s by default). A rate over the last few seconds read 0.0 between the
 * bursts, and its ETA was unknown, while the send was going at a steady pace.
 */
import type {OutcomeLine} from '../journal.js';
import type {DeliveryProgress, Limiting} from '../types.js';

/** The rate is measured over this much of the recent past (or the whole run, when shorter). */
export const rateWindowMs = 60_000;
/** Less than this measured, and there is no rate yet. */
export const minimumRateSpanMs = 200;
/** Samples are kept at least this far apart: a minute of them is about 60. */
const sampleSpacingMs = 1000;

export interface Estimate {
	etaMs: number | null;
	etaFrom?: 'rate' | 'pace';
}

/**
 * How long the rest will take: from the window a limiting server allows, once learnt (so many
 * messages per window: the rest needs that many more windows, the first of them beginning when
 * the server's next one does); else from the pace learnt, while the rate is not yet measured
 * over a whole window; else from the measured rate. While the server holds the send and its
 * window is not known yet, the rate so far is the server's first burst, which says nothing of
 * what follows: no ETA.
 *
 * @example
 * estimate({remaining: 67, rate: 3, spanMs: 10_000, limiting: {connections: 2, perMinute: 99, holding: true, window: {messages: 33, ms: 20_000, nextInMs: 5000}}})
 * // {etaMs: 45_000, etaFrom: 'pace'}: 33 in 5 s, 33 in 25 s, the last in 45 s
 */
export function estimate(input: {remaining: number; rate: number; spanMs: number; limiting?: Limiting}): Estimate {
	const {remaining, rate, spanMs, limiting} = input;
	if (remaining === 0) {
		return {etaMs: 0};
	}

	const window = limiting?.window;
	if (window && window.messages > 0) {
		const windows = Math.ceil(remaining / window.messages) - 1;
		return {etaMs: Math.round(window.nextInMs + (windows * window.ms)), etaFrom: 'pace'};
	}

	const windowFull = spanMs >= rateWindowMs;
	const pace = limiting?.perMinute ?? null;
	if (!windowFull && pace !== null && pace > 0) {
		return {etaMs: Math.round((remaining * 60_000) / pace), etaFrom: 'pace'};
	}

	if (!windowFull && limiting?.holding && pace === null) {
		return {etaMs: null};
	}

	if (rate > 0 && spanMs >= minimumRateSpanMs) {
		return {etaMs: Math.round((remaining * 1000) / rate), etaFrom: 'rate'};
	}

	return {etaMs: null};
}

export class ProgressMeter {
	sent = 0;
	failed = 0;
	deferred = 0;
	startedAt = 0;
	private readonly total: number;
	/** 1 while a recipient's last durable outcome is "deferred". */
	private readonly deferredFlag: Uint8Array;
	/** Where the run stood, oldest first, about a second apart; the first one is at or before the window's start. */
	private readonly samples: Array<{at: number; done: number}> = [];
	/** Messages a second the run's own pace (--rate, each relay's) lets through at most; 0: none. */
	private readonly ceiling: number;

	constructor(total: number, recipients: number, ceiling = 0) {
		this.total = total;
		this.deferredFlag = new Uint8Array(recipients);
		this.ceiling = ceiling;
	}

	/** Counts an outcome that reached the disk. */
	count(outcome: OutcomeLine): void {
		if (this.deferredFlag[outcome.index] === 1) {
			this.deferredFlag[outcome.index] = 0;
			this.deferred--;
		}

		if (outcome.code === 'S') {
			this.sent++;
		} else if (outcome.code === 'F') {
			this.failed++;
		} else {
			this.deferredFlag[outcome.index] = 1;
			this.deferred++;
		}
	}

	/** Remembers where the run stands, for the rate over the window. Cheap: call it as often as you like. */
	sample(now: number): void {
		const last = this.samples.at(-1);
		if (last && now - last.at < sampleSpacingMs) {
			return;
		}

		this.samples.push({at: now, done: this.sent + this.failed});
		// Keep one sample at or before the window's start: the rate is measured from it.
		while (this.samples.length > 1 && now - this.samples[1].at >= rateWindowMs) {
			this.samples.shift();
		}
	}

	snapshot(now: number, limiting: Limiting | undefined): DeliveryProgress {
		const elapsedMs = this.startedAt === 0 ? 0 : now - this.startedAt;
		const done = this.sent + this.failed;
		const remaining = Math.max(0, this.total - done);
		// From the newest sample at or before the window's start, or from the start of the run.
		let from = {at: this.startedAt, done: 0};
		for (const sample of this.samples) {
			if (now - sample.at < rateWindowMs) {
				break;
			}

			from = sample;
		}

		const spanMs = this.startedAt === 0 ? 0 : now - from.at;
		const measured = spanMs >= minimumRateSpanMs ? ((done - from.done) * 1000) / spanMs : 0;
		// n messages paced at r take (n - 1) / r: early in a run, n over the span reads above
		// --rate (2/s showed 4.0/s after half a second), which the pacer never lets through.
		const rate = this.ceiling > 0 ? Math.min(measured, this.ceiling) : measured;
		const {etaMs, etaFrom} = estimate({remaining, rate, spanMs, limiting});
		return {
			total: this.total,
			sent: this.sent,
			failed: this.failed,
			deferred: this.deferred,
			remaining,
			rate,
			elapsedMs,
			etaMs,
			...(etaFrom ? {etaFrom} : {}),
			...(limiting ? {limiting} : {}),
		};
	}
}
