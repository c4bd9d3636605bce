/**
 * Delivery reports in the dashboard (issue 18), at 80×24 and 60×20 over real send records: a send
 * written through the journal, its reports appended to reports.log with the journal's
 * ReportAppender — what a send's page, History, Users and Domains show of them. And once against
 * the real servers: a bounce arrives in the bounce mailbox, and the open send's page shows it
 * within the background fold's interval.
 */
import test, {type ExecutionContext} from 'ava';
import {openStore, type Store} from '../../source/core/store.js';
import {ReportAppender, SendLog, type ReportLine} from '../../source/core/journal.js';
import {bouncedMailboxes} from '../../source/core/tracking/bounced-mailboxes.js';
import {recordFields} from '../helpers/send-records.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {reportAddresses, sendWithDsn, startReportHarness} from '../helpers/report-harness.js';
import {startBounceMailbox} from '../helpers/bounce-mailbox.js';
import {renderDashboard, DOWN, ENTER, ESC, type Dashboard} from './harness.js';

const fullDiagnostic = 'smtp; 552 5.2.2 <full@example.com>: Recipient address rejected: the mailbox of this user is over its quota of 2 GB (2,147,483,648 bytes), please ask them to remove mail';

interface Fixture {
	env: NodeJS.ProcessEnv;
	store: Store;
	sends: SendLog;
	id: string;
}

/**
 * A data folder holding one send to a server (not local capture) from postmaster@example.com: each
 * address accepted (`S`) but those in `failed` (a 550), finished.
 */
async function sentSend(t: ExecutionContext, addresses: string[], options: {failed?: string[]; env?: NodeJS.ProcessEnv; subject?: string} = {}): Promise<Fixture> {
	const env = options.env ?? {...tempConfigDir(t).env, LANG: 'en_US.UTF-8', NO_COLOR: '1'};
	const store = openStore({env});
	const sends = new SendLog(store.paths.sendsDir);
	const {record, lock} = sends.create({
		...recordFields,
		captured: false,
		destination: 'mail.example.com:587 (STARTTLS)',
		draft: {...recordFields.draft, subject: options.subject ?? 'Maintenance tonight', from: {name: 'Postmaster', address: 'postmaster@example.com'}},
		recipients: addresses.map(address => ({address, name: ''})),
	});
	const writer = sends.openOutcomes(record.id, () => undefined);
	let sent = 0;
	for (const [index, address] of addresses.entries()) {
		const failed = options.failed?.includes(address) ?? false;
		sent += failed ? 0 : 1;
		writer.append({index, code: failed ? 'F' : 'S', attempts: 1, response: failed ? '550 5.1.1 No such user here' : '250 2.0.0 Ok: queued as 7C9F1', ambiguous: false});
	}

	await writer.close();
	sends.finish(record.id, 'finished', {sent, failed: addresses.length - sent});
	lock.release();
	return {env, store, sends, id: record.id};
}

/** Reports on recipients of the send, appended as the fold appends them. */
function report(fixture: Fixture, lines: Array<Pick<ReportLine, 'index' | 'state' | 'status' | 'diagnostic'> & {at?: string}>): void {
	const appender = new ReportAppender(fixture.sends.sendsDir, fixture.id, fixture.sends.record(fixture.id).total);
	appender.append(lines.map((line, n) => ({
		at: '2026-12-01T10:00:00.000Z',
		...line,
		foldedAt: new Date().toISOString(),
		key: `<report${n}.${line.index}@mx.example.com> ${line.index}`,
		via: 'envid',
	})));
}

const addresses = ['ann@example.com', 'full@example.com', 'later@example.com', 'bob@example.com', 'gone@example.com'];

/** ann delivered, full bounced 5.2.2, later delayed, bob no report yet, gone refused at once (550). */
async function reportedSend(t: ExecutionContext, env?: NodeJS.ProcessEnv): Promise<Fixture> {
	const fixture = await sentSend(t, addresses, {failed: ['gone@example.com'], env});
	report(fixture, [
		{index: 0, state: 'delivered', status: '2.0.0', diagnostic: 'delivery via virtual: delivered to maildir'},
		{index: 1, state: 'delayed', status: '4.2.2', diagnostic: 'mailbox full', at: '2026-12-01T09:00:00.000Z'},
		{index: 1, state: 'bounced', status: '5.2.2', diagnostic: fullDiagnostic},
		{index: 2, state: 'delayed', status: '4.4.1', diagnostic: 'connect to mx.example.org: Connection refused'},
	]);
	return fixture;
}

function fill(store: Store): void {
	const directory = store.directory().clone();
	directory.addDomain('example.com');
	directory.addDomain('example.org');
	for (const address of ['ann@example.com', 'full@example.com', 'later@example.com', 'bob@example.com']) {
		directory.addMailbox({address, name: address.split('@')[0]!});
	}

	directory.addMailbox({address: 'cy@example.org', name: 'Cy', role: 'primary'});
	store.saveDirectory(directory);
}

function row(screen: string, text: string): string {
	return screen.split('\n').find(line => line.includes(text)) ?? '';
}

function fits(t: ExecutionContext, d: Dashboard, columns: number, rows: number): void {
	const lines = d.lines();
	t.true(lines.length <= rows - 1, `${lines.length} lines:\n${d.screen()}`);
	for (const line of lines) {
		t.true(line.length <= columns, `longer than ${columns}: ${JSON.stringify(line)}`);
	}
}

test.serial('a send\'s page shows each recipient\'s delivery and the counts; the one under the cursor shows the report\'s words whole', async t => {
	const fixture = await reportedSend(t);
	const d = await renderDashboard(t, {env: fixture.env, route: {screen: 'send-detail', sendId: fixture.id}});
	let screen = d.screen();

	// Given a send whose reports came in, each recipient shows its delivery beside its outcome.
	t.regex(row(screen, 'ann@example.com'), /ann@example\.com\s+sent\s+1\s+delivered\s+250/, screen);
	t.regex(row(screen, 'full@example.com'), /full@example\.com\s+sent\s+1\s+bounced 5\.2\.2\s+250/);
	t.regex(row(screen, 'later@example.com'), /later@example\.com\s+sent\s+1\s+delayed\s+250/);
	t.regex(row(screen, 'bob@example.com'), /bob@example\.com\s+sent\s+1\s+accepted\s+250/);
	t.regex(row(screen, 'gone@example.com'), /gone@example\.com\s+failed\s+1\s+550/, 'refused at once: no delivery');
	// The counts under the send's, and that reports are not read by this dashboard: nothing set up.
	t.true(screen.includes('Accepted 4 · Delivered 1 · Bounced 1 · Delayed 1 · no report yet 1'), screen);
	t.true(screen.replaceAll('\n', ' ').includes('delivery reports: not set up (Settings → Delivery reports)'), screen);
	fits(t, d, 80, 24);

	// When the cursor is on the bounced recipient, the remote server's words show whole below the table.
	await d.press(DOWN);
	screen = d.screen();
	const under = screen.split('\n').slice(screen.split('\n').findIndex(line => line.includes('gone@example.com')) + 1).join(' ').replaceAll(/\s+/g, ' ');
	t.true(under.includes('full@example.com: bounced 5.2.2 at 2026-12-01'), screen);
	t.true(under.includes('please ask them to remove mail'), 'the diagnostic whole, wrapped');
	// The filter finds the bounced.
	await d.press('/');
	await d.type('bounced');
	screen = d.screen();
	t.true(screen.includes('full@example.com'));
	t.false(screen.includes('ann@example.com'), screen);
	await d.unmount();
});

test.serial('a send\'s page fits 60×20 with the delivery column and the counts', async t => {
	const fixture = await reportedSend(t);
	const d = await renderDashboard(t, {env: fixture.env, route: {screen: 'send-detail', sendId: fixture.id}, columns: 60, rows: 20});
	await d.press(DOWN);
	const screen = d.screen();
	fits(t, d, 60, 20);
	t.true(screen.includes('bounced 5.2.2'), screen);
	t.true(screen.replaceAll('\n', ' ').includes('Bounced 1 · Delayed 1'), screen);
	t.true(screen.includes('? Help'), 'the footer is there');
	await d.unmount();
});

test.serial('History counts the bounced of each send and shows the delivery counts of the one under the cursor; Kind is never cut', async t => {
	const fixture = await reportedSend(t);
	await sentSend(t, ['ann@example.com', 'bob@example.com'], {env: fixture.env, subject: 'Policy change'});
	for (const [columns, rows] of [[80, 24], [60, 20]] as const) {
		const d = await renderDashboard(t, {env: fixture.env, route: {screen: 'history'}, columns, rows});
		let screen = d.screen();
		t.true(screen.includes(columns === 80 ? 'Sent/F/B/All' : 'Sent/F/B/All'), screen);
		t.regex(row(screen, 'Policy change'), /email\s+finished\s+2\/0\/0\/2/, screen);
		await d.press(DOWN);
		screen = d.screen();
		t.regex(row(screen, 'Maintenance'), /email\s+finished\s+4\/1\/1\/5/, screen);
		t.true(screen.replaceAll('\n', ' ').replaceAll(/\s+/g, ' ').includes('Accepted 4 · Delivered 1 · Bounced 1 · Delayed 1'), screen);
		fits(t, d, columns, rows);
		await d.unmount();
	}
});

test.serial('Users marks a mailbox whose last report bounced; Domains counts them per domain', async t => {
	const fixture = await reportedSend(t);
	// A later send to full@ that was delivered: its last report no longer bounces... but ann's bounces now.
	const later = await sentSend(t, ['ann@example.com'], {env: fixture.env, subject: 'Second'});
	report(later, [{index: 0, state: 'bounced', status: '5.1.1', diagnostic: 'user unknown', at: '2026-12-02T10:00:00.000Z'}]);
	t.deepEqual([...bouncedMailboxes(fixture.sends).byAddress.keys()].sort(), ['ann@example.com', 'full@example.com']);

	const d = await renderDashboard(t, {env: fixture.env, setup: fill});
	let screen = d.screen();
	// The home screen counts the bounced mailboxes of each domain.
	t.regex(row(screen, 'example.com'), /example\.com\s+4\s+0\s+2\b/, screen);
	t.true(screen.includes('2 mailboxes bounced'), screen);
	t.notRegex(row(screen, 'example.org'), /\d\s+\d\s+\d/, 'none bounced in example.org');
	fits(t, d, 80, 24);

	// Users shows which, and what the report said of the one under the cursor.
	await d.press(ENTER);
	await d.focusField('View users', {key: DOWN});
	await d.press(ENTER);
	screen = d.screen();
	t.regex(row(screen, 'full@example.com'), /bounced 5\.2\.2$/, screen);
	t.regex(row(screen, 'ann@example.com'), /bounced 5\.1\.1$/);
	t.regex(row(screen, 'bob@example.com'), /active$/);
	t.regex(row(screen, 'later@example.com'), /active$/, 'a delay is not a bounce');
	t.true(screen.includes('ann@example.com: bounced 5.1.1 at 2026-12-02'), screen);
	t.true(screen.includes('user unknown'));
	fits(t, d, 80, 24);
	await d.press(ESC, ESC, ESC);
	await d.unmount();
});

test.serial('with the real servers: a bounce arrives, and the open send\'s page shows it within the fold\'s interval; Esc works all along', async t => {
	const harness = await startReportHarness();
	t.teardown(async () => harness.stop());
	const {env: base} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, LANG: 'en_US.UTF-8', NO_COLOR: '1', MASSMAIL_TRACKING_PASSWORD: harness.login.password};
	const fixture = await sentSend(t, [reportAddresses.delivered[0], reportAddresses.bounced], {env});
	fixture.store.settings.update({tracking: {returnPath: reportAddresses.bounceMailbox, imap: {host: '127.0.0.1', port: harness.login.port, tls: 'none', user: harness.login.user}}});

	const d = await renderDashboard(t, {env, route: {screen: 'history'}, trackingIntervalMs: 300});
	await d.press(ENTER);
	let screen = d.screen();
	t.regex(row(screen, reportAddresses.bounced), /accepted/, screen);
	await d.settle(now => now.includes('reports read'), 20_000);
	t.false(screen.includes('reports: '), 'the login worked');

	// When Postfix bounces the message after accepting it, its report reaches the bounce mailbox.
	await sendWithDsn(harness.postfix.port, fixture.id, [{index: 1, to: reportAddresses.bounced, ret: 'HDRS', notify: ['FAILURE', 'DELAY']}]);
	await harness.waitForReports(1, 20_000);
	const arrived = Date.now();
	await d.settle(now => /bounced 5\.2\.2/.test(row(now, reportAddresses.bounced)), 20_000);
	t.log(`shown ${Date.now() - arrived} ms after the report reached the mailbox`);
	screen = d.screen();
	t.true(screen.includes('Bounced 1'), screen);
	t.regex(screen, /reports read \d+ s ago/);

	// Esc goes back at once, and back on History the bounce is counted.
	await d.press(ESC);
	screen = d.screen();
	t.true(screen.includes('massmail │ History'), screen);
	t.regex(row(screen, 'Maintenance'), /finished\s+2\/0\/1\/2/, screen);
	await d.unmount();
});

test.serial('a refused login is said in words on the page, and the record is not touched; Esc works', async t => {
	const mailbox = await startBounceMailbox(t);
	const login = mailbox.login();
	const {env: base} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, LANG: 'en_US.UTF-8', NO_COLOR: '1', MASSMAIL_TRACKING_PASSWORD: 'not-the-password'};
	const fixture = await sentSend(t, ['ann@example.com'], {env});
	fixture.store.settings.update({tracking: {returnPath: login.user, imap: {host: '127.0.0.1', port: login.port, tls: 'none', user: login.user}}});

	const d = await renderDashboard(t, {env, route: {screen: 'send-detail', sendId: fixture.id}, trackingIntervalMs: 300});
	await d.settle(now => now.includes('reports: '), 20_000);
	const screen = d.screen().replaceAll(/\n\s*/g, ' ');
	t.regex(screen, /reports: the IMAP server \S+ refused the login of "bounces@example\.com"/, screen);
	t.false(screen.includes('not-the-password'), 'the password is never shown');
	t.regex(row(d.screen(), 'ann@example.com'), /accepted/);
	t.deepEqual(fixture.sends.deliveries(fixture.id).counts, {accepted: 1, delivered: 0, bounced: 0, delayed: 0, replied: 0});
	await d.press(ESC);
	t.true(d.screen().includes('massmail │ Domains'), d.screen());
	await d.unmount();
});
