/**
 * A real Postfix 3.7 on 127.0.0.1 that limits a client the ordinary way (anvil): two
 * connections at a time, a message rate per time unit (shortened so the test takes seconds).
 * The command line at its default settings (5 connections, no rate of its own) must meet the
 * limits: exit 0, every recipient's Maildir holds exactly one message, and the limiting shown.
 */
import {execFile} from 'node:child_process';
import {setTimeout} from 'node:timers/promises';
import {promisify} from 'node:util';
import test, {type ExecutionContext} from 'ava';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {importedDirectory, numbered} from '../helpers/imported-directory.js';
import {refusedCommandsInLog, startPostfix} from '../helpers/postfix-server.js';

const execFileAsync = promisify(execFile);

/**
 * `count` users of example.com imported, and one send to them all through a real Postfix that
 * allows 2 connections and 10 messages per `rateTimeUnit`: the command line's result, and a check
 * that each Maildir holds exactly one message once Postfix delivered them.
 */
async function sendThroughLimitingPostfix(t: ExecutionContext, count: number, rateTimeUnit: string) {
	const locals = numbered('user', count);
	const mailboxes = locals.map(local => `${local}@example.com`);
	const postfix = await startPostfix({mailboxes, connectionCountLimit: 2, messageRateLimit: 10, rateTimeUnit});
	t.teardown(async () => postfix.stop());
	const dir = await importedDirectory(t, locals);
	const result = await runCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`}});
	const eachOnce = async () => {
		await postfix.waitForDelivered(count, 30_000);
		const counts = postfix.countsByRecipient();
		for (const address of mailboxes) {
			t.is(counts.get(address), 1, address);
		}
	};

	return {postfix, result, eachOnce};
}

test('Postfix limiting to 2 connections and 10 messages per 3 s: exit 0, everyone exactly once, the limiting shown', async t => {
	const {result, eachOnce} = await sendThroughLimitingPostfix(t, 30, '3s');
	t.is(result.code, 0, result.stderr);
	t.like(lastJsonLine(result.stdout), {total: 30, sent: 30, failed: 0, status: 'finished'});
	const limiting = result.stdout.split('\n').filter(line => line.includes('"type":"limiting"'));
	t.true(limiting.length > 0, result.stdout);
	t.regex(limiting.at(-1)!, /server is limiting: 2 connections/);

	await eachOnce();
});

/** Postfix's log lines for each refusal anvil caused, by kind. */
function refusalsInLog(lines: string[]): {messageRate: number; connections: number} {
	return {
		messageRate: lines.filter(line => /Message delivery request rate limit exceeded/.test(line)).length,
		connections: lines.filter(line => /Connection (?:concurrency|rate) limit exceeded/.test(line)).length,
	};
}

test('Postfix allowing 10 messages per 8 s: the window is learnt once, then each costs Postfix a refusal or two, and the progress carries the window and an ETA from it', async t => {
	const {postfix, result, eachOnce} = await sendThroughLimitingPostfix(t, 40, '8s');
	t.is(result.code, 0, result.stderr);
	t.like(lastJsonLine(result.stdout), {total: 40, sent: 40, failed: 0, status: 'finished'});

	// Four windows of 10. Learning the first costs a probe a second at most (8) and the messages
	// in flight when the first refusal came (2); each later one the check past its allowance and a
	// probe or two where anvil's whole seconds fall late: at most 3.
	const refusals = refusalsInLog(postfix.logLines());
	t.log(refusals);
	t.true(refusals.messageRate <= 10 + (3 * 3), `${refusals.messageRate} refusals for 40 messages in 4 windows`);
	// Each refusal costs Postfix one error, at MAIL FROM: the probes send RCPT TO and DATA only once
	// MAIL FROM was taken. Only the messages in flight at the first refusal, on each of the two
	// connections, had theirs pipelined behind it (each then answered "503 5.5.1 need MAIL command").
	const refusedCommands = refusedCommandsInLog(postfix.logLines());
	t.true(refusedCommands <= 2 * 2, `${refusedCommands} RCPT TO and DATA commands refused after ${refusals.messageRate} refusals at MAIL FROM`);

	// The progress carries the window learnt, and an ETA from it.
	const progress = result.stdout.split('\n').filter(line => line.includes('"type":"progress"')).map(line => JSON.parse(line) as {etaMs: number | null; etaFrom?: string; limiting?: {window?: {messages: number; ms: number}}});
	const paced = progress.filter(line => line.limiting?.window !== undefined);
	t.true(paced.length > 0, result.stdout);
	t.is(paced.at(-1)!.limiting!.window!.messages, 10);
	// anvil's window: the unit, plus up to a second (it counts whole seconds), plus a probe's step.
	t.true(paced.at(-1)!.limiting!.window!.ms >= 7000 && paced.at(-1)!.limiting!.window!.ms <= 11_000, JSON.stringify(paced.at(-1)));
	t.true(paced.every(line => line.etaMs !== null && line.etaFrom === 'pace'), JSON.stringify(paced));
	t.true(result.stdout.split('\n').some(line => line.includes('"type":"limiting"') && /server is limiting: 2 connections, ~\d+\/min \(10 per \d+(?:\.\d)? s\)/.test(line)), result.stdout);

	await eachOnce();
});

test('Postfix lifting its limit mid-send (postconf and postfix reload, sessions kept open as by default): the send meets the lift within a window, on new sessions', async t => {
	// Postfix's smtpd keeps the settings it began a session with until its client leaves, and an
	// idle session lasts smtpd_timeout (300 s by default): a send that asked its checks on the
	// sessions it had, half way through the window, met the lift 13 to 31 s after the reload here
	// (60 at 10 per 10 s); asked on a new session every eighth of its time, 1.4 s.
	const count = 60;
	const locals = numbered('user', count);
	const mailboxes = locals.map(local => `${local}@example.com`);
	const postfix = await startPostfix({mailboxes, connectionCountLimit: 2, messageRateLimit: 10, rateTimeUnit: '10s'});
	t.teardown(async () => postfix.stop());
	const dir = await importedDirectory(t, locals);
	const cli = startCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`}});
	// Lifted once the window is learnt (the second window has begun).
	for (let waited = 0; !/"type":"limiting".*"window":/.test(cli.stdout); waited += 100) {
		t.true(waited < 60_000 && cli.child.exitCode === null, `the window was not learnt: ${cli.stdout}`);
		await setTimeout(100);
	}

	await execFileAsync('/usr/sbin/postconf', ['-c', postfix.configDirectory, '-e', 'smtpd_client_message_rate_limit=0', 'smtpd_client_connection_count_limit=50']);
	await execFileAsync('/usr/sbin/postfix', ['-c', postfix.configDirectory, 'reload']);
	const liftedAt = performance.now();
	const result = await cli.result;
	const afterLift = performance.now() - liftedAt;
	t.log(`the last message ${Math.round(afterLift)} ms after the reload`);
	t.is(result.code, 0, result.stderr);
	t.like(lastJsonLine(result.stdout), {total: count, sent: count, failed: 0, status: 'finished'});
	// A check every eighth of the send's time (a sixth of the window at least): one within 2.5 s
	// of the lift, on a new session; Postfix's anvil, restarted by the reload, may answer late.
	t.true(afterLift < 8000, `${Math.round(afterLift)} ms after the reload`);
	await postfix.waitForDelivered(count, 30_000);
	const counts = postfix.countsByRecipient();
	t.true(mailboxes.every(address => counts.get(address) === 1), JSON.stringify([...counts]));
});
