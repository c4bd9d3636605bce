/**
 * The messages from the command line, as a script runs it, against a real SMTP server on
 * 127.0.0.1: the To line the dry run shows, a header that cannot be folded refused before
 * anything, a follow-up reminder from the original's sender.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {simpleParser, type AddressObject} from 'mailparser';
import {lastJsonLine, runCli} from '../helpers/cli.js';
import {startRecordingSmtpServer, type RecordingSmtpServer} from '../helpers/recording-smtp-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

async function server(t: ExecutionContext): Promise<RecordingSmtpServer> {
	const smtp = await startRecordingSmtpServer();
	t.teardown(async () => smtp.close());
	return smtp;
}

async function directory(t: ExecutionContext, rows: string[]): Promise<string> {
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...rows].join('\n'));
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	return dir;
}

const rows = ['ann@example.com,Ann Lee,primary,', 'bob@example.com,Bob,user,', 'jürgen@bücher.example,Jürgen Müller,user,'];

test('the dry run prints the exact To line the first recipient will get', async t => {
	const smtp = await server(t);
	const dir = await directory(t, rows);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const args = ['send', '--to', 'domain:example.com', '--subject', 'S', '--message', 'M', '--friendly-name', 'Example.com User - ', '--dry-run'];
	const result = await runCli(args, {configDir: dir, env});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^To: "Example\.com User - ann@example\.com" <ann@example\.com>$/m);
	const asJson = JSON.parse((await runCli([...args, '--json'], {configDir: dir, env})).stdout);
	t.is(asJson.to, '"Example.com User - ann@example.com" <ann@example.com>');
	t.is(smtp.messages.length, 0);
});

test('--friendly-name\'s help says what the text becomes', async t => {
	const result = await runCli(['send', '--help'], {configDir: tempConfigDir(t).dir});
	t.regex(result.stdout.replaceAll(/\s+/g, ' '), /--friendly-name TEXT +put before each recipient's address in To, as typed: "Example\.com User - " gives To: "Example\.com User - ann@example\.com" <ann@example\.com>/);
});

test('the dry run warns about an address that needs SMTPUTF8', async t => {
	const smtp = await server(t);
	const dir = await directory(t, rows);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`}});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /Warning: 1 address needs SMTPUTF8 \(non-ASCII before the @\) and fails if the server does not offer it: jürgen@bücher\.example/);
});

test('a subject or friendly name with a word that cannot fit in a header line: exit 2 naming it, nothing sent, no record', async t => {
	const smtp = await server(t);
	const dir = await directory(t, rows);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const subject = await runCli(['send', '--to', 'all', '--subject', 'x'.repeat(100_000), '--message', 'M', '--yes'], {configDir: dir, env});
	t.is(subject.code, 2, subject.stderr);
	t.regex(subject.stderr, /Subject holds a word too long for a mail header: its line would be 100,009 characters/);
	const friendly = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--friendly-name', 'y'.repeat(1000)], {configDir: dir, env});
	t.is(friendly.code, 2, friendly.stderr);
	t.regex(friendly.stderr, /To Friendly Name holds a word too long/);
	t.notRegex(friendly.stderr, /Send to/, 'refused before the question');
	t.is(smtp.messages.length, 0);
	t.deepEqual(JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout), []);
});

test('remind --follow-up keeps the original\'s From and friendly name (or --from and --friendly-name), threaded; a reminder of its own comes from the default sender', async t => {
	const smtp = await server(t);
	const dir = await directory(t, rows.slice(0, 2));
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const original = await runCli(['send', '--to', 'domain:example.com', '--from', 'IT Team <it@example.com>', '--friendly-name', 'example.com user - ', '--subject', 'Maintenance', '--message', 'Tonight.', '--yes', '--json'], {configDir: dir, env});
	t.is(original.code, 0, original.stderr);
	const {id} = lastJsonLine(original.stdout);
	const originals = await Promise.all(smtp.messages.map(async m => simpleParser(m.raw)));

	const dryRun = await runCli(['remind', '--follow-up', id, '--message', 'As announced.', '--dry-run'], {configDir: dir, env});
	t.regex(dryRun.stdout, /^To: "example\.com user - ann@example\.com" <ann@example\.com>$/m);
	const reminder = await runCli(['remind', '--follow-up', id, '--message', 'As announced.', '--yes', '--json'], {configDir: dir, env});
	t.is(reminder.code, 0, reminder.stderr);
	const reminders = await Promise.all(smtp.messages.slice(2).map(async m => simpleParser(m.raw)));
	t.is(reminders.length, 2);
	for (const mail of reminders) {
		const to = (mail.to as AddressObject).value[0];
		const first = originals.find(m => (m.to as AddressObject).value[0].address === to.address)!;
		t.is(mail.from?.text, first.from?.text);
		t.is(mail.from?.value[0].address, 'it@example.com');
		t.is((mail.to as AddressObject).text, (first.to as AddressObject).text);
		t.is(mail.inReplyTo, first.messageId);
		t.is(mail.subject, 'Reminder: Maintenance');
	}

	const changed = await runCli(['remind', '--follow-up', id, '--message', 'Again.', '--from', 'Helpdesk <help@example.com>', '--friendly-name', '', '--yes'], {configDir: dir, env});
	t.is(changed.code, 0, changed.stderr);
	const last = await simpleParser(smtp.messages.at(-1)!.raw);
	t.is(last.from?.value[0].address, 'help@example.com');
	t.is((last.to as AddressObject).value[0].name, '');

	const own = await runCli(['remind', '--to', 'user:ann@example.com', '--subject', 'Passwords', '--message', 'Change it.', '--yes'], {configDir: dir, env});
	t.is(own.code, 0, own.stderr);
	const plain = await simpleParser(smtp.messages.at(-1)!.raw);
	t.is(plain.from?.value[0].name, 'System Administrator');
	t.is((plain.to as AddressObject).text, 'ann@example.com');
	const refused = await runCli(['remind', '--to', 'user:ann@example.com', '--subject', 'P', '--message', 'M', '--from', 'IT <it@example.com>', '--yes'], {configDir: dir, env});
	t.is(refused.code, 2);
	t.regex(refused.stderr, /--from and --friendly-name go with --follow-up/);
});
