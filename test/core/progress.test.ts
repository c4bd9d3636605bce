/**
 * The rate and ETA a run reports, and the server's limits as the progress carries them: plain
 * functions driven by a clock of the test's own (simulated time, not the machine's).
 */
import test from 'ava';
import {describeLimiting, formatPace, oneLine} from '../../source/core/delivery/limiting-words.js';
import {Pacer} from '../../source/core/delivery/pacing.js';
import {estimate, ProgressMeter, rateWindowMs} from '../../source/core/delivery/progress.js';
import type {Limiting} from '../../source/core/types.js';

/** A meter started at `start`, fed `count` accepted messages at `at`, sampled every 250 ms as the engine does. */
class Run {
	readonly meter: ProgressMeter;
	now: number;
	private next = 0;

	constructor(total: number, start = 1_000_000) {
		this.meter = new ProgressMeter(total, total);
		this.meter.startedAt = start;
		this.now = start;
	}

	accept(count: number): void {
		for (let i = 0; i < count; i++) {
			this.meter.count({index: this.next++, code: 'S', attempts: 1, response: '250 ok', ambiguous: false});
		}
	}

	defer(index: number): void {
		this.meter.count({index, code: 'D', attempts: 1, response: '450 4.7.1 Error: too much mail', ambiguous: false});
	}

	/** Lets `ms` pass, sampling every 250 ms. */
	wait(ms: number): void {
		const end = this.now + ms;
		while (this.now < end) {
			this.now = Math.min(end, this.now + 250);
			this.meter.sample(this.now);
		}
	}
}

const pace = (perMinute: number | null, holding = false): Limiting => ({connections: 2, perMinute, holding});

test('between a limiting server\'s bursts the rate is what went over the run so far, not 0', t => {
	// Given a server that takes 30 messages at once, then nothing for 20 s (Postfix's anvil).
	const run = new Run(100);
	run.wait(100);
	run.accept(30);
	run.wait(15_000);
	const progress = run.meter.snapshot(run.now, pace(null, true));
	t.is(progress.rate.toFixed(1), (30 / 15.1).toFixed(1));
	t.true(progress.rate > 1.9);
	t.is(progress.remaining, 70);
	// While it holds and its pace is not known, the first burst says nothing of the rest: no ETA.
	t.is(progress.etaMs, null);
	t.is(progress.etaFrom, undefined);
});

test('once the pace is learned and the rate not measured over a whole minute, the ETA is at that pace', t => {
	const run = new Run(100);
	run.accept(30);
	run.wait(20_000);
	run.accept(1);
	const progress = run.meter.snapshot(run.now, pace(90));
	// 69 left at 90 a minute: 46 s.
	t.is(progress.etaMs, 46_000);
	t.is(progress.etaFrom, 'pace');
	t.deepEqual(progress.limiting, pace(90));
});

test('the rate is measured over the last minute: a burst older than that is forgotten', t => {
	const run = new Run(1000);
	run.accept(300);
	run.wait(30_000);
	// Then a steady 2 a second for 90 s.
	for (let second = 0; second < 90; second++) {
		run.accept(2);
		run.wait(1000);
	}

	const progress = run.meter.snapshot(run.now, pace(120));
	t.true(Math.abs(progress.rate - 2) < 0.1, String(progress.rate));
	// A full minute measured: the ETA comes from the rate, even with a pace known.
	t.is(progress.etaFrom, 'rate');
	t.true(Math.abs(progress.etaMs! - ((1000 - 480) * 1000) / progress.rate) < 1);
});

test('a send paced by --rate never reads above it: 2/s with messages as the pacer lets them go (first at once), looked at every 50 ms', t => {
	const start = 1_000_000;
	const meter = new ProgressMeter(40, 40, 2);
	meter.startedAt = start;
	const pacer = new Pacer({concurrency: 5, rate: 2}, start);
	let index = 0;
	const rates: number[] = [];
	for (let now = start; now <= start + 20_000; now += 50) {
		while (pacer.take(now).go) {
			meter.count({index: index++, code: 'S', attempts: 1, response: '250 ok', ambiguous: false});
		}

		meter.sample(now);
		rates.push(meter.snapshot(now, undefined).rate);
	}

	t.true(index >= 36, `the pacer let ${index} go in 20 s`);
	t.true(Math.max(...rates) <= 2, `read ${Math.max(...rates)}/s`);
	t.true(rates.at(-1)! > 1.8, String(rates.at(-1)));
});

test('without limits, a steady send: the rate over the run so far, the ETA from it', t => {
	const run = new Run(1000);
	for (let tick = 0; tick < 20; tick++) {
		run.accept(25);
		run.wait(250);
	}

	const progress = run.meter.snapshot(run.now, undefined);
	t.is(progress.rate, 100);
	t.is(progress.etaMs, 5000);
	t.is(progress.etaFrom, 'rate');
	t.is(progress.elapsedMs, 5000);
	t.false('limiting' in progress);
});

test('a paused send\'s rate falls as the minute goes by, and reaches 0 when nothing went for a minute', t => {
	const run = new Run(100);
	run.wait(5000);
	run.accept(50);
	run.wait(5000);
	t.is(run.meter.snapshot(run.now, undefined).rate, 5);
	run.wait(rateWindowMs);
	const progress = run.meter.snapshot(run.now, undefined);
	t.is(progress.rate, 0);
	t.is(progress.etaMs, null);
});

test('deferred recipients are counted until their next outcome; nothing left is an ETA of 0', t => {
	const run = new Run(2);
	run.defer(0);
	t.is(run.meter.snapshot(run.now, undefined).deferred, 1);
	run.accept(2);
	run.wait(1000);
	const progress = run.meter.snapshot(run.now, pace(30));
	t.is(progress.deferred, 0);
	t.is(progress.remaining, 0);
	t.is(progress.etaMs, 0);
});

test('estimate: pace while the window is short, rate once it is full, nothing while holding without a pace', t => {
	t.deepEqual(estimate({remaining: 84, rate: 3, spanMs: 10_000, limiting: pace(84)}), {etaMs: 60_000, etaFrom: 'pace'});
	t.deepEqual(estimate({remaining: 84, rate: 2, spanMs: rateWindowMs, limiting: pace(84)}), {etaMs: 42_000, etaFrom: 'rate'});
	t.deepEqual(estimate({remaining: 84, rate: 3, spanMs: 10_000, limiting: pace(null, true)}), {etaMs: null});
	// Limited to fewer connections only (no pace of the server's): the rate tells.
	t.deepEqual(estimate({remaining: 10, rate: 5, spanMs: 10_000, limiting: pace(null)}), {etaMs: 2000, etaFrom: 'rate'});
	t.deepEqual(estimate({remaining: 10, rate: 5, spanMs: 100}), {etaMs: null});
	t.deepEqual(estimate({remaining: 10, rate: 0, spanMs: 10_000}), {etaMs: null});
	t.deepEqual(estimate({remaining: 0, rate: 0, spanMs: 0}), {etaMs: 0});
});

test('estimate: with the server\'s window learnt, the rest takes that many more windows, the first when the next begins', t => {
	const window = (nextInMs: number) => ({connections: 2, perMinute: 99, holding: nextInMs > 0, window: {messages: 33, ms: 20_000, nextInMs}});
	// Held 5 s more: 33 then, 33 a window later, the last one a window after that.
	t.deepEqual(estimate({remaining: 67, rate: 3, spanMs: 10_000, limiting: window(5000)}), {etaMs: 45_000, etaFrom: 'pace'});
	// The window is still taking messages: the next 33 now.
	t.deepEqual(estimate({remaining: 33, rate: 3, spanMs: rateWindowMs, limiting: window(0)}), {etaMs: 0, etaFrom: 'pace'});
	t.deepEqual(estimate({remaining: 34, rate: 3, spanMs: rateWindowMs, limiting: window(0)}), {etaMs: 20_000, etaFrom: 'pace'});
});

test('the pacer keeps the server\'s last limiting words, on one line, for the progress to show', t => {
	const pacer = new Pacer({concurrency: 5, rate: 0}, 0);
	t.is(pacer.limiting(), undefined);
	pacer.connectionOpened(2, 0);
	pacer.connectionRefused(10, 2, '421 4.7.0 mx Error: too many connections from 192.0.2.1');
	t.like(pacer.limiting(), {connections: 2, perMinute: null, holding: false, reply: '421 4.7.0 mx Error: too many connections from 192.0.2.1'});
	pacer.refused(20, false, '450 4.7.1 Error: too much mail\r\n\u001B[31mfrom\u202E 192.0.2.1  ');
	t.like(pacer.limiting(), {holding: true, reply: '450 4.7.1 Error: too much mail from 192.0.2.1'});
	// A refusal without words keeps the last ones.
	pacer.refused(1100, true);
	t.is(pacer.limiting()?.reply, '450 4.7.1 Error: too much mail from 192.0.2.1');
	t.is(describeLimiting(pacer.limiting()!), 'server is limiting: 2 connections, waiting until it takes more');
});

test('oneLine and formatPace', t => {
	t.is(oneLine('  450\t4.7.1\nslow\u0000down  '), '450 4.7.1 slow down');
	t.is(oneLine('x'.repeat(400)).length, 300);
	t.is(formatPace(84.4), '~84/min');
	t.is(formatPace(2.46), '~2.5/min');
	t.is(formatPace(0.5), '~30/h');
});
