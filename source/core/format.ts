/** Numbers and durations as people read them, shared by the command line and the dashboard. */

const numberFormat = new Intl.NumberFormat('en-US');

/** 1234 -> `1,234` */
export function formatCount(n: number): string {
	return numberFormat.format(n);
}

/** `1 domain`, `5,000 domains` */
export function plural(n: number, one: string, many = `${one}s`): string {
	return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** 75000 -> `1:15`, 3725000 -> `1:02:05` */
export function formatDuration(ms: number): string {
	const total = Math.max(0, Math.round(ms / 1000));
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const seconds = total % 60;
	const mm = hours > 0 ? String(minutes).padStart(2, '0') : String(minutes);
	return `${hours > 0 ? `${hours}:` : ''}${mm}:${String(seconds).padStart(2, '0')}`;
}

/** Whether the terminal can show Unicode: a UTF-8 locale, and not the Linux console. */
export function supportsUnicode(env: NodeJS.ProcessEnv): boolean {
	if (env.TERM === 'linux') {
		return false;
	}

	// The first one set wins, as in setlocale(3).
	const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
	return /utf-?8/i.test(locale);
}

/** Control characters (in a server's reply, a name from a file) replaced by spaces, so they cannot move the cursor or recolour the terminal. */
export function printable(text: string): string {
	return text.replaceAll(/[\u0000-\u001F\u007F-\u009F]/g, ' ');
}
