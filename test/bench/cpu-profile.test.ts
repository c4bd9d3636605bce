/**
 * The display cost's second measure reads a V8 CPU profile (bench/lib/cpu-profile.ts): the window
 * is the send, a sample counts for the display when any frame of its stack is the display's.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {profileShares} from '../../bench/lib/cpu-profile.js';

const ui = 'file:///app/dist/chunks/run-dashboard-ABC123.js';
const core = 'file:///app/dist/chunks/chunk-XYZ.js';
const frame = (id: number, functionName: string, url = '', children: number[] = []) => ({id, callFrame: {functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '0'}, children});

// root ─┬ (idle) 2
//       ├ (garbage collector) 3
//       ├ sendTransaction 4 ─ writev 5
//       └ performWorkUntilDeadline (ui) 6 ─ formatCount (core) 7
const nodes = [
	frame(1, '(root)', '', [2, 3, 4, 6]),
	frame(2, '(idle)'),
	frame(3, '(garbage collector)'),
	frame(4, 'sendTransaction', core, [5]),
	frame(5, 'writev'),
	frame(6, 'performWorkUntilDeadline', ui, [7]),
	frame(7, 'formatCount', core),
];

function profileFile(samples: number[], deltas: number[]): {file: string; dispose: () => void} {
	const folder = mkdtempSync(path.join(os.tmpdir(), 'massmail-profile-'));
	const file = path.join(folder, 'CPU.cpuprofile');
	writeFileSync(file, JSON.stringify({nodes, samples, timeDeltas: deltas, startTime: 0, endTime: deltas.reduce((a, b) => a + b, 0)}));
	return {file, dispose: () => rmSync(folder, {recursive: true, force: true})};
}

const isUi = (callFrame: {url: string}) => callFrame.url === ui;

test('only the samples from the first to the last per-message one count, and the display\'s are those under its frames', t => {
	// Before the send: the display draws (6) and idles; after: the display draws again. Each sample lasts 1 ms.
	const {file, dispose} = profileFile([6, 2, 5, 7, 2, 3, 5, 6, 5, 6, 7], Array.from({length: 11}, () => 1000));
	try {
		const shares = profileShares(file, 'sendTransaction', isUi)!;
		// Window: samples 2..8 (5, 7, 2, 3, 5, 6, 5); each sample lasts until the next one. The display's
		// samples anywhere: 6, 7, 6, 6 (the last sample has no next one, so no time).
		t.deepEqual(shares, {windowMs: 7, busyMs: 6, countedMs: 2, gcMs: 1, countedAnywhereMs: 4});
		// A test that recognises no frame (a renamed chunk) is told apart from a display that costs nothing.
		t.is(profileShares(file, 'sendTransaction', () => false)!.countedAnywhereMs, 0);
	} finally {
		dispose();
	}
});

test('a profile in which no message was sent has no window', t => {
	const {file, dispose} = profileFile([6, 2, 7, 3], [1000, 1000, 1000, 1000]);
	try {
		t.is(profileShares(file, 'sendTransaction', isUi), undefined);
	} finally {
		dispose();
	}
});
