/**
 * Editing one text value with a cursor: single-line fields and the multi-line message.
 * Pure functions over {value, cursor}; the field components turn keys into these edits.
 */
import {findBinding, textEditKeys, type KeyPress} from '../key-bindings.js';

export interface TextState {
	value: string;
	/** Offset in `value` (UTF-16 units), 0..value.length. */
	cursor: number;
}

export function textState(value = ''): TextState {
	return {value, cursor: value.length};
}

export function insertText(state: TextState, text: string, multiline: boolean): TextState {
	// Terminals send CR for Enter and pastes may hold CRLF.
	let clean = text.replaceAll('\r\n', '\n').replaceAll('\r', '\n');
	clean = multiline ? clean.replaceAll('\t', '    ') : clean.replaceAll(/[\n\t]/g, ' ');
	// Other control characters never belong in a field (and never in a header).
	clean = clean.replaceAll(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');
	if (clean === '') {
		return state;
	}

	const value = state.value.slice(0, state.cursor) + clean + state.value.slice(state.cursor);
	return {value, cursor: state.cursor + clean.length};
}

export function deleteBackward(state: TextState): TextState {
	if (state.cursor === 0) {
		return state;
	}

	return {value: state.value.slice(0, state.cursor - 1) + state.value.slice(state.cursor), cursor: state.cursor - 1};
}

/** Ctrl+W: the word before the cursor. */
export function deleteWordBackward(state: TextState): TextState {
	const before = state.value.slice(0, state.cursor);
	const kept = before.replace(/\S+\s*$/, '');
	return {value: kept + state.value.slice(state.cursor), cursor: kept.length};
}

function lineStart(value: string, cursor: number): number {
	return value.lastIndexOf('\n', cursor - 1) + 1;
}

function lineEnd(value: string, cursor: number): number {
	const end = value.indexOf('\n', cursor);
	return end === -1 ? value.length : end;
}

/** Ctrl+U: the line before the cursor. */
export function deleteToLineStart(state: TextState): TextState {
	const start = lineStart(state.value, state.cursor);
	return {value: state.value.slice(0, start) + state.value.slice(state.cursor), cursor: start};
}

export function moveCursor(state: TextState, to: 'left' | 'right' | 'home' | 'end'): TextState {
	const {value, cursor} = state;
	switch (to) {
		case 'left': {
			return {value, cursor: Math.max(0, cursor - 1)};
		}

		case 'right': {
			return {value, cursor: Math.min(value.length, cursor + 1)};
		}

		case 'home': {
			return {value, cursor: lineStart(value, cursor)};
		}

		case 'end': {
			return {value, cursor: lineEnd(value, cursor)};
		}
	}
}

/** Up/Down in a multi-line value; undefined on the first/last line (the form moves to another field). */
export function moveLine(state: TextState, direction: -1 | 1): TextState | undefined {
	const {value, cursor} = state;
	const start = lineStart(value, cursor);
	const column = cursor - start;
	if (direction === -1) {
		if (start === 0) {
			return undefined;
		}

		const previousStart = lineStart(value, start - 1);
		return {value, cursor: Math.min(previousStart + column, start - 1)};
	}

	const end = lineEnd(value, cursor);
	if (end === value.length) {
		return undefined;
	}

	const nextStart = end + 1;
	return {value, cursor: Math.min(nextStart + column, lineEnd(value, nextStart))};
}

/** One row of a value as a field shows it: `value.slice(start, end)`, no line break in it. */
export interface TextRow {
	start: number;
	end: number;
}

/**
 * The rows a multi-line value takes `width` columns wide: each line broken after the last space
 * that fits (inside a word longer than the width, at the width; a row may end in one space more). Every row starts where the one
 * before ended, so a line is read from its start, never scrolled sideways.
 *
 * @example
 * wrapRows('Hi {{name}}, the server restarts Saturday.', 20)
 * // 'Hi {{name}}, the ' | 'server restarts ' | 'Saturday.'
 */
export function wrapRows(value: string, width: number): TextRow[] {
	const room = Math.max(1, width);
	const rows: TextRow[] = [];
	let lineStart = 0;
	for (const line of value.split('\n')) {
		const lineEnd = lineStart + line.length;
		let start = lineStart;
		while (lineEnd - start > room) {
			// A space just past the width ends the row too (a space at the end of a row takes the column the cursor keeps).
			const space = value.lastIndexOf(' ', start + room);
			const end = space >= start + 1 ? space + 1 : start + room;
			rows.push({start, end});
			start = end;
		}

		rows.push({start, end: lineEnd});
		lineStart = lineEnd + 1;
	}

	return rows;
}

/** The row of `rows` (from `wrapRows`) the cursor is on: at a break, the start of the next row; at a line's end, its last row. */
export function cursorRow(rows: readonly TextRow[], cursor: number): number {
	const index = rows.findIndex((row, i) => cursor < row.end || (cursor === row.end && (i === rows.length - 1 || rows[i + 1].start > row.end)));
	return index === -1 ? rows.length - 1 : index;
}

/** Delete: the character under the cursor. */
export function deleteForward(state: TextState): TextState {
	if (state.cursor >= state.value.length) {
		return state;
	}

	return {value: state.value.slice(0, state.cursor) + state.value.slice(state.cursor + 1), cursor: state.cursor};
}

/** Named keys that type nothing (besides Ctrl/Alt chords and F-keys): the screen gets them. */
const notTyping = new Set(['escape', 'tab', 'enter', 'up', 'down', 'pageup', 'pagedown']);

/**
 * The edit a keypress makes (the keys are `textEditKeys` in key-bindings.ts; a paste is
 * inserted whole), or undefined when the key is not an edit (Tab, Esc, arrows that leave
 * the field…): the caller passes those on to the screen.
 */
export function editWithKey(state: TextState, input: string, key: KeyPress, multiline: boolean): TextState | undefined {
	if (key.name === 'paste') {
		return insertText(state, input, multiline);
	}

	switch (findBinding(textEditKeys, input, key)?.id) {
		case 'left': {
			return moveCursor(state, 'left');
		}

		case 'right': {
			// At the end of a field, Right is free for completion.
			return state.cursor < state.value.length ? moveCursor(state, 'right') : undefined;
		}

		case 'line-start': {
			return moveCursor(state, 'home');
		}

		case 'line-end': {
			return moveCursor(state, 'end');
		}

		case 'delete-back': {
			return deleteBackward(state);
		}

		case 'delete-forward': {
			return deleteForward(state);
		}

		case 'delete-word': {
			return deleteWordBackward(state);
		}

		case 'delete-line': {
			return deleteToLineStart(state);
		}

		case 'line-up': {
			return multiline ? moveLine(state, -1) : undefined;
		}

		case 'line-down': {
			return multiline ? moveLine(state, 1) : undefined;
		}

		case 'newline': {
			return multiline ? insertText(state, '\n', true) : undefined;
		}

		case undefined: {
			break;
		}
	}

	// Only characters, Space and a paste type something; every other named key leaves the text alone.
	if (key.ctrl || key.meta || notTyping.has(key.name) || /^f\d+$/.test(key.name)) {
		return undefined;
	}

	if (input === '') {
		return undefined;
	}

	return insertText(state, input, multiline);
}
