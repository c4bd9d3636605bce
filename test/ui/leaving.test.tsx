/**
 * Leaving with typed text: Esc on a prompt and Ctrl+C anywhere ask before the text is lost,
 * and "Keep editing" gives it back; with nothing typed they act at once.
 */
import test from 'ava';
import {CTRL_C, ESC, renderDashboard} from './harness.js';

test.serial('Esc on a prompt with typed text asks; Keep editing gives the text back, Discard closes it', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'users', domain: 'example.com'}});
	await d.press('a');
	await d.press(ESC);
	t.false(d.screen().includes('Add a mailbox'), 'nothing typed: Esc closes at once');
	await d.press('a');
	await d.type('zed');
	await d.press(ESC);
	t.true(d.screen().includes('Discard what you typed?'), d.screen());
	t.regex(d.lines()[22], /y\/Enter Discard +n\/Esc Keep editing/);
	await d.press('n');
	t.regex(d.screen(), /Address: zed/, 'the typed text is back');
	await d.type('x');
	t.regex(d.screen(), /Address: zedx/);
	await d.press(ESC, 'y');
	t.false(d.screen().includes('Add a mailbox'));
	t.false(d.screen().includes('Discard what you typed?'));
	t.regex(d.screen(), /ann\.lee@example\.com/, 'back on the users list');
	await d.unmount();
});

test.serial('a prompt that opens on text asks only once that text is changed', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'users', domain: 'example.com'}});
	await d.press('n');
	t.true(d.screen().includes('Display name of'), d.screen());
	await d.press(ESC);
	t.false(d.screen().includes('Display name of'), 'unchanged: Esc closes at once');
	await d.unmount();
});

test.serial('Ctrl+C with typed text in a form asks; with nothing typed it quits at once', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'send-email', preset: {group: {kind: 'domain', domains: ['example.com']}}}});
	await d.focusField('Subject');
	await d.type('Hello');
	await d.press(CTRL_C);
	t.true(d.screen().includes('Quit massmail?'), d.screen());
	t.deepEqual(d.exits, []);
	await d.press('n');
	t.regex(d.screen(), /Subject +Hello/, 'back in the form with the text');
	await d.press(CTRL_C, 'y');
	t.deepEqual(d.exits, [0]);
	await d.unmount();

	const empty = await renderDashboard(t, {demo: true});
	await empty.press('e');
	await empty.press(CTRL_C);
	t.deepEqual(empty.exits, [0], 'an untouched form: Ctrl+C quits at once');
	await empty.unmount();
});

test.serial('Ctrl+C in a prompt with typed text asks, and Keep editing reopens the prompt on the text', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'users', domain: 'example.com'}});
	await d.press('a');
	await d.type('zed');
	await d.press(CTRL_C);
	t.true(d.screen().includes('Quit massmail?'), d.screen());
	await d.press('n');
	t.regex(d.screen(), /Address: zed/);
	await d.press(CTRL_C, 'y');
	t.deepEqual(d.exits, [0]);
	await d.unmount();
});
