/**
 * The home screen as a person uses it: the table, moving, filtering, marking, the Actions
 * menu, help, quitting — on real core objects in a temporary folder.
 */
import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import type {Store} from '../../source/core/store.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {BACKSPACE, DOWN, ENTER, ESC, SPACE, UP, renderDashboard} from './harness.js';

function bigDirectory(store: Store, domains: number): void {
	const directory = Directory.empty();
	for (let i = 0; i < domains; i++) {
		const name = `domain-${String(i).padStart(4, '0')}.example`;
		directory.addDomain(name);
		directory.addMailbox({address: `boss@${name}`, name: 'Boss', role: 'primary'});
		directory.addMailbox({address: `user@${name}`, name: 'User'});
	}

	store.saveDirectory(directory);
}

test.serial('home shows the directory size, where mail goes, the domains and the keys', async t => {
	const dashboard = await renderDashboard(t, {demo: true});
	const lines = dashboard.lines();
	t.is(lines.length, 23, 'one row shorter than the 24-row terminal');
	t.regex(lines[0], /massmail │ Domains +4 domains, 20 mailboxes +DEMO/);
	t.is(lines[1], ' Mail goes to: local capture: nothing leaves this machine');
	t.regex(lines[2], /Domain +Users +Admins +Primary administrator/);
	t.regex(lines[3], /^❯ +example\.com +7 +2 +ann\.lee@example\.com$/);
	t.regex(dashboard.screen(), /bücher\.example +4 +1 +inhaber@bücher\.example/);
	t.regex(lines[22], /^ a\/\.\/Enter Actions {2,}\/ Filter {2,}Space Mark {2,}h History {2,}s Sync {2,}q Quit {2,}\? Help$/);
	for (const line of lines) {
		t.true(line.length <= 80, line);
	}

	await dashboard.unmount();
});

test.serial('j/k and the arrows move the cursor; q quits', async t => {
	const dashboard = await renderDashboard(t, {demo: true});
	await dashboard.press('j', 'j');
	t.regex(dashboard.screen(), /❯ +school\.example\.net/);
	await dashboard.press('k');
	t.regex(dashboard.screen(), /❯ +example\.org/);
	await dashboard.press('G');
	t.regex(dashboard.screen(), /❯ +bücher\.example/);
	await dashboard.press('g', DOWN);
	t.regex(dashboard.screen(), /❯ +example\.org/);
	t.deepEqual(dashboard.exits, []);
	await dashboard.press('q');
	t.deepEqual(dashboard.exits, [0]);
	await dashboard.unmount();
});

test.serial('5,000 domains: only the rows that fit are drawn, G reaches the last, the filter narrows as you type', async t => {
	const dashboard = await renderDashboard(t, {setup: store => bigDirectory(store, 5000)});
	t.regex(dashboard.lines()[0], /5,000 domains, 10,000 mailboxes/);
	const rows = () => dashboard.lines().filter(line => /domain-\d{4}\.example/.test(line));
	t.is(rows().length, 18);
	t.regex(dashboard.lines()[21], /5,000 domains │ 1\/5,000/);
	await dashboard.press('G');
	t.regex(rows().at(-1)!, /❯ +domain-4999\.example/);
	t.regex(dashboard.lines()[21], /5,000\/5,000/);
	await dashboard.press('/');
	t.regex(dashboard.lines()[22], /Enter\/↓ Keep +Esc Clear/, 'the footer shows the filter keys');
	await dashboard.type('4998');
	t.is(rows().length, 1);
	t.regex(rows()[0], /^❯ {3}domain-4998\.example +2 +1 +boss@domain-4998\.example$/);
	t.regex(dashboard.lines()[21], /^\/4998 +1 of 5,000 domains/);
	await dashboard.press(BACKSPACE, BACKSPACE, BACKSPACE);
	t.is(rows().length, 18);
	t.regex(dashboard.lines()[21], /^\/4 +2,084 of 5,000 domains/);
	await dashboard.press(ESC);
	t.regex(dashboard.lines()[21], /^5,000 domains/);
	await dashboard.unmount();
});

test.serial('space marks domains; Actions then applies to every marked domain', async t => {
	const dashboard = await renderDashboard(t, {demo: true});
	await dashboard.press(SPACE, 'j', 'j', SPACE);
	t.regex(dashboard.screen(), /◉ example\.com/);
	t.regex(dashboard.screen(), /◉ school\.example\.net/);
	t.regex(dashboard.lines()[21], /2 marked/);
	await dashboard.press('a');
	t.regex(dashboard.screen(), /On 2 marked: example\.com, school\.example\.net/);
	t.regex(dashboard.screen(), /❯ Send Email/);
	t.regex(dashboard.screen(), /Compose a message to the 2 marked domains\./);
	await dashboard.press(ENTER);
	t.regex(dashboard.lines()[0], /Send Email/);
	t.regex(dashboard.screen(), /To +Selected Domains: example\.com, school\.example\.net/);
	await dashboard.press(ESC);
	t.regex(dashboard.lines()[0], /Domains/, 'Esc from the untouched form goes back home (the menu was replaced by the form)');
	t.regex(dashboard.lines()[21], /2 marked/, 'the home screen kept its marks');
	await dashboard.unmount();
});

test.serial('Enter opens the Actions menu on the domain under the cursor; Esc comes back', async t => {
	const dashboard = await renderDashboard(t, {demo: true});
	await dashboard.press('j', ENTER);
	t.regex(dashboard.lines()[0], /Actions/);
	t.regex(dashboard.screen(), /On example\.org/);
	await dashboard.press('j');
	t.regex(dashboard.screen(), /❯ Send Reminder/);
	t.regex(dashboard.screen(), /A plain-text reminder from the default sender to every user of example\.org\./);
	await dashboard.press(ESC);
	t.regex(dashboard.screen(), /❯ +example\.org/, 'back on the same row');
	await dashboard.unmount();
});

test.serial('? shows every key of every screen from the same tables; Esc closes it', async t => {
	const dashboard = await renderDashboard(t, {demo: true});
	await dashboard.press('?');
	t.regex(dashboard.lines()[0], /Keys/);
	const first = dashboard.screen();
	t.regex(dashboard.lines()[2], /^ Domains$/, 'opened from Domains: at the Domains keys');
	t.regex(first, /a\/\.\/Enter +Open the Actions menu/);
	// Up to the top: the keys of every screen.
	for (let line = 0; line < 20 && !/Everywhere/.test(dashboard.screen()); line++) {
		await dashboard.press(UP);
	}

	t.regex(dashboard.screen(), /\? +Show every key of every screen/);
	// Page down until the Progress keys show (or the end of the help).
	for (let page = 0; page < 20 && !/p +Pause the send/.test(dashboard.screen()); page++) {
		await dashboard.press(' ');
	}

	t.regex(dashboard.screen(), /p +Pause the send/);
	t.regex(dashboard.screen(), /c +Cancel the send \(asks first/);
	await dashboard.press(ESC);
	t.regex(dashboard.lines()[0], /Domains/);
	await dashboard.unmount();
});

test.serial('without Unicode and colour: ASCII symbols and no colour codes', async t => {
	const dashboard = await renderDashboard(t, {demo: true, env: {...tempConfigDir(t).env, LANG: 'C', LC_ALL: '', LC_CTYPE: '', NO_COLOR: '1'}});
	await dashboard.press(SPACE);
	t.regex(dashboard.lines()[3], /^> \[x\] example\.com/);
	t.regex(dashboard.lines()[4], /^ {2}\[ \] example\.org/);
	t.regex(dashboard.lines()[0], /massmail \| Domains/);
	t.regex(dashboard.screen(), /xn--bcher-kva\.example +4 +1 +inhaber@xn--bcher-kva/, 'international names in their ASCII form');
	t.regex(dashboard.screen(), /^[\u0000-\u007F]*$/, 'nothing but ASCII on the screen');
	await dashboard.press('?');
	t.regex(dashboard.screen(), /Up\/k +Move up/);
	t.regex(dashboard.screen(), /^[\u0000-\u007F]*$/);
	await dashboard.press(ESC, ENTER, ENTER);
	t.regex(dashboard.screen(), /^[\u0000-\u007F]*$/, 'the Send Email form too');
	await dashboard.unmount();
});

test.serial('s with imported (local) mailboxes opens Sync, which says there is no source and where to choose one', async t => {
	const dashboard = await renderDashboard(t, {demo: true});
	await dashboard.press('s');
	await dashboard.settle(screen => screen.includes('no mail server'));
	const screen = dashboard.screen();
	t.regex(screen, /There is no mail server to sync from/);
	t.regex(screen, /directory\.source is local: there is nothing to sync from/);
	t.regex(screen, /Choose the source in Settings \(Directory source\), then sync again\./);
	await dashboard.press('\u001B');
	await dashboard.settle(text => text.includes('Primary administrator'));
	await dashboard.unmount();
});

test.serial('an empty directory says how to fill it', async t => {
	const dashboard = await renderDashboard(t);
	t.regex(dashboard.screen(), /The directory is empty\./);
	t.regex(dashboard.screen(), /massmail import FILE\.csv/);
	await dashboard.unmount();
});
