/**
 * What a run reports: the counts of outcomes that are on disk (and only those), the rate over
 * the last few seconds, the ETA.
 */
import type {OutcomeLine} from '../journal.js';
import type {DeliveryProgress} from '../types.js';
import type {Limiting} from './pacing.js';

export class ProgressMeter {
	sent = 0;
	failed = 0;
	deferred = 0;
	startedAt = 0;
	private readonly total: number;
	/** 1 while a recipient's last durable outcome is "deferred". */
	private readonly deferredFlag: Uint8Array;
	private readonly samples: Array<{at: number; done: number}> = [];

	constructor(total: number, recipients: number) {
		this.total = total;
		this.deferredFlag = new Uint8Array(recipients);
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

	/** Remembers where the run stands, for the rate over the last few seconds. */
	sample(now: number): void {
		this.samples.push({at: now, done: this.sent + this.failed});
		while (this.samples.length > 0 && now - this.samples[0].at > 6000) {
			this.samples.shift();
		}
	}

	snapshot(now: number, limiting: Limiting | undefined): DeliveryProgress {
		const elapsedMs = this.startedAt === 0 ? 0 : now - this.startedAt;
		const done = this.sent + this.failed;
		const remaining = Math.max(0, this.total - done);
		let rate = 0;
		const oldest = this.samples.find(sample => now - sample.at <= 5000) ?? this.samples[0];
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
			...(limiting ? {limiting} : {}),
		};
	}
}
