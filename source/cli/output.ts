/**
 * What the command line prints, in one place: numbers with separators, aligned tables,
 * errors in the same form everywhere. Commands write through an `Output` so tests and the
 * dashboard-less paths share one format.
 */
import {terminalJson} from '../core/format.js';

export interface Output {
	/**
	 * Writes a line to stdout. Text is text: a control character in it (a server's words, a name
	 * from a file) is shown as `\x1b`, never sent to the terminal; only line breaks and tabs stay.
	 */
	out(text: string): void;
	/**
	 * Writes a line to stderr, text only, as `out`. `newline: false` for a progress line redrawn
	 * in place; `overwrite`: the line replaces the progress line drawn last.
	 */
	err(text: string, options?: {newline?: boolean; overwrite?: boolean}): void;
	/** True when stderr is a terminal: live progress lines are drawn there. */
	readonly errIsTty: boolean;
	/** True when stdin is a terminal: there is someone to ask. */
	readonly canAsk: boolean;
	ask(question: string): Promise<string>;
	/** Aborted when whoever reads stdout has gone (EPIPE): a send stops cleanly, as on SIGHUP. */
	readonly outputClosed?: AbortSignal;
}

/** Left-aligned columns, two spaces apart; numbers right-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
	const cells = [header, ...rows.map(row => row.map(String))];
	const numeric = header.map((_, column) => rows.length > 0 && rows.every(row => typeof row[column] === 'number'));
	const widths = header.map((_, column) => Math.max(...cells.map(row => row[column]!.length)));
	return cells
		.map(row => row
			.map((cell, column) => numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))
			.join('  ')
			.trimEnd())
		.join('\n');
}

export {formatError} from '../core/errors.js';

/** One line of JSON; the C1 and direction controls JSON.stringify leaves as they are written `\u009b` (the same text once parsed). */
export const json = (value: unknown): string => terminalJson(value);
