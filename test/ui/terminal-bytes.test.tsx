/**
 * The dashboard shows a hostile server's reply and a name from a file with their control
 * characters made visible (`\x1b[2J`, `\u202e`): what Ink writes to the terminal holds none of
 * the bytes a terminal would obey. Rendered at 80×24 over a real send to an SMTP test server.
 */
import test from 'ava';
import {renderDashboard, DOWN} from './harness.js';
import {oneAttempt, people, sendsSetup, draft} from '../helpers/sends.js';
import {createDelivery} from '../../source/core/delivery/index.js';

const hostileReply = '550 5.1.1 \u001B[2J\u001B]0;PWNED\u0007 csi:\u009B31m rlo:\u202Eevil';
/** What a terminal obeys and Ink never writes itself: the screen cleared, a title set (OSC … BEL), NUL, C1, direction controls. */
const obeyed = /\u001B\[2J|\u001B\]|[\u0000\u0007\u0080-\u009F\u202A-\u202E\u2066-\u2069]/;

test.serial('a send\'s page shows the server\'s reply with \\x1b, never the bytes', async t => {
	const setup = await sendsSetup(t, {rawReply: (address, stage) => stage === 'rcpt' && address === 'hostile@example.com' ? hostileReply : undefined});
	const delivery = await createDelivery(setup.ctx, {draft: draft(), audience: 'domain:example.com', recipients: people('ann', 'hostile')}, oneAttempt);
	const result = await delivery.start();
	t.is(result.failed, 1);

	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}, columns: 120});
	// The reply column, and the reply whole under the table for the recipient under the cursor.
	await d.press(DOWN);
	const screen = d.screen();
	t.regex(screen, /hostile@example\.com\s+failed\s+1\s+550 5\.1\.1 \\x1b\[2J\\x1b\]0;PWNED\\x07/, screen);
	t.true(screen.includes(String.raw`csi:\x9b31m rlo:\u202eevil`), screen);
	t.false(obeyed.test(d.frame()), JSON.stringify(d.frame()));
	await d.unmount();
});

test.serial('Users shows a name with a right-to-left override as \\u202e', async t => {
	const d = await renderDashboard(t, {
		route: {screen: 'users', domain: 'example.com'},
		setup(store) {
			store.editDirectory(directory => {
				const next = directory.clone();
				next.addDomain('example.com');
				next.addMailbox({address: 'ann@example.com', name: 'Ann \u202Eevil', role: 'user', disabled: false});
				return next;
			});
		},
	});
	const screen = d.screen();
	t.true(screen.includes(String.raw`Ann \u202eevil`), screen);
	t.false(obeyed.test(d.frame()), JSON.stringify(d.frame()));
	await d.unmount();
});
