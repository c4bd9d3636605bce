/**
 * Keys from issue 12, as a person meets them: g/G in the Actions menu, the Users footer, the role
 * dialog that says who, the text-edit keys in the help, and a dialog answered from its table.
 */
import test from 'ava';
import {CTRL_A, CTRL_U, CTRL_W, DELETE, ENTER, ESC, F1, LEFT, PAGE_DOWN, renderDashboard} from './harness.js';

test.serial('Actions menu: G goes to the last action, g back to the first', async t => {
	const d = await renderDashboard(t, {demo: true});
	await d.press('a');
	const pointed = () => d.lines().find(line => line.includes('❯')) ?? '';
	const first = pointed();
	await d.press('G');
	const last = pointed();
	t.not(last, first, d.screen());
	const labels = d.lines().filter(line => /│ [❯ ] \S/.test(line));
	t.true(labels.at(-1)?.includes('❯'), 'the last row is the one pointed at');
	await d.press('g');
	t.is(pointed(), first);
	await d.unmount();
});

test.serial('Users: the footer offers n Rename; the role dialog names who must step down first', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'users', domain: 'school.example.net'}});
	t.regex(d.lines()[22], /n Rename/, d.lines()[22]);
	t.regex(d.screen(), /❯ it@school\.example\.net/);
	await d.press('r');
	t.regex(d.screen().replaceAll(/[\s│]+/g, ' '), /Make principal@school\.example\.net an administrator first, then it@school\.example\.net the primary one\./, d.screen());
	t.regex(d.screen(), /\[u\] user +\[p\] primary administrator +\[Esc\] Cancel/, 'the answers drawn from the role table');
	await d.press(ESC);
	t.regex(d.lines()[0], /Users of/);
	await d.unmount();
});

test.serial('the text-edit keys work in a field and are listed in the help', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'send-email'}});
	await d.press(CTRL_U);
	await d.type('IT Desk team');
	await d.press(CTRL_W);
	t.regex(d.screen(), /From +IT Desk +</, d.screen());
	await d.press(CTRL_A, DELETE, DELETE, DELETE);
	t.regex(d.screen(), /From +Desk +</, 'Ctrl+A to the start, Delete under the cursor');
	await d.press(LEFT);
	await d.press(F1);
	for (let page = 0; page < 10 && !d.screen().includes('Ctrl+U'); page++) {
		await d.press(PAGE_DOWN);
	}

	const help = d.screen();
	t.regex(help, /Home\/Ctrl\+A +Start of the line/, help);
	t.regex(help, /Ctrl\+W +Delete the word before the cursor/);
	t.regex(help, /Ctrl\+U +Delete from the start of the line/);
	await d.press(ESC);
	t.regex(d.screen(), /From +Desk +</, 'the field as it was');
	await d.unmount();
});

test.serial('a dialog answers from its table: Esc is No, Enter is Yes, other keys are swallowed', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'send-email'}});
	await d.type('x');
	await d.press(ESC);
	t.regex(d.screen(), /Discard this form\?/);
	t.regex(d.lines()[22], /y\/Enter Discard +n\/Esc Keep editing/, d.lines()[22]);
	await d.press('q', 'j');
	t.regex(d.screen(), /Discard this form\?/, 'a key the dialog does not have does nothing');
	await d.press(ESC);
	t.regex(d.screen(), /From +System Administratorx/);
	await d.press(ESC, ENTER);
	t.regex(d.lines()[0], /Domains/);
	await d.unmount();
});
