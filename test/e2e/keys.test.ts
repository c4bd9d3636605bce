/**
 * Keys in the built program, in a real pseudo-terminal at 80×24: keys typed faster than the
 * screen redraws all land, F1 and bracketed pastes come through our own key reader.
 */
import test, {type ExecutionContext} from 'ava';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {keys, paste} from '../helpers/keys.js';
import {spawnTerminal, type TerminalSession} from '../helpers/terminal.js';

function start(t: ExecutionContext): TerminalSession {
	const {env} = tempConfigDir(t);
	const term = spawnTerminal(['--demo'], {env: {...env, LANG: 'en_US.UTF-8'}});
	t.teardown(() => {
		term.kill('SIGKILL');
	});
	return term;
}

test('`e` then four quick Tabs land on Subject, and Esc leaves the untouched form without asking', async t => {
	const term = start(t);
	await term.waitFor('q Quit');
	// One write, as a fast typist (or SSH) delivers them: the editor key and the Tabs together.
	term.type(`e${keys.tab.repeat(4)}`);
	await term.waitFor(/❯ Subject/);
	term.press('escape');
	await term.waitFor(screen => screen.includes('q Quit') && !screen.includes('Send Email'));
	t.false((await term.screen()).includes('Discard this form?'));
	// The same keys in separate writes, without waiting for a frame between them.
	term.press('escape');
	term.type('e');
	for (let tab = 0; tab < 4; tab++) {
		term.press('tab');
	}

	await term.waitFor(/❯ Subject/);
	t.pass();
});

test('F1 from a form field opens the help at the form\'s keys; a bracketed paste is one edit', async t => {
	const term = start(t);
	await term.waitFor('q Quit');
	term.type('e');
	await term.waitFor('F1 Help');
	term.press('f1');
	await term.waitFor('Send Email / Send Reminder');
	t.regex((await term.lines())[2], /^ Send Email \/ Send Reminder/);
	term.press('escape');
	await term.waitFor(/❯ From/);
	term.press('tab', 'tab', 'tab', 'tab');
	await term.waitFor(/❯ Subject/);
	// A paste with a line break, into a one-line field: it stays one line and nothing is submitted.
	term.type(paste('Maintenance\rtonight'));
	await term.waitFor(/❯ Subject +Maintenance tonight/);
	t.true(term.output().includes('\u001B[?2004h'), 'bracketed paste asked for');
	term.type('\u0003');
	await term.waitFor('Quit massmail?');
	term.type('y');
	const {exitCode} = await term.waitForExit();
	t.is(exitCode, 0);
	t.true(term.output().includes('\u001B[?2004l'), 'and turned off on the way out');
});

test('a long burst of typed keys (a paste without bracketed paste, 200 characters) lands whole and the dashboard goes on', async t => {
	const term = start(t);
	await term.waitFor('q Quit');
	term.type('e');
	await term.waitFor(/❯ From/);
	term.press('tab', 'tab', 'tab', 'tab');
	await term.waitFor(/❯ Subject/);
	// React stops a chain of about 50 updates; each key used to be one link of it (error #185, exit 70).
	const text = 'Planned maintenance of the mail server on Saturday night '.repeat(4).slice(0, 200);
	term.type(text);
	await term.waitFor(screen => screen.replaceAll(/\s+/g, ' ').includes('on Saturday night Planned'));
	term.type('\u0003');
	await term.waitFor('Quit massmail?');
	term.type('y');
	t.is((await term.waitForExit()).exitCode, 0);
	t.false(term.output().includes('Minified React error'));
});
