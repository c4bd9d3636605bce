/**
 * A real Postfix 3.7 on 127.0.0.1 that limits a client the ordinary way (anvil): two
 * connections at a time, a message rate per time unit (shortened so the test takes seconds).
 * The command line at its default settings (5 connections, no rate of its own) must meet the
 * limits: exit 0, every recipient's Maildir holds exactly one message, and the limiting shown.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {lastJsonLine, runCli} from '../helpers/cli.js';
import {startPostfix} from '../helpers/postfix-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

test('Postfix limiting to 2 connections and 10 messages per 3 s: exit 0, everyone exactly once, the limiting shown', async t => {
	const locals = Array.from({length: 30}, (_, i) => `user${i}`);
	const mailboxes = locals.map(local => `${local}@example.com`);
	const postfix = await startPostfix({mailboxes, connectionCountLimit: 2, messageRateLimit: 10, rateTimeUnit: '3s'});
	t.teardown(async () => postfix.stop());
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...mailboxes.map(address => `${address},,user,`)].join('\n'));
	t.is((await runCli(['import', csv], {configDir: dir})).code, 0);

	const result = await runCli(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`}});
	t.is(result.code, 0, result.stderr);
	t.like(lastJsonLine(result.stdout), {total: 30, sent: 30, failed: 0, status: 'finished'});
	const limiting = result.stdout.split('\n').filter(line => line.includes('"type":"limiting"'));
	t.true(limiting.length > 0, result.stdout);
	t.regex(limiting.at(-1)!, /server is limiting: 2 connections/);

	await postfix.waitForDelivered(30, 30_000);
	const counts = postfix.countsByRecipient();
	for (const address of mailboxes) {
		t.is(counts.get(address), 1, address);
	}
});
