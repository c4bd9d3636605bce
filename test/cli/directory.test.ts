/**
 * The directory commands as a script would run them: a child process per command, real files
 * in a temporary MASSMAIL_CONFIG_DIR, assertions on stdout, stderr and the exit status.
 */
import {readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {runCli} from '../helpers/cli.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const configDir = (t: ExecutionContext): string => tempConfigDir(t).dir;

const sampleCsv = [
	'email,name,role,disabled',
	'ann@example.com,Ann Archer,primary,',
	'bob@example.com,"Bob, the Builder",admin,no',
	'cid@example.com,Cid,user,yes',
	'dee@example.org,Dee,user,0',
	'eve@example.org,Eve,admin,false',
].join('\n');

async function withSample(t: ExecutionContext): Promise<string> {
	const dir = configDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, sampleCsv);
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	return dir;
}

test('import says what the file changed, then what the directory holds: not the directory\'s size as the file\'s rows', async t => {
	const dir = await withSample(t);
	const csv = path.join(dir, 'one.csv');
	writeFileSync(csv, 'email,name,role,disabled\nfay@example.net,Fay,user,no\n');
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	t.is(result.stdout, `Imported ${csv}: 1 added, 0 updated; new 1 domain: example.net; 6 mailboxes in the directory now.\n`);
});

test('import then domains --json lists each domain with its counts and primary', async t => {
	const dir = await withSample(t);
	const result = await runCli(['domains', '--json'], {configDir: dir});
	t.is(result.code, 0);
	t.deepEqual(JSON.parse(result.stdout), [
		{name: 'example.com', users: 3, admins: 2, primary: 'ann@example.com'},
		{name: 'example.org', users: 2, admins: 1, primary: null},
	]);
});

test('users DOMAIN --json lists the mailboxes with role and state', async t => {
	const dir = await withSample(t);
	const result = await runCli(['users', 'example.com', '--json'], {configDir: dir});
	t.is(result.code, 0);
	t.deepEqual(JSON.parse(result.stdout), [
		{address: 'ann@example.com', name: 'Ann Archer', role: 'primary', disabled: false},
		{address: 'bob@example.com', name: 'Bob, the Builder', role: 'admin', disabled: false},
		{address: 'cid@example.com', name: 'Cid', role: 'user', disabled: true},
	]);
});

test('a bad CSV imports nothing, names every bad line, and exits 2', async t => {
	const dir = await withSample(t);
	const before = readFileSync(path.join(dir, 'directory.json'), 'utf8');
	const csv = path.join(dir, 'bad.csv');
	writeFileSync(csv, [
		'email,name,role,disabled',
		'new@example.net,New,user,',
		'not-an-address,X,user,',
		'zed@example.net,Zed,boss,',
		'yan@example.net,Yan,user,maybe',
	].join('\n'));
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 2);
	t.regex(result.stderr, /line 3\b/);
	t.regex(result.stderr, /line 4\b/);
	t.regex(result.stderr, /line 5\b/);
	t.notRegex(result.stderr, /line 2\b/);
	t.is(readFileSync(path.join(dir, 'directory.json'), 'utf8'), before);
	const domains = await runCli(['domains', '--json'], {configDir: dir});
	t.false(JSON.parse(domains.stdout).some((d: {name: string}) => d.name === 'example.net'));
});

test('send --dry-run --json resolves a domain group, skipping the disabled', async t => {
	const dir = await withSample(t);
	const result = await runCli(['send', '--to', 'domain:example.com', '--subject', 'Hi', '--message', 'Hello', '--dry-run', '--json'], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	t.deepEqual(JSON.parse(result.stdout), {
		count: 2,
		recipients: ['ann@example.com', 'bob@example.com'],
		skipped: [{address: 'cid@example.com', reason: 'disabled'}],
		to: 'ann@example.com',
		from: 'postmaster@mail.example.net',
	});
});

test('each group form resolves through the command line', async t => {
	const dir = await withSample(t);
	const recipientsOf = async (group: string, ...extra: string[]) => {
		const result = await runCli(['remind', '--to', group, '--subject', 'S', '--message', 'M', '--dry-run', '--json', ...extra], {configDir: dir});
		t.is(result.code, 0, `${group}: ${result.stderr}`);
		return JSON.parse(result.stdout).recipients as string[];
	};

	t.deepEqual(await recipientsOf('all'), ['ann@example.com', 'bob@example.com', 'dee@example.org', 'eve@example.org']);
	t.deepEqual(await recipientsOf('admins'), ['ann@example.com', 'bob@example.com', 'eve@example.org']);
	t.deepEqual(await recipientsOf('primary-admins'), ['ann@example.com']);
	t.deepEqual(await recipientsOf('domain:example.org,example.com'), ['dee@example.org', 'eve@example.org', 'ann@example.com', 'bob@example.com']);
	t.deepEqual(await recipientsOf('user:DEE@example.org'), ['dee@example.org']);
	t.deepEqual(await recipientsOf('user:stranger@elsewhere.test', '--allow-external'), ['stranger@elsewhere.test']);
});

test('an unknown domain, an unknown user and a bad group are errors with exit 2', async t => {
	const dir = await withSample(t);
	const dryRun = (group: string) => runCli(['send', '--to', group, '--subject', 'S', '--message', 'M', '--dry-run', '--json'], {configDir: dir});
	const unknownDomain = await dryRun('domain:nowhere.test');
	t.is(unknownDomain.code, 2);
	t.regex(unknownDomain.stderr, /nowhere\.test/);
	const unknownUser = await dryRun('user:stranger@elsewhere.test');
	t.is(unknownUser.code, 2);
	t.regex(unknownUser.stderr, /stranger@elsewhere\.test/);
	const badGroup = await dryRun('everyone');
	t.is(badGroup.code, 2);
	t.regex(badGroup.stderr, /everyone/);
	t.is(unknownDomain.stdout, '');
});

test('argument errors say what is wrong, show the usage, and exit 2', async t => {
	const dir = configDir(t);
	const unknownFlag = await runCli(['domains', '--jsn'], {configDir: dir});
	t.is(unknownFlag.code, 2);
	t.regex(unknownFlag.stderr, /--jsn/);
	t.regex(unknownFlag.stderr, /Usage: massmail domains/);
	const unknownCommand = await runCli(['sned'], {configDir: dir});
	t.is(unknownCommand.code, 2);
	t.regex(unknownCommand.stderr, /unknown command "sned"/);
	// A family of commands alone, or with --help, lists its commands (README: every command takes --help).
	const family = await runCli(['user', '--help'], {configDir: dir});
	t.is(family.code, 0, family.stderr);
	t.is(family.stdout, '  massmail user add ADDRESS\n  massmail user set ADDRESS\n  massmail user remove ADDRESS\n\nEach takes --help.\n');
	const bare = await runCli(['domain'], {configDir: dir});
	t.is(bare.code, 2);
	t.is(bare.stderr, 'massmail: "domain" needs one of its commands:\n  massmail domain add NAME\n  massmail domain remove NAME\nmassmail domain add --help says more\n');
	const missing = await runCli(['users'], {configDir: dir});
	t.is(missing.code, 2);
	t.regex(missing.stderr, /missing DOMAIN/);
	const noSubject = await runCli(['send', '--to', 'all', '--message', 'M', '--dry-run'], {configDir: dir});
	t.is(noSubject.code, 2);
	t.regex(noSubject.stderr, /subject/);
});

test('a hand-broken directory file is reported with its path, left as it was, exit 2', async t => {
	const dir = await withSample(t);
	const file = path.join(dir, 'directory.json');
	writeFileSync(file, '{"version":1,"domains":["example.com"],');
	const result = await runCli(['domains'], {configDir: dir});
	t.is(result.code, 2);
	t.true(result.stderr.includes(file), result.stderr);
	t.notRegex(result.stderr, /\n\s+at /, 'no stack trace');
	t.is(readFileSync(file, 'utf8'), '{"version":1,"domains":["example.com"],');
});

test('domains and users are added, changed and removed from the command line', async t => {
	const dir = configDir(t);
	const run = (...args: string[]) => runCli(args, {configDir: dir});
	t.is((await run('domain', 'add', 'Example.NET')).code, 0);
	const noDomain = await run('user', 'add', 'ann@nowhere.test');
	t.is(noDomain.code, 2);
	t.regex(noDomain.stderr, /domain add/);
	t.is((await run('user', 'add', 'ann@example.net', '--name', 'Ann', '--role', 'primary')).code, 0);
	t.is((await run('user', 'add', 'bob@example.net', '--name', 'Bob')).code, 0);
	const secondPrimary = await run('user', 'set', 'bob@example.net', '--role', 'primary');
	t.is(secondPrimary.code, 2);
	t.regex(secondPrimary.stderr, /ann@example\.net/);
	t.is((await run('user', 'set', 'bob@example.net', '--disabled')).code, 0);
	const duplicate = await run('user', 'add', 'ANN@example.net');
	t.is(duplicate.code, 2);
	let users = JSON.parse((await run('users', 'example.net', '--json')).stdout);
	t.deepEqual(users, [
		{address: 'ann@example.net', name: 'Ann', role: 'primary', disabled: false},
		{address: 'bob@example.net', name: 'Bob', role: 'user', disabled: true},
	]);
	t.is((await run('user', 'remove', 'bob@example.net')).code, 0);
	users = JSON.parse((await run('users', 'example.net', '--json')).stdout);
	t.is(users.length, 1);
	const refused = await run('domain', 'remove', 'example.net');
	t.is(refused.code, 2, 'no terminal to ask, no --yes');
	const removed = await run('domain', 'remove', 'example.net', '--yes');
	t.is(removed.code, 0);
	t.regex(removed.stdout, /1 mailbox/);
	t.deepEqual(JSON.parse((await run('domains', '--json')).stdout), []);
});

test('config set refuses a password and the settings file is private (0600)', async t => {
	const dir = configDir(t);
	const refused = await runCli(['config', 'set', 'smtp.password', 'hunter2'], {configDir: dir});
	t.is(refused.code, 2);
	t.regex(refused.stderr, /MASSMAIL_SMTP_PASSWORD|passwordCommand/);
	t.is((await runCli(['config', 'set', 'delivery.concurrency', '8'], {configDir: dir})).code, 0);
	const got = await runCli(['config', 'get', 'delivery.concurrency'], {configDir: dir});
	t.is(got.stdout.trim(), '8');
	const settingsFile = path.join(dir, 'settings.json');
	t.is(statSync(settingsFile).mode & 0o777, 0o600);
	t.false(readFileSync(settingsFile, 'utf8').includes('hunter2'));
	const bad = await runCli(['config', 'set', 'delivery.concurrency', 'many'], {configDir: dir});
	t.is(bad.code, 2);
});

test('send without --yes and without a terminal refuses with exit 2 and sends nothing', async t => {
	const dir = await withSample(t);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M'], {configDir: dir});
	t.is(result.code, 2);
	t.regex(result.stderr, /--yes/);
	const history = await runCli(['history', '--json'], {configDir: dir});
	t.deepEqual(JSON.parse(history.stdout), []);
});

test('an internationalized domain is stored in one form: ASCII in JSON, Unicode for people', async t => {
	const dir = configDir(t);
	t.is((await runCli(['domain', 'add', 'Bücher.Example'], {configDir: dir})).code, 0);
	t.is((await runCli(['user', 'add', 'jurgen@xn--bcher-kva.example', '--role', 'primary'], {configDir: dir})).code, 0);
	const duplicate = await runCli(['user', 'add', 'JURGEN@bücher.example'], {configDir: dir});
	t.is(duplicate.code, 2, 'the same mailbox, whichever form and case it is typed in');
	t.deepEqual(JSON.parse((await runCli(['domains', '--json'], {configDir: dir})).stdout), [
		{name: 'xn--bcher-kva.example', users: 1, admins: 1, primary: 'jurgen@xn--bcher-kva.example'},
	]);
	const table = await runCli(['domains'], {configDir: dir});
	t.regex(table.stdout, /^bücher\.example\s+1\s+1\s+jurgen@bücher\.example$/m);
});

test('a hand-broken settings file is reported with its path and position, left as it was, exit 2', async t => {
	const dir = configDir(t);
	const file = path.join(dir, 'settings.json');
	const broken = '{"smtp": {"host": "mail.example.com",}}';
	writeFileSync(file, broken);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run'], {configDir: dir});
	t.is(result.code, 2);
	t.true(result.stderr.includes(file), result.stderr);
	t.regex(result.stderr, /line 1/);
	t.notRegex(result.stderr, /\n\s+at /, 'no stack trace');
	const set = await runCli(['config', 'set', 'smtp.port', '465'], {configDir: dir});
	t.is(set.code, 2);
	t.is(readFileSync(file, 'utf8'), broken);
});

test('--help lists every command and --version prints the version', async t => {
	const dir = configDir(t);
	const help = await runCli(['--help'], {configDir: dir});
	t.is(help.code, 0);
	for (const command of ['import', 'domains', 'users', 'domain add', 'domain remove', 'user add', 'user set', 'user remove', 'send', 'remind', 'history', 'show', 'resume', 'retry', 'config']) {
		t.true(help.stdout.includes(`massmail ${command}`), command);
	}

	const version = await runCli(['--version'], {configDir: dir});
	t.is(version.code, 0, version.stderr);
	t.regex(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
});
