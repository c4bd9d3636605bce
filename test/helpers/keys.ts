/**
 * The keys by name, as a terminal sends them: the one table for the screen tests
 * (test/ui/harness.tsx), the pseudo-terminal tests (test/helpers/terminal.ts) and the benchmarks.
 */
export const keys = {
	enter: '\r',
	escape: '\u001B',
	tab: '\t',
	shiftTab: '\u001B[Z',
	up: '\u001B[A',
	down: '\u001B[B',
	right: '\u001B[C',
	left: '\u001B[D',
	home: '\u001B[H',
	end: '\u001B[F',
	pageUp: '\u001B[5~',
	pageDown: '\u001B[6~',
	backspace: '\u007F',
	delete: '\u001B[3~',
	space: ' ',
	f1: '\u001BOP',
	ctrlA: '\u0001',
	ctrlC: '\u0003',
	ctrlD: '\u0004',
	ctrlE: '\u0005',
	ctrlS: '\u0013',
	ctrlT: '\u0014',
	ctrlU: '\u0015',
	ctrlW: '\u0017',
} as const;

/** `text` pasted, as a terminal with bracketed paste sends it (one keypress for the dashboard). */
export function paste(text: string): string {
	return `\u001B[200~${text}\u001B[201~`;
}

export type KeyName = keyof typeof keys;
