import test from 'ava';
import {decide, type Decision} from '../../source/core/delivery/decision.js';
import type {AttemptOutcome} from '../../source/core/delivery/transport.js';

type Expected = Pick<Decision, 'status' | 'code' | 'retry' | 'countsAttempt' | 'stopsRun'>;

// Every kind of outcome, with attempts left in this run (1 of 3) and with none left (3 of 3):
// what the recipient becomes, whether it is retried and how, and whether the attempt counts.
const table: Array<[AttemptOutcome['kind'], run: number, max: number, Expected]> = [
	['accepted', 1, 3, {status: 'sent', code: 'S', retry: undefined, countsAttempt: true, stopsRun: false}],
	['accepted', 3, 3, {status: 'sent', code: 'S', retry: undefined, countsAttempt: true, stopsRun: false}],
	['permanent', 1, 3, {status: 'failed', code: 'F', retry: undefined, countsAttempt: true, stopsRun: false}],
	['permanent', 3, 3, {status: 'failed', code: 'F', retry: undefined, countsAttempt: true, stopsRun: false}],
	['temporary', 1, 3, {status: 'pending', code: 'D', retry: 'later', countsAttempt: true, stopsRun: false}],
	['temporary', 3, 3, {status: 'failed', code: 'F', retry: undefined, countsAttempt: true, stopsRun: false}],
	['connection', 1, 3, {status: 'pending', code: 'D', retry: 'later', countsAttempt: true, stopsRun: false}],
	['connection', 3, 3, {status: 'failed', code: 'F', retry: undefined, countsAttempt: true, stopsRun: false}],
	['ambiguous', 1, 3, {status: 'pending', code: 'D', retry: 'later', countsAttempt: true, stopsRun: false}],
	['ambiguous', 3, 3, {status: 'failed', code: 'F', retry: undefined, countsAttempt: true, stopsRun: false}],
	// The server limits this client: never given up, the attempt given back, first in line.
	['limited', 1, 3, {status: 'pending', code: 'D', retry: 'first', countsAttempt: false, stopsRun: false}],
	['limited', 3, 3, {status: 'pending', code: 'D', retry: 'first', countsAttempt: false, stopsRun: false}],
	// The server refuses to go on: the recipient stays pending, the run stops.
	['auth', 1, 3, {status: 'pending', code: 'D', retry: undefined, countsAttempt: false, stopsRun: true}],
	['auth', 3, 3, {status: 'pending', code: 'D', retry: undefined, countsAttempt: false, stopsRun: true}],
	['tls', 1, 3, {status: 'pending', code: 'D', retry: undefined, countsAttempt: false, stopsRun: true}],
	['tls', 3, 3, {status: 'pending', code: 'D', retry: undefined, countsAttempt: false, stopsRun: true}],
];

for (const [kind, run, max, expected] of table) {
	test(`decision: ${kind} at attempt ${run} of ${max} -> ${expected.status}${expected.retry ? `, retried ${expected.retry}` : ''}${expected.countsAttempt ? '' : ', attempt given back'}${expected.stopsRun ? ', the run stops' : ''}`, t => {
		const {status, code, retry, countsAttempt, stopsRun} = decide({kind, response: 'the reply'}, {run, max}, false);
		t.deepEqual({status, code, retry, countsAttempt, stopsRun}, expected);
	});
}

test('decision: a retried kind given up says after how many attempts; the others keep the reply as it was', t => {
	t.is(decide({kind: 'temporary', response: '451 4.3.0 Mailbox busy'}, {run: 3, max: 3}, false).response, '451 4.3.0 Mailbox busy (gave up after 3 attempts)');
	t.is(decide({kind: 'temporary', response: '451 4.3.0 Mailbox busy'}, {run: 2, max: 3}, false).response, '451 4.3.0 Mailbox busy');
	t.is(decide({kind: 'permanent', response: '550 5.1.1 no such user'}, {run: 3, max: 3}, false).response, '550 5.1.1 no such user');
	t.is(decide({kind: 'limited', response: '450 4.7.1 too much mail'}, {run: 9, max: 3}, false).response, '450 4.7.1 too much mail');
});

test('decision: only a message dropped after its final dot is marked "the server may have it"', t => {
	for (const [kind] of table) {
		t.is(decide({kind, response: ''}, {run: 1, max: 3}, false).ambiguous, kind === 'ambiguous', kind);
	}

	t.true(decide({kind: 'ambiguous', response: ''}, {run: 3, max: 3}, false).ambiguous);
});

test('decision: the server answered about the message (stall detection) when it took or refused it', t => {
	const answered = table.filter(([kind, run]) => run === 1 && decide({kind, response: ''}, {run, max: 3}, false).answered).map(([kind]) => kind);
	t.deepEqual(answered, ['accepted', 'permanent', 'temporary']);
});

test('decision: after abort() a cut connection leaves the recipient pending, not retried and not given up, and says so', t => {
	for (const kind of ['temporary', 'connection', 'ambiguous'] as const) {
		for (const run of [1, 3]) {
			const decision = decide({kind, response: 'connection lost'}, {run, max: 3}, true);
			t.like(decision, {status: 'pending', code: 'D', retry: undefined, countsAttempt: true, response: 'interrupted: connection lost'}, `${kind} at ${run}`);
		}
	}

	// What the server said for good stays so.
	t.like(decide({kind: 'accepted', response: '250 ok'}, {run: 1, max: 3}, true), {status: 'sent', response: '250 ok'});
	t.like(decide({kind: 'permanent', response: '550 no'}, {run: 1, max: 3}, true), {status: 'failed', response: '550 no'});
});
