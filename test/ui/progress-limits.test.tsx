/**
 * The Progress screen while a real Postfix limits the send (anvil: 2 connections at a time, 6
 * messages per 4 s, the time unit shortened so the test takes seconds). A person watching it
 * must read why nothing moves between the server's bursts: what the server said, the pace the
 * send found, an ETA at that pace, and a rate that is not 0.0 while the server holds the send.
 */
import test, {type ExecutionContext} from 'ava';
import {sampleDirectory} from '../helpers/sample-directory.js';
import {startPostfix} from '../helpers/postfix-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {CTRL_S, ENTER, renderDashboard, type Dashboard} from './harness.js';

const extraUsers = 22;

async function sendThroughLimitingPostfix(t: ExecutionContext, size: {columns: number; rows: number}): Promise<Dashboard> {
	const mailboxes = ['ann@example.com', 'bob@example.com', ...Array.from({length: extraUsers}, (_, i) => `user${i}@example.com`)];
	const postfix = await startPostfix({mailboxes, connectionCountLimit: 2, messageRateLimit: 6, rateTimeUnit: '4s'});
	t.teardown(async () => postfix.stop());
	const env = {...tempConfigDir(t).env, LANG: 'en_US.UTF-8', NO_COLOR: '1', MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`};
	const dashboard = await renderDashboard(t, {env, ...size, setup(store) {
		store.saveDirectory(sampleDirectory(extraUsers, 'example.com'));
		store.settings.update({delivery: {confirmThreshold: 1000}});
	}});
	t.teardown(async () => dashboard.unmount());

	// Given a send of 24 messages to example.com, at the default 5 connections and no rate of ours.
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type('Maintenance');
	await dashboard.focusField('Message');
	await dashboard.type('Tonight.');
	await dashboard.press(CTRL_S);
	t.regex(dashboard.screen(), /Recipients +24 /);
	await dashboard.press('s');
	return dashboard;
}

/**
 * Waits until the Progress screen shows the pace the send found, checking every frame seen on the
 * way: once a message was sent, the rate is never 0.0 after the first second (the server holds
 * the send for seconds between its bursts). Returns the screen then, and whether a frame said
 * the server was holding the send.
 */
async function watchUntilThePaceShows(t: ExecutionContext, dashboard: Dashboard): Promise<{screen: string; sawHeld: boolean}> {
	let zeroRate: string | undefined;
	let sawHeld = false;
	await dashboard.settle(screen => /Sending: /.test(screen.split('\n')[0]), 30_000);
	await dashboard.settle(screen => {
		if (!/Sending: /.test(screen.split('\n')[0])) {
			return true;
		}

		if (/Sent [1-9]/.test(screen) && !/Elapsed 0:00/.test(screen) && /Rate 0\.0\/s/.test(screen)) {
			zeroRate = screen;
			return true;
		}

		sawHeld ||= /held by the server/.test(screen) && /Server limits this send: 2 connections/.test(screen) && /Server said: 450 4\.7\.1 /.test(screen);
		return /~\d+(?:\.\d)?\/min/.test(screen);
	}, 30_000);
	const screen = dashboard.screen();
	t.regex(dashboard.lines()[0], /Sending: /, `the send ended before the pace showed:\n${screen}`);
	t.is(zeroRate, undefined, `the rate read 0.0/s between the server's bursts:\n${zeroRate}`);
	return {screen, sawHeld};
}

async function cancel(dashboard: Dashboard): Promise<void> {
	await dashboard.press('c');
	await dashboard.press('y');
	await dashboard.settle(screen => /Cancelled/.test(screen), 30_000);
}

function assertFits(t: ExecutionContext, dashboard: Dashboard, columns: number, rows: number): void {
	const lines = dashboard.lines();
	t.is(lines.length, rows - 1, dashboard.screen());
	t.true(lines.every(line => line.length <= columns), lines.find(line => line.length > columns));
}

test.serial('Progress at 80x24 while Postfix limits the send: what the server said, the pace found, an ETA at that pace, an honest rate', async t => {
	const dashboard = await sendThroughLimitingPostfix(t, {columns: 80, rows: 24});
	const {screen, sawHeld} = await watchUntilThePaceShows(t, dashboard);

	// Then, while the server held the send, the screen said so and why.
	t.true(sawHeld, 'no frame said the server was holding the send');
	// And once the pace is found: how the server limits the send, in its own words, and the ETA at that pace.
	t.regex(screen, /Server limits this send: 2 connections, ~\d+(?:\.\d)?\/min/);
	t.regex(screen, /Server said: 4\d\d 4\.7\.\d .*(?:too much mail|too many connections) from 127\.0\.0\.1/);
	t.regex(screen, /Rate \d+\.\d\/s +Elapsed \d+:\d\d +ETA \d+:\d\d/);
	t.notRegex(screen, /Rate 0\.0\/s/);
	t.notRegex(screen, /ETA --:--/);
	assertFits(t, dashboard, 80, 24);
	await cancel(dashboard);
});

test.serial('Progress at 60x20 while Postfix limits the send: the limiting lines fit', async t => {
	const dashboard = await sendThroughLimitingPostfix(t, {columns: 60, rows: 20});
	const {screen, sawHeld} = await watchUntilThePaceShows(t, dashboard);
	t.regex(screen, /Server limits this send: 2 connections, ~\d+(?:\.\d)?\/min/);
	t.true(sawHeld, 'no frame said the server was holding the send');
	t.regex(screen, /Server said: 4\d\d 4\.7\.\d /);
	t.regex(screen, /ETA \d+:\d\d/);
	t.notRegex(screen, /ETA --:--/);
	assertFits(t, dashboard, 60, 20);
	await cancel(dashboard);
});
