/**
 * Colours and symbols, decided once from the environment: NO_COLOR turns colour off,
 * a terminal without Unicode (no UTF-8 locale, or the Linux console) gets ASCII symbols.
 */
import {supportsUnicode} from '../core/format.js';

export {supportsUnicode} from '../core/format.js';

export interface Symbols {
	unicode: boolean;
	pointer: string;
	marked: string;
	unmarked: string;
	ok: string;
	fail: string;
	deferred: string;
	barFull: string;
	barEmpty: string;
	ellipsis: string;
	separator: string;
	arrowRight: string;
}

export interface Theme {
	color: boolean;
	symbols: Symbols;
	/** Colour names for Ink's `color` prop; undefined when colour is off. */
	accent?: string;
	muted?: string;
	error?: string;
	warning?: string;
	success?: string;
}

const unicodeSymbols: Symbols = {
	unicode: true,
	pointer: '❯',
	marked: '◉',
	unmarked: '○',
	ok: '✓',
	fail: '✗',
	deferred: '↻',
	barFull: '█',
	barEmpty: '░',
	ellipsis: '…',
	separator: '│',
	arrowRight: '→',
};

const asciiSymbols: Symbols = {
	unicode: false,
	pointer: '>',
	marked: '[x]',
	unmarked: '[ ]',
	ok: '+',
	fail: 'x',
	deferred: '~',
	barFull: '#',
	barEmpty: '.',
	ellipsis: '...',
	separator: '|',
	arrowRight: '->',
};

/** NO_COLOR (any non-empty value) turns colour off: https://no-color.org */
export function supportsColor(env: NodeJS.ProcessEnv): boolean {
	return !env.NO_COLOR && env.TERM !== 'dumb';
}

export function createTheme(env: NodeJS.ProcessEnv): Theme {
	const color = supportsColor(env);
	const symbols = supportsUnicode(env) ? unicodeSymbols : asciiSymbols;
	if (!color) {
		return {color, symbols};
	}

	return {color, symbols, accent: 'cyan', muted: 'gray', error: 'red', warning: 'yellow', success: 'green'};
}
