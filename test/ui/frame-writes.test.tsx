/**
 * The dashboard's stdout (withFrameCursorFix): each frame Ink draws reaches the terminal in one
 * write — begin synchronized update, the frame, the cursor-up under it, end — not four.
 */
import {Writable} from 'node:stream';
import test from 'ava';
import {withFrameCursorFix} from '../../source/ui/terminal.js';

// Ink draws nothing and synchronizes nothing under CI=true (is-in-ci, read when Ink loads); the
// test runner may have it set, so Ink is loaded once it is off.
process.env.CI = 'false';
const {render, Text} = await import('ink');

const begin = '\u001B[?2026h';
const end = '\u001B[?2026l';

/** A terminal's stdout as Ink sees it (a TTY of 80×24) that keeps each write as it came. */
function terminalStdout(): {stream: NodeJS.WriteStream; writes: string[]} {
	const writes: string[] = [];
	const stream = new Writable({
		write(chunk: Uint8Array | string, _encoding, done) {
			writes.push(String(chunk));
			done();
		},
	}) as unknown as NodeJS.WriteStream;
	Object.assign(stream, {isTTY: true, columns: 80, rows: 24});
	return {stream, writes};
}

test('each frame of the dashboard is one write: the frame and its cursor-up inside one synchronized update', async t => {
	const {stream, writes} = terminalStdout();
	const instance = render(<Text>row 0</Text>, {stdout: withFrameCursorFix(stream), patchConsole: false, incrementalRendering: true, maxFps: 1000});
	for (let frame = 1; frame <= 5; frame++) {
		await new Promise(resolve => setTimeout(resolve, 5));
		instance.rerender(<Text>row {frame}</Text>);
	}

	await new Promise(resolve => setTimeout(resolve, 20));
	instance.unmount();
	const frames = writes.filter(chunk => chunk.includes(begin) || chunk.includes(end));
	t.true(frames.length >= 5, JSON.stringify(writes));
	for (const chunk of frames) {
		t.true(chunk.startsWith(begin) && chunk.endsWith(`\u001B[A${end}`), JSON.stringify(chunk));
	}

	t.true(frames.some(chunk => chunk.includes('row 5')), JSON.stringify(writes));
});
