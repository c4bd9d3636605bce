/**
 * Scheduled sends as a list shows them: which are listed (those waiting, and those not sent
 * lately, with why), and a time short enough for a column or a header (`Sat 18:00`).
 */
import type {ScheduledSend} from './book.js';

/** How long a missed, refused or cancelled send stays listed (as `massmail scheduled` keeps them). */
export const recentlyNotSentMs = 7 * 86_400_000;

/**
 * The scheduled sends a list shows, waiting ones first (the next first), then those missed,
 * refused or cancelled in the last 7 days (the latest first). Started ones are sends: they are
 * listed as such.
 */
export function listedScheduled(sends: readonly ScheduledSend[], now: Date): ScheduledSend[] {
	const waiting = sends.filter(send => send.state === 'scheduled');
	const notSent = sends
		.filter(send => send.state !== 'scheduled' && send.state !== 'started' && now.getTime() - Date.parse(send.changedAt ?? send.at) < recentlyNotSentMs)
		.sort((a, b) => Date.parse(b.changedAt ?? b.at) - Date.parse(a.changedAt ?? a.at));
	return [...waiting, ...notSent];
}

/**
 * A time in a zone, short: `Sat 18:00` within six days of now (before or after); further, in
 * `room` columns: `Fri 25 Dec 18:00` (16), or `12-25 18:00` (11, as History's narrow column
 * writes a send's); in another year `2027-01-05 18:00`, or `2027-01-05`.
 *
 * @example shortTime(new Date('2026-12-13T17:00:00Z'), 'Europe/Berlin', new Date('2026-12-11T14:00:00Z')) // 'Sun 18:00'
 */
export function shortTime(at: Date, zone: string, now: Date, room = 16): string {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone: zone, hourCycle: 'h23', weekday: 'short', day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
	}).formatToParts(at);
	const part = (type: Intl.DateTimeFormatPartTypes) => parts.find(p => p.type === type)?.value ?? '';
	const time = `${part('hour')}:${part('minute')}`;
	if (Math.abs(at.getTime() - now.getTime()) < 6 * 86_400_000) {
		return `${part('weekday')} ${time}`;
	}

	const month = String(new Intl.DateTimeFormat('en-US', {timeZone: zone, month: 'numeric'}).format(at)).padStart(2, '0');
	const thisYear = new Intl.DateTimeFormat('en-US', {timeZone: zone, year: 'numeric'}).format(now);
	if (part('year') === thisYear) {
		return room >= 16 ? `${part('weekday')} ${part('day')} ${part('month')} ${time}` : `${month}-${part('day')} ${time}`;
	}

	const date = `${part('year')}-${month}-${part('day')}`;
	return room >= 16 ? `${date} ${time}` : date;
}
