/**
 * Several massmail processes changing the same folder at once, as a shell loop with `&` or
 * two administrators would: every edit is kept, and a process that cannot get the lock in
 * time says so and exits 2 without touching the file.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test, {type ExecutionContext} from 'ava';
import lockfile from 'proper-lockfile';
import {runCli} from '../helpers/cli.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Takes the lock of `file` as another live massmail would (proper-lockfile, `FILE.lock`), until the test ends. */
function holdLock(t: ExecutionContext, file: string): void {
	const release = lockfile.lockSync(file, {lockfilePath: `${file}.lock`, realpath: false});
	t.teardown(() => {
		release();
	});
}

test('ten parallel `user add` all exit 0 and all ten mailboxes are kept', async t => {
	const {dir} = tempConfigDir(t, {bare: true});
	t.is((await runCli(['domain', 'add', 'h.test'], {configDir: dir})).code, 0);
	const results = await Promise.all(Array.from({length: 10}, async (_, i) => runCli(['user', 'add', `extra${i}@h.test`], {configDir: dir})));
	for (const result of results) {
		t.is(result.code, 0, result.stderr);
		t.regex(result.stdout, /^Added extra\d@h\.test/);
	}

	const listed = await runCli(['users', 'h.test', '--json'], {configDir: dir});
	const addresses = (JSON.parse(listed.stdout) as Array<{address: string}>).map(m => m.address).sort();
	t.deepEqual(addresses, Array.from({length: 10}, (_, i) => `extra${i}@h.test`).sort());
	t.deepEqual(fs.readdirSync(dir).sort(), ['directory-overview.json', 'directory.json'], 'no lock or temporary file is left behind');
});

test('six parallel `config set` of different keys are all kept', async t => {
	const {dir} = tempConfigDir(t);
	const values: Array<[string, string, unknown]> = [
		['smtp.host', 'mail.h.test', 'mail.h.test'],
		['smtp.port', '2587', 2587],
		['smtp.user', 'bob', 'bob'],
		['sender.name', 'Robot', 'Robot'],
		['delivery.rate', '3', 3],
		['delivery.concurrency', '7', 7],
	];
	const results = await Promise.all(values.map(async ([key, raw]) => runCli(['config', 'set', key, raw], {configDir: dir})));
	for (const result of results) {
		t.is(result.code, 0, result.stderr);
	}

	const stored = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')) as Record<string, Record<string, unknown>>;
	for (const [key, , value] of values) {
		const [section, name] = key.split('.') as [string, string];
		t.is(stored[section]?.[name], value, key);
	}

	t.is(fs.statSync(path.join(dir, 'settings.json')).mode & 0o777, 0o600);
	t.deepEqual(fs.readdirSync(dir).sort(), ['settings.json']);
});

test('a lock held by a live process makes `user add` give up after MASSMAIL_LOCK_WAIT_MS with exit 2, the file unchanged', async t => {
	const {dir} = tempConfigDir(t);
	t.is((await runCli(['domain', 'add', 'h.test'], {configDir: dir})).code, 0);
	const file = path.join(dir, 'directory.json');
	const before = fs.readFileSync(file, 'utf8');
	const lockPath = `${file}.lock`;
	holdLock(t, file);

	const started = Date.now();
	const result = await runCli(['user', 'add', 'ann@h.test'], {configDir: dir, env: {MASSMAIL_LOCK_WAIT_MS: '1500'}});
	const waited = Date.now() - started;
	t.is(result.code, 2, result.stdout);
	t.true(result.stderr.includes(`another massmail process is changing the directory (lock ${lockPath} held); try again`), result.stderr);
	t.true(waited >= 1500, `gave up after ${waited} ms`);
	t.is(fs.readFileSync(file, 'utf8'), before);
	t.true(fs.existsSync(lockPath), 'the other process keeps its lock');
});

test('a held settings lock makes `config set` exit 2 and leaves the settings as they were', async t => {
	const {dir} = tempConfigDir(t);
	t.is((await runCli(['config', 'set', 'smtp.port', '2525'], {configDir: dir})).code, 0);
	const file = path.join(dir, 'settings.json');
	const before = fs.readFileSync(file, 'utf8');
	holdLock(t, file);

	const result = await runCli(['config', 'set', 'smtp.port', '465'], {configDir: dir, env: {MASSMAIL_LOCK_WAIT_MS: '500'}});
	t.is(result.code, 2, result.stdout);
	t.true(result.stderr.includes(`another massmail process is changing the settings (lock ${file}.lock held); try again`), result.stderr);
	t.is(fs.readFileSync(file, 'utf8'), before);
});

test('the lock of a process killed with SIGKILL is taken over once stale, and released after', async t => {
	const {dir} = tempConfigDir(t);
	t.is((await runCli(['domain', 'add', 'h.test'], {configDir: dir})).code, 0);
	const file = path.join(dir, 'directory.json');
	const lockPath = `${file}.lock`;
	// A process that takes the lock and then dies without releasing it.
	const holder = spawn(process.execPath, ['-e', `
		require('proper-lockfile').lockSync(${JSON.stringify(file)}, {lockfilePath: ${JSON.stringify(lockPath)}, realpath: false});
		console.log('held');
		setInterval(() => {}, 1000);
	`], {cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit']});
	await new Promise<void>((resolve, reject) => {
		holder.stdout.once('data', () => {
			resolve();
		});
		holder.once('exit', code => {
			reject(new Error(`the lock holder exited early (${code})`));
		});
	});
	holder.kill('SIGKILL');
	await new Promise(resolve => holder.once('close', resolve));
	t.true(fs.existsSync(lockPath), 'the killed process left its lock');

	const result = await runCli(['user', 'add', 'ann@h.test'], {configDir: dir, env: {MASSMAIL_LOCK_STALE_MS: '2000', MASSMAIL_LOCK_WAIT_MS: '10000'}});
	t.is(result.code, 0, result.stderr);
	t.false(fs.existsSync(lockPath), 'the taken-over lock is released');
	const listed = await runCli(['users', 'h.test', '--json'], {configDir: dir});
	t.deepEqual((JSON.parse(listed.stdout) as Array<{address: string}>).map(m => m.address), ['ann@h.test']);
});
