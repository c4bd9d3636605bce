/**
 * A send over two relays in the dashboard, against two real smtp-server instances: the Summary
 * says how many recipients each relay took, as `massmail show` does; a send over one says nothing
 * of relays.
 */
import test, {type ExecutionContext} from 'ava';
import {sampleDirectory} from '../helpers/sample-directory.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {CTRL_S, ENTER, renderDashboard} from './harness.js';

const extraUsers = 10;

async function sendFromTheDashboard(t: ExecutionContext, smtpUrl: string): Promise<string> {
	const env = {...tempConfigDir(t).env, LANG: 'en_US.UTF-8', NO_COLOR: '1', MASSMAIL_SMTP_URL: smtpUrl};
	const dashboard = await renderDashboard(t, {env, columns: 80, rows: 24, setup(store) {
		store.saveDirectory(sampleDirectory(extraUsers, 'example.com'));
		store.settings.update({delivery: {confirmThreshold: 1000}});
	}});
	t.teardown(async () => dashboard.unmount());
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type('Relays');
	await dashboard.focusField('Message');
	await dashboard.type('Spread.');
	await dashboard.press(CTRL_S);
	await dashboard.press('s');
	await dashboard.settle(screen => /Finished: /.test(screen), 30_000);
	return dashboard.screen();
}

test('the Summary of a send over two relays says how many each took; over one, nothing of relays', async t => {
	const first = await startTestSmtpServer();
	const second = await startTestSmtpServer();
	t.teardown(async () => Promise.all([first.close(), second.close()]));
	const screen = await sendFromTheDashboard(t, `smtp://127.0.0.1:${first.port},smtp://127.0.0.1:${second.port}`);
	t.regex(screen, /Finished: 12 of 12 sent/);
	const line = /Relays: (.*)/.exec(screen)?.[1] ?? '';
	const took = (port: number) => Number(new RegExp(`127\\.0\\.0\\.1:${port} (\\d+) sent`).exec(line)?.[1] ?? 0);
	t.is(took(first.port), first.messages.length, screen);
	t.is(took(second.port), second.messages.length, screen);
	t.is(first.messages.length + second.messages.length, 12);

	const one = await sendFromTheDashboard(t, `smtp://127.0.0.1:${first.port}`);
	t.regex(one, /Finished: 12 of 12 sent/);
	t.notRegex(one, /Relays:/);
});
