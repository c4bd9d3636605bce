/**
 * The store against other processes: every edit of the directory or the settings is made
 * under the file's lock on its latest content, and a store that stays open (the dashboard)
 * sees what another process changed.
 */
import fs from 'node:fs';
import test, {type ExecutionContext} from 'ava';
import lockfile from 'proper-lockfile';
import {Directory} from '../../source/core/directory.js';
import {MassmailError} from '../../source/core/errors.js';
import {openStore, type Store} from '../../source/core/store.js';
import {runCli} from '../helpers/cli.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

function storeWithDomain(t: Parameters<typeof tempConfigDir>[0], env: Record<string, string> = {}): {store: Store; dir: string} {
	const temp = tempConfigDir(t);
	const store = openStore({env: {...temp.env, ...env}});
	const directory = Directory.empty();
	directory.addDomain('h.test');
	store.saveDirectory(directory);
	return {store, dir: temp.dir};
}

/** Takes the lock of `file` as another live massmail would (proper-lockfile, `FILE.lock`), until the test ends. */
function holdLock(t: ExecutionContext, file: string): void {
	const release = lockfile.lockSync(file, {lockfilePath: `${file}.lock`, realpath: false});
	t.teardown(() => {
		release();
	});
}

test('an open store sees a mailbox another process added; unchanged, the directory stays the same object', async t => {
	const {store, dir} = storeWithDomain(t);
	const first = store.directory();
	t.is(first.mailboxCount, 0);
	t.is(store.directory(), first);
	const result = await runCli(['user', 'add', 'ann@h.test'], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	const seen = store.directory();
	t.deepEqual(seen.mailboxes('h.test').map(m => m.address), ['ann@h.test']);
	t.is(store.directory(), seen);
});

test('an open store sees settings another process changed', async t => {
	const {store, dir} = storeWithDomain(t);
	const first = store.settings.get();
	t.is(first.smtp.port, 587);
	t.is(store.settings.get(), first);
	const result = await runCli(['config', 'set', 'smtp.port', '2587'], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	t.is(store.settings.get().smtp.port, 2587);
	t.is(store.settings.getKey('smtp.port'), 2587);
});

test('editDirectory applies the change to the latest file, not to what this store read before', async t => {
	const {store, dir} = storeWithDomain(t);
	t.is(store.directory().mailboxCount, 0);
	t.is((await runCli(['user', 'add', 'ann@h.test'], {configDir: dir})).code, 0);
	const lockPath = `${store.paths.directoryFile}.lock`;
	let lockMode = 0;
	const saved = store.editDirectory(latest => {
		lockMode = fs.statSync(lockPath).mode & 0o777;
		const draft = latest.clone();
		draft.addMailbox({address: 'bob@h.test', name: '', role: 'user'});
		return draft;
	});
	t.is(lockMode, 0o700, 'the lock folder is 0700');
	t.false(fs.existsSync(lockPath), 'the lock is released');
	t.is(store.directory(), saved);
	t.deepEqual(openStore({env: {...process.env, MASSMAIL_CONFIG_DIR: dir}}).directory().mailboxes('h.test').map(m => m.address), ['ann@h.test', 'bob@h.test']);
	t.is(fs.statSync(store.paths.directoryFile).mode & 0o777, 0o600);
});

test('a change the rules refuse writes nothing and releases the lock', t => {
	const {store} = storeWithDomain(t);
	const before = fs.readFileSync(store.paths.directoryFile, 'utf8');
	t.throws(() => store.editDirectory(latest => {
		const draft = latest.clone();
		draft.addMailbox({address: 'ann@elsewhere.test', name: '', role: 'user'});
		return draft;
	}), {instanceOf: MassmailError});
	t.is(fs.readFileSync(store.paths.directoryFile, 'utf8'), before);
	t.false(fs.existsSync(`${store.paths.directoryFile}.lock`));
});

test('a held directory lock makes editDirectory fail with MassmailError locked after the wait, the file unchanged', t => {
	const {store} = storeWithDomain(t, {MASSMAIL_LOCK_WAIT_MS: '300'});
	const file = store.paths.directoryFile;
	const before = fs.readFileSync(file, 'utf8');
	holdLock(t, file);
	const started = Date.now();
	const error = t.throws(() => store.editDirectory(latest => {
		const draft = latest.clone();
		draft.addMailbox({address: 'ann@h.test', name: '', role: 'user'});
		return draft;
	}), {instanceOf: MassmailError});
	t.true(Date.now() - started >= 300);
	t.is(error.kind, 'locked');
	t.is(error.exitCode, 2);
	t.is(error.message, `another massmail process is changing the directory (lock ${file}.lock held); try again`);
	t.is(fs.readFileSync(file, 'utf8'), before);
});

test('a held settings lock makes settings.update fail with MassmailError locked, the file unchanged', t => {
	const {store} = storeWithDomain(t, {MASSMAIL_LOCK_WAIT_MS: '300'});
	store.settings.update({smtp: {port: 2525}});
	const file = store.settings.file;
	const before = fs.readFileSync(file, 'utf8');
	holdLock(t, file);
	const error = t.throws(() => {
		store.settings.update({smtp: {port: 465}});
	}, {instanceOf: MassmailError});
	t.is(error.kind, 'locked');
	t.is(error.message, `another massmail process is changing the settings (lock ${file}.lock held); try again`);
	t.is(fs.readFileSync(file, 'utf8'), before);
	t.is(store.settings.get().smtp.port, 2525);
});

test('an existing data folder open to others is narrowed to 0700; the files are 0600', t => {
	const {dir, env} = tempConfigDir(t);
	fs.chmodSync(dir, 0o755);
	const store = openStore({env});
	t.is(fs.statSync(dir).mode & 0o777, 0o700);
	store.settings.update({smtp: {port: 2525}});
	store.editDirectory(latest => latest.clone());
	t.is(fs.statSync(store.settings.file).mode & 0o777, 0o600);
	t.is(fs.statSync(store.paths.directoryFile).mode & 0o777, 0o600);
	t.deepEqual(fs.readdirSync(dir).sort(), ['directory-overview.json', 'directory.json', 'settings.json']);
});
