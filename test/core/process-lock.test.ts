/**
 * The process lock (source/core/storage/process-lock.ts) taken by real processes at once.
 */
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {takeProcessLock} from '../../source/core/storage/process-lock.js';
import {tempFolder} from '../helpers/temp-dir.js';

const run = promisify(execFile);
const contender = path.resolve('test/fixtures/process-lock/contender.ts');

test('processes racing for one lock never hold it together: a lock being written is never taken for a dead holder\'s', async t => {
	const folder = tempFolder(t, 'massmail-process-lock-');
	const lockFile = path.join(folder, 'send.lock');
	const heldFile = path.join(folder, 'held');
	// Two run-due started in the same minute once both ran a scheduled send: one found the other's
	// lock file created but still empty, took it for a crashed holder's and removed it.
	const results = await Promise.all(Array.from({length: 6}, async () => {
		const {stdout} = await run(process.execPath, ['--import=tsx', contender, lockFile, heldFile, '400'], {timeout: 120_000});
		return JSON.parse(stdout) as {taken: number; together: number};
	}));
	t.true(results.reduce((sum, result) => sum + result.taken, 0) > 0);
	t.is(results.reduce((sum, result) => sum + result.together, 0), 0, JSON.stringify(results));
	// Nothing left behind: no lock, no file of the lock's making.
	t.deepEqual(fs.readdirSync(folder), []);
});

test('a lock is taken, held against another taker in this process, and released', t => {
	const folder = tempFolder(t, 'massmail-process-lock-');
	const lockFile = path.join(folder, 'send.lock');
	const first = takeProcessLock(lockFile);
	t.true('lock' in first);
	const second = takeProcessLock(lockFile);
	t.like(second, {holder: {pid: process.pid, alive: true}});
	t.like(JSON.parse(fs.readFileSync(lockFile, 'utf8')), {pid: process.pid});
	(first as {lock: {release: () => void}}).lock.release();
	t.deepEqual(fs.readdirSync(folder), []);
});
