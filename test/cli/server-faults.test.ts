/**
 * The command line against a server that limits, hangs or dies: the run always ends, the exit
 * status says what happened (75 stopped part-way, 130 interrupted, 3 nothing sent), the final
 * JSON line is written, and the resume command is printed and works.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {startFaultyServer, type FaultySmtpServer, type FaultySmtpServerOptions} from '../helpers/faulty-smtp-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

async function faulty(t: ExecutionContext, options: FaultySmtpServerOptions = {}): Promise<FaultySmtpServer> {
	const server = await startFaultyServer(options);
	t.teardown(async () => server.close());
	return server;
}

async function directory(t: ExecutionContext, locals: string[]): Promise<string> {
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...locals.map(local => `${local}@example.com,,user,`)].join('\n'));
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	return dir;
}

const numbered = (prefix: string, count: number) => Array.from({length: count}, (_, i) => `${prefix}${i}`);

async function waitUntil(condition: () => boolean): Promise<void> {
	await new Promise<void>(resolve => {
		const timer = setInterval(() => {
			if (condition()) {
				clearInterval(timer);
				resolve();
			}
		}, 5);
	});
}

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
