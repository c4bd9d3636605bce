/**
 * The command line against a server that limits, hangs or dies: the run always ends, the exit
 * status says what happened (75 stopped part-way, 130 interrupted, 3 nothing sent), the final
 * JSON line is written, and the resume command is printed and works.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {faultyServerFor} from '../helpers/faulty-smtp-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {importedDirectory, numbered} from '../helpers/imported-directory.js';
import {waitUntil} from '../helpers/wait.js';

const faulty = faultyServerFor;
const directory = importedDirectory;

test('the server dies after messages went out: exit 75, the final JSON line, the resume command; resume finishes', async t => {
	const server = await faulty(t);
	const dir = await directory(t, numbered('u', 60));
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json', '--rate', '40', '--concurrency', '2'], {configDir: dir, env});
	await waitUntil(() => server.messages.length >= 8);
	await server.kill();
	const {code, stdout, stderr} = await running.result;
	t.is(code, 75, stderr);
	const summary = lastJsonLine(stdout);
	t.like(summary, {total: 60, status: 'interrupted', exitStatus: 75, resume: `massmail resume ${summary.id}`});
	t.true(summary.sent >= 8);
	t.regex(summary.stopped, /lost the SMTP server/);
	t.true(stderr.includes(`massmail resume ${summary.id}`), stderr);
	t.notRegex(stderr, /internal error|nothing sent/i);

	await server.restart();
	const resumed = await runCli(['resume', summary.id, '--yes', '--json'], {configDir: dir, env});
	t.is(resumed.code, 0, resumed.stderr);
	t.like(lastJsonLine(resumed.stdout), {id: summary.id, total: 60, sent: 60, failed: 0, status: 'finished'});
	for (const local of numbered('u', 60)) {
		t.true(server.acceptedCount(`${local}@example.com`) >= 1, local);
	}
});

test('an unreachable server before anything was sent is still exit 3, "nothing sent"', async t => {
	const server = await faulty(t);
	await server.kill();
	const dir = await directory(t, ['ann']);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(result.code, 3, result.stderr);
	t.regex(result.stderr, /cannot reach the SMTP server/);
});

test('a server allowing 2 connections: exit 0, everyone once, and the limiting is shown', async t => {
	const server = await faulty(t, {acceptConnections: 2});
	const locals = numbered('c', 25);
	const dir = await directory(t, locals);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--concurrency', '5'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stderr, /server is limiting: 2 connections/);
	for (const local of locals) {
		t.is(server.acceptedCount(`${local}@example.com`), 1, local);
	}
});

test('SIGINT while the server never finishes its reply: exit 130 within the reply deadline, the resume command printed', async t => {
	const server = await faulty(t, {endlessIntervalMs: 100});
	const dir = await directory(t, ['endless+ann', 'endless+bob']);
	t.is((await runCli(['config', 'set', 'delivery.dataTimeoutMs', '2000'], {configDir: dir})).code, 0);
	const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	await waitUntil(() => server.messagesRead >= 1);
	running.child.kill('SIGINT');
	const {code, stderr} = await running.result;
	t.is(code, 130, stderr);
	t.regex(stderr, /massmail resume \S+/);
	const [record] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.is(record.status, 'interrupted');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	test(`a second ${signal} ends the run at once, the messages in flight left pending`, async t => {
		const server = await faulty(t, {endlessIntervalMs: 100});
		const dir = await directory(t, ['endless+ann', 'endless+bob']);
		const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
		await waitUntil(() => server.messagesRead >= 2);
		running.child.kill(signal);
		await waitUntil(() => /no new message starts/.test(running.stderr));
		running.child.kill(signal);
		// The default deadline for the reply to the final dot is 5 minutes: only the second signal ends this.
		const {code, stderr} = await running.result;
		t.is(code, 130, stderr);
		t.regex(stderr, /Stopping now: the messages in flight stay pending/);
		const [record] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
		const shown = JSON.parse((await runCli(['show', record.id, '--json'], {configDir: dir})).stdout);
		t.is(record.status, 'interrupted');
		t.true(shown.recipients.every((r: {status: string}) => r.status === 'pending'));
	});
}

test('--rate takes fractions and units; --concurrency has the setting\'s bounds', async t => {
	const dir = await directory(t, ['ann']);
	for (const rate of ['0.5', '30/min', '1000/h']) {
		const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--rate', rate, '--dry-run'], {configDir: dir});
		t.is(result.code, 0, `${rate}: ${result.stderr}`);
	}

	const bad = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--rate', 'fast', '--dry-run'], {configDir: dir});
	t.is(bad.code, 2);
	t.regex(bad.stderr, /--rate must be messages a second \(0\.5\), a minute \(30\/min\) or an hour \(1000\/h\)/);
	const tooMany = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--concurrency', '101', '--dry-run'], {configDir: dir});
	t.is(tooMany.code, 2);
	t.regex(tooMany.stderr, /--concurrency takes a whole number from 1 to 100/);
	t.is((await runCli(['config', 'set', 'delivery.rate', '30/min'], {configDir: dir})).code, 0);
	t.is((await runCli(['config', 'get', 'delivery.rate'], {configDir: dir})).stdout.trim(), '0.5');
});

/** `show ID --json`'s recipients by address. */
async function shownRecipients(dir: string, id: string): Promise<Map<string, {status: string; attempts: number; response: string; ambiguous: boolean}>> {
	const shown = JSON.parse((await runCli(['show', id, '--json'], {configDir: dir})).stdout);
	return new Map(shown.recipients.map((recipient: {address: string}) => [recipient.address, recipient]));
}

// A reply before the final dot is not the server's answer to the message (RFC 5321 §4.1.1.4: it
// answers at the dot): taking it as "sent" records a message the server then refuses at the dot.
test('a 250 before the final dot is not a success: nobody recorded sent, nothing ambiguous; retry sends each once to a well-behaved server', async t => {
	const server = await faulty(t);
	const locals = ['premature-ok+ann', 'premature-ok+bob', 'premature-ok+cy'];
	const dir = await directory(t, locals);
	for (const [key, value] of [['delivery.maxAttempts', '2'], ['delivery.retryDelayMs', '0']]) {
		t.is((await runCli(['config', 'set', key, value], {configDir: dir})).code, 0);
	}

	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json', '--concurrency', '1'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(result.code, 1, result.stderr);
	const summary = lastJsonLine(result.stdout);
	t.like(summary, {total: 3, sent: 0, failed: 3, status: 'finished'});
	t.is(server.prematureReplies, 6, 'two attempts each');
	t.is(server.messages.length, 0, 'the server took nothing');
	const shown = await shownRecipients(dir, summary.id);
	for (const local of locals) {
		const recipient = shown.get(`${local}@example.com`);
		t.like(recipient, {status: 'failed', attempts: 2, ambiguous: false}, local);
		t.regex(recipient?.response ?? '', /replied before the final dot .*250 2\.0\.0 Ok: premature/, local);
	}

	const good = await startTestSmtpServer();
	t.teardown(async () => good.close());
	const retried = await runCli(['retry', summary.id, '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${good.port}`}});
	t.is(retried.code, 0, retried.stderr);
	t.like(lastJsonLine(retried.stdout), {id: summary.id, total: 3, sent: 3, failed: 0, status: 'finished'});
	for (const local of locals) {
		t.is(good.messages.filter(message => message.envelope.to.includes(`${local}@example.com`)).length, 1, local);
	}
});

// The final dot of a message larger than the socket buffers never leaves while the server does
// not read: the server cannot have the message, so the recipient is not "ambiguous".
test('a server that stops reading after 354: the data deadline ends the attempt, not ambiguous', async t => {
	const server = await faulty(t);
	const dir = await directory(t, ['stop-reading+ann']);
	for (const [key, value] of [['delivery.maxAttempts', '1'], ['delivery.dataTimeoutMs', '1500']]) {
		t.is((await runCli(['config', 'set', key, value], {configDir: dir})).code, 0);
	}

	// Some 16 MB: more than the kernel's socket buffers on both ends (tcp_wmem, tcp_rmem) hold.
	const messageFile = path.join(dir, 'large.txt');
	writeFileSync(messageFile, 'A line of a large message, long enough to be one of many.\n'.repeat(280_000));
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message-file', messageFile, '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(result.code, 1, result.stderr);
	const summary = lastJsonLine(result.stdout);
	t.like(summary, {total: 1, sent: 0, failed: 1, status: 'finished'});
	t.is(server.stoppedReading, 1);
	t.is(server.messagesRead, 0);
	const recipient = (await shownRecipients(dir, summary.id)).get('stop-reading+ann@example.com');
	t.like(recipient, {status: 'failed', attempts: 1, ambiguous: false});
	t.regex(recipient?.response ?? '', /could not be sent within 1\.5 s/);
	t.notRegex(recipient?.response ?? '', /ambiguous|may have/);
});

test('a server that reads the whole message and closes without a reply: ambiguous', async t => {
	const server = await faulty(t);
	const dir = await directory(t, ['close-after-dot+ann']);
	t.is((await runCli(['config', 'set', 'delivery.maxAttempts', '1'], {configDir: dir})).code, 0);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(result.code, 1, result.stderr);
	const summary = lastJsonLine(result.stdout);
	t.is(server.unanswered.length, 1);
	const recipient = (await shownRecipients(dir, summary.id)).get('close-after-dot+ann@example.com');
	t.like(recipient, {status: 'failed', attempts: 1, ambiguous: true});
	t.regex(recipient?.response ?? '', /connection lost after the message was sent, the server may have it \(ambiguous\)/);
});
