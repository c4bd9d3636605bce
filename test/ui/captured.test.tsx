/**
 * Captured mail: a send to the local capture server, opened from its page in History —
 * the recipients' messages, and one message's headers and text as a recipient gets it.
 */
import test from 'ava';
import {renderDashboard, DOWN, ENTER, ESC} from './harness.js';
import {people, sendNow, sendsSetup} from '../helpers/sends.js';

test.serial('a captured send shows its messages; Enter reads one: headers and text', async t => {
	const setup = await sendsSetup(t, {capture: true});
	const result = await sendNow(setup, people('ann', 'bob'), {subject: 'Café closed', body: 'The café is closed on Friday.\nSee you Monday.', friendlyName: 'Example.com User - '});
	t.is(result.sent, 2);
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	t.true(d.screen().includes('(local capture)'), d.screen());
	t.true(d.screen().includes('m Mail'));

	await d.press('m');
	let screen = d.screen();
	t.true(screen.includes('massmail │ Captured mail'), screen);
	t.true(screen.includes(`captured in ${result.id}`), screen);
	t.true(screen.includes('❯ ann@example.com'));
	t.true(screen.includes('bob@example.com'));
	t.true(screen.includes('2 messages'));

	await d.press(DOWN, ENTER);
	screen = d.screen();
	t.true(screen.includes('From: System Administrator <postmaster@mail.example.net>'), screen);
	t.true(screen.includes('To: "Example.com User - bob@example.com" <bob@example.com>'));
	t.true(screen.includes('Subject: Café closed'));
	t.true(screen.includes(`Message-ID: <${result.id}.1@mail.example.net>`));
	t.true(screen.includes('Auto-Submitted: auto-generated'));
	t.true(screen.includes('Precedence: bulk'));
	t.true(screen.includes('The café is closed on Friday.'));
	t.true(screen.includes('See you Monday.'));
	t.true(screen.includes('Message 2 of 2'));

	// p goes to the previous message, Esc back to the list, Esc back to the send.
	await d.press('p');
	t.true(d.screen().includes('To: "Example.com User - ann@example.com" <ann@example.com>'), d.screen());
	await d.press(ESC);
	t.true(d.screen().includes('❯ ann@example.com'));
	await d.press(ESC);
	t.true(d.screen().includes(`Send ${result.id}`));
	await d.unmount();
});

test.serial('a send through an SMTP server offers no captured mail', async t => {
	const setup = await sendsSetup(t);
	const result = await sendNow(setup, people('ann'));
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	t.false(d.screen().includes('m Mail'), d.screen());
	await d.press('m');
	t.true(d.screen().includes(`Send ${result.id}`));
	await d.unmount();
});
