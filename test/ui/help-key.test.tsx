/**
 * `?` opens the help, except in a text field, where it is typed: there the footer offers F1,
 * which opens the help from anywhere.
 */
import test from 'ava';
import {ESC, F1, renderDashboard} from './harness.js';

test.serial('in a text field `?` is typed and the footer offers F1, which opens the help', async t => {
	const d = await renderDashboard(t, {demo: true});
	t.regex(d.lines()[22], /q Quit {2,3}\? Help$/, 'no text field: `?` is the help');
	await d.press('/');
	t.regex(d.lines()[22], /Esc Clear {3}F1 Help$/, d.lines()[22]);
	t.false(d.lines()[22].includes('?'));
	await d.press('?');
	t.regex(d.lines()[21], /^\/\?/, 'typed into the filter');
	await d.press(F1);
	t.regex(d.lines()[2], /^ Domains$/, 'the help opens at the section of the screen it was opened from');
	t.regex(d.screen(), /\/ +Filter the domains as you type/, d.screen());
	await d.press(ESC);
	t.regex(d.lines()[21], /^\/\?/, 'back on the filter as it was');
	await d.unmount();
});

test.serial('F1 opens the help from a form field too', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'send-email'}});
	await d.type('IT?');
	t.regex(d.screen(), /From +System AdministratorIT\?/);
	t.regex(d.lines()[22], /F1 Help$/);
	await d.press(F1);
	t.regex(d.lines()[0], /│ Keys/);
	t.regex(d.lines()[2], /^ Send Email \/ Send Reminder$/, 'at the form\'s keys, not at line 1');
	t.regex(d.screen(), /Ctrl\+E +Edit the message in \$VISUAL/);
	await d.unmount();
});
