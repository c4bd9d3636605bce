import fs from 'node:fs';
import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {MassmailError} from '../../source/core/errors.js';
import {importCsv} from '../../source/core/import.js';
import {openStore} from '../../source/core/store.js';
import {fixture, tempConfigDir} from '../helpers/temp-dir.js';

const header = 'email,name,role,disabled\n';

function importError(directory: Directory, text: string, source = 'people.csv'): MassmailError {
	try {
		importCsv(directory, text, source);
	} catch (error) {
		if (error instanceof MassmailError) {
			return error;
		}

		throw error;
	}

	throw new Error('the import was expected to fail');
}

test('a valid file with BOM, CRLF, quoted commas, quotes, IDN and every disabled spelling', t => {
	const {directory, result} = importCsv(Directory.empty(), fs.readFileSync(fixture('valid.csv'), 'utf8'), 'valid.csv');
	t.deepEqual(result, {added: 9, updated: 0, domainsAdded: ['example.com', 'example.org', 'xn--bcher-kva.example'], total: 9});
	t.deepEqual(directory.mailboxes('example.com'), [
		{address: 'ann@example.com', name: 'Lee, Ann', role: 'primary', disabled: false},
		{address: 'bob@example.com', name: 'Bob Martin', role: 'admin', disabled: false},
		{address: 'carol@example.com', name: 'Carol "CJ" Nguyen', role: 'user', disabled: false},
		{address: 'Dave@example.com', name: 'Dave Okafor', role: 'user', disabled: false},
		{address: 'erin@example.com', name: 'Erin Schmidt', role: 'user', disabled: true},
	]);
	t.deepEqual(directory.mailboxes('example.org').map(m => [m.address, m.role, m.disabled]), [
		['frank@example.org', 'primary', false],
		['grace@example.org', 'admin', true],
	]);
	t.deepEqual(directory.domains().at(-1), {name: 'xn--bcher-kva.example', users: 2, admins: 1, primary: 'inhaber@xn--bcher-kva.example'});
	t.is(directory.find('lager@bücher.example')?.disabled, true);
});

test('every bad row is reported with its line number and reason, and nothing is imported', t => {
	const before = Directory.empty();
	const error = importError(before, fs.readFileSync(fixture('invalid.csv'), 'utf8'), 'invalid.csv');
	t.is(error.kind, 'validation');
	t.is(error.exitCode, 2);
	t.is(error.message, 'invalid.csv: 8 bad rows, nothing imported');
	t.deepEqual(error.details, [
		'line 3: not a valid address "not-an-address": it has no @',
		'line 4: unknown role "chief" (use user, admin, primary, or leave it empty)',
		'line 5: disabled must be true/false/yes/no/1/0 or empty, found "maybe"',
		'line 6: expected 4 fields (email,name,role,disabled), found 3',
		'line 7: OK@example.com appears twice in the file (lines 2 and 7)',
		'line 9: a second primary administrator for example.com: p2@example.com (line 9) and p1@example.com (line 8); a domain has at most one',
		'line 10: the name "Line\\nBreak" contains a line break or control character',
		'line 12: not a valid address "six@example..com": the domain "example..com" is not valid: it has an empty label (two dots in a row)',
	]);
	t.is(before.domainCount, 0);
	t.is(before.mailboxCount, 0);
});

test('several problems on one row are all named', t => {
	const error = importError(Directory.empty(), `${header}bad,"a\tb",boss,perhaps\n`);
	t.deepEqual(error.details, [
		'line 2: not a valid address "bad": it has no @; the name "a\\tb" contains a line break or control character; unknown role "boss" (use user, admin, primary, or leave it empty); disabled must be true/false/yes/no/1/0 or empty, found "perhaps"',
	]);
});

test('a second primary against the directory is refused unless the file demotes the old one', t => {
	const {directory} = importCsv(Directory.empty(), `${header}ann@example.com,Ann,primary,\nbob@example.com,Bob,user,\n`);
	const error = importError(directory, `${header}bob@example.com,Bob,primary,\n`);
	t.deepEqual(error.details, ['line 2: example.com already has a primary administrator, ann@example.com; make it admin or user in the file too, or give this row another role']);
	t.is(directory.domains()[0].primary, 'ann@example.com');

	// Promotion listed before the demotion: still accepted.
	const moved = importCsv(directory, `${header}BOB@example.com,Bob,primary,\nann@example.com,Ann,admin,\n`);
	t.deepEqual(moved.result, {added: 0, updated: 2, domainsAdded: [], total: 2});
	t.deepEqual(moved.directory.domains()[0], {name: 'example.com', users: 2, admins: 2, primary: 'bob@example.com'});
	t.is(directory.domains()[0].primary, 'ann@example.com', 'the directory passed in is unchanged');
});

test('re-importing a mailbox updates it, matching the address ignoring case', t => {
	const first = importCsv(Directory.empty(), `${header}ann@example.com,Ann,user,\n`).directory;
	const {directory, result} = importCsv(first, `${header}ANN@Example.com,Ann Lee,admin,yes\ncarl@example.com,Carl,,\n`);
	t.deepEqual(result, {added: 1, updated: 1, domainsAdded: [], total: 2});
	t.deepEqual(directory.find('ann@example.com'), {address: 'ann@example.com', name: 'Ann Lee', role: 'admin', disabled: true});
});

test('re-importing with empty cells keeps what the directory holds: a disabled mailbox stays disabled, a name stays, an administrator or the primary keeps the role', t => {
	const first = importCsv(Directory.empty(), `${header}carl@example.com,Carl Gray,user,yes\nann@example.com,Ann,admin,\npat@example.com,Pat,primary,\n`).directory;
	const {directory, result} = importCsv(first, `${header}carl@example.com,,,\nANN@example.com,,,\npat@example.com,,,\nnew@example.com,,,\n`);
	t.deepEqual(result, {added: 1, updated: 3, domainsAdded: [], total: 4});
	t.deepEqual(directory.find('carl@example.com'), {address: 'carl@example.com', name: 'Carl Gray', role: 'user', disabled: true});
	t.deepEqual(directory.find('ann@example.com'), {address: 'ann@example.com', name: 'Ann', role: 'admin', disabled: false});
	t.deepEqual(directory.find('pat@example.com'), {address: 'pat@example.com', name: 'Pat', role: 'primary', disabled: false});
	t.deepEqual(directory.find('new@example.com'), {address: 'new@example.com', name: '', role: 'user', disabled: false}, 'a new one: the defaults');
	// A cell that is given still changes it.
	const changed = importCsv(directory, `${header}carl@example.com,,,no\n`).directory;
	t.false(changed.find('carl@example.com')!.disabled);
});

test('a file bad throughout names its first 100 bad rows and counts the rest, rather than printing them all', t => {
	const rows = Array.from({length: 5000}, (_, index) => `not-an-address-${index},,,`).join('\n');
	const error = importError(Directory.empty(), `${header}${rows}\n`, 'other-table.csv');
	t.is(error.message, 'other-table.csv: 5,000 bad rows, nothing imported');
	t.is(error.details.length, 101);
	t.is(error.details[0], 'line 2: not a valid address "not-an-address-0": it has no @');
	t.is(error.details[99], 'line 101: not a valid address "not-an-address-99": it has no @');
	t.is(error.details[100], '… and 4,900 more bad rows (the first 100 are shown)');
});

test('the header is checked and what is wrong is said', t => {
	let error = importError(Directory.empty(), fs.readFileSync(fixture('bad-header.csv'), 'utf8'), 'bad-header.csv');
	t.is(error.message, 'bad-header.csv: line 1: the header "email,fullname,role" is not email,name,role,disabled: missing columns name, disabled; unknown column "fullname"; nothing imported');
	error = importError(Directory.empty(), '', 'empty.csv');
	t.is(error.message, 'empty.csv: the file is empty; the first line must be the header email,name,role,disabled');
	error = importError(Directory.empty(), 'email,name,role,disabled,email\n');
	t.regex(error.message, /column email given twice/);
});

test('the header is case-insensitive and trimmed; its columns may come in any order; empty lines are skipped', t => {
	const {directory, result} = importCsv(Directory.empty(), ' Disabled ,EMAIL,Name,role\r\n\r\nno,ann@example.com,Ann,admin\r\n');
	t.is(result.added, 1);
	t.deepEqual(directory.find('ann@example.com'), {address: 'ann@example.com', name: 'Ann', role: 'admin', disabled: false});
});

test('a header with no rows imports nothing and is not an error', t => {
	const {result} = importCsv(Directory.empty(), header);
	t.deepEqual(result, {added: 0, updated: 0, domainsAdded: [], total: 0});
});

test('an unterminated quote is reported with its line and nothing is imported', t => {
	const error = importError(Directory.empty(), fs.readFileSync(fixture('unterminated.csv'), 'utf8'), 'unterminated.csv');
	t.is(error.message, 'unterminated.csv: not valid CSV, nothing imported');
	t.deepEqual(error.details, ['line 2: a quoted field is never closed (missing ")']);
});

test('a failed import leaves the store file byte for byte as it was', t => {
	const {env} = tempConfigDir(t);
	const store = openStore({env});
	const {directory} = importCsv(store.directory(), fs.readFileSync(fixture('valid.csv'), 'utf8'));
	store.saveDirectory(directory);
	const bytes = fs.readFileSync(store.paths.directoryFile);

	const again = openStore({env});
	t.throws(() => {
		const next = importCsv(again.directory(), fs.readFileSync(fixture('invalid.csv'), 'utf8'));
		again.saveDirectory(next.directory);
	}, {instanceOf: MassmailError});
	t.deepEqual(fs.readFileSync(store.paths.directoryFile), bytes);
	t.is(openStore({env}).directory().mailboxCount, 9);
});
