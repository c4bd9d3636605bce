/**
 * The command line's progress line on a terminal while a real Postfix limits the send (anvil: 2
 * connections, 10 messages per 4 s): once the window is learnt, the line says what the server
 * takes per window, after an ETA worked out from it.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {runCli} from '../helpers/cli.js';
import {startPostfix} from '../helpers/postfix-server.js';
import {spawnTerminal} from '../helpers/terminal.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

test('on a terminal, the progress line of a limited send ends with the window learnt, after an ETA from it', async t => {
	const mailboxes = Array.from({length: 25}, (_, i) => `user${i}@example.com`);
	const postfix = await startPostfix({mailboxes, connectionCountLimit: 2, messageRateLimit: 10, rateTimeUnit: '4s'});
	t.teardown(async () => postfix.stop());
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...mailboxes.map(address => `${address},,user,`)].join('\n'));
	t.is((await runCli(['import', csv], {configDir: dir})).code, 0);

	const term = spawnTerminal(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.', '--yes'], {env: {MASSMAIL_CONFIG_DIR: dir, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`, NO_COLOR: '1'}, columns: 132});
	t.teardown(() => {
		term.kill();
	});
	const screen = await term.waitFor(/\d+\/25 · .* msg\/s · ETA \d+:\d\d · server takes 10 per \d(?:\.\d)? s/, 60_000);
	t.regex(screen, /server is limiting: 2 connections, ~\d+\/min \(10 per \d(?:\.\d)? s\)/);
	t.is((await term.waitForExit(60_000)).exitCode, 0, await term.screen());
	await postfix.waitForDelivered(25, 30_000);
	t.true([...postfix.countsByRecipient().values()].every(count => count === 1));
	t.is(postfix.countsByRecipient().size, 25);
});
