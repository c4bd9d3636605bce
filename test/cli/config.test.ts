/**
 * massmail config: `--help` names the subcommands and every key with what it means and a value
 * it takes; `config` shows each value as it would be typed and the ready queries the README
 * promises; `config set` takes what the dashboard's Settings screen takes (test/ui/settings.test.tsx).
 */
import test from 'ava';
import {SettingsStore, shellWord} from '../../source/core/settings.js';
import {readyQueries} from '../../source/core/sources/sql-queries.js';
import {runCommand} from '../helpers/in-process-cli.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const config = async (env: NodeJS.ProcessEnv, ...args: string[]) => runCommand(['config', ...args], env);

test('config --help lists the subcommands and every key with its meaning and an example', async t => {
	const {env} = tempConfigDir(t);
	for (const help of [['--help'], ['-h'], ['set', '--help'], ['list', '--help']]) {
		const {code, stdout} = await config(env, ...help);
		t.is(code, 0);
		t.regex(stdout, /^Usage: massmail config \[list\] \| get KEY \| set KEY VALUE$/m, help.join(' '));
		t.regex(stdout, /^ {2}massmail config get KEY {8}one setting as stored/m);
		t.regex(stdout, /^ {2}massmail config set KEY VALUE {2}change one setting/m);
		const words = stdout.replaceAll(/\n +/g, ' ');
		for (const {key, description, example} of SettingsStore.keys()) {
			t.regex(stdout, new RegExp(`^ {2}${key.replaceAll('.', '\\.')} +e\\.g\\. `, 'm'), key);
			t.true(words.includes(`e.g. ${shellWord(example)} ${description}`), key);
		}
	}

	const smtp = (await config(env, '--help')).stdout;
	t.regex(smtp, /^ {2}smtp\.caFile +e\.g\. \/etc\/ssl\/private-ca\.pem\n +a PEM file of the CAs to trust for the SMTP server's certificate/m);
	t.regex(smtp, /^ {2}sender\.name +e\.g\. 'System Administrator'$/m, 'an example with a space is quoted for the shell');
});

test('config shows each value as it would be typed, then the ready queries for directory.sql.query', async t => {
	const {env} = tempConfigDir(t);
	t.is((await config(env, 'set', 'delivery.rate', '30/min')).code, 0);
	t.is((await config(env, 'set', 'directory.maxAge', '1800')).code, 0);
	const {code, stdout} = await config(env);
	t.is(code, 0);
	t.regex(stdout, /^delivery\.rate +30\/min +the pace at most/m);
	t.regex(stdout, /^directory\.maxAge +30min +a send syncs first/m);
	t.regex(stdout, /^smtp\.caFile +a PEM file/m);
	t.true(stdout.includes('Ready queries for directory.sql.query'));
	for (const query of [readyQueries.postfixadmin.postgres, readyQueries.postfixadmin.mysql, readyQueries.iredmail.postgres]) {
		t.true(stdout.includes(`:\n${query}\n`) || stdout.endsWith(`:\n${query}\n`), query);
	}

	t.regex(stdout, /^-- PostfixAdmin .*; on PostgreSQL:$/m);
	t.regex(stdout, /^-- PostfixAdmin .*; on MySQL and MariaDB:$/m);
	t.regex(stdout, /^-- iRedMail .*; on PostgreSQL, MySQL and MariaDB:$/m);
	// config get is for scripts: the value as stored.
	t.is((await config(env, 'get', 'delivery.rate')).stdout, '0.5\n');
});

test('a ready query set from config\'s output is stored whole', async t => {
	const {env} = tempConfigDir(t);
	t.is((await config(env, 'set', 'directory.sql.query', readyQueries.iredmail.mysql)).code, 0);
	t.is((await config(env, 'get', 'directory.sql.query')).stdout, `${readyQueries.iredmail.mysql}\n`);
});

test('config set takes a value that starts with a dash as the value: the setting\'s own check answers, not the option parser', async t => {
	const {env} = tempConfigDir(t);
	const rate = await config(env, 'set', 'delivery.rate', '-1');
	t.is(rate.code, 2);
	t.regex(rate.stderr, /^massmail: delivery\.rate must be messages a second \(0\.5\), a minute \(30\/min\) or an hour \(1000\/h\), not "-1"/);
	const name = await config(env, 'set', 'sender.name', '-Admin-');
	t.is(name.code, 0, name.stderr);
	t.is((await config(env, 'get', 'sender.name')).stdout, '-Admin-\n');
});

test('config set refuses a directory.sql.url that sync would refuse, by the same words, and keeps the one before', async t => {
	const {env} = tempConfigDir(t);
	t.is((await config(env, 'set', 'directory.sql.url', 'postgres://mail@db.example.com/postfix')).code, 0);
	for (const [url, words] of [
		['postgres://mail@db.example.com/postfix?sslmode=require', 'takes no parameters (?… or #…)'],
		['mysql://mail@db.example.com/', 'must name one database after the host'],
		['postgres://db.example.com/postfix', 'names no user (the part before @)'],
	] as const) {
		const {code, stderr} = await config(env, 'set', 'directory.sql.url', url);
		t.is(code, 2, url);
		t.true(stderr.includes(`massmail: directory.sql.url ${words}`), stderr);
		t.false(stderr.includes(url), 'the URL is not repeated (it may hold a password)');
	}

	t.is((await config(env, 'get', 'directory.sql.url')).stdout.trim(), 'postgres://mail@db.example.com/postfix');
});
