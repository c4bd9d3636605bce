/**
 * Issue 21 item 8: a resume's connection check is tried again with the send's own backoff. On
 * the old code `resume` ended with exit 3 at the first failed check (27 of 176 fuzzed runs), though
 * the server was back a second later. A refused login is still final at once.
 */
import test, {type ExecutionContext} from 'ava';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {startFaultyServer, type FaultySmtpServer} from '../helpers/faulty-smtp-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {importedDirectory} from '../helpers/imported-directory.js';
import {waitUntil} from '../helpers/wait.js';

const locals = Array.from({length: 40}, (_, i) => `u${i}`);

async function directory(t: ExecutionContext): Promise<string> {
	return importedDirectory(t, locals);
}

/** A send the server stopped part-way (exit 75), the server then down: its id. */
async function stoppedSend(t: ExecutionContext, server: FaultySmtpServer, dir: string, env: Record<string, string>): Promise<string> {
	const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json', '--rate', '40', '--concurrency', '2'], {configDir: dir, env});
	await waitUntil(() => server.messages.length >= 5, 'five messages');
	await server.kill();
	const stopped = await running.result;
	t.is(stopped.code, 75, stopped.stderr);
	return lastJsonLine(stopped.stdout).id as string;
}

test('resume while the server is still down: the check is tried again with the send\'s backoff, says so, and the run finishes once the server is back', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const dir = await directory(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const id = await stoppedSend(t, server, dir, env);

	const resuming = startCli(['resume', id, '--yes', '--json'], {configDir: dir, env});
	await waitUntil(() => /trying again in \d+ s, attempt 2 of 5/.test(resuming.stderr), 'the first retry notice');
	t.regex(resuming.stderr, /the connection check failed \(.+\): trying again/);
	await server.restart();
	const resumed = await resuming.result;
	t.is(resumed.code, 0, resumed.stderr);
	t.like(lastJsonLine(resumed.stdout), {id, total: locals.length, sent: locals.length, failed: 0, status: 'finished'});
	for (const local of locals) {
		t.true(server.acceptedCount(`${local}@example.com`) >= 1, local);
	}
});

test('a server that stays down: the check gives up after the send\'s attempts, exit 3, the record unchanged', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const dir = await directory(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const id = await stoppedSend(t, server, dir, env);
	const before = await runCli(['show', id, '--json'], {configDir: dir});

	const resumed = await runCli(['resume', id, '--yes', '--json'], {configDir: dir, env});
	t.is(resumed.code, 3, resumed.stderr);
	t.is(resumed.stderr.match(/trying again/g)?.length, 4, resumed.stderr);
	t.regex(resumed.stderr, /cannot reach the SMTP server/);
	t.is((await runCli(['show', id, '--json'], {configDir: dir})).stdout, before.stdout);
});

test('a refused login is not tried again: exit 3 at once, one AUTH at the server', async t => {
	const faulty = await startFaultyServer();
	t.teardown(async () => faulty.close());
	const dir = await directory(t);
	const id = await stoppedSend(t, faulty, dir, {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${faulty.port}`});
	// The run goes on through another server, which refuses this password.
	const server = await startTestSmtpServer({auth: {user: 'ann', pass: 'right'}});
	t.teardown(async () => server.close());

	const resumed = await runCli(['resume', id, '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://ann@127.0.0.1:${server.port}`, MASSMAIL_SMTP_PASSWORD: 'wrong'}});
	t.is(resumed.code, 3, resumed.stderr);
	t.notRegex(resumed.stderr, /trying again/);
	t.is(server.authAttempts, 1);
	t.is(server.messages.length, 0);
});
