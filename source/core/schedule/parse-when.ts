/**
 * `--at WHEN`: the time a scheduled send runs, as a person types it — an ISO date-time, `18:00`
 * (the next one), `tomorrow 18:00`, `Sat 18:00`, `+2h` — in the machine's time zone unless one
 * is named (`18:00 Europe/Berlin`, `…Z`, `+01:00`, `CET`). Shown back in full by when.ts.
 *
 * chrono-node reads the words and the forms; ours are only `+2h` (chrono has no such form) and
 * turning a wall-clock time of a named zone into an instant at that date's offset (chrono knows
 * offsets, not zones: Saturday after a daylight-saving change has another offset than today).
 */
import * as chrono from 'chrono-node';
import {MassmailError} from '../errors.js';
import {describeWhen, machineZone, zoneOffsetMinutes, type When} from './when.js';

const examples = 'e.g. --at 18:00, --at "tomorrow 18:00", --at "Sat 18:00", --at +2h, --at 2026-12-13T18:00, --at "18:00 Europe/Berlin"';

/** Whether a name is a time zone Intl knows (`Europe/Berlin`, `UTC`). */
function isZoneName(name: string): boolean {
	if (!/^[A-Za-z_]+(?:\/[A-Za-z_+-]+)*$/.test(name) || (!name.includes('/') && !/^(?:UTC|GMT|Etc\/.*)$/i.test(name))) {
		return false;
	}

	try {
		new Intl.DateTimeFormat('en-US', {timeZone: name});
		return true;
	} catch {
		return false;
	}
}

/**
 * The instant a wall-clock time has in a zone, at that date's own offset. A time that does not
 * exist there (skipped by a daylight-saving change: 02:30 on a spring-forward night) is the same
 * span after the change (03:30), as the clocks moved.
 */
function wallClockInZone(fields: {year: number; month: number; day: number; hour: number; minute: number; second: number}, zone: string): Date {
	const wall = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
	const first = wall - (zoneOffsetMinutes(zone, new Date(wall)) * 60_000);
	const second = wall - (zoneOffsetMinutes(zone, new Date(first)) * 60_000);
	return new Date(zoneOffsetMinutes(zone, new Date(second)) === zoneOffsetMinutes(zone, new Date(first)) ? second : Math.max(first, second));
}

const unitMs: Record<string, number> = {m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hour: 3_600_000, hours: 3_600_000, d: 86_400_000, day: 86_400_000, days: 86_400_000};

/** `+2h`, `+30m`, `+1h30m`, `+2 days`: a span from now, or undefined when the text is not one. */
function spanFromNow(text: string): number | undefined {
	const match = /^\+\s*((?:\d+\s*[a-z]+\s*)+)$/i.exec(text);
	if (!match) {
		return undefined;
	}

	let total = 0;
	// `+2h2h` is a slip of the keys, not four hours: each unit once.
	const seen = new Set<number>();
	for (const [, count, unit] of match[1]!.matchAll(/(\d+)\s*([a-z]+)/gi)) {
		const ms = unitMs[unit!.toLowerCase()];
		if (ms === undefined || seen.has(ms)) {
			return undefined;
		}

		seen.add(ms);
		total += Number(count) * ms;
	}

	return total > 0 ? total : undefined;
}

function notUnderstood(text: string, why: string): MassmailError {
	return new MassmailError('usage', `--at ${JSON.stringify(text)}: ${why}`, {hint: examples});
}

/**
 * Reads `--at WHEN` against `now`: the instant and the zone to show it in. Text that is not a time
 * (or only partly one), a date without a time of day, or a time that has passed is a usage error
 * (exit 2) saying what was understood, with examples.
 *
 * @example parseWhen('tomorrow 18:00', {now: new Date('2026-12-11T15:00:00Z'), zone: 'Europe/Berlin'}).at.toISOString() // '2026-12-12T17:00:00.000Z'
 */
export function parseWhen(typed: string, options: {now: Date; zone?: string}): When {
	const text = typed.trim().replaceAll(/\s+/g, ' ');
	const {now} = options;
	let zone = options.zone ?? machineZone();
	const span = spanFromNow(text);
	if (span === undefined && text.startsWith('+')) {
		// chrono would read some of it (`+2h2h` as two hours): a span is ours to read, whole or not at all.
		throw notUnderstood(typed, 'not a span from now massmail understands (+2h, +30m, +1h30m: each unit once)');
	}

	let at: Date;
	if (span === undefined) {
		let words = text;
		// A zone named at the end (`18:00 Europe/Berlin`): chrono knows offsets and abbreviations, not these names.
		const last = /\s(\S+)$/.exec(text)?.[1];
		if (last !== undefined && isZoneName(last)) {
			zone = last;
			words = text.slice(0, -last.length).trim();
		}

		const results = chrono.parse(words, {instant: now, timezone: zoneOffsetMinutes(zone, now)}, {forwardDate: true});
		const result = results[0];
		if (result === undefined || words === '') {
			throw notUnderstood(typed, 'not a time massmail understands');
		}

		if (results.length > 1 || result.index !== 0 || result.text.length !== words.length) {
			const rest = (words.slice(0, result.index) + ' ' + words.slice(result.index + result.text.length)).trim();
			throw notUnderstood(typed, `understood ${JSON.stringify(result.text)}, not ${JSON.stringify(rest)}`);
		}

		const {start} = result;
		if (!start.isCertain('hour') && !/^in\b/i.test(words)) {
			throw notUnderstood(typed, 'a date without a time of day: say when on that day (tomorrow 18:00)');
		}

		if (start.isCertain('timezoneOffset')) {
			// `…Z`, `+01:00`, `CET`: the text says its offset; shown in UTC when it said Z or UTC.
			at = start.date();
			if (start.get('timezoneOffset') === 0) {
				zone = 'UTC';
			}
		} else if (/^in\b/i.test(words)) {
			at = start.date();
		} else {
			at = wallClockInZone({
				year: start.get('year')!, month: start.get('month')!, day: start.get('day')!,
				hour: start.get('hour')!, minute: start.get('minute') ?? 0, second: start.get('second') ?? 0,
			}, zone);
		}
	} else {
		at = new Date(now.getTime() + span);
	}

	if (at.getTime() <= now.getTime()) {
		throw new MassmailError('usage', `--at ${JSON.stringify(typed)} is ${describeWhen(at, now, zone)}: that time has passed`, {hint: examples});
	}

	return {at, zone};
}
