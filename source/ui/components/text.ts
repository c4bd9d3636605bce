/** Small text helpers for fixed-width rows. Widths count UTF-16 units, which is right for the names shown here. */

let defaultEllipsis = '…';

/**
 * What `fit` ends a cut text with: the theme's (`...` on a terminal without Unicode). Set once,
 * where the theme is made (run-dashboard.tsx; the screen tests' harness), never during a render.
 */
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

/** Breaks a long line at spaces (or anywhere, for a long word) to fit `width`. */
export function wrapLine(line: string, width: number): string[] {
	if (line.length <= width) {
		return [line];
	}

	const parts: string[] = [];
	let rest = line;
	while (rest.length > width) {
		const space = rest.lastIndexOf(' ', width);
		const cut = space > width / 3 ? space : width;
		parts.push(rest.slice(0, cut));
		rest = rest.slice(cut).replace(/^ /, '');
	}

	parts.push(rest);
	return parts;
}

/** How long ago, as a header says it: `just now`, `3 min ago`, `2 h ago`, `3 days ago`. */
export function formatAge(ms: number): string {
	const minutes = Math.floor(ms / 60_000);
	if (!(minutes >= 1)) {
		return 'just now';
	}

	if (minutes < 60) {
		return `${minutes} min ago`;
	}

	const hours = Math.floor(minutes / 60);
	if (hours < 48) {
		return `${hours} h ago`;
	}

	return `${Math.floor(hours / 24)} days ago`;
}

// Numbers and durations are written the same way on the command line: one home for them.
export {formatCount, formatDuration, massmailCommand, plural, printable} from '../../core/format.js';
