/**
 * `--at WHEN`: each form read against a fixed "now" in a named zone (no wall clock), the zone's
 * own offset on the day it names (a daylight-saving change between now and then), and what is
 * refused: text that is not a time, or only partly, a date without a time, a time that passed.
 */
import test from 'ava';
import {parseWhen} from '../../source/core/schedule/parse-when.js';
import {describeWhen} from '../../source/core/schedule/when.js';
import {isMassmailError} from '../../source/core/errors.js';

// Friday 11 December 2026, 15:00 in Berlin (CET, UTC+1).
const now = new Date('2026-12-11T14:00:00Z');

const forms: Array<[string, string, string, string]> = [
	// typed, machine zone, the instant, shown back
	['18:00', 'Europe/Berlin', '2026-12-11T17:00:00.000Z', 'Fri 11 Dec 2026 18:00 CET, in 3 hours'],
	['14:00', 'Europe/Berlin', '2026-12-12T13:00:00.000Z', 'Sat 12 Dec 2026 14:00 CET, in 23 hours'],
	['tomorrow 18:00', 'Europe/Berlin', '2026-12-12T17:00:00.000Z', 'Sat 12 Dec 2026 18:00 CET, in 1 day 3 hours'],
	['Sat 18:00', 'Europe/Berlin', '2026-12-12T17:00:00.000Z', 'Sat 12 Dec 2026 18:00 CET, in 1 day 3 hours'],
	['Sun 18:00', 'Europe/Berlin', '2026-12-13T17:00:00.000Z', 'Sun 13 Dec 2026 18:00 CET, in 2 days 3 hours'],
	['+2h', 'Europe/Berlin', '2026-12-11T16:00:00.000Z', 'Fri 11 Dec 2026 17:00 CET, in 2 hours'],
	['+30m', 'UTC', '2026-12-11T14:30:00.000Z', 'Fri 11 Dec 2026 14:30 UTC, in 30 minutes'],
	['+1h30m', 'UTC', '2026-12-11T15:30:00.000Z', 'Fri 11 Dec 2026 15:30 UTC, in 1 hour 30 minutes'],
	['2026-12-13T18:00', 'Europe/Berlin', '2026-12-13T17:00:00.000Z', 'Sun 13 Dec 2026 18:00 CET, in 2 days 3 hours'],
	['2026-12-13T18:00Z', 'Europe/Berlin', '2026-12-13T18:00:00.000Z', 'Sun 13 Dec 2026 18:00 UTC, in 2 days 4 hours'],
	['2026-12-13T18:00+01:00', 'UTC', '2026-12-13T17:00:00.000Z', 'Sun 13 Dec 2026 17:00 UTC, in 2 days 3 hours'],
	['18:00 Europe/Berlin', 'UTC', '2026-12-11T17:00:00.000Z', 'Fri 11 Dec 2026 18:00 CET, in 3 hours'],
	['18:00 America/New_York', 'Europe/Berlin', '2026-12-11T23:00:00.000Z', 'Fri 11 Dec 2026 18:00 EST, in 9 hours'],
	// After the spring change (28 March 2027, 02:00 CET -> 03:00 CEST): that day's offset, not today's.
	['2027-03-28 18:00', 'Europe/Berlin', '2027-03-28T16:00:00.000Z', 'Sun 28 Mar 2027 18:00 CEST, in 107 days 2 hours'],
	['2027-03-27 18:00', 'Europe/Berlin', '2027-03-27T17:00:00.000Z', 'Sat 27 Mar 2027 18:00 CET, in 106 days 3 hours'],
	// 02:30 does not exist that night: the clocks jumped to 03:00, so it is 03:30 CEST.
	['2027-03-28 02:30', 'Europe/Berlin', '2027-03-28T01:30:00.000Z', 'Sun 28 Mar 2027 03:30 CEST, in 106 days 11 hours'],
];

for (const [typed, zone, instant, shown] of forms) {
	test(`--at ${JSON.stringify(typed)} in ${zone}`, t => {
		const when = parseWhen(typed, {now, zone});
		t.is(when.at.toISOString(), instant);
		t.is(describeWhen(when.at, now, when.zone), shown);
	});
}

test('Saturday 18:00 seen from the Friday before a daylight-saving change takes Saturday\'s offset', t => {
	// Friday 26 March 2027, 12:00 CET; the change is Sunday 28 March at 02:00.
	const friday = new Date('2027-03-26T11:00:00Z');
	t.is(parseWhen('Sun 18:00', {now: friday, zone: 'Europe/Berlin'}).at.toISOString(), '2027-03-28T16:00:00.000Z');
	t.is(parseWhen('Sat 18:00', {now: friday, zone: 'Europe/Berlin'}).at.toISOString(), '2027-03-27T17:00:00.000Z');
});

const refusals: Array<[string, RegExp]> = [
	['whenever', /not a time massmail understands/],
	['18:00 sharp-ish', /understood "18:00", not "sharp-ish"/],
	['tomorrow', /a date without a time of day/],
	['yesterday 10:00', /is Thu 10 Dec 2026 10:00 CET, 1 day 5 hours ago: that time has passed/],
	['2026-01-01T10:00Z', /that time has passed/],
	['', /not a time/],
	// A unit twice is a slip of the keys (typed +2h, then 2h again), not four hours.
	['+2h2h', /not a span from now massmail understands \(\+2h, \+30m, \+1h30m: each unit once\)/],
];

for (const [typed, message] of refusals) {
	test(`--at ${JSON.stringify(typed)} is a usage error that says why, with examples`, t => {
		const error = t.throws(() => parseWhen(typed, {now, zone: 'Europe/Berlin'}));
		t.true(isMassmailError(error));
		t.is((error as {exitCode?: number}).exitCode, 2);
		t.regex(error!.message, message);
		t.regex((error as {hint?: string}).hint ?? '', /--at "tomorrow 18:00"/);
	});
}
