/**
 * History and one send's page, rendered at 80×24 over real send records and a real SMTP
 * test server: what a person reads, and what the server received after resume and retry.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type {Route} from '../../source/ui/state/router.js';
import {renderDashboard, paste, CTRL_S, CTRL_U, DOWN, ENTER, ESC, PAGE_DOWN, type Dashboard} from './harness.js';
import {createDelivery} from '../../source/core/delivery/index.js';
import {draft, interruptedSend, oneAttempt, people, sendNow, sendsSetup} from '../helpers/sends.js';

/** Waits (inside act) for the send the dashboard started to end: its summary shows, or why it could not start. */
async function finished(d: Dashboard): Promise<void> {
	await d.settle(screen => screen.includes('Enter/Esc Done') || screen.includes('Cannot'), 20_000);
}

function lineIndex(screen: string, text: string): number {
	return screen.split('\n').findIndex(line => line.includes(text));
}

test.serial('History lists every send newest first; a send shows each recipient, `/` filters, `f` keeps the failed', async t => {
	const setup = await sendsSetup(t);
	const first = await sendNow(setup, people('ann', 'refuse+bob'), {subject: 'Maintenance'});
	const second = await sendNow(setup, people('cy', 'dee'), {subject: 'Policy change'}, 'admins');
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});

	// Given two sends, History shows the newest first with its counts and status.
	let screen = d.screen();
	t.true(screen.includes('massmail │ History'), screen);
	t.true(lineIndex(screen, 'Policy change') < lineIndex(screen, 'Maintenance'), screen);
	t.regex(screen, /email\s+finished\s+2\/0\/2\s+admins\s+Policy change/);
	t.regex(screen, /email\s+finished\s+1\/1\/2\s+domain:ex\S*\s+Maintenance/);
	t.true(screen.includes('Policy change │ to admins'), 'the line under the table has the whole subject and audience');
	t.true(screen.includes('2 sends'));
	t.true(screen.includes(second.id));

	// When the older one is opened, each recipient shows with its outcome and the server's words.
	await d.press(DOWN, ENTER);
	screen = d.screen();
	t.true(screen.includes(`Send ${first.id}`), screen);
	t.true(screen.includes('Subject: Maintenance'));
	t.true(screen.includes('Sent 1, failed 1, of 2'));
	t.regex(screen, /ann@example\.com\s+sent\s+1\s+250/);
	t.regex(screen, /refuse\+bob@example\.com\s+failed\s+1\s+550 5\.1\.1 No such user here/);
	t.true(screen.includes('f Failed'), 'the footer offers the failed-only key');
	t.true(screen.includes('t Retry'), 'and retry, as one recipient failed');
	t.false(screen.includes('s Resume'), 'a finished send is not resumed');

	// `f` keeps the failed ones, `f` again shows all.
	await d.press('f');
	screen = d.screen();
	t.false(screen.includes('ann@example.com'), screen);
	t.true(screen.includes('1 failed of 2'));
	await d.press('f');
	t.true(d.screen().includes('ann@example.com'));

	// `/` filters as one types; Esc clears the filter, then goes back.
	await d.press('/');
	await d.type('ann');
	screen = d.screen();
	t.true(screen.includes('/ann'));
	t.false(screen.includes('refuse+bob'), screen);
	await d.press(ESC);
	t.true(d.screen().includes('refuse+bob'));
	await d.press(ESC);
	t.true(d.screen().includes('massmail │ History'));
	await d.press(ESC);
	t.true(d.screen().includes('massmail │ Domains'));
	await d.unmount();
});

test.serial('`h` on the home screen opens History; an empty history says so', async t => {
	const d = await renderDashboard(t);
	await d.press('h');
	const screen = d.screen();
	t.true(screen.includes('massmail │ History'), screen);
	t.true(screen.includes('Nothing sent yet.'));
	await d.unmount();
});

test.serial('retry sends again to the failed recipients only, and the record then shows them sent', async t => {
	const setup = await sendsSetup(t);
	const result = await sendNow(setup, people('ann', 'defer-once+cy'));
	t.is(result.failed, 1);
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	t.regex(d.screen(), /defer-once\+cy@example\.com\s+failed\s+1\s+451/);

	// It asks first, with the count and where the mail goes; n sends nothing.
	await d.press('t');
	t.regex(d.screen(), /Retry 1 failed recipient\?/);
	t.regex(d.screen(), /Goes to: 127\.0\.0\.1:/);
	await d.press('n');
	t.is(setup.server!.messages.length, 1);
	await d.press('t');
	await d.press('y');
	await finished(d);
	t.true(d.screen().includes('massmail │ Retry: Maintenance'), d.screen());
	t.true(d.screen().includes('Finished: 2 of 2 sent'), d.screen());
	const received = setup.server!.messages.map(m => m.envelope.to[0]);
	t.deepEqual(received.sort(), ['ann@example.com', 'defer-once+cy@example.com'], 'ann is not sent the message again');
	await d.unmount();

	const again = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	t.true(again.screen().includes('Sent 2, failed 0, of 2'), again.screen());
	t.regex(again.screen(), /defer-once\+cy@example\.com\s+sent\s+2\s+250/);
	await again.unmount();
});

test.serial('an interrupted send is resumed from its page: every recipient receives the message once', async t => {
	const setup = await sendsSetup(t);
	const recipients = people('a1', 'a2', 'a3', 'a4', 'a5', 'a6');
	const result = await interruptedSend(setup, recipients);
	t.is(result.status, 'interrupted');
	const pending = result.total - result.sent;
	t.true(pending > 0);

	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});
	t.regex(d.screen(), /email\s+interrupted/);
	await d.press(ENTER);
	t.true(d.screen().includes(`interrupted, ${pending} not sent yet`), d.screen());
	t.true(d.screen().includes('s Resume'));
	await d.press('s');
	t.regex(d.screen(), new RegExp(`Resume: send to the ${pending} recipients? not sent yet\\?`), d.screen());
	await d.press(ENTER);
	await finished(d);
	t.true(d.screen().includes('Finished: 6 of 6 sent'), d.screen());
	const received = setup.server!.messages.map(m => m.envelope.to[0]).sort();
	t.deepEqual(received, recipients.map(r => r.address).sort());
	await d.unmount();
});

test.serial('Resume above delivery.confirmThreshold takes only y, as a new send does: Enter does not start it', async t => {
	const setup = await sendsSetup(t);
	const recipients = people('b1', 'b2', 'b3', 'b4', 'b5', 'b6');
	const result = await interruptedSend(setup, recipients);
	const pending = result.total - result.sent;
	t.true(pending > 1);
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	d.services.store.settings.update({delivery: {confirmThreshold: 1}});
	const before = setup.server!.messages.length;
	await d.press('s');
	t.regex(d.screen(), /y resumes; Enter does not answer this question\./, d.screen());
	await d.press(ENTER);
	await new Promise(resolve => setTimeout(resolve, 300));
	t.regex(d.screen(), /Resume: send to the \d+ recipients not sent yet\?/, 'still asking');
	t.is(setup.server!.messages.length, before);
	await d.press('y');
	await finished(d);
	t.true(d.screen().includes('Finished: 6 of 6 sent'), d.screen());
	await d.unmount();
});

test.serial('a cancelled send offers Resume on its page, as its Summary and massmail resume say: the rest goes only when asked', async t => {
	const setup = await sendsSetup(t);
	const recipients = people('c1', 'c2', 'c3', 'c4', 'c5');
	const result = await interruptedSend(setup, recipients, 'cancel');
	t.is(result.status, 'cancelled');
	const pending = result.total - result.sent;
	t.true(pending > 0);
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});
	await d.press(ENTER);
	t.true(d.screen().includes('s Resume'), d.screen());
	await d.press('s');
	await d.press(ENTER);
	await finished(d);
	t.true(d.screen().includes('Finished: 5 of 5 sent'), d.screen());
	t.deepEqual(setup.server!.messages.map(m => m.envelope.to[0]).sort(), recipients.map(r => r.address).sort());
	await d.unmount();
});

test.serial('`r` on a send is a follow-up (told apart from Domains\' new reminder); once sent, the Summary goes back to History', async t => {
	const setup = await sendsSetup(t);
	const result = await sendNow(setup, people('ann', 'bob'));
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});
	await d.press(ENTER);
	t.regex(d.lines()[22], /r Follow up/, 'the footer says what r does here');
	await d.press('r');
	const screen = d.screen();
	t.regex(d.lines()[0], /Send Reminder \(follow-up\)/, screen);
	t.true(screen.includes(`Recipients of an earlier send: ${result.id.slice(0, 18)}`), screen);
	t.true(screen.includes('Reminder: Maintenance'));
	await d.focusField('Message');

	// Pasted (bracketed, as a terminal sends it): one edit, its line break kept.
	await d.press(paste('Please read it.\rThanks'));
	t.regex(d.screen(), /Please read it\.\n +Thanks/);
	await d.press(CTRL_S);
	await d.settle(screen => screen.includes('s/Enter Send'));
	await d.press('s');
	await finished(d);
	t.regex(d.screen(), /Finished: 2 of 2 sent/, d.screen());
	await d.press(ENTER);
	t.regex(d.lines()[0], /│ History/, 'back to History, not Domains');
	await d.press(ESC);
	t.regex(d.lines()[0], /│ Domains/);
	await d.press('r');
	t.regex(d.lines()[0], /Send Reminder \(new thread\)/, 'Domains\' r starts a thread of its own');
	await d.unmount();
});

test.serial('export writes the report to the typed path, as CSV or JSON, and asks before replacing a file', async t => {
	const setup = await sendsSetup(t);
	const result = await sendNow(setup, people('ann', 'refuse+bob'));
	const csv = path.join(setup.dir, 'report.csv');
	const json = path.join(setup.dir, 'report.json');
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});

	await d.press('x');
	t.true(d.screen().includes(`Export the report of ${result.id}`), d.screen());
	t.true(d.screen().includes(`File: massmail-${result.id}.csv`));
	await d.press(CTRL_U);
	await d.type(csv);
	await d.press(ENTER);
	t.true(d.screen().includes('Report written'), d.screen());
	t.true(d.screen().includes(`2 recipients as CSV in ${csv}`));
	await d.press(ENTER);
	const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
	t.is(lines[0], 'address,status,attempts,response,messageId,ambiguous,unreadable');
	t.true(lines.some(line => line.startsWith('refuse+bob@example.com,failed,1,550 5.1.1 No such user here,<')));

	// The same path again: it asks; No keeps the file.
	fs.writeFileSync(csv, 'keep me');
	await d.press('x', CTRL_U);
	await d.type(csv);
	await d.press(ENTER);
	t.true(d.screen().includes(`${csv} exists. Replace it?`), d.screen());
	await d.press('n');
	t.is(fs.readFileSync(csv, 'utf8'), 'keep me');
	t.true(d.screen().includes(`Send ${result.id}`));

	// Yes replaces it.
	await d.press('x', CTRL_U);
	await d.type(csv);
	await d.press(ENTER, 'y');
	t.true(d.screen().includes('Report written'));
	await d.press(ENTER);
	t.true(fs.readFileSync(csv, 'utf8').startsWith('address,status'));

	// A .json name writes JSON: the history object plus the recipients.
	await d.press('x', CTRL_U);
	await d.type(json);
	await d.press(ENTER);
	t.true(d.screen().includes('as JSON in'));
	const report = JSON.parse(fs.readFileSync(json, 'utf8')) as {id: string; failed: number; recipients: Array<{address: string; status: string}>};
	t.is(report.id, result.id);
	t.is(report.failed, 1);
	t.deepEqual(report.recipients.map(r => [r.address, r.status]), [['ann@example.com', 'sent'], ['refuse+bob@example.com', 'failed']]);
	await d.unmount();
});

test.serial('a folder that does not exist is said, and nothing is written', async t => {
	const setup = await sendsSetup(t);
	const result = await sendNow(setup, people('ann'));
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	await d.press('x', CTRL_U);
	await d.type(path.join(setup.dir, 'nope', 'r.csv'));
	await d.press(ENTER);
	t.true(d.screen().includes('The report was not written'), d.screen());
	t.true(d.screen().includes('no such folder'));
	await d.unmount();
});

test.serial('every part-two screen fits 80×24 with its last line in view, and `?` lists its keys', async t => {
	const setup = await sendsSetup(t, {capture: true});
	const result = await sendNow(setup, people(...Array.from({length: 40}, (_, index) => `user${index}`)));
	const directory = setup.store.directory().clone();
	directory.addDomain('example.com');
	for (let index = 0; index < 40; index++) {
		directory.addMailbox({address: `user${index}@example.com`, name: `User ${index}`});
	}

	setup.store.saveDirectory(directory);
	const env = {...setup.env, MASSMAIL_SMTP_URL: 'smtp://127.0.0.1:2525', MASSMAIL_SMTP_PASSWORD: 'x'};
	const cases: Array<{route: Route; last: string; env?: NodeJS.ProcessEnv}> = [
		{route: {screen: 'history'}, last: '1 send'},
		{route: {screen: 'send-detail', sendId: result.id}, last: '40 recipients'},
		{route: {screen: 'captured', sendId: result.id}, last: '40 messages'},
		{route: {screen: 'users', domain: 'example.com'}, last: '40 mailboxes'},
		{route: {screen: 'import'}, last: 'Re-importing an address updates it'},
		{route: {screen: 'add-domain'}, last: 'international name'},
		{route: {screen: 'remove-domain', domain: 'example.com'}, last: 'removes it'},
		{route: {screen: 'settings'}, last: '[Save]', env},
	];
	for (const {route, last, env: caseEnv} of cases) {
		const d = await renderDashboard(t, {env: caseEnv ?? setup.env, route});
		const lines = d.lines();
		t.is(lines.length, 23, route.screen);
		t.true(lines.every(line => line.length <= 80), route.screen);
		t.true(lines.slice(2, 22).some(line => line.includes(last)), `${route.screen}:\n${d.screen()}`);
		// While a text field has the keyboard, `?` is typed: F1 is the help then.
		t.regex(lines[22], /(\?|F1) Help$/, `${route.screen} footer`);
		await d.unmount();
	}

	// The help has every table: page down to History's.
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});
	await d.press('?');
	for (let page = 0; page < 12 && !d.screen().includes('Open the send'); page++) {
		await d.press(PAGE_DOWN);
	}

	t.true(d.screen().includes('Open the send'), d.screen());
	await d.unmount();
});

test.serial('a running send shows as running, offers neither resume nor retry, and its page follows it to the end', async t => {
	const setup = await sendsSetup(t);
	const delivery = await createDelivery(setup.ctx, {draft: draft({subject: 'Live'}), audience: 'all', recipients: people('r1', 'r2', 'r3')}, oneAttempt);
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});
	t.regex(d.screen(), /email\s+running\s+0\/0\/3\s+all\s+Live/);
	await d.press(ENTER);
	t.true(d.screen().includes('│ running'), d.screen());
	t.false(d.screen().includes('s Resume'));
	t.false(d.screen().includes('t Retry'));

	const done = delivery.start();
	await d.settle(screen => screen.includes('Sent 3, failed 0, of 3') && screen.includes('│ finished'));
	t.is((await done).status, 'finished');
	await d.press(ESC);
	await d.settle(screen => /email\s+finished\s+3\/0\/3/.test(screen));
	await d.unmount();
});

test.serial('a send\'s page marks an ambiguous outcome, and says when the record is damaged instead of showing an error', async t => {
	const setup = await sendsSetup(t);
	const done = await sendNow(setup, people('ann', 'drop+bob', 'cy'), {subject: 'Maintenance'});
	let d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: done.id}});
	let screen = d.screen();
	t.regex(screen, /drop\+bob@example\.com\s+failed\?\s+1\s+\(ambiguous\)/, screen);
	await d.unmount();

	// A garbled outcome line: the page reads what it can and names the damage.
	const log = path.join(setup.dir, 'sends', done.id, 'outcomes.log');
	const lines = fs.readFileSync(log, 'utf8').split('\n');
	fs.writeFileSync(log, lines.map(line => line === '' ? line : '\u0000\u0000garbled').join('\n'));
	d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: done.id}});
	screen = d.screen();
	t.regex(screen, /Record damaged: \d+ lines unreadable \(outcomes\.log:1, outcomes\.log:2/, screen);
	t.regex(screen, /cy@example\.com\s+pending\s+0\s+\(unreadable outcome\)/, screen);
	t.true(screen.includes('cy@example.com'), screen);
	await d.unmount();
});

test.serial('History keeps its Kind column with an email and its follow-up: email and remind told apart at 80×24 and 60×20, the subject gives way', async t => {
	// Given an email with a long subject, one recipient refused, and a reminder that follows it up.
	const setup = await sendsSetup(t);
	const first = await sendNow(setup, people('ann', 'refuse+bob'), {subject: 'Planned maintenance of the mail server on Saturday night'});
	const reminder = await createDelivery(setup.ctx, {draft: draft({kind: 'reminder', subject: 'Reminder: Planned maintenance of the mail server'}), audience: `send:${first.id}`, recipients: people('ann'), followUpOf: first.id}, oneAttempt);
	await reminder.start();
	for (const size of [{columns: 80, rows: 24}, {columns: 60, rows: 20}]) {
		// When History shows them.
		const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}, ...size});
		t.teardown(async () => d.unmount());
		const lines = d.lines();

		// Then each row says its kind, and the rows still fit.
		t.regex(lines[2], /^ {2}When +Kind +Status/, d.screen());
		// At 60 columns the audience leaves the rows for the line under the table.
		const audience = (text: string) => size.columns === 80 ? ` +${text}\\S*` : '';
		t.regex(d.screen(), new RegExp(`\\d\\d:\\d\\d +remind +finished +1/0/1${audience('send:')} +Reminder: Plan`), d.screen());
		t.regex(d.screen(), new RegExp(`\\d\\d:\\d\\d +email +finished +1/1/2${audience('domain:')} +Planned main`), d.screen());
		t.true(d.screen().replaceAll(/\n +/g, ' ').includes(`Reminder: Planned maintenance of the mail server │ to send:${first.id}`), d.screen());
		t.is(lines.length, size.rows - 1);
		t.true(lines.every(line => line.length <= size.columns), d.screen());
		await d.unmount();
	}
});
