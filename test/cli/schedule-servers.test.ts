/**
 * `run-due` against the real servers a scheduled send meets when nobody is there: a PostgreSQL
 * directory source (PostfixAdmin's tables) that is synced first, and down at run time; and a real
 * Postfix that delivers what run-due sends to Maildirs, each recipient exactly once. The time is
 * set by the test (MASSMAIL_NOW), not waited for.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {createMailSchema} from '../../bench/lib/sql-directory.js';
import {readyQueries} from '../../source/core/sources/sql-queries.js';
import {lastJsonLine, runCli} from '../helpers/cli.js';
import {startPostfix} from '../helpers/postfix-server.js';
import {startPostgres} from '../helpers/postgres-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

// Friday 11 December 2026, 15:00 in Berlin; the send is for Saturday 18:00 (17:00 UTC).
const friday = '2026-12-11T14:00:00Z';
const saturday = '2026-12-12T17:00:20Z';

const mailbox = (address: string) => {
	const [local, domain] = address.split('@');
	return `('${address}', '${local}', '${domain}/${local}/', '${local}', '${domain}', TRUE)`;
};

test.serial('the directory source synced before a scheduled send, and down at run time: nothing sent, the reason recorded', async t => {
	const postgres = await startPostgres();
	t.teardown(async () => postgres.stop());
	await createMailSchema(postgres, 'postfixadmin', 'postfix');
	const addresses = ['ann@example.com', 'bob@example.com', 'cy@example.com'];
	await postgres.sql(`INSERT INTO domain (domain, description, active) VALUES ('example.com', 'Example', TRUE);
		INSERT INTO mailbox (username, name, maildir, local_part, domain, active) VALUES ${addresses.map(address => mailbox(address)).join(', ')};`, 'postfix');
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const {dir} = tempConfigDir(t);
	const env = (time: string) => ({MASSMAIL_DIRECTORY_PASSWORD: postgres.reader.password, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MASSMAIL_NOW: time, TZ: 'Europe/Berlin'});
	for (const [key, value] of [['directory.source', 'sql'], ['directory.sql.url', postgres.url('postfix')], ['directory.sql.query', readyQueries.postfixadmin.postgres]]) {
		t.is((await runCli(['config', 'set', key!, value!], {configDir: dir, env: env(friday)})).code, 0, key);
	}

	t.is((await runCli(['sync'], {configDir: dir, env: env(friday)})).code, 0);
	const first = await runCli(['send', '--to', 'domain:example.com', '--subject', 'First', '--message', 'M', '--at', 'Sat 18:00', '--yes', '--json'], {configDir: dir, env: env(friday)});
	t.is(first.code, 0, first.stderr);
	const second = await runCli(['send', '--to', 'domain:example.com', '--subject', 'Second', '--message', 'M', '--at', 'Sat 19:00', '--yes', '--json'], {configDir: dir, env: env(friday)});
	t.is(second.code, 0, second.stderr);

	// The source is read again when it runs: a mailbox added meanwhile (3 -> 4 is more than 10%,
	// so the limit is raised for this part) is reached.
	t.is((await runCli(['config', 'set', 'schedule.maxChange', '50%'], {configDir: dir, env: env(friday)})).code, 0);
	await postgres.sql(`INSERT INTO mailbox (username, name, maildir, local_part, domain, active) VALUES ${mailbox('dee@example.com')};`, 'postfix');
	const ran = await runCli(['run-due'], {configDir: dir, env: env(saturday)});
	t.is(ran.code, 0, ran.stderr);
	t.regex(ran.stderr, /Syncing the directory from sql first/);
	t.deepEqual(smtp.messages.flatMap(message => message.envelope.to).sort(), [...addresses, 'dee@example.com'].sort());

	await postgres.stop();
	const down = await runCli(['run-due'], {configDir: dir, env: env('2026-12-12T18:00:20Z')});
	t.is(down.code, 2, down.stderr);
	t.regex(down.stderr, /refused: the directory source \(sql\) could not be read/);
	t.notRegex(down.stderr, /\n\s+at .+:\d+:\d+/);
	t.is(smtp.messages.length, 4, 'nothing more sent');
	const listed = JSON.parse((await runCli(['scheduled', '--json'], {configDir: dir, env: env('2026-12-12T18:01:00Z')})).stdout) as Array<{id: string; state: string; reason: string}>;
	const refused = listed.find(send => send.id === (JSON.parse(second.stdout) as {id: string}).id)!;
	t.is(refused.state, 'refused');
	t.regex(refused.reason, /could not be read/);
});

test.serial('run-due through a real Postfix: each recipient\'s Maildir holds the scheduled message exactly once', async t => {
	const mailboxes = Array.from({length: 12}, (_, i) => `user${i}@example.com`);
	const postfix = await startPostfix({mailboxes});
	t.teardown(async () => postfix.stop());
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...mailboxes.map(address => `${address},,user,`)].join('\n'));
	t.is((await runCli(['import', csv], {configDir: dir})).code, 0);
	const env = (time: string) => ({MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`, MASSMAIL_NOW: time, TZ: 'Europe/Berlin'});
	const scheduled = await runCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.', '--at', 'Sat 18:00', '--yes', '--json'], {configDir: dir, env: env(friday)});
	t.is(scheduled.code, 0, scheduled.stderr);
	const early = await runCli(['run-due'], {configDir: dir, env: env('2026-12-12T16:59:00Z')});
	t.is(early.code, 0, early.stderr);

	const [one, two] = await Promise.all([runCli(['run-due', '--json'], {configDir: dir, env: env(saturday)}), runCli(['run-due', '--json'], {configDir: dir, env: env(saturday)})]);
	t.is(one.code, 0, one.stderr + one.stdout);
	t.is(two.code, 0, two.stderr + two.stdout);
	const summaries = [one, two].map(result => result.stdout).filter(stdout => stdout.includes('"status"')).map(stdout => lastJsonLine(stdout));
	t.is(summaries.length, 1, 'one of them sent');
	t.like(summaries[0], {total: 12, sent: 12, failed: 0, status: 'finished'});
	await postfix.waitForDelivered(12, 30_000);
	const counts = postfix.countsByRecipient();
	for (const address of mailboxes) {
		t.is(counts.get(address), 1, address);
	}
});
