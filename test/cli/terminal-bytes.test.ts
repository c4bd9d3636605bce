/**
 * A hostile server, file or source cannot write to the administrator's terminal: what the
 * built program prints (send, show, show --csv/--json, retry, history, import, users) shows
 * control characters as `\x1b`, `\x9b`, `\u202e`, never as the bytes; the record keeps the bytes
 * received, and `--json` gives them back exactly. A CSV export starts a cell a spreadsheet would
 * run as a formula with `'`. The SMTP server is smtp-server on 127.0.0.1 answering with a raw
 * line of the test's choosing; the bounce mailbox is a Dovecot on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {bounceUser, startBounceMailbox} from '../helpers/bounce-mailbox.js';
import {lastJsonLine, runCli, type CliResult} from '../helpers/cli.js';
import {postfixBounce} from '../helpers/report-messages.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir, testSenderAddress} from '../helpers/temp-dir.js';

/** Clears the screen, retitles the window (OSC 0 … BEL), a NUL, CSI as one C1 byte, a right-to-left override. */
const hostileReply = '550 5.1.1 \u001B[2J\u001B]0;PWNED\u0007 nul:\u0000 csi:\u009B31m rlo:\u202Eevil';
/** The same, as it must be shown. */
const hostileShown = String.raw`550 5.1.1 \x1b[2J\x1b]0;PWNED\x07 nul:\x00 csi:\x9b31m rlo:\u202eevil`;

/**
 * Any character a terminal acts on: C0 but the line break, DEL, C1, the direction controls.
 * (No output here has a tab of its own: a tab would be a server's or a file's.)
 */
const obeyed = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

function assertNothingObeyed(t: ExecutionContext, result: Pick<CliResult, 'stdout' | 'stderr'>, what: string): void {
	t.false(obeyed.test(result.stdout), `${what}, stdout: ${JSON.stringify(result.stdout)}`);
	t.false(obeyed.test(result.stderr), `${what}, stderr: ${JSON.stringify(result.stderr)}`);
}

interface Setup {
	server: TestSmtpServer;
	dir: string;
	env: Record<string, string>;
}

/** A directory of ann, hostile (refused with the reply above), carol and bob (accepted); one attempt each. */
async function setup(t: ExecutionContext): Promise<Setup> {
	const server = await startTestSmtpServer({rawReply: (address, stage) => stage === 'rcpt' && address === 'hostile@example.com' ? hostileReply : undefined});
	t.teardown(async () => server.close());
	const {dir} = tempConfigDir(t);
	fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({sender: {address: testSenderAddress}, delivery: {maxAttempts: 1}}), {mode: 0o600});
	const csv = path.join(dir, 'users.csv');
	fs.writeFileSync(csv, ['email,name,role,disabled', 'ann@example.com,Ann,user,', 'hostile@example.com,,user,', 'carol@example.com,,user,', 'bob@example.com,,user,'].join('\n'));
	const imported = await runCli(['import', csv], {configDir: dir});
	t.is(imported.code, 0, imported.stderr);
	return {server, dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}};
}

async function sendToAll(t: ExecutionContext, s: Setup, extra: string[] = []): Promise<CliResult & {id: string}> {
	const result = await runCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.', '--yes', ...extra], {configDir: s.dir, env: s.env});
	t.is(result.code, 1, result.stderr);
	const id = extra.includes('--json') ? lastJsonLine(result.stdout).id as string : /Sending (\S+) to/.exec(result.stderr)?.[1];
	t.truthy(id, result.stderr);
	return {...result, id: id!};
}

test('a reply that clears the screen and retitles the window is shown as \\x1b… by send, show and retry; the record keeps its bytes', async t => {
	const s = await setup(t);
	const sent = await sendToAll(t, s);
	assertNothingObeyed(t, sent, 'send');
	t.true(sent.stderr.includes(`failed: hostile@example.com: ${hostileShown}\n`), sent.stderr);

	const shown = await runCli(['show', sent.id], {configDir: s.dir, env: s.env});
	t.is(shown.code, 0, shown.stderr);
	assertNothingObeyed(t, shown, 'show');
	t.regex(shown.stdout, /hostile@example\.com\s+failed\s+1\s+/);
	t.true(shown.stdout.includes(hostileShown), shown.stdout);

	// The record holds what the server said, byte for byte; --json gives it back exactly.
	const outcomes = fs.readFileSync(path.join(s.dir, 'sends', sent.id, 'outcomes.log'), 'utf8');
	t.true(outcomes.includes(`\tF\t1\t${hostileReply}\n`), JSON.stringify(outcomes));
	const asJson = await runCli(['show', sent.id, '--json'], {configDir: s.dir, env: s.env});
	assertNothingObeyed(t, asJson, 'show --json');
	const recipients = JSON.parse(asJson.stdout).recipients as Array<{address: string; response: string}>;
	t.is(recipients.find(recipient => recipient.address === 'hostile@example.com')?.response, hostileReply);

	const history = await runCli(['history'], {configDir: s.dir, env: s.env});
	assertNothingObeyed(t, history, 'history');
	t.true(history.stdout.includes(sent.id), history.stdout);

	// Retry meets the same reply: shown the same way.
	const retried = await runCli(['retry', sent.id, '--yes'], {configDir: s.dir, env: s.env});
	t.is(retried.code, 1, retried.stderr);
	assertNothingObeyed(t, retried, 'retry');
	t.true(retried.stderr.includes(`failed: hostile@example.com: ${hostileShown}\n`), retried.stderr);
});

test('send --json: the outcome lines carry the reply exactly, with the C1 and direction characters written \\u009b', async t => {
	const s = await setup(t);
	const sent = await sendToAll(t, s, ['--json']);
	assertNothingObeyed(t, sent, 'send --json');
	const outcomes = sent.stdout.trim().split('\n').map(line => JSON.parse(line) as {type?: string; address?: string; response?: string});
	t.is(outcomes.find(line => line.type === 'outcome' && line.address === 'hostile@example.com')?.response, hostileReply);
	t.true(sent.stdout.includes(String.raw`csi:\u009b31m rlo:\u202eevil`), sent.stdout);
});

test('show --csv: control characters visible, and a bounce\'s words a spreadsheet would run as a formula start with \'', async t => {
	const s = await setup(t);
	const mailbox = await startBounceMailbox(t);
	const login = mailbox.login();
	fs.writeFileSync(path.join(s.dir, 'settings.json'), JSON.stringify({
		sender: {address: testSenderAddress},
		delivery: {maxAttempts: 1},
		tracking: {returnPath: bounceUser, verp: true, imap: {host: login.host, port: login.port, tls: 'none', user: login.user}},
	}), {mode: 0o600});
	const sent = await sendToAll(t, s);
	// Bounces of ann's and carol's messages whose Diagnostic-Code a remote server filled with formulas.
	const bounce = (index: number, address: string, diagnostic: string) => postfixBounce(sent.id, index, address).replace('Diagnostic-Code: X-Postfix; mailbox full', `Diagnostic-Code: X-Postfix; ${diagnostic}`);
	mailbox.deliver([bounce(0, 'ann@example.com', '=HYPERLINK("http://evil.example/","click")'), bounce(2, 'carol@example.com', '@SUM(1+1)')]);
	const tracked = await runCli(['track', sent.id], {configDir: s.dir, env: {...s.env, MASSMAIL_TRACKING_PASSWORD: login.password}});
	t.is(tracked.code, 0, tracked.stderr);
	assertNothingObeyed(t, tracked, 'track');
	t.true(tracked.stdout.includes('ann@example.com    5.2.2  =HYPERLINK("http://evil.example/","click")'), tracked.stdout);

	const csv = await runCli(['show', sent.id, '--csv'], {configDir: s.dir, env: s.env});
	t.is(csv.code, 0, csv.stderr);
	assertNothingObeyed(t, csv, 'show --csv');
	const lines = csv.stdout.trim().split('\n');
	t.is(lines.find(line => line.startsWith('hostile@example.com,')), `hostile@example.com,failed,1,${hostileShown},<${sent.id}.3@mail.example.net>,false,,,,,`);
	// Quoted (it holds quotes and commas), and begun with ' inside the quotes: a spreadsheet shows the text.
	t.regex(lines.find(line => line.startsWith('ann@example.com,'))!, new RegExp(`^ann@example\\.com,sent,1,250 OK: queued as \\d,<${sent.id}\\.0@mail\\.example\\.net>,false,,bounced,5\\.2\\.2,"'=HYPERLINK\\(""http://evil\\.example/"",""click""\\)",\\d{4}-`));
	t.regex(lines.find(line => line.startsWith('carol@example.com,'))!, /,false,,bounced,5\.2\.2,'@SUM\(1\+1\),\d{4}-/);
	// What massmail writes itself is left alone: the attempts, the state, the time.
	t.regex(lines.find(line => line.startsWith('bob@example.com,'))!, /^bob@example\.com,sent,1,250 OK: queued as \d,<[^>]+>,false,,accepted,,,$/);
	// The record keeps the bounce's words as the report said them.
	t.true(fs.readFileSync(path.join(s.dir, 'sends', sent.id, 'reports.log'), 'utf8').includes('=HYPERLINK(\\"http://evil.example/\\",\\"click\\")'));
});

test('a file name and a name from a file: import and users show their control characters, refused rows too', async t => {
	const {dir} = tempConfigDir(t);
	// A file name that retitles the window; a name whose right-to-left override would reverse the line.
	const hostileFile = path.join(dir, 'users\u001B]0;PWNED\u0007.csv');
	const missing = await runCli(['import', path.join(dir, 'gone\u001B[2J.csv')], {configDir: dir});
	t.is(missing.code, 2, missing.stderr);
	assertNothingObeyed(t, missing, 'import of a missing file');
	t.true(missing.stderr.includes(String.raw`gone\x1b[2J.csv`), missing.stderr);

	fs.writeFileSync(hostileFile, 'email,name,role,disabled\nann@example.com,Ann \u202Eevil,user,\n');
	const imported = await runCli(['import', hostileFile], {configDir: dir});
	t.is(imported.code, 0, imported.stderr);
	assertNothingObeyed(t, imported, 'import');
	t.true(imported.stdout.includes(String.raw`users\x1b]0;PWNED\x07.csv`), imported.stdout);
	const users = await runCli(['users', 'example.com'], {configDir: dir});
	assertNothingObeyed(t, users, 'users');
	t.true(users.stdout.includes(String.raw`Ann \u202eevil`), users.stdout);
	// --json keeps the name as it is stored.
	const usersJson = await runCli(['users', 'example.com', '--json'], {configDir: dir});
	assertNothingObeyed(t, usersJson, 'users --json');
	t.is(JSON.parse(usersJson.stdout)[0].name, 'Ann \u202Eevil');

	// A row refused for a control character: the refusal quotes it, visibly (JSON.stringify leaves C1 as it is).
	fs.writeFileSync(hostileFile, 'email,name,role,disabled\nbob@example.com,Bob \u009B2J,user,\n');
	const refused = await runCli(['import', hostileFile], {configDir: dir});
	t.is(refused.code, 2, refused.stderr);
	assertNothingObeyed(t, refused, 'a refused import');
	t.true(refused.stderr.includes(String.raw`Bob \x9b2J`), refused.stderr);
});
