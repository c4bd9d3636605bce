/**
 * No secret stored or echoed from the settings and the environment (issue 21, items 1 and 2):
 * a URL setting holding a password is refused by `config set` before anything is written, and
 * never repeated; one written into settings.json before (by hand, by an old version) is shown
 * without its password by `config list|get`, said to hold one, and still refused by the sync;
 * every message about MASSMAIL_SMTP_URL names the part that is wrong, never its value.
 * Real files under MASSMAIL_CONFIG_DIR, the command line run in this process.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {runCommand} from '../helpers/in-process-cli.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const directoryPassword = 'MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand';
const inUserinfo = (key: string) => `massmail: ${key} holds a password after the user name (user:PASSWORD@), which massmail never stores: remove it from the URL, and set ${directoryPassword} instead`;

/** A settings file with a value in it already, and its bytes. */
function settingsFile(t: Parameters<typeof tempConfigDir>[0]): {env: NodeJS.ProcessEnv; file: string; before: string} {
	const {dir, env} = tempConfigDir(t);
	const file = path.join(dir, 'settings.json');
	fs.writeFileSync(file, JSON.stringify({sender: {address: 'postmaster@example.net', name: 'IT Desk'}, directory: {sql: {url: 'postgres://old@127.0.0.1/postfix'}}}), {mode: 0o600});
	return {env, file, before: fs.readFileSync(file, 'utf8')};
}

test('config set refuses a URL setting holding a password, says which part and where the password goes, and writes nothing', async t => {
	const cases: Array<{key: string; url: string; secret: string; message: string; hint: string}> = [
		// The issue's own case.
		{
			key: 'directory.sql.url', url: 'postgres://mailreader:pgSecret-9f3@127.0.0.1:35432/postgres', secret: 'pgSecret-9f3',
			message: inUserinfo('directory.sql.url'), hint: 'for example: massmail config set directory.sql.url postgres://mailreader@127.0.0.1:5432/postfix',
		},
		// A password holding / (the URL parser reads `1234` as a port) or @.
		{
			key: 'directory.sql.url', url: 'postgres://mailreader:1234/pgSecret@127.0.0.1:35432/postgres', secret: 'pgSecret',
			message: inUserinfo('directory.sql.url'), hint: 'for example: massmail config set directory.sql.url postgres://mailreader@127.0.0.1:5432/postfix',
		},
		{
			key: 'directory.sql.url', url: 'mysql://mailreader:pg@Secret@127.0.0.1/postfix', secret: 'pg@Secret',
			message: inUserinfo('directory.sql.url'), hint: 'for example: massmail config set directory.sql.url postgres://mailreader@127.0.0.1:5432/postfix',
		},
		// A password as a parameter, as pg and mysql2 would take it.
		{
			key: 'directory.sql.url', url: 'mysql://mailreader@127.0.0.1/postfix?password=pgSecret-9f3', secret: 'pgSecret-9f3',
			message: `massmail: directory.sql.url holds a password in a parameter (?password=…), which massmail never stores: remove it from the URL, and set ${directoryPassword} instead`,
			hint: 'for example: massmail config set directory.sql.url postgres://mailreader@127.0.0.1:5432/postfix',
		},
		{
			key: 'directory.ldap.url', url: 'ldap://cn=reader:ldapSecret-4k1@127.0.0.1:3890', secret: 'ldapSecret-4k1',
			message: inUserinfo('directory.ldap.url'), hint: 'for example: massmail config set directory.ldap.url ldap://ldap.example.com',
		},
		{
			key: 'directory.smartermail.url', url: 'https://admin:smSecret-7q2@mail.example.com', secret: 'smSecret-7q2',
			message: inUserinfo('directory.smartermail.url'), hint: 'for example: massmail config set directory.smartermail.url https://mail.example.com',
		},
		// The SMTP host is no URL: one typed there is refused without being repeated.
		{
			key: 'smtp.host', url: 'smtp://ann:Hunter2Secret@mail.example.com', secret: 'Hunter2Secret',
			message: 'massmail: smtp.host must be a host name or IP address, without a user or password before @: the user goes in smtp.user, the password in MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand',
			hint: 'for example: massmail config set smtp.host mail.example.com',
		},
		{
			key: 'smtp.host', url: 'smtps://mail.example.com/Hunter2Secret', secret: 'Hunter2Secret',
			message: 'massmail: smtp.host must be a host name or IP address, not a URL (mail.example.com)',
			hint: 'for example: massmail config set smtp.host mail.example.com',
		},
	];
	for (const {key, url, secret, message, hint} of cases) {
		const {env, file, before} = settingsFile(t);
		const {code, stdout, stderr} = await runCommand(['config', 'set', key, url], env);
		t.is(code, 2, url);
		t.is(stderr, `${message}\n${hint}\n`, url);
		t.false(`${stdout}${stderr}`.includes(secret), url);
		t.is(fs.readFileSync(file, 'utf8'), before, `${url}: settings.json unchanged`);
	}
});

test('a URL with a user name alone is taken', async t => {
	const {env, file} = settingsFile(t);
	const url = 'postgres://mailreader@127.0.0.1:35432/postgres';
	const {code, stdout} = await runCommand(['config', 'set', 'directory.sql.url', url], env);
	t.is(code, 0);
	t.is(stdout, `directory.sql.url = ${url}\n`);
	t.is((JSON.parse(fs.readFileSync(file, 'utf8')) as {directory: {sql: {url: string}}}).directory.sql.url, url);
});

test('a settings file written before with a password in a URL: config list and get never show it and say it must be removed; the sync refuses it', async t => {
	const {dir, env} = tempConfigDir(t);
	const file = path.join(dir, 'settings.json');
	fs.writeFileSync(file, JSON.stringify({
		sender: {address: 'postmaster@example.net'},
		smtp: {host: 'ann:smtpSecret-1z@mail.example.com'},
		directory: {
			source: 'sql',
			sql: {url: 'postgres://mailreader:pgSecret-9f3@127.0.0.1:35432/postgres', query: 'SELECT 1'},
			ldap: {url: 'ldap://cn=reader:ldap/Secret-4k1@127.0.0.1:3890'},
			smartermail: {url: 'https://admin@mail.example.com/?password=smSecret-7q2'},
		},
	}), {mode: 0o600});
	const before = fs.readFileSync(file, 'utf8');
	const secrets = ['smtpSecret-1z', 'pgSecret-9f3', 'Secret-4k1', 'smSecret-7q2'];
	const noSecret = (text: string, what: string) => {
		for (const secret of secrets) {
			t.false(text.includes(secret), `${what}: ${secret}`);
		}
	};

	const list = await runCommand(['config', 'list'], env);
	t.is(list.code, 0);
	noSecret(list.stdout + list.stderr, 'config list');
	t.regex(list.stdout, /^smtp\.host +\*\*\*@mail\.example\.com +the SMTP server/m);
	t.regex(list.stdout, /^directory\.sql\.url +postgres:\/\/mailreader:\*\*\*@127\.0\.0\.1:35432\/postgres +postgres:\/\//m);
	t.regex(list.stdout, /^directory\.ldap\.url +ldap:\/\/cn=reader:\*\*\*@127\.0\.0\.1:3890 +ldap:\/\//m);
	t.regex(list.stdout, /^directory\.smartermail\.url +https:\/\/admin@mail\.example\.com\/\?password=\*\*\* +the SmarterMail/m);
	t.is(list.stderr, [
		'Warning: smtp.host in the settings file holds a user or password before @: remove it; the user goes in smtp.user, the password in MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand (shown here without it).',
		`Warning: directory.sql.url in the settings file holds a password after the user name (user:PASSWORD@), which massmail never stores: remove it from the URL, and set ${directoryPassword} instead (shown here without it).`,
		`Warning: directory.ldap.url in the settings file holds a password after the user name (user:PASSWORD@), which massmail never stores: remove it from the URL, and set ${directoryPassword} instead (shown here without it).`,
		`Warning: directory.smartermail.url in the settings file holds a password in a parameter (?password=…), which massmail never stores: remove it from the URL, and set ${directoryPassword} instead (shown here without it).`,
		'',
	].join('\n'));

	const one = await runCommand(['config', 'get', 'directory.sql.url'], env);
	t.is(one.code, 0);
	t.is(one.stdout, 'postgres://mailreader:***@127.0.0.1:35432/postgres\n');
	t.is(one.stderr, `Warning: directory.sql.url in the settings file holds a password after the user name (user:PASSWORD@), which massmail never stores: remove it from the URL, and set ${directoryPassword} instead (shown here without it).\n`);

	const section = await runCommand(['config', 'get', 'directory'], env);
	t.is(section.code, 0);
	noSecret(section.stdout + section.stderr, 'config get directory');
	t.like(JSON.parse(section.stdout), {source: 'sql', sql: {url: 'postgres://mailreader:***@127.0.0.1:35432/postgres', query: 'SELECT 1'}, ldap: {url: 'ldap://cn=reader:***@127.0.0.1:3890'}});
	t.is(section.stderr.split('\n').filter(line => line.startsWith('Warning: ')).length, 3);
	const smtp = await runCommand(['config', 'get', 'smtp'], env);
	noSecret(smtp.stdout + smtp.stderr, 'config get smtp');
	t.is((JSON.parse(smtp.stdout) as {host: string}).host, '***@mail.example.com');

	const sync = await runCommand(['sync', '--dry-run'], env);
	t.is(sync.code, 2);
	t.true(sync.stderr.startsWith('massmail: directory.sql.url holds a password: a password never goes in the URL, which is shown and stored\n'), sync.stderr);
	noSecret(sync.stdout + sync.stderr, 'sync');
	t.is(fs.readFileSync(file, 'utf8'), before, 'reading never rewrites the file');
});

test('a send with smtp.host written with user:password@ into the file says so, exit 2, without the password (not "a port that is not a number")', async t => {
	const {dir, env} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	fs.writeFileSync(csv, 'email,name,role,disabled\nann@example.com,Ann,user,false\n');
	t.is((await runCommand(['import', csv], env)).code, 0);
	fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({sender: {address: 'postmaster@example.net'}, smtp: {host: 'ann:smtpSecret-1z@mail.example.com'}}), {mode: 0o600});
	for (const args of [['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], ['config', 'list']]) {
		const result = await runCommand(args, env);
		t.false((result.stdout + result.stderr).includes('smtpSecret-1z'), args[0]);
		if (args[0] === 'send') {
			t.is(result.code, 2, result.stderr);
			t.regex(result.stderr, /^massmail: smtp\.host in the settings file holds a user or password before @, which massmail never stores/);
		} else {
			t.is(result.code, 0, result.stderr);
		}
	}
});

test('every message about MASSMAIL_SMTP_URL says which part is wrong and never prints the value', async t => {
	const {dir, env} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	fs.writeFileSync(csv, 'email,name,role,disabled\nann@example.com,Ann,user,false\n');
	t.is((await runCommand(['import', csv], env)).code, 0);
	const examples = 'write it as smtp://user@mail.example.com:587 or smtps://mail.example.com:465; the password goes in MASSMAIL_SMTP_PASSWORD (or smtp.passwordCommand), never in the URL';
	const cases: Array<[string, string, string]> = [
		// The case: the @ forgotten, the password read as a port.
		['smtp://ann:Hunter2Secret', 'MASSMAIL_SMTP_URL is not a URL: its port (after the host and ":") is not a number', examples],
		// A password pasted into the variable.
		['Hunter2Secret', 'MASSMAIL_SMTP_URL must start with smtp:// or smtps:// (what it holds is not shown: it may be a password)', examples],
		['Hunter2:Secret', 'MASSMAIL_SMTP_URL must start with smtp:// or smtps:// (what it holds is not shown: it may be a password)', examples],
		['smtp://127.0.0.1:2525?tls=Hunter2Secret', 'MASSMAIL_SMTP_URL has a tls= value that is not one of implicit, starttls, opportunistic (the value is not shown)', 'for example: smtp://mail.example.com:465?tls=implicit'],
		['smtp://127.0.0.1:2525?password=Hunter2Secret', 'MASSMAIL_SMTP_URL holds a password in a parameter (?…=); it is never read from there', 'remove it from the URL, and put the password in MASSMAIL_SMTP_PASSWORD, or set smtp.passwordCommand'],
		['smtp://127.0.0.1:2525?Hunter2Xyz', 'MASSMAIL_SMTP_URL takes one parameter, tls=implicit|starttls|opportunistic, and has another', examples],
		['smtp://ann:Hunter2/Secret@127.0.0.1:2525', 'MASSMAIL_SMTP_URL holds a password after the user name (user:PASSWORD@); it is never read from there', 'remove it from the URL, and put the password in MASSMAIL_SMTP_PASSWORD, or set smtp.passwordCommand'],
		['smtp://Hunter2Secret@127.0.0.1:99999', 'MASSMAIL_SMTP_URL is not a URL: its port is above 65535', examples],
	];
	for (const [url, message, hint] of cases) {
		const {code, stdout, stderr} = await runCommand(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {...env, MASSMAIL_SMTP_URL: url});
		t.is(code, 2, url);
		t.is(stderr, `massmail: ${message}\n${hint}\n`, url);
		t.false(`${stdout}${stderr}`.includes('Hunter2'), url);
	}
});
