/**
 * The keyboard, read by us: the bytes of stdin turned into named keypresses (arrows, F1–F12,
 * Home/End, Delete, Ctrl+letter, xterm's modifiers) and bracketed pastes (one keypress holding the
 * whole text). Modelled on gemini-cli's KeypressContext; Ink's `useInput` is not used, so
 * nothing depends on how Ink 6 reports keys (it gives every function key as an empty input
 * with no name, and a paste as one input only when it arrives in one read).
 *
 * `createKeyReader()` is pure (bytes in, keypresses out) and tested as such;
 * `useTerminalKeys(onKey)` attaches it to the stdin Ink was given, raw mode through Ink.
 * A key is its name (`KeyPress.name`) and modifiers; key-bindings.ts matches bindings by name.
 *
 * @example
 * const reader = createKeyReader();
 * reader.push('\u001BOPj') // → [{input: '', key: {name: 'f1', …}}, {input: 'j', key: {name: 'j', …}}]
 */
import {useLayoutEffect, useRef} from 'react';
import {useStdin} from 'ink';

export type FunctionKey = `f${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12}`;

/** The keys the reader names (a typed character is named by itself: `j`, `G`, `é`). */
export type NamedKey =
	| 'up' | 'down' | 'left' | 'right' | 'home' | 'end' | 'pageup' | 'pagedown' | 'insert' | 'delete' | 'clear'
	| 'enter' | 'escape' | 'tab' | 'backspace' | 'space'
	| FunctionKey;

export interface Modifiers {
	ctrl: boolean;
	shift: boolean;
	/** Alt, or Esc pressed with an arrow (`ESC ESC [ A`), or xterm's Alt bit. */
	meta: boolean;
}

/**
 * A keypress: its name and its modifiers. Ctrl+E is named `e` with `ctrl`; Shift+Tab is `tab`
 * with `shift`; a bracketed paste is named `paste` and its text is the keystroke's `input`.
 */
export class KeyPress implements Modifiers {
	readonly ctrl: boolean;
	readonly shift: boolean;
	readonly meta: boolean;

	constructor(
		/** A {@link NamedKey}, `paste`, a typed character itself, or the letter of Ctrl+letter. */
		readonly name: string,
		modifiers: Partial<Modifiers> = {},
	) {
		this.ctrl = modifiers.ctrl ?? false;
		this.shift = modifiers.shift ?? false;
		this.meta = modifiers.meta ?? false;
	}
}

export interface Keystroke {
	/** What the key types: the character (the letter of Ctrl+letter), the pasted text, '' for a named key but Space. */
	input: string;
	key: KeyPress;
}

const escape = '\u001B';
/** Bracketed paste (xterm's mode 2004, asked for by terminal.ts): the terminal wraps pasted text in these. */
export const pasteStart = '\u001B[200~';
export const pasteEnd = '\u001B[201~';

function press(name: string, modifiers: Partial<Modifiers> = {}, input = ''): Keystroke {
	return {input, key: new KeyPress(name, modifiers)};
}

/** Named keys by the final byte of `ESC [ … X` / `ESC O X`. */
const finalNames: Record<string, NamedKey> = {
	A: 'up',
	B: 'down',
	C: 'right',
	D: 'left',
	H: 'home',
	F: 'end',
	E: 'clear',
	Z: 'tab',
	P: 'f1',
	Q: 'f2',
	R: 'f3',
	S: 'f4',
};

/** Named keys by the number of `ESC [ n ~` (xterm, VT220, rxvt). */
const tildeNames: Record<string, NamedKey> = {
	1: 'home',
	2: 'insert',
	3: 'delete',
	4: 'end',
	5: 'pageup',
	6: 'pagedown',
	7: 'home',
	8: 'end',
	11: 'f1',
	12: 'f2',
	13: 'f3',
	14: 'f4',
	15: 'f5',
	17: 'f6',
	18: 'f7',
	19: 'f8',
	20: 'f9',
	21: 'f10',
	23: 'f11',
	24: 'f12',
};

/** The Linux console's F1–F5: `ESC [ [ A` … `ESC [ [ E`. */
const linuxConsoleNames: Record<string, NamedKey> = {A: 'f1', B: 'f2', C: 'f3', D: 'f4', E: 'f5'};

function named(name: NamedKey, modifier: number, meta: boolean): Keystroke {
	// xterm's modifier parameter: 1 + (shift 1, alt 2, ctrl 4). CSI Z is Shift+Tab.
	const bits = Math.max(0, modifier - 1);
	return press(name, {shift: name === 'tab' || (bits & 1) !== 0, meta: meta || (bits & 2) !== 0, ctrl: (bits & 4) !== 0});
}

/** One character that is not part of an escape sequence. */
function character(char: string, meta: boolean): Keystroke {
	const code = char.codePointAt(0) ?? 0;
	switch (char) {
		case '\r':
		case '\n': {
			return press('enter', {meta});
		}

		case '\t': {
			return press('tab', {meta});
		}

		case '\u007F':
		case '\b': {
			return press('backspace', {meta});
		}

		case escape: {
			return press('escape', {meta});
		}

		case ' ': {
			return press('space', {meta}, char);
		}

		default: {
			if (code < 0x20) {
				const letter = String.fromCodePoint(code + 0x60);
				return press(letter, {ctrl: true, meta}, letter);
			}

			return press(char, {shift: char !== char.toLowerCase(), meta}, char);
		}
	}
}

type Parsed = {stroke?: Keystroke; length: number} | 'pending';

/** The escape sequence at `start` (which holds ESC), or 'pending' when the chunk ends inside it. */
function parseEscape(text: string, start: number): Parsed {
	const next = text[start + 1];
	if (next === undefined) {
		return 'pending';
	}

	if (next === '[') {
		// ESC [ [ A: the Linux console's F-keys.
		if (text[start + 2] === '[') {
			const last = text[start + 3];
			if (last === undefined) {
				return 'pending';
			}

			return {stroke: linuxConsoleNames[last] ? named(linuxConsoleNames[last], 1, false) : undefined, length: 4};
		}

		let index = start + 2;
		while (index < text.length && /[\d;:<=>?]/.test(text[index])) {
			index++;
		}

		while (index < text.length && /[ -/]/.test(text[index])) {
			index++;
		}

		const final = text[index];
		if (final === undefined) {
			return 'pending';
		}

		const sequence = text.slice(start, index + 1);
		const parameters = text.slice(start + 2, index).split(';');
		const modifier = Number(parameters[1] ?? 1) || 1;
		const length = index + 1 - start;
		if (final === '~') {
			const name = tildeNames[parameters[0]];
			return {stroke: name ? named(name, modifier, false) : undefined, length};
		}

		const name = finalNames[final];
		if (name === undefined) {
			// A sequence we do not know (a focus report, a mouse event): nothing a binding wants.
			return {stroke: undefined, length: sequence.length};
		}

		return {stroke: named(name, modifier, false), length};
	}

	if (next === 'O') {
		const final = text[start + 2];
		if (final === undefined) {
			return 'pending';
		}

		const name = finalNames[final];
		return {stroke: name ? named(name, 1, false) : undefined, length: 3};
	}

	if (next === escape) {
		// ESC ESC [ A (Alt+Up in some terminals), or Esc pressed twice.
		const inner = parseEscape(text, start + 1);
		if (inner === 'pending') {
			return 'pending';
		}

		if (text[start + 2] === '[' || text[start + 2] === 'O') {
			const {key, input} = inner.stroke ?? {};
			return {stroke: key ? press(key.name, {ctrl: key.ctrl, shift: key.shift, meta: true}, input) : undefined, length: inner.length + 1};
		}

		return {stroke: character(escape, false), length: 1};
	}

	// ESC then a key in one read: Esc pressed and the next key typed at once (or coalesced over
	// SSH), which terminals also send for Alt+key. No binding uses Alt, and a key must not be lost:
	// it is Escape, then the key.
	return {stroke: character(escape, false), length: 1};
}

export interface KeyReader {
	/** The keypresses a chunk of terminal input completes, in order. */
	push(chunk: string): Keystroke[];
	/** True while the input ends in a lone Esc (or an unfinished sequence): call `flush` if nothing follows at once. */
	readonly pending: boolean;
	/** What was held back: a lone Esc is the Escape key. */
	flush(): Keystroke[];
}

export function createKeyReader(): KeyReader {
	let held = '';
	let paste: string | undefined;

	const parse = (text: string, final: boolean): Keystroke[] => {
		const strokes: Keystroke[] = [];
		let index = 0;
		while (index < text.length) {
			if (paste !== undefined) {
				const end = text.indexOf(pasteEnd, index);
				if (end === -1) {
					// The end marker may be split across reads: keep a possible beginning of it.
					let keep = 0;
					for (let length = Math.min(pasteEnd.length - 1, text.length - index); length > 0; length--) {
						if (pasteEnd.startsWith(text.slice(text.length - length))) {
							keep = length;
							break;
						}
					}

					paste += text.slice(index, text.length - keep);
					held = text.slice(text.length - keep);
					return strokes;
				}

				paste += text.slice(index, end);
				strokes.push(press('paste', {}, paste));
				paste = undefined;
				index = end + pasteEnd.length;
				continue;
			}

			if (text.startsWith(pasteStart, index)) {
				paste = '';
				index += pasteStart.length;
				continue;
			}

			if (text[index] === escape) {
				const parsed = parseEscape(text, index);
				if (parsed === 'pending') {
					if (!final) {
						held = text.slice(index);
						return strokes;
					}

					// Nothing followed: a lone Esc, then whatever came with it.
					strokes.push(character(escape, false));
					index++;
					continue;
				}

				if (parsed.stroke) {
					strokes.push(parsed.stroke);
				}

				index += parsed.length;
				continue;
			}

			const code = text.codePointAt(index) ?? 0;
			const char = String.fromCodePoint(code);
			strokes.push(character(char, false));
			index += char.length;
		}

		held = '';
		return strokes;
	};

	return {
		push(chunk) {
			const text = held + chunk;
			held = '';
			return parse(text, false);
		},
		get pending() {
			return held !== '' && paste === undefined;
		},
		flush() {
			const text = held;
			held = '';
			return parse(text, true);
		},
	};
}

/**
 * Read the keyboard from the stdin Ink was given (the terminal, or ink-testing-library's):
 * every keypress to `onKey` in order. A lone Esc is told from the start of a sequence as Ink
 * does: it is the Escape key when nothing follows in the same turn of the event loop.
 *
 * Raw mode goes through Ink's `setRawMode`, which counts who asked for it: it turns raw mode on
 * for the first and off after the last, reads stdin (its `read()` emits the `data` this reader
 * listens to), and refs stdin meanwhile. `isActive` must be false where Ink's
 * `isRawModeSupported` is (a stdin that is not a TTY), where Ink's `setRawMode` throws.
 */
export function useTerminalKeys(onKey: (stroke: Keystroke) => void, isActive: boolean): void {
	const {stdin, setRawMode} = useStdin();
	const handler = useRef(onKey);
	handler.current = onKey;
	// A layout effect: the keyboard is read from the first commit on.
	useLayoutEffect(() => {
		if (!isActive) {
			return;
		}

		const reader = createKeyReader();
		let timer: NodeJS.Immediate | undefined;
		const deliver = (strokes: Keystroke[]) => {
			for (const stroke of strokes) {
				handler.current(stroke);
			}
		};

		const onData = (data: string | Uint8Array) => {
			if (timer) {
				clearImmediate(timer);
				timer = undefined;
			}

			deliver(reader.push(typeof data === 'string' ? data : Buffer.from(data).toString('utf8')));
			if (reader.pending) {
				timer = setImmediate(() => {
					timer = undefined;
					deliver(reader.flush());
				});
			}
		};

		stdin.on('data', onData);
		setRawMode(true);
		return () => {
			if (timer) {
				clearImmediate(timer);
			}

			stdin.off('data', onData);
			setRawMode(false);
		};
	}, [stdin, setRawMode, isActive]);
}
