import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {MassmailError} from '../../source/core/errors.js';
import {readJsonFile, writeFileAtomic, writeJsonFileAtomic} from '../../source/core/json-file.js';
import {openStore} from '../../source/core/store.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

test('openStore creates its folders with mode 0700; no directory file means an empty directory', t => {
	const {dir, env} = tempConfigDir(t);
	fs.rmSync(dir, {recursive: true});
	const store = openStore({env});
	t.is(store.paths.root, dir);
	t.is(fs.statSync(dir).mode & 0o777, 0o700);
	t.is(store.directory().mailboxCount, 0);
	t.false(fs.existsSync(store.paths.directoryFile));
});

test('saveDirectory writes the file atomically (mode 0600, no temporary files left) and a new store reads it', t => {
	const {dir, env} = tempConfigDir(t, {bare: true});
	const store = openStore({env});
	const directory = Directory.empty();
	directory.addDomain('example.com');
	directory.addMailbox({address: 'ann@example.com', name: 'Ann', role: 'primary'});
	store.saveDirectory(directory);
	t.is(store.directory(), directory);
	t.is(fs.statSync(store.paths.directoryFile).mode & 0o777, 0o600);
	t.deepEqual(fs.readdirSync(dir).sort(), ['directory-overview.json', 'directory.json']);
	t.deepEqual(openStore({env}).directory().domains(), [{name: 'example.com', users: 1, admins: 1, primary: 'ann@example.com'}]);
});

test('the directory is read once and cached while its file is unchanged; a change on disk is read again', t => {
	const {env} = tempConfigDir(t);
	const store = openStore({env});
	store.saveDirectory(Directory.empty());
	const first = store.directory();
	t.is(store.directory(), first);
	fs.writeFileSync(store.paths.directoryFile, 'changed behind our back');
	t.throws(() => store.directory(), {instanceOf: MassmailError, message: /not valid JSON/});
});

test('a corrupt directory file is reported with its path and position, and never overwritten', t => {
	const {env} = tempConfigDir(t);
	const store = openStore({env});
	const file = store.paths.directoryFile;
	fs.writeFileSync(file, '{\n\t"version": 1,\n\t"domains": ["example.com"\n');
	const bytes = fs.readFileSync(file);
	const error = t.throws(() => store.directory(), {instanceOf: MassmailError});
	t.is(error.kind, 'store');
	t.is(error.exitCode, 2);
	t.regex(error.message, new RegExp(`^${file.replaceAll('/', '\\/')}: not valid JSON \\(line 4 column 1\\): `));
	t.is(error.hint, 'Fix or move the file away; massmail never overwrites it.');
	t.deepEqual(fs.readFileSync(file), bytes);
});

test('a directory file of the wrong shape names the file and the bad entry', t => {
	const {env} = tempConfigDir(t);
	const store = openStore({env});
	const file = store.paths.directoryFile;
	const content = JSON.stringify({version: 1, domains: ['example.com'], mailboxes: [{address: 'ann@example.com', disabled: 'no'}]});
	fs.writeFileSync(file, content);
	t.throws(() => store.directory(), {instanceOf: MassmailError, message: `${file}: mailboxes[0] (ann@example.com): "disabled" must be true or false`});
	t.is(fs.readFileSync(file, 'utf8'), content);
});

test('the demo profile is seeded with the sample directory and kept apart from the real profile', t => {
	const {dir, env} = tempConfigDir(t);
	const demo = openStore({demo: true, env});
	t.is(demo.paths.root, path.join(dir, 'demo'));
	t.true(demo.directory().domainCount >= 3);
	t.false(fs.existsSync(path.join(dir, 'directory.json')));
	t.is(openStore({env}).directory().mailboxCount, 0);

	// A demo profile the user changed is not re-seeded.
	const changed = demo.directory().clone();
	changed.removeDomain('example.com');
	demo.saveDirectory(changed);
	t.is(openStore({demo: true, env}).directory().domainCount, changed.domainCount);
});

test('readJsonFile: missing is undefined, a BOM is accepted, an empty file is an error', t => {
	const {dir} = tempConfigDir(t);
	const file = path.join(dir, 'x.json');
	t.is(readJsonFile(file), undefined);
	fs.writeFileSync(file, '\uFEFF{"a": 1}');
	t.deepEqual(readJsonFile(file), {a: 1});
	fs.writeFileSync(file, '');
	t.throws(() => readJsonFile(file), {message: `${file}: not valid JSON (line 1 column 1): Unexpected end of JSON input`});
});

test('writeFileAtomic replaces the file whole and leaves no temporary file, even when it fails', t => {
	const {dir} = tempConfigDir(t, {bare: true});
	const file = path.join(dir, 'data.json');
	writeJsonFileAtomic(file, {a: 1});
	writeJsonFileAtomic(file, {a: 2});
	t.deepEqual(readJsonFile(file), {a: 2});
	t.deepEqual(fs.readdirSync(dir), ['data.json']);

	// A folder in the way: the rename fails, the temporary file is removed.
	const blocked = path.join(dir, 'blocked');
	fs.mkdirSync(path.join(blocked, 'inside'), {recursive: true});
	const error = t.throws(() => {
		writeFileAtomic(blocked, 'x');
	}, {instanceOf: MassmailError});
	t.true(error.message.startsWith(`${blocked}: cannot be written`));
	t.deepEqual(fs.readdirSync(dir).sort(), ['blocked', 'data.json']);
});
