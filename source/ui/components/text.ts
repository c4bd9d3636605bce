/** Small text helpers for fixed-width rows. Widths count UTF-16 units, which is right for the names shown here. */

let defaultEllipsis = '…';

/** What `fit` ends a cut text with: the theme's (`...` on a terminal without Unicode). The app sets it once per frame. */
export function setEllipsis(ellipsis: string): void {
	defaultEllipsis = ellipsis;
}

/** Cut `text` to `width` (ending in `…`), or pad it with `pad` to exactly `width` when `pad` is given. */
export function fit(text: string, width: number, pad?: string, ellipsis = defaultEllipsis): string {
	if (width <= 0) {
		return '';
	}

	if (text.length > width) {
		return width <= ellipsis.length ? text.slice(0, width) : text.slice(0, width - ellipsis.length) + ellipsis;
	}

	return pad === undefined ? text : text + pad.repeat(width - text.length);
}

/** Right-align in `width`. */
export function fitRight(text: string, width: number): string {
	return text.length >= width ? text.slice(0, width) : ' '.repeat(width - text.length) + text;
}

const numberFormat = new Intl.NumberFormat('en-US');

/** 1234 -> `1,234` */
export function formatCount(n: number): string {
	return numberFormat.format(n);
}

/** `1 domain`, `5,000 domains` */
export function plural(n: number, one: string, many = one + 's'): string {
	return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** 75000 -> `1:15`, 3725000 -> `1:02:05` */
export function formatDuration(ms: number): string {
	const total = Math.max(0, Math.round(ms / 1000));
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const seconds = total % 60;
	const mm = hours > 0 ? String(minutes).padStart(2, '0') : String(minutes);
	return (hours > 0 ? `${hours}:` : '') + `${mm}:${String(seconds).padStart(2, '0')}`;
}

/** Replace control characters (a server reply or a name from a file) so they cannot move the cursor. */
export function printable(text: string): string {
	return text.replaceAll(/[\u0000-\u001F\u007F-\u009F]/g, ' ');
}
