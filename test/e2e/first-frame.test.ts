/**
 * The built program's first screen is drawn from directory-overview.json: it must show the
 * directory as it is now, whoever changed it between two starts (the command line, or a hand
 * edit that left the overview behind), and the first keys act on every mailbox.
 */
import fs from 'node:fs';
import test, {type ExecutionContext} from 'ava';
import {openStore} from '../../source/core/store.js';
import {runCli} from '../helpers/cli.js';
import {sampleDirectory} from '../helpers/sample-directory.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {spawnTerminal} from '../helpers/terminal.js';

/** Start the dashboard, return its screen rows once the keys are live, and quit with q. */
async function firstScreen(t: ExecutionContext, env: NodeJS.ProcessEnv): Promise<string[]> {
	const term = spawnTerminal([], {env});
	t.teardown(() => {
		term.kill('SIGKILL');
	});
	await term.waitFor('q Quit');
	const rows = await term.lines();
	term.type('q');
	t.is((await term.waitForExit()).exitCode, 0);
	return rows;
}

test.serial('the first screen shows the directory as the command line and a hand edit left it between two starts', async t => {
	const {dir, env: base} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, LANG: 'en_US.UTF-8', TERM: 'xterm-256color'};
	const store = openStore({env});
	store.saveDirectory(sampleDirectory());

	let rows = await firstScreen(t, env);
	t.regex(rows[0]!, /2 domains, 4 mailboxes/);
	t.regex(rows[3]!, /^❯ +example\.com +3 +1 +ann@example\.com/);

	const added = await runCli(['user', 'add', 'zed@example.com'], {configDir: dir});
	t.is(added.code, 0, added.stderr);
	rows = await firstScreen(t, env);
	t.regex(rows[0]!, /2 domains, 5 mailboxes/);
	t.regex(rows[3]!, /^❯ +example\.com +4 +1 +ann@example\.com/);

	// Written as a program that knows nothing of the overview writes it: the overview is stale.
	const edited = store.directory().clone();
	edited.addDomain('example.net');
	edited.addMailbox({address: 'nia@example.net', name: 'Nia', role: 'primary'});
	fs.writeFileSync(store.paths.directoryFile, edited.toFileText());
	rows = await firstScreen(t, env);
	t.regex(rows[0]!, /3 domains, 6 mailboxes/);
	t.regex(rows.join('\n'), /^ +example\.net +1 +1 +nia@example\.net/m);
});

test.serial('keys typed as soon as the first frame shows act on every mailbox: View users lists them all', async t => {
	const {env: base} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, LANG: 'en_US.UTF-8', TERM: 'xterm-256color'};
	const directory = sampleDirectory(300);
	openStore({env}).saveDirectory(directory);
	const term = spawnTerminal([], {env});
	t.teardown(() => {
		term.kill('SIGKILL');
	});
	// No wait for the keys' footer: Enter (Actions), down to View users, Enter, at once.
	await term.waitFor('example.com');
	term.press('enter', 'down', 'down', 'enter');
	// The Users screen of example.com, all 303 of its mailboxes (the first of them under the cursor).
	const screen = await term.waitFor(shown => shown.includes('303 mailboxes │') && /❯ ann@example\.com +Ann Lee/.test(shown), 15_000);
	t.regex(screen, /Users of example\.com/);
});
