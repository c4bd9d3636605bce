/**
 * send, remind, history, show, resume and retry as child processes against a real SMTP
 * server on 127.0.0.1: what the server received, what the records say, the exit statuses.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {simpleParser} from 'mailparser';
import {lastJsonLine, runCli, spawnCli} from '../helpers/cli.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const configDir = (t: ExecutionContext): string => tempConfigDir(t).dir;

async function server(t: ExecutionContext, options?: Parameters<typeof startTestSmtpServer>[0]): Promise<TestSmtpServer> {
	const smtp = await startTestSmtpServer(options);
	t.teardown(async () => smtp.close());
	return smtp;
}

async function directory(t: ExecutionContext, rows: string[]): Promise<string> {
	const dir = configDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...rows].join('\n'));
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	return dir;
}

const smtpUrl = (smtp: TestSmtpServer) => `smtp://127.0.0.1:${smtp.port}`;

test('send --yes --json delivers one message per recipient and prints the final summary', async t => {
	const smtp = await server(t);
	const dir = await directory(t, ['ann@example.com,Ann,primary,', 'bob@example.com,Bob,user,', 'cid@example.com,Cid,user,yes']);
	const result = await runCli(['send', '--to', 'domain:example.com', '--subject', 'Policy for {{name}}', '--message', 'Dear {{name}}', '--friendly-name', 'Example.com User - ', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: smtpUrl(smtp)}});
	t.is(result.code, 0, result.stderr);
	const summary = lastJsonLine(result.stdout);
	t.like(summary, {total: 2, sent: 2, failed: 0, status: 'finished'});
	t.is(typeof summary.id, 'string');
	t.deepEqual(smtp.messages.map(m => m.envelope.to).sort(), [['ann@example.com'], ['bob@example.com']]);
	const ann = await simpleParser(smtp.messages.find(m => m.envelope.to[0] === 'ann@example.com')!.raw);
	t.is(ann.subject, 'Policy for Ann');
	t.is(ann.headers.get('to') && (ann.to as {text: string}).text, '"Example.com User - ann@example.com" <ann@example.com>');
	t.is(ann.headers.get('auto-submitted'), 'auto-generated');
	t.is(ann.headers.get('precedence'), 'bulk');
	const history = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.like(history[0], {id: summary.id, kind: 'email', subject: 'Policy for {{name}}', total: 2, sent: 2, failed: 0, status: 'finished'});
});

test('a refused recipient makes exit 1 and show --json keeps the server\'s words', async t => {
	const smtp = await server(t);
	const dir = await directory(t, ['ann@example.com,Ann,user,', 'refuse+bob@example.com,Bob,user,']);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: smtpUrl(smtp)}});
	t.is(result.code, 1, result.stderr);
	const {id} = lastJsonLine(result.stdout);
	const show = JSON.parse((await runCli(['show', id, '--json'], {configDir: dir})).stdout);
	t.like(show, {id, total: 2, sent: 1, failed: 1});
	// History's object plus the recipients, as PRODUCT.md says: every field history --json gives is there, alike.
	const [listed] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout) as Array<Record<string, unknown>>;
	t.deepEqual({...show, recipients: undefined}, {...listed, recipients: undefined});
	const bob = show.recipients.find((r: {address: string}) => r.address === 'refuse+bob@example.com');
	t.like(bob, {status: 'failed', attempts: 1});
	t.regex(bob.response, /550/);
	t.regex(bob.response, /No such user/);
	const csv = (await runCli(['show', id, '--csv', '--failed'], {configDir: dir})).stdout.trim().split('\n');
	t.is(csv.length, 2);
	t.regex(csv[1]!, /^refuse\+bob@example\.com,failed,1,/);
});

test('an unreachable server or a refused login sends nothing and exits 3', async t => {
	const smtp = await server(t, {auth: {user: 'admin', pass: 'right-password'}});
	const dir = await directory(t, ['ann@example.com,Ann,user,']);
	const closed = await startTestSmtpServer();
	const closedPort = closed.port;
	await closed.close();
	const unreachable = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${closedPort}`}});
	t.is(unreachable.code, 3, unreachable.stderr);
	const badLogin = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://admin@127.0.0.1:${smtp.port}`, MASSMAIL_SMTP_PASSWORD: 'wrong-password'}});
	t.is(badLogin.code, 3, badLogin.stderr);
	t.notRegex(badLogin.stderr, /wrong-password/);
	t.is(smtp.messages.length, 0);
	t.deepEqual(JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout).filter((s: {sent: number}) => s.sent > 0), []);
});

test('the password reaches the server but no file and no output', async t => {
	const smtp = await server(t, {auth: {user: 'admin', pass: 's3cret-Passw0rd'}});
	const dir = await directory(t, ['ann@example.com,Ann,user,']);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://admin@127.0.0.1:${smtp.port}`, MASSMAIL_SMTP_PASSWORD: 's3cret-Passw0rd'}});
	t.is(result.code, 0, result.stderr);
	t.is(smtp.logins, 1);
	t.false((result.stdout + result.stderr).includes('s3cret-Passw0rd'));
	const files = readdirSync(dir, {recursive: true, withFileTypes: true}).filter(entry => entry.isFile());
	t.true(files.length > 2);
	for (const entry of files) {
		const file = path.join(entry.parentPath, entry.name);
		t.false(readFileSync(file, 'latin1').includes('s3cret-Passw0rd'), file);
	}
});

test('a subject with a line break is refused with exit 2 before anything is sent', async t => {
	const smtp = await server(t);
	const dir = await directory(t, ['ann@example.com,Ann,user,']);
	const result = await runCli(['send', '--to', 'all', '--subject', 'Hi\r\nBcc: victim@example.org', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: smtpUrl(smtp)}});
	t.is(result.code, 2);
	t.regex(result.stderr, /[Ss]ubject/);
	t.is(smtp.messages.length, 0);
});

test('without a server configured, mail goes to the local capture server as .eml files', async t => {
	const dir = await directory(t, ['ann@example.com,Ann,user,', 'bob@example.com,Bob,user,']);
	const result = await runCli(['send', '--to', 'all', '--subject', 'Captured', '--message', 'M', '--yes'], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout + result.stderr, /local capture/);
	const eml = readdirSync(path.join(dir, 'captured'), {recursive: true}).map(String).filter(name => name.endsWith('.eml'));
	t.is(eml.length, 2);
	const parsed = await simpleParser(readFileSync(path.join(dir, 'captured', eml[0]!)));
	t.is(parsed.subject, 'Captured');
});

test('remind --follow-up threads each reminder under the message that recipient got', async t => {
	const smtp = await server(t);
	const dir = await directory(t, ['ann@example.com,Ann,user,', 'bob@example.com,Bob,user,', 'refuse+cid@example.com,Cid,user,']);
	const env = {MASSMAIL_SMTP_URL: smtpUrl(smtp)};
	const first = await runCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Sunday', '--yes', '--json'], {configDir: dir, env});
	t.is(first.code, 1);
	const {id} = lastJsonLine(first.stdout);
	const originals = new Map<string, string>();
	for (const message of smtp.messages) {
		originals.set(message.envelope.to[0]!, (await simpleParser(message.raw)).messageId!);
	}

	smtp.messages.length = 0;
	const dry = await runCli(['remind', '--follow-up', id, '--message', 'Tomorrow', '--dry-run', '--json'], {configDir: dir, env});
	t.deepEqual(JSON.parse(dry.stdout), {count: 2, recipients: ['ann@example.com', 'bob@example.com'], skipped: [{address: 'refuse+cid@example.com', reason: 'not-delivered'}], to: 'ann@example.com', from: 'postmaster@mail.example.net'});
	const reminder = await runCli(['remind', '--follow-up', id, '--message', 'Tomorrow', '--yes', '--json'], {configDir: dir, env});
	t.is(reminder.code, 0, reminder.stderr);
	t.is(smtp.messages.length, 2);
	for (const message of smtp.messages) {
		const parsed = await simpleParser(message.raw);
		const original = originals.get(message.envelope.to[0]!);
		t.is(parsed.subject, 'Reminder: Maintenance');
		t.is(parsed.inReplyTo, original);
		t.deepEqual(parsed.references === undefined ? [] : [parsed.references].flat(), [original]);
	}
});

test('kill -9 mid-send, then resume: everyone gets the message, duplicates only within the in-flight window', async t => {
	const smtp = await server(t);
	const count = 300;
	const rows = Array.from({length: count}, (_, i) => `user${i}@example.com,User ${i},user,`);
	const dir = await directory(t, rows);
	const env = {MASSMAIL_SMTP_URL: smtpUrl(smtp)};
	const concurrency = 2;
	const child = spawnCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json', '--concurrency', String(concurrency), '--rate', '100'], {configDir: dir, env});
	child.stdin!.end();
	// Kill it once the server has taken a good part, but not all, of the send.
	await new Promise<void>((resolve, reject) => {
		const timer = setInterval(() => {
			if (smtp.messages.length >= count / 3) {
				clearInterval(timer);
				resolve();
			}
		}, 5);
		child.on('exit', () => {
			clearInterval(timer);
			reject(new Error('the send ended before it could be killed'));
		});
	});
	child.kill('SIGKILL');
	await new Promise(resolve => child.on('close', resolve));
	const receivedBeforeCrash = smtp.messages.length;
	t.true(receivedBeforeCrash < count);

	const [record] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.is(record.status, 'interrupted');
	const beforeResume = JSON.parse((await runCli(['show', record.id, '--json'], {configDir: dir})).stdout);
	const journaledSent = new Set<string>(beforeResume.recipients.filter((r: {status: string}) => r.status === 'sent').map((r: {address: string}) => r.address));
	t.is(journaledSent.size, record.sent);
	t.true(record.sent <= receivedBeforeCrash);
	const resumed = await runCli(['resume', record.id, '--yes', '--json'], {configDir: dir, env});
	t.is(resumed.code, 0, resumed.stderr);
	// The summary is the whole send's, not just this run's.
	t.like(lastJsonLine(resumed.stdout), {id: record.id, total: count, sent: count, failed: 0, status: 'finished'});

	const received = new Map<string, number>();
	for (const message of smtp.messages) {
		received.set(message.envelope.to[0]!, (received.get(message.envelope.to[0]!) ?? 0) + 1);
	}

	t.is(received.size, count, 'every recipient got the message');
	const twice = [...received].filter(([, times]) => times > 1).map(([address]) => address);
	t.deepEqual(twice.filter(address => journaledSent.has(address)), [], 'nobody whose acceptance was journaled is sent it again');
	t.log(`received before kill: ${receivedBeforeCrash}, journaled as sent: ${record.sent}, sent twice: ${twice.length}`);
	// Only what the server took but the journal had not recorded yet: the messages in flight plus the last unflushed group.
	t.true(twice.length <= concurrency + 10, `${twice.length} duplicates`);
	const show = JSON.parse((await runCli(['show', record.id, '--json'], {configDir: dir})).stdout);
	t.true(show.recipients.every((r: {status: string}) => r.status === 'sent'));
});

test('send --json whose reader goes away stops cleanly, resumable, instead of crashing', async t => {
	const smtp = await server(t);
	const rows = Array.from({length: 200}, (_, i) => `user${i}@example.com,User ${i},user,`);
	const dir = await directory(t, rows);
	const child = spawnCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json', '--rate', '40', '--concurrency', '1'], {configDir: dir, env: {MASSMAIL_SMTP_URL: smtpUrl(smtp)}});
	child.stdin!.end();
	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	// Read the first progress line, then close the pipe, as `| head -1` would.
	await new Promise<void>(resolve => {
		child.stdout!.once('data', () => {
			child.stdout!.destroy();
			resolve();
		});
	});
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	t.is(code, 130, stderr);
	t.notRegex(stderr, /EPIPE|internal error/);
	const [record] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.is(record.status, 'interrupted');
	t.true(record.sent < 200);
	t.is(record.sent, new Set(smtp.messages.map(m => m.envelope.to[0])).size);
});

test('Ctrl+C (SIGINT) finishes the messages in flight, journals them, prints the resume command, exits 130', async t => {
	const smtp = await server(t);
	const rows = Array.from({length: 200}, (_, i) => `user${i}@example.com,User ${i},user,`);
	const dir = await directory(t, rows);
	const child = spawnCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--rate', '40', '--concurrency', '2'], {configDir: dir, env: {MASSMAIL_SMTP_URL: smtpUrl(smtp)}});
	child.stdin!.end();
	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	await new Promise<void>(resolve => {
		const timer = setInterval(() => {
			if (smtp.messages.length >= 10) {
				clearInterval(timer);
				resolve();
			}
		}, 5);
	});
	child.kill('SIGINT');
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	t.is(code, 130, stderr);
	const [record] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.true(stderr.includes(`massmail resume ${record.id}`), stderr);
	t.is(record.status, 'interrupted');
	// A clean stop journals everything the server took: nothing is ambiguous, nothing will be sent twice.
	t.is(record.sent, smtp.messages.length);
	t.true(record.sent < 200);
});

test('--to send:ID leaves out a mailbox removed from the directory since, as it leaves out a disabled one', async t => {
	const smtp = await server(t);
	const dir = await directory(t, ['ann@example.com,Ann,user,', 'bob@example.com,Bob,user,']);
	const env = {MASSMAIL_SMTP_URL: smtpUrl(smtp)};
	const first = await runCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Sunday', '--yes', '--json'], {configDir: dir, env});
	const {id} = lastJsonLine(first.stdout);
	t.is((await runCli(['user', 'remove', 'bob@example.com'], {configDir: dir})).code, 0);
	const dry = await runCli(['remind', '--to', `send:${id}`, '--subject', 'S', '--message', 'M', '--dry-run', '--json'], {configDir: dir, env});
	t.is(dry.code, 0, dry.stderr);
	t.like(JSON.parse(dry.stdout), {count: 1, recipients: ['ann@example.com'], skipped: [{address: 'bob@example.com', reason: 'removed'}]});
	const before = smtp.messages.length;
	const sent = await runCli(['remind', '--to', `send:${id}`, '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env});
	t.is(sent.code, 0, sent.stderr);
	t.deepEqual(smtp.messages.slice(before).map(message => message.envelope.to), [['ann@example.com']]);
});

test('remind --follow-up ID --to send:ID (the documented pair) reaches the original\'s recipients; --to send:OTHER those of the other send, threaded where they got the original', async t => {
	const smtp = await server(t);
	const dir = await directory(t, ['ann@example.com,Ann,user,', 'bob@example.com,Bob,user,', 'refuse+cid@example.com,Cid,user,']);
	const env = {MASSMAIL_SMTP_URL: smtpUrl(smtp)};
	const first = await runCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Sunday', '--yes', '--json'], {configDir: dir, env});
	const {id} = lastJsonLine(first.stdout);
	const other = await runCli(['send', '--to', 'user:ann@example.com', '--subject', 'Other', '--message', 'M', '--yes', '--json'], {configDir: dir, env});
	const otherId = lastJsonLine(other.stdout).id as string;
	const same = await runCli(['remind', '--follow-up', id, '--to', `send:${id}`, '--subject', 'S', '--message', 'M', '--dry-run', '--json'], {configDir: dir, env});
	t.is(same.code, 0, same.stderr);
	t.like(JSON.parse(same.stdout), {count: 2, recipients: ['ann@example.com', 'bob@example.com'], skipped: [{address: 'refuse+cid@example.com', reason: 'not-delivered'}]});
	const plain = await runCli(['remind', '--follow-up', id, '--to', `send:${id}`, '--subject', 'S', '--message', 'M', '--dry-run'], {configDir: dir, env});
	t.is(plain.code, 0, plain.stderr);
	t.notRegex(plain.stderr, /internal error|at .*\.js/);
	const narrower = await runCli(['remind', '--follow-up', id, '--to', `send:${otherId}`, '--subject', 'S', '--message', 'M', '--dry-run', '--json'], {configDir: dir, env});
	t.is(narrower.code, 0, narrower.stderr);
	t.like(JSON.parse(narrower.stdout), {count: 1, recipients: ['ann@example.com']});
	const unknown = await runCli(['remind', '--follow-up', id, '--to', 'send:nope', '--subject', 'S', '--message', 'M', '--dry-run'], {configDir: dir, env});
	t.is(unknown.code, 2, unknown.stderr);
	t.notRegex(unknown.stderr, /internal error/);
});

/** A demo send to example.org: every message it sent is in the demo's captures, and `server` got none. */
async function demoSendIsCaptured(t: ExecutionContext, dir: string, server: TestSmtpServer, env: Record<string, string> = {}): Promise<void> {
	const result = await runCli(['--demo', 'send', '--to', 'domain:example.org', '--subject', 'Demo', '--message', 'Hi', '--yes', '--json'], {configDir: dir, env});
	t.is(result.code, 0, result.stderr);
	const {id, sent} = lastJsonLine(result.stdout);
	t.true(sent > 0);
	t.is(server.messages.length, 0);
	t.is(readdirSync(path.join(dir, 'demo', 'captured', id)).filter(name => name.endsWith('.eml')).length, sent);
}

test('the demo profile delivers to the local capture server even with MASSMAIL_SMTP_URL exported: the relay gets nothing', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const {dir} = tempConfigDir(t);
	await demoSendIsCaptured(t, dir, server, {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`});
});

test('the demo profile takes no smtp.host: config set refuses it (exit 2), and one written into its file by hand is not used', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const {dir} = tempConfigDir(t);
	const set = await runCli(['--demo', 'config', 'set', 'smtp.host', '127.0.0.1'], {configDir: dir});
	t.is(set.code, 2);
	t.is(set.stderr, 'massmail: the demo profile sends only to the local capture server: it takes no smtp.host\nset it on your own profile: massmail config set smtp.host 127.0.0.1\n');

	const settingsFile = path.join(dir, 'demo', 'settings.json');
	t.false(existsSync(settingsFile) && readFileSync(settingsFile, 'utf8').includes('127.0.0.1'));
	mkdirSync(path.dirname(settingsFile), {recursive: true});
	writeFileSync(settingsFile, JSON.stringify({smtp: {host: '127.0.0.1', port: server.port, tls: 'opportunistic'}, sender: {address: 'postmaster@example.com'}}));
	await demoSendIsCaptured(t, dir, server);
});

test('--dry-run refuses what the real send would refuse (exit 2): a group with nobody to send to, an smtp.host holding a password', async t => {
	const dir = await directory(t, ['ann@example.com,Ann,user,', 'carl@example.com,Carl,user,yes']);
	const args = ['send', '--to', 'user:carl@example.com', '--subject', 'S', '--message', 'M'];
	const real = await runCli([...args, '--yes'], {configDir: dir});
	const dry = await runCli([...args, '--dry-run', '--json'], {configDir: dir});
	t.is(real.code, 2);
	t.is(dry.code, 2);
	t.is(dry.stdout, '');
	t.is(dry.stderr, real.stderr);
	t.regex(dry.stderr, /no recipients: user:carl@example\.com has nobody to send to \(1 address skipped\)/);

	writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({smtp: {host: 'u:secret@127.0.0.1'}, sender: {address: 'it@example.com'}}));
	const host = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run'], {configDir: dir});
	t.is(host.code, 2);
	t.regex(host.stderr, /smtp\.host in the settings file holds a user or password before @/);
	t.false(host.stderr.includes('secret'));
});

test('a value given twice (--to admins --to all) is refused with exit 2, nothing sent: the last one does not quietly win', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, 'email,name,role,disabled\nann@example.com,Ann,primary,no\nbob@example.com,Bob,user,no\n');
	t.is((await runCli(['import', csv], {configDir: dir})).code, 0);
	const twice = await runCli(['send', '--to', 'admins', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env});
	t.is(twice.code, 2);
	t.is(twice.stderr, 'massmail: --to is given more than once (massmail send): give it once\nseveral domains go in one group: --to domain:a.com,b.org\n');
	const subjects = await runCli(['send', '--to', 'admins', '--subject', 'First', '--subject', 'Second', '--message', 'M', '--yes'], {configDir: dir, env});
	t.is(subjects.code, 2);
	t.regex(subjects.stderr, /^massmail: --subject is given more than once \(massmail send\): give it once\n/);
	t.is(server.messages.length, 0);
	t.is((await runCli(['send', '--to', 'admins', '--subject', 'S', '--message', 'M', '--yes', '--yes'], {configDir: dir, env})).code, 0, 'a repeated switch is harmless');
	t.is(server.messages.length, 1);
});
