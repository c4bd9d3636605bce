import test from 'ava';
import {describeLimiting, Pacer} from '../../source/core/delivery/pacing.js';

/**
 * A server that limits a client the way Postfix's anvil does: at most `limit` messages in a
 * window of `windowMs`, the window starting with the first message after the last one ended.
 * Driven by a clock of the test's own: these tests measure simulated time, not the machine.
 */
function anvil(limit: number, windowMs: number) {
	let start = Number.NEGATIVE_INFINITY;
	let count = 0;
	return (now: number): boolean => {
		if (now - start >= windowMs) {
			start = now;
			count = 0;
		}

		count++;
		return count <= limit;
	};
}

/** Sends `total` messages over `connections` connections through the pacer; each reply takes `replyMs`. */
function simulate(pacer: Pacer, server: (now: number) => boolean, total: number, connections: number, replyMs = 5) {
	let now = 0;
	let sent = 0;
	let refusals = 0;
	const free = Array.from({length: connections}, () => 0);
	const inFlight: Array<{at: number; probe: boolean; connection: number}> = [];
	let steps = 0;
	while (sent < total) {
		if (++steps > 1_000_000) {
			throw new Error('the simulation did not end');
		}

		const connection = free.findIndex((at, index) => at <= now && !inFlight.some(f => f.connection === index));
		const waiting = total - sent - inFlight.length;
		if (connection !== -1 && waiting > 0) {
			const ticket = pacer.take(now);
			if (ticket.go) {
				inFlight.push({at: now + replyMs, probe: ticket.probe, connection});
				continue;
			}

			const next = Math.min(now + ticket.waitMs, ...inFlight.map(f => f.at));
			now = Math.max(now + 1, next);
		} else {
			now = Math.max(now + 1, Math.min(...inFlight.map(f => f.at)));
		}

		for (const done of inFlight.filter(f => f.at <= now)) {
			inFlight.splice(inFlight.indexOf(done), 1);
			if (server(done.at - replyMs)) {
				pacer.accepted(done.at, done.probe);
				sent++;
			} else {
				pacer.refused(done.at, done.probe);
				refusals++;
			}
		}
	}

	return {ms: now, refusals};
}

test('a server limiting 30 messages a minute: 100 are sent within 1.25x the minimum (200 s)', t => {
	const pacer = new Pacer({concurrency: 2, rate: 0}, 0);
	const {ms, refusals} = simulate(pacer, anvil(30, 60_000), 100, 2);
	t.log(`100 at 30/min: ${(ms / 1000).toFixed(1)} s, ${refusals} refusals`);
	t.true(ms <= 1.25 * 200_000, `${ms} ms`);
	t.true(refusals < 60, `${refusals} refusals`);
	t.regex(describeLimiting(pacer.limiting()!), /^server is limiting: 2 connections, ~\d+\/min/);
});

test('the same limit with a 6-second window: the same ratio', t => {
	const pacer = new Pacer({concurrency: 2, rate: 0}, 0);
	const {ms} = simulate(pacer, anvil(30, 6000), 100, 2);
	t.log(`100 at 30/6 s: ${(ms / 1000).toFixed(1)} s`);
	t.true(ms <= 1.25 * 20_000, `${ms} ms`);
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

test('while holding, only one probe goes; a refused probe waits longer, an accepted one sets the pace', t => {
	const pacer = new Pacer({concurrency: 2, rate: 0}, 0);
	for (let i = 0; i < 10; i++) {
		pacer.accepted(i * 10, false);
	}

	pacer.refused(100, false);
	t.deepEqual(pacer.take(500), {go: false, waitMs: 600});
	t.deepEqual(pacer.take(1100), {go: true, probe: true});
	t.deepEqual(pacer.take(1100), {go: false, waitMs: Number.POSITIVE_INFINITY});
	pacer.refused(1150, true);
	t.false(pacer.take(1200).go);
	t.true(pacer.take(2150).go);
	// Accepted at 10 s: the window ended between the refusal at 1.15 s and then, so 10 messages
	// in about 5.6 s.
	pacer.accepted(10_000, true);
	t.is(Math.round(pacer.limiting()!.perMinute!), Math.round((10 * 60_000) / (((1150 + 10_000) / 2))));
	t.false(pacer.limiting()!.holding);
});

test('too many connections: the send uses as many as are open, and tries one more after a quiet minute', t => {
	const pacer = new Pacer({concurrency: 5, rate: 0}, 0);
	pacer.connectionRefused(1000, 2);
	t.is(pacer.connectionLimit, 2);
	t.false(pacer.recoverConnections(30_000));
	t.true(pacer.recoverConnections(61_000));
	t.is(pacer.connectionLimit, 3);
	pacer.connectionRefused(62_000, 0);
	t.is(pacer.connectionLimit, 1);
	t.is(describeLimiting(pacer.limiting()!), 'server is limiting: 1 connection');
});
