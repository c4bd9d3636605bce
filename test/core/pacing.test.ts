import test from 'ava';
import {describeLimiting, Pacer} from '../../source/core/delivery/pacing.js';

/**
 * A server that limits a client the way Postfix's anvil does: at most `limit` MAIL commands
 * (refused ones count too) in a window of `unitMs`, the window starting with the first one after
 * the last ended, on anvil's clock of whole seconds (it starts a new window once
 * `start + unit < now` in seconds: each window lasts the unit plus up to a second). From
 * `liftAt` on, it no longer limits. Driven by a clock of the test's own: these tests measure
 * simulated time, not the machine.
 */
function anvil(limit: number, unitMs: number, liftAt = Number.POSITIVE_INFINITY) {
	let startSecond = Number.NEGATIVE_INFINITY;
	let count = 0;
	return (now: number): boolean => {
		const second = Math.floor(now / 1000);
		if (startSecond + (unitMs / 1000) < second) {
			startSecond = second;
			count = 0;
		}

		count++;
		return now >= liftAt || count <= limit;
	};
}

/**
 * Sends `total` messages over `connections` connections through the pacer; the server decides
 * at MAIL, each reply comes `replyMs` later. Returns the time the last was accepted, the
 * refusals, and the times of the refusals.
 */
function simulate(pacer: Pacer, server: (now: number) => boolean, total: number, connections: number, replyMs = 5) {
	let now = 0;
	let sent = 0;
	let last = 0;
	const refusedAt: number[] = [];
	const inFlight: Array<{at: number; probe: boolean; connection: number}> = [];
	let steps = 0;
	while (sent < total) {
		if (++steps > 1_000_000) {
			throw new Error('the simulation did not end');
		}

		const connection = Array.from({length: connections}, (_, index) => index).find(index => !inFlight.some(f => f.connection === index));
		const waiting = total - sent - inFlight.length;
		if (connection !== undefined && waiting > 0) {
			const ticket = pacer.take(now);
			if (ticket.go) {
				inFlight.push({at: now + replyMs, probe: ticket.probe, connection});
				continue;
			}

			now = Math.max(now + 1, Math.min(now + ticket.waitMs, ...inFlight.map(f => f.at)));
		} else {
			now = Math.max(now + 1, Math.min(...inFlight.map(f => f.at)));
		}

		for (const done of inFlight.filter(f => f.at <= now)) {
			inFlight.splice(inFlight.indexOf(done), 1);
			if (server(done.at - replyMs)) {
				pacer.accepted(done.at, done.probe);
				sent++;
				last = done.at;
			} else {
				pacer.refused(done.at, done.probe, '450 4.7.1 Error: too much mail from 127.0.0.1');
				refusedAt.push(done.at);
			}
		}
	}

	return {ms: last, refusals: refusedAt.length, refusedAt};
}

/** Refusals in each window of `unitMs` after the first (the one the window is learnt in). */
function refusalsAfterTheFirstWindow(refusedAt: number[], unitMs: number): number[] {
	const counts: number[] = [];
	for (const at of refusedAt) {
		const window = Math.floor(at / (unitMs + 500));
		if (window > 0) {
			counts[window - 1] = (counts[window - 1] ?? 0) + 1;
		}
	}

	return counts.map(count => count ?? 0);
}

test('Postfix limiting 33 messages per 20 s, 2 connections: 100 are sent within 1.15x the least time (60 s)', t => {
	const pacer = new Pacer({concurrency: 2, rate: 0}, 0);
	const {ms, refusals, refusedAt} = simulate(pacer, anvil(33, 20_000), 100, 2);
	t.log(`100 at 33 per 20 s: ${(ms / 1000).toFixed(1)} s, ${refusals} refusals`);
	t.true(ms <= 1.15 * 60_000, `${ms} ms`);
	// Learning the window costs a probe every tenth of it at most; after that, a window costs the
	// one check past its allowance, and a probe or two where anvil's whole seconds fall late.
	t.true(refusals <= 20 + (2 * 3), `${refusals} refusals`);
	for (const count of refusalsAfterTheFirstWindow(refusedAt, 20_000)) {
		t.true(count <= 4, `${count} refusals in a window: ${refusedAt.join(', ')}`);
	}

	t.regex(describeLimiting(pacer.limiting(ms)!), /^server is limiting: 2 connections, ~9\d\/min \(33 per 2\d s\)$/);
});

test('Postfix\'s default minute, 30 a minute: 100 in 1.15x the least time (180 s), a refusal or two a window once learnt', t => {
	const pacer = new Pacer({concurrency: 5, rate: 0}, 0);
	const {ms, refusedAt} = simulate(pacer, anvil(30, 60_000), 100, 5);
	t.log(`100 at 30/min: ${(ms / 1000).toFixed(1)} s, ${refusedAt.length} refusals`);
	t.true(ms <= 1.15 * 180_000, `${ms} ms`);
	for (const count of refusalsAfterTheFirstWindow(refusedAt, 60_000)) {
		t.true(count <= 4, `${count} refusals in a window: ${refusedAt.join(', ')}`);
	}
});

test('a server that lifts its limit part-way: the pace climbs back within a window', t => {
	const pacer = new Pacer({concurrency: 2, rate: 0}, 0);
	// 33 at 0 s, 33 at 20 s, the limit lifted at 30 s: the rest go once the next window would
	// have begun (~41 s), not a window's allowance per window.
	const {ms} = simulate(pacer, anvil(33, 20_000, 30_000), 300, 2);
	t.log(`300 at 33 per 20 s lifted at 30 s: ${(ms / 1000).toFixed(1)} s`);
	t.true(ms <= 30_000 + 21_000 + 2000, `${ms} ms`);
	t.is(pacer.limiting(ms)!.window, undefined);
});

test('a window learnt: the allowance goes at once; the send holds until the window is due to end, asking once half way', t => {
	const pacer = new Pacer({concurrency: 2, rate: 0}, 0);
	t.deepEqual(pacer.take(0), {go: true, probe: false});
	for (let i = 1; i < 10; i++) {
		t.deepEqual(pacer.take(i), {go: true, probe: false});
		pacer.accepted(i + 5, false);
	}

	pacer.accepted(15, false);
	// The 11th is refused at 20 ms: hold, the first probe after 1 s.
	t.true(pacer.take(15).go);
	pacer.refused(20, false);
	t.deepEqual(pacer.take(500), {go: false, waitMs: 520});
	t.deepEqual(pacer.take(1020), {go: true, probe: true});
	t.deepEqual(pacer.take(1020), {go: false, waitMs: Number.POSITIVE_INFINITY});
	pacer.refused(1025, true);
	// Then every tenth of the time since the window began (1 s at least).
	t.deepEqual(pacer.take(1100), {go: false, waitMs: 925});
	t.true(pacer.take(2025).go);
	pacer.refused(2030, true);
	t.true(pacer.take(3030).go);
	pacer.refused(3035, true);
	t.true(pacer.take(4035).go);
	// Accepted: the window ended between the probes at 3.03 s and 4.035 s; the probe began the next.
	pacer.accepted(4040, true);
	const windowMs = (3030 + 4035) / 2;
	const limiting = pacer.limiting(4040)!;
	t.is(limiting.window?.messages, 10);
	t.is(limiting.window?.ms, Math.round(windowMs));
	t.false(limiting.holding);
	// The rest of the new window's allowance goes at once, then the send holds: nothing refused.
	for (let i = 0; i < 9; i++) {
		t.deepEqual(pacer.take(4040), {go: true, probe: false});
		pacer.accepted(4045, false);
	}

	const end = 4035 + windowMs;
	t.true(pacer.limiting(4040)!.holding);
	t.is(pacer.limiting(4040)!.window?.nextInMs, Math.round(end - 4040));
	// Half way, one message asks whether the server takes more; refused, the wait goes on to the end.
	const half = 4040 + ((end - 4040) / 2);
	t.deepEqual(pacer.take(4040), {go: false, waitMs: half - 4040});
	t.deepEqual(pacer.take(half), {go: true, probe: true});
	pacer.refused(half + 5, true);
	t.deepEqual(pacer.take(half + 5), {go: false, waitMs: end - half - 5});
	t.deepEqual(pacer.take(end), {go: true, probe: true});
	pacer.accepted(end + 5, true);
	t.false(pacer.limiting(end + 5)!.holding);
	t.is(pacer.limiting(end + 5)!.window?.messages, 10);
});

test('asked half way and accepted: the server lifted its limit, and messages go as fast as they can', t => {
	const pacer = new Pacer({concurrency: 2, rate: 0}, 0);
	for (let i = 0; i < 5; i++) {
		t.true(pacer.take(0).go);
		pacer.accepted(5, false);
	}

	t.true(pacer.take(5).go);
	pacer.refused(10, false);
	t.true(pacer.take(4010).go);
	pacer.accepted(4015, true);
	for (let i = 0; i < 4; i++) {
		t.true(pacer.take(4015).go);
	}

	// Half way to the window's end (8.01 s).
	t.false(pacer.take(6000).go);
	t.deepEqual(pacer.take(6020), {go: true, probe: true});
	pacer.accepted(6025, true);
	t.is(pacer.limiting(6025)!.window, undefined);
	for (let i = 0; i < 100; i++) {
		t.deepEqual(pacer.take(6020), {go: true, probe: false});
	}
});

test('without a limit from the server, nothing holds: messages go at once', t => {
	const pacer = new Pacer({concurrency: 5, rate: 0}, 0);
	for (let i = 0; i < 1000; i++) {
		t.deepEqual(pacer.take(0), {go: true, probe: false});
	}

	t.is(pacer.limiting(), undefined);
});

test('a configured rate is kept: 30/min lets one message go every 2 s', t => {
	const pacer = new Pacer({concurrency: 1, rate: 0.5}, 0);
	t.true(pacer.take(0).go);
	const next = pacer.take(0);
	t.false(next.go);
	t.is(next.go ? 0 : next.waitMs, 2000);
	t.true(pacer.take(2000).go);
});

test('too many connections, counted: one more is tried after 1 s, then less and less often', t => {
	const pacer = new Pacer({concurrency: 5, rate: 0}, 0);
	pacer.connectionOpened(1, 10);
	pacer.connectionOpened(2, 10);
	pacer.connectionRefused(20, 2);
	t.is(pacer.connectionLimit, 2);
	t.is(pacer.connectionRetryAt(20), 1020);
	const tries: number[] = [];
	for (let now = 0; now <= 120_000; now += 250) {
		if (pacer.recoverConnections(now)) {
			tries.push(now);
			t.is(pacer.connectionLimit, 3);
			// The server counts open connections: refused again.
			pacer.connectionRefused(now + 5, 2);
			t.is(pacer.connectionLimit, 2);
		}
	}

	t.log(`tries: ${tries.join(', ')}`);
	t.true(tries.length <= 14, `${tries.length} tries in 2 minutes`);
	t.true(tries.at(-1)! - tries.at(-2)! >= 20_000);
	pacer.connectionRefused(130_000, 0);
	t.is(pacer.connectionLimit, 1);
	t.is(describeLimiting(pacer.limiting()!), 'server is limiting: 1 connection');
});

test('new connections limited per window: the window is learnt when one more is taken, then used at once', t => {
	const pacer = new Pacer({concurrency: 5, rate: 0}, 0);
	// 3 taken, 2 refused at the start: the server allows 3 new connections per 20 s.
	for (const open of [1, 2, 3]) {
		pacer.connectionOpened(open, 10);
	}

	pacer.connectionRefused(15, 3);
	pacer.connectionRefused(16, 3);
	t.is(pacer.connectionLimit, 3);
	let now = 0;
	for (; now <= 60_000; now += 250) {
		if (pacer.recoverConnections(now)) {
			if (now < 21_000) {
				pacer.connectionRefused(now + 5, 3);
			} else {
				pacer.connectionOpened(pacer.connectionLimit, now + 5);
				if (pacer.connectionLimit === 5) {
					break;
				}
			}
		}
	}

	t.true(now >= 21_000 && now <= 21_000 + 3000, `5 connections at ${now} ms`);
	t.is(pacer.connectionLimit, 5);
	// Later one is refused (a connection reopened within the window): the next try is when the
	// window learnt ends, not a second later.
	pacer.connectionRefused(now + 1000, 4);
	t.true(pacer.connectionRetryAt(now + 1000) >= now + 15_000, String(pacer.connectionRetryAt(now + 1000) - now));
});

test('while the server holds the messages, no more connections are tried: they would carry nothing', t => {
	const pacer = new Pacer({concurrency: 5, rate: 0}, 0);
	pacer.connectionOpened(2, 10);
	pacer.connectionRefused(20, 2);
	for (let i = 0; i < 5; i++) {
		t.true(pacer.take(30).go);
		pacer.accepted(35, false);
	}

	t.true(pacer.take(30).go);
	pacer.refused(40, false);
	t.false(pacer.recoverConnections(5000));
	t.true(pacer.take(5000).go);
	pacer.accepted(5010, true);
	t.true(pacer.recoverConnections(5020));
	t.is(pacer.connectionLimit, 3);
});
