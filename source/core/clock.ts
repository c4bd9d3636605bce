/**
 * The one "now" of the scheduled sends: the wall clock, or `MASSMAIL_NOW` (an ISO date-time,
 * for tests: they set the time of a `run-due` or an `--at` without waiting for it). Everything
 * that compares a scheduled send's time reads the time through this.
 */
import {MassmailError} from './errors.js';

/**
 * The time now: `MASSMAIL_NOW` when set (an ISO date-time; for tests), else the wall clock.
 * A `MASSMAIL_NOW` that is not a date is a usage error naming it, never a silent wall clock.
 *
 * @example now({MASSMAIL_NOW: '2026-12-11T15:00:00Z'}).toISOString() // '2026-12-11T15:00:00.000Z'
 */
export function now(env: NodeJS.ProcessEnv = process.env): Date {
	const fixed = env.MASSMAIL_NOW?.trim();
	if (fixed === undefined || fixed === '') {
		return new Date();
	}

	const time = Date.parse(fixed);
	if (Number.isNaN(time)) {
		throw new MassmailError('usage', `MASSMAIL_NOW is not a date-time: ${JSON.stringify(fixed)}`, {hint: 'it is for tests: an ISO date-time such as 2026-12-11T15:00:00Z, or unset it'});
	}

	return new Date(time);
}
