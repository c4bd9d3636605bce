/**
 * The outcome log's relay mark (a send over several relays): `S@mx1.example.com:25` names the relay
 * that gave the outcome; a line without one reads as it always did; the last line decides.
 */
import test from 'ava';
import {decodeOutcomes, encodeOutcome} from '../../source/core/journal/outcome-log.js';

test('an outcome line names its relay when given one, and reads back with it', t => {
	const line = encodeOutcome({index: 0, code: 'S', attempts: 1, response: '250 2.0.0 Ok: queued', ambiguous: true, relay: 'mx1.example.com:25'});
	t.is(line, '0\tSa@mx1.example.com:25\t1\t250 2.0.0 Ok: queued\n');
	t.is(encodeOutcome({index: 0, code: 'S', attempts: 1, response: '250 ok', ambiguous: false}), '0\tS\t1\t250 ok\n');
	const read = decodeOutcomes(line + '1\tD@[2001:db8::1]:2525\t1\t421 gone\n', 2, true);
	t.is(read.damage.count, 0);
	t.deepEqual(read.relays, ['mx1.example.com:25', '[2001:db8::1]:2525']);
	t.deepEqual([...read.status], [1, 0]);
	t.deepEqual([...read.ambiguous], [1, 0]);
	t.deepEqual(read.responses, ['250 2.0.0 Ok: queued', '421 gone']);
});

test('a log written before relays were kept reads as before: no relays at all', t => {
	const read = decodeOutcomes('#run new\n0\tS\t1\t250 ok\n1\tFa\t2\t550 no\n', 2, true);
	t.is(read.damage.count, 0);
	t.is(read.relays, undefined);
	t.deepEqual([...read.status], [1, 2]);
});

test('the last line decides the relay: a deferral on one, then acceptance on another; a later line without one says none', t => {
	const read = decodeOutcomes('0\tD@mx2.example.com:25\t1\t451 later\n0\tS@mx1.example.com:25\t2\t250 ok\n1\tS@mx1.example.com:25\t1\t250 ok\n1\tD\t1\t421 gone\n', 2, true);
	t.deepEqual(read.relays, ['mx1.example.com:25', null]);
});

test('a code with an @ and no relay, or an unknown code before the @, is damage', t => {
	const read = decodeOutcomes('0\tS@\t1\t250 ok\n1\tX@mx1.example.com:25\t1\t250 ok\n', 2, true);
	t.is(read.damage.count, 2);
	t.regex(read.damage.lines[0]!.why, /unknown outcome code "S@"/);
});
