/**
 * A time of a scheduled send, shown in full (`Sat 13 Dec 2026 18:00 CET, in 2 days 3 hours`), and
 * the zone arithmetic it needs. Reading one as a person types it is parse-when.ts, with chrono-node
 * (50-60 ms to load), which only the commands and screens that read a time import.
 */
/** A time to run at, and the zone it is shown in. */
export interface When {
	at: Date;
	/** An IANA zone name (`Europe/Berlin`, `UTC`). */
	zone: string;
}

/** The machine's time zone (TZ, else the system's). */
export function machineZone(): string {
	return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** Minutes east of UTC of a zone at an instant (Europe/Berlin in December: 60). */
export function zoneOffsetMinutes(zone: string, at: Date): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
	}).formatToParts(at);
	const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find(p => p.type === type)?.value ?? 0);
	const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
	return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The zone's short name at an instant: `CET`, `EST`, `UTC`; `GMT+5:30` where it has none. */
function shortZoneName(zone: string, at: Date): string {
	const name = (locale: string) => new Intl.DateTimeFormat(locale, {timeZone: zone, timeZoneName: 'short'}).formatToParts(at).find(p => p.type === 'timeZoneName')?.value ?? zone;
	const american = name('en-US');
	if (!/^GMT[+-]/.test(american)) {
		return american;
	}

	const british = name('en-GB');
	return /^GMT[+-]/.test(british) ? american : british;
}

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;

/** How far a span is, in its two largest units: `2 days 3 hours`, `45 minutes`, `less than a minute`. */
function spanWords(ms: number): string {
	const minutes = Math.floor(ms / 60_000);
	const days = Math.floor(minutes / 1440);
	const hours = Math.floor((minutes % 1440) / 60);
	const rest = minutes % 60;
	if (days > 0) {
		return plural(days, 'day') + (hours > 0 ? ' ' + plural(hours, 'hour') : '');
	}

	if (hours > 0) {
		return plural(hours, 'hour') + (rest > 0 ? ' ' + plural(rest, 'minute') : '');
	}

	return minutes > 0 ? plural(minutes, 'minute') : 'less than a minute';
}

/**
 * A time in full, in a zone, and how far it is from now.
 * @example describeWhen(new Date('2026-12-13T17:00:00Z'), new Date('2026-12-11T14:00:00Z'), 'Europe/Berlin') // 'Sun 13 Dec 2026 18:00 CET, in 2 days 3 hours'
 */
export function describeWhen(at: Date, now: Date, zone: string): string {
	return `${formatTime(at, zone)}, ${at >= now ? `in ${spanWords(at.getTime() - now.getTime())}` : `${spanWords(now.getTime() - at.getTime())} ago`}`;
}

/** `Sat 13 Dec 2026 18:00 CET`. */
export function formatTime(at: Date, zone: string): string {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone: zone, hourCycle: 'h23', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
	}).formatToParts(at);
	const part = (type: Intl.DateTimeFormatPartTypes) => parts.find(p => p.type === type)?.value ?? '';
	return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')} ${part('hour')}:${part('minute')} ${shortZoneName(zone, at)}`;
}
