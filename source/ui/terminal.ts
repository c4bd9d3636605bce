/**
 * The terminal itself: alternate screen, and handing the terminal to $VISUAL/$EDITOR and
 * back. Used by run-dashboard.tsx; components reach the editor through the services.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {decodeText} from '../core/text-file.js';

/** The alternate screen, cleared, and bracketed paste on (keypress.ts reads a paste as one keypress). */
export const enterAlternateScreen = '\u001B[?1049h\u001B[2J\u001B[H\u001B[?2004h';
export const leaveAlternateScreen = '\u001B[?2004l\u001B[?25h\u001B[?1049l';

/** The editor a person chose, as git and mutt pick it. */
export function chooseEditor(env: NodeJS.ProcessEnv): string {
	return env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
}

/**
 * Hand the terminal to the editor on `text` and take it back: leave the alternate screen,
 * raw mode off, run the editor on a temporary file (blocking: nothing else may draw),
 * then raw mode as it was and back to the alternate screen. The caller redraws the frame.
 *
 * Raw mode is switched on the stream itself, not through Ink's counted `setRawMode`
 * (keypress.ts): the editor needs the terminal cooked whoever holds raw mode, and it is raw
 * again before the event loop runs, so Ink's count and its reading of stdin never notice.
 *
 * Returns the edited text; throws an Error with a readable message when the editor fails or
 * saved bytes that are not UTF-8 (the text is then unchanged).
 */
export function editInEditor(text: string, options: {
	env: NodeJS.ProcessEnv;
	stdin: NodeJS.ReadStream;
	stdout: NodeJS.WriteStream;
	extension: string;
}): string {
	const {env, stdin, stdout} = options;
	const editor = chooseEditor(env);
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-edit-'));
	const file = path.join(folder, `message${options.extension}`);
	fs.writeFileSync(file, text, {mode: 0o600});
	const wasRaw = stdin.isRaw;
	try {
		stdout.write(leaveAlternateScreen);
		if (stdin.isTTY) {
			stdin.setRawMode(false);
		}

		// Through the shell, so EDITOR="code -w" or "vim -c 'set tw=72'" work as in git.
		const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'massmail-editor', file], {stdio: 'inherit', env});
		if (result.error) {
			throw new Error(`Could not start the editor (${editor}): ${result.error.message}. The message is unchanged.`);
		}

		if (result.status !== 0) {
			throw new Error(`The editor (${editor}) exited with status ${result.status ?? result.signal}. The message is unchanged.`);
		}

		// An editor set to another encoding (Latin-1 on an old terminal) must not turn ü into U+FFFD in every copy sent.
		const edited = decodeText(fs.readFileSync(file), {name: 'The edited message', consequence: 'the message is unchanged (save the file as UTF-8)'});
		// Editors add a final newline; the message does not need it.
		return edited.replace(/\r?\n$/, '');
	} finally {
		if (stdin.isTTY) {
			stdin.setRawMode(wasRaw);
		}

		stdout.write(enterAlternateScreen);
		fs.rmSync(folder, {recursive: true, force: true});
	}
}

/** Ink's markers around a frame (write-synchronized.js): the terminal shows what is between at once. */
const beginSynchronizedUpdate = '\u001B[?2026h';
const endSynchronizedUpdate = '\u001B[?2026l';

/**
 * Ink 6.8's incremental renderer is off by one row when the frame ends in a newline (any
 * frame shorter than the terminal, which is what avoids a full redraw per frame): it
 * leaves the cursor on the row below the frame but moves up as if it were on the frame's
 * last row, so every update lands one row low and the screen creeps. Checked in a
 * pseudo-terminal with a three-line app.
 *
 * The fix, without patching Ink: hand Ink a stdout whose frame writes (they end in a
 * newline, or in ESC[E when the last row did not change) are followed by one cursor-up,
 * so the cursor rests on the last row exactly as the renderer assumes. Only Ink writes
 * through this stream (console patching is off).
 *
 * Ink erasing its previous output on its own (before a full redraw: a narrower terminal,
 * `useStdout().write`) walks up from the cursor, which a resize may have moved: in the
 * alternate screen, where the frame always starts at the top, it becomes "clear the screen,
 * cursor home" — then the full frame Ink writes next lands where it belongs.
 *
 * The bytes of a frame are never changed (user text included). The bug is in Ink 6.8.0's
 * build/log-update.js (`cursorUp(previousVisible - 1)` after a frame that ended in a newline;
 * no upstream issue found). package.json pins ink to exactly 6.8.0 so that an upgrade is a
 * deliberate step that checks whether this is still needed; patching node_modules at install
 * was the other way, and this one touches nothing of Ink's.
 */
export function withFrameCursorFix(stdout: NodeJS.WriteStream): NodeJS.WriteStream {
	// A frame Ink writes between "begin synchronized update" and its end (ESC[?2026h … ESC[?2026l)
	// is held and written at the end in one piece: one write to the terminal per frame instead of
	// four (begin, the frame, the cursor-up below, end), each a system call at every key.
	let held: string | undefined;
	const release = () => {
		if (held !== undefined) {
			const bytes = held;
			held = undefined;
			stdout.write(bytes);
		}
	};

	// What Ink writes is passed on as it is (user text included); only the cursor is moved.
	const write = (chunk: unknown, ...rest: unknown[]): boolean => {
		if (typeof chunk !== 'string' || rest.length > 0) {
			release();
			return (stdout.write as (...args: unknown[]) => boolean)(chunk, ...rest);
		}

		if (chunk === beginSynchronizedUpdate) {
			release();
			held = chunk;
			// Ink ends the update in the same call; should it not, nothing stays held past this tick.
			queueMicrotask(release);
			return true;
		}

		const frame = chunk.endsWith('\n') || chunk.endsWith('\u001B[E');
		// eraseLines() alone (log-update's clear): ESC[2K, then cursor-up + ESC[2K per line.
		const erase = !frame && chunk.startsWith('\u001B[2K');
		const bytes = (erase ? '\u001B[2J\u001B[H' : chunk) + (frame ? '\u001B[A' : '');
		if (held === undefined) {
			return stdout.write(bytes);
		}

		held += bytes;
		if (chunk === endSynchronizedUpdate) {
			release();
		}

		return true;
	};

	return new Proxy(stdout, {
		get(target, property) {
			if (property === 'write') {
				return write;
			}

			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}
