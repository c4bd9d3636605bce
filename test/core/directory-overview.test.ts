/**
 * directory-overview.json: what the dashboard's first frame is drawn from. It is used only while
 * directory.json is the very version it was made from; anything else falls back to reading the
 * directory in full (and writes a fresh overview).
 */
import fs from 'node:fs';
import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {overviewFileOf} from '../../source/core/directory-overview.js';
import {MassmailError} from '../../source/core/errors.js';
import {fileStamp} from '../../source/core/json-file.js';
import {openStore, type Store} from '../../source/core/store.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

function twoDomains(): Directory {
	const directory = Directory.empty();
	directory.addDomain('example.com');
	directory.addDomain('example.org');
	directory.addMailbox({address: 'ann@example.com', name: 'Ann', role: 'primary'});
	directory.addMailbox({address: 'bob@example.com', name: 'Bob', role: 'user'});
	directory.addMailbox({address: 'cy@example.org', name: 'Cy', role: 'admin'});
	return directory;
}

const twoDomainsSummary = [
	{name: 'example.com', users: 2, admins: 1, primary: 'ann@example.com'},
	{name: 'example.org', users: 1, admins: 1, primary: null},
];

/** A store whose directory was saved by another massmail process (so nothing is cached here). */
function savedElsewhere(t: Parameters<typeof tempConfigDir>[0]): {env: NodeJS.ProcessEnv; file: string; overviewFile: string} {
	const {env} = tempConfigDir(t);
	const writer = openStore({env});
	writer.saveDirectory(twoDomains());
	return {env, file: writer.paths.directoryFile, overviewFile: overviewFileOf(writer.paths.directoryFile)};
}

function readOverview(file: string): Record<string, unknown> {
	return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The overview file rewritten with `change` applied, keeping its stamp (as if made from the current directory.json). */
function forgeOverview(file: string, change: (data: Record<string, unknown>) => void): void {
	const data = readOverview(file);
	change(data);
	fs.writeFileSync(file, JSON.stringify(data));
}

test('saving the directory writes its overview beside it (mode 0600), stamped with the version of directory.json it describes', t => {
	const {file, overviewFile} = savedElsewhere(t);
	t.is(fs.statSync(overviewFile).mode & 0o777, 0o600);
	const data = readOverview(overviewFile);
	t.is(data.stamp, fileStamp(file));
	t.is(data.domainCount, 2);
	t.is(data.mailboxCount, 3);
	t.deepEqual(data.domains, twoDomainsSummary);
});

test('a new store gives the overview from the file, without reading directory.json', t => {
	const {env, overviewFile} = savedElsewhere(t);
	// What only the overview file says: had the store read directory.json, it would show 2 users.
	forgeOverview(overviewFile, data => {
		data.mailboxCount = 8;
		(data.domains as Array<{users: number}>)[0]!.users = 7;
	});
	const overview = openStore({env}).directoryOverview();
	t.is(overview.mailboxCount, 8);
	t.is(overview.domains[0]!.users, 7);
});

test('directoryOverview() is the same object while directory.json is unchanged, also once the mailboxes are read', t => {
	const {env} = savedElsewhere(t);
	const store = openStore({env});
	const first = store.directoryOverview();
	t.is(store.directoryOverview(), first);
	t.is(store.directory().mailboxCount, 3);
	t.is(store.directoryOverview(), first);
});

test('a directory.json changed by hand (or by an older massmail) makes the overview stale: the directory is read in full and a fresh overview written', t => {
	const {env, file, overviewFile} = savedElsewhere(t);
	const changed = twoDomains();
	changed.addDomain('example.net');
	// Written the way a program that knows nothing of the overview writes it.
	fs.writeFileSync(file, changed.toFileText());
	const store = openStore({env});
	const overview = store.directoryOverview();
	t.is(overview.domainCount, 3);
	t.deepEqual(overview.domains.map(domain => domain.name), ['example.com', 'example.net', 'example.org']);
	t.is(readOverview(overviewFile).stamp, fileStamp(file));
	t.is(readOverview(overviewFile).domainCount, 3);
});

test('a running store sees another process\'s change in the overview at the next look', t => {
	const {env} = savedElsewhere(t);
	const store = openStore({env});
	const before = store.directoryOverview();
	openStore({env}).editDirectory(latest => {
		const next = latest.clone();
		next.addMailbox({address: 'dee@example.org', name: 'Dee', role: 'user'});
		return next;
	});
	const after = store.directoryOverview();
	t.not(after, before);
	t.is(after.mailboxCount, 4);
	t.is(after.domains[1]!.users, 2);
});

function fallsBackToTheDirectory(t: Parameters<typeof tempConfigDir>[0], damage: (overviewFile: string) => void): void {
	const {env, file, overviewFile} = savedElsewhere(t);
	damage(overviewFile);
	const store: Store = openStore({env});
	const overview = store.directoryOverview();
	t.is(overview.mailboxCount, 3);
	t.deepEqual(overview.domains, twoDomainsSummary);
	// Written again, whole, for the next start.
	t.is(readOverview(overviewFile).stamp, fileStamp(file));
	t.deepEqual(readOverview(overviewFile).domains, twoDomainsSummary);
}

test('a missing overview: read from the directory, and written', t => {
	fallsBackToTheDirectory(t, file => {
		fs.rmSync(file);
	});
});

test('an overview that is not JSON (a torn write): read from the directory', t => {
	fallsBackToTheDirectory(t, file => {
		fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 40));
	});
});

test('an overview whose counts do not add up, with the right stamp: read from the directory', t => {
	fallsBackToTheDirectory(t, file => {
		forgeOverview(file, data => {
			(data.domains as Array<{users: number}>)[0]!.users = 5;
		});
	});
});

test('an overview with a field of the wrong kind or domains out of order: read from the directory', t => {
	fallsBackToTheDirectory(t, file => {
		forgeOverview(file, data => {
			(data.domains as Array<{primary: unknown}>)[0]!.primary = 7;
		});
	});
	fallsBackToTheDirectory(t, file => {
		forgeOverview(file, data => {
			(data.domains as unknown[]).reverse();
		});
	});
	fallsBackToTheDirectory(t, file => {
		forgeOverview(file, data => {
			data.version = 2;
		});
	});
});

test('a damaged directory.json is reported by directoryOverview() as by directory(), never hidden by an old overview', t => {
	const {env, file} = savedElsewhere(t);
	fs.writeFileSync(file, '{\n\t"version": 1,\n\t"domains": ["example.com"\n');
	const store = openStore({env});
	t.throws(() => store.directoryOverview(), {instanceOf: MassmailError, message: /not valid JSON \(line 4 column 1\)/});
});

test('no directory.json: an empty overview, and no overview file', t => {
	const {env} = tempConfigDir(t);
	const store = openStore({env});
	const overview = store.directoryOverview();
	t.is(overview.domainCount, 0);
	t.is(overview.mailboxCount, 0);
	t.false(fs.existsSync(overviewFileOf(store.paths.directoryFile)));
});
