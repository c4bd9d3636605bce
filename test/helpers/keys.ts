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
	space: ' ',
	f1: '\u001BOP',
	ctrlC: '\u0003',
	ctrlD: '\u0004',
	ctrlE: '\u0005',
	ctrlS: '\u0013',
	ctrlT: '\u0014',
} as const;

export type KeyName = keyof typeof keys;
