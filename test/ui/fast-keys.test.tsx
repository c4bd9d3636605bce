/**
 * Keys typed faster than the screen redraws (or bunched together over SSH) arrive in one read
 * from the terminal: every one of them must land, in the prompt, the Domains filter and a form.
 */
import test from 'ava';
import {BACKSPACE, DOWN, ENTER, LEFT, RIGHT, TAB, renderDashboard} from './harness.js';

test.serial('Domains: "/" and the filter text in one read filter by all of it', async t => {
	const d = await renderDashboard(t, {demo: true});
	await d.press('/exam');
	t.regex(d.lines()[21], /^\/exam +4 of 4 domains/);
	await d.press(`ple.oz${BACKSPACE}r`);
	t.regex(d.lines()[21], /^\/example\.or +1 of 4 domains/, 'the backspace in the same read counts too');
	t.regex(d.screen(), /❯ +example\.org/);
	await d.unmount();
});

test.serial('a prompt: the key that opens it, the text and Enter in one read', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'users', domain: 'example.com'}});
	await d.press(`azed${ENTER}`);
	t.true(d.screen().includes('Display name of zed@example.com'), d.screen());
	await d.press(`Zed Zed${ENTER}zzz`);
	t.true(d.screen().includes('Role of zed@example.com'), 'the role question swallows the keys after Enter');
	await d.press('u');
	t.regex(d.screen(), /zed@example\.com +Zed Zed +user +active/);
	await d.unmount();
});

test.serial('Send Email: Tab to the subject and the subject itself in one read, then a paste', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'send-email', preset: {group: {kind: 'domain', domains: ['example.com']}}}});
	await d.press(`${TAB.repeat(4)}Hello`);
	await d.press(' world, and a paste');
	t.regex(d.screen(), /❯ Subject +Hello world, and a paste/);
	await d.unmount();
});

test.serial('arrow keys and Enter in one read: each is handled after the one before took effect', async t => {
	const d = await renderDashboard(t, {demo: true});
	await d.press('a');
	await d.press(DOWN + DOWN + ENTER);
	t.regex(d.lines()[0], /│ Users of example\.com/, 'Down, Down, Enter: the third entry (View users) opens');
	await d.unmount();
});

test.serial('text, an arrow and more text in one read edit in order', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'send-email', preset: {group: {kind: 'domain', domains: ['example.com']}}}});
	await d.focusField('Subject');
	await d.press(`ac${LEFT}b${RIGHT}${RIGHT}d`);
	t.regex(d.screen(), /❯ Subject +abcd/);
	await d.unmount();
});
