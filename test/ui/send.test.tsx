/**
 * Sending from the dashboard, as a person does it: the form, Review, the send with its
 * progress and summary — against a real SMTP test server on 127.0.0.1, with the real
 * engine and send records in a temporary folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import {Writable} from 'node:stream';
import test, {type ExecutionContext} from 'ava';
import {simpleParser} from 'mailparser';
import {SMTPServer} from 'smtp-server';
import {listenOnLoopback} from '../../source/core/capture-server.js';
import {Directory} from '../../source/core/directory.js';
import type {Store} from '../../source/core/store.js';
import {editInEditor} from '../../source/ui/terminal.js';
import type {TestSmtpServer} from '../helpers/smtp-test-server.js';
import {sampleDirectory} from '../helpers/sample-directory.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {BACKSPACE, CTRL_C, CTRL_E, CTRL_S, CTRL_T, CTRL_U, ENTER, ESC, F1, TAB, renderDashboard, type Dashboard, type DashboardOptions, smtpSetup, type SmtpSetup as Setup} from './harness.js';

function fillDirectory(store: Store, extraUsers = 0): void {
	store.saveDirectory(sampleDirectory(extraUsers, 'example.org'));
}


/** The frame is 23 rows (the terminal's 24 minus one) of at most 80 columns. */
function assertFits(t: ExecutionContext, dashboard: Dashboard): void {
	const lines = dashboard.lines();
	t.is(lines.length, 23);
	t.true(lines.every(line => line.length <= 80), lines.find(line => line.length > 80));
}

async function open(t: ExecutionContext, setup: Setup, options: Partial<DashboardOptions> = {}): Promise<Dashboard> {
	const dashboard = await renderDashboard(t, {env: setup.env, setup: store => fillDirectory(store), ...options});
	t.teardown(async () => dashboard.unmount());
	return dashboard;
}

/** Home -> Actions on the domain under the cursor -> Send Email, then Friendly name, Subject, Message. */
async function composeToExampleCom(dashboard: Dashboard, fields: {friendlyName?: string; subject: string; message: string}) {
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Friendly name');
	await dashboard.type(fields.friendlyName ?? '');
	await dashboard.focusField('Subject');
	await dashboard.type(fields.subject);
	await dashboard.focusField('Message');
	await dashboard.type(fields.message);
}

/** Send Email to example.org's 31 mailboxes at 4 a second, one connection, with this subject; returns once something was sent. */
async function startSlowSend(t: ExecutionContext, setup: Setup, subject: string, options: Partial<DashboardOptions> = {}): Promise<Dashboard> {
	const dashboard = await open(t, setup, {...options, setup(store) {
		fillDirectory(store, 30);
		store.settings.update({delivery: {rate: 4, concurrency: 1, confirmThreshold: 1000}});
	}});
	await dashboard.press('j', ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type(subject);
	await dashboard.focusField('Message');
	await dashboard.type('Body');
	await dashboard.press(CTRL_S, 's');
	await dashboard.settle(screen => /Sent [1-9]/.test(screen));
	return dashboard;
}

test.serial('Send Email to All Users on a Domain: form, Review with the rendered To lines, send, summary, messages received', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /On example\.com/);
	await dashboard.press(ENTER);
	t.regex(dashboard.lines()[0], /Send Email/);
	t.regex(dashboard.screen(), /❯ From +System Administrator/);
	t.regex(dashboard.screen(), /To +All Users on a Domain/);
	t.regex(dashboard.screen(), /Domain +example\.com/);

	await dashboard.focusField('Friendly name');
	await dashboard.type('Example.com User - ');
	await dashboard.focusField('Subject');
	await dashboard.type('Maintenance tonight');
	await dashboard.focusField('Message');
	await dashboard.type('The server restarts at 22:00.');
	await dashboard.press(ENTER);
	await dashboard.type('Thank you.');
	t.regex(dashboard.screen(), /The server restarts at 22:00\.\n +Thank you\./);
	assertFits(t, dashboard);
	await dashboard.press(CTRL_S);
	assertFits(t, dashboard);

	const review = dashboard.screen();
	t.regex(dashboard.lines()[0], /massmail │ Review: email +\d/);
	t.regex(review, /Recipients +2 \(All Users on a Domain: example\.com\)/);
	t.regex(review, /To +"Example\.com User - ann@example\.com" <ann@example\.com>/);
	t.regex(review, / +"Example\.com User - bob@example\.com" <bob@example\.com>/);
	t.regex(review, /From +System Administrator <postmaster@/);
	t.regex(review, /Subject +Maintenance tonight/);
	t.regex(review, /Message +plain text, 2 lines\n +The server restarts at 22:00\./);
	t.regex(review, new RegExp(`Goes to +127\\.0\\.0\\.1:${setup.server.port}`));
	t.regex(review, /Warnings +1 disabled mailbox skipped \(gone@example\.com\)/);
	t.notRegex(review, /DSN/, 'no delivery reports set up: nothing said of DSN');
	t.is(setup.server.messages.length, 0, 'nothing is sent before Send');

	await dashboard.press('s');
	await dashboard.settle(screen => screen.includes('Finished'));
	const summary = dashboard.screen();
	assertFits(t, dashboard);
	t.regex(summary, /Finished: 2 of 2 sent/);
	t.regex(summary, /Every message sent was accepted\./);
	const [send] = dashboard.services.delivery().sends.list();
	t.regex(summary, new RegExp(`Full record: massmail show ${send.id}`));
	t.is(send.audience, 'domain:example.com');

	const received = await Promise.all(setup.server.messages.map(async message => simpleParser(message.raw)));
	t.deepEqual(setup.server.messages.map(message => message.envelope.to).sort(), [['ann@example.com'], ['bob@example.com']]);
	t.deepEqual(received.map(mail => mail.headers.get('to') && (mail.to as {text: string}).text).sort(), [
		'"Example.com User - ann@example.com" <ann@example.com>',
		'"Example.com User - bob@example.com" <bob@example.com>',
	]);
	t.is(received[0].subject, 'Maintenance tonight');
	t.is(received[0].text?.trim(), 'The server restarts at 22:00.\nThank you.');

	await dashboard.press(ENTER);
	t.regex(dashboard.lines()[0], /Domains/, 'Done goes home');
});

test.serial('with delivery reports set up, Review asks the server and says once that it does not offer DSN (without them, nothing: the first test)', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup, {setup(store) {
		fillDirectory(store);
		store.settings.update({tracking: {returnPath: 'bounces@example.com'}});
	}});
	await composeToExampleCom(dashboard, {subject: 'Maintenance tonight', message: 'Tonight.'});
	await dashboard.press(CTRL_S);
	// The test server (smtp-server) does not offer DSN; Postfix does (test/cli/track.test.ts's dry run).
	await dashboard.settle(screen => screen.includes('DSN'));
	const review = dashboard.screen();
	assertFits(t, dashboard);
	t.regex(review, /Warnings +the server offers no DSN: delivery reports are not asked for\n +1 disabled mailbox skipped/);
	t.is(review.split('DSN').length, 2, 'said once');
	t.is(setup.server.messages.length, 0, 'asking sends nothing');
});

test.serial('each field says what is wrong as it is left; Review refuses until it is right', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Domain');
	await dashboard.press(BACKSPACE, BACKSPACE, BACKSPACE);
	await dashboard.type('xyz');
	t.regex(dashboard.screen(), /Domain +example\.xyz/);
	await dashboard.press(TAB);
	t.regex(dashboard.screen(), /✗ There is no domain "example\.xyz" in the directory/);
	await dashboard.focusField('Message');
	t.regex(dashboard.screen(), /✗ The subject is empty/);
	await dashboard.press(CTRL_S);
	t.regex(dashboard.lines()[0], /Send Email/, 'still on the form');
	t.regex(dashboard.screen(), /❯ Domain/, 'the first field with a problem has the keyboard');
	t.regex(dashboard.screen(), /✗ The message is empty/);

	await dashboard.press(BACKSPACE, BACKSPACE, BACKSPACE);
	await dashboard.type('o');
	t.regex(dashboard.screen(), /Tab: example\.org/, 'completion from the directory');
	await dashboard.press(TAB);
	t.regex(dashboard.screen(), /Domain +example\.org/);
	t.notRegex(dashboard.screen(), /no domain/);
});

test.serial('Esc on a form with typed text asks before throwing it away', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await composeToExampleCom(dashboard, {subject: 'Draft', message: 'Half written'});
	await dashboard.press(ESC);
	t.regex(dashboard.screen(), /Discard this form\?/);
	t.regex(dashboard.lines()[22], /y\/Enter Discard +n\/Esc Keep editing/);
	await dashboard.press('n');
	t.regex(dashboard.screen(), /Half written/);
	await dashboard.press(ESC, 'y');
	t.regex(dashboard.lines()[0], /Domains/);
});

test.serial('above the threshold, Send asks once more with the count', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup, {setup(store) {
		fillDirectory(store);
		store.settings.update({delivery: {confirmThreshold: 1}});
	}});
	await composeToExampleCom(dashboard, {subject: 'Hello', message: 'Body'});
	await dashboard.press(CTRL_S);
	t.regex(dashboard.screen(), /More than 1 recipients: Send asks once more\./);
	await dashboard.press('s');
	t.regex(dashboard.screen(), /Send to 2 recipients\?/);
	await dashboard.press('n');
	t.regex(dashboard.lines()[0], /Review/);
	t.is(setup.server.messages.length, 0);
	await dashboard.press('s', 'y');
	await dashboard.settle(screen => screen.includes('Finished'));
	t.is(setup.server.messages.length, 2);
});

test.serial('above the threshold the second question takes y only: Enter twice sends nothing', async t => {
	// Given a send to 12 recipients with delivery.confirmThreshold 5.
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup, {setup(store) {
		fillDirectory(store, 11);
		store.settings.update({delivery: {confirmThreshold: 5}});
	}});
	await dashboard.press('j', ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type('Restart');
	await dashboard.focusField('Message');
	await dashboard.type('Tonight.');
	await dashboard.press(CTRL_S);
	t.regex(dashboard.screen(), /Recipients +12 \(All Users on a Domain: example\.org\)/);

	// When Enter is pressed twice: Send, then at the question.
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /Send to 12 recipients\?/);
	t.regex(dashboard.lines()[22], /^ y Send to 12 +n\/Esc Not now/, 'the footer offers y, not Enter');
	await dashboard.press(ENTER);
	await dashboard.settle();

	// Then nothing is sent and the question stays; y sends.
	t.regex(dashboard.screen(), /Send to 12 recipients\?/, dashboard.screen());
	t.is(setup.server.messages.length, 0);
	t.deepEqual(dashboard.services.delivery().sends.list(), []);
	await dashboard.press('y');
	await dashboard.settle(screen => screen.includes('Finished'));
	t.is(setup.server.messages.length, 12);
});

test.serial('a test copy goes to one address and is not part of any send', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await composeToExampleCom(dashboard, {subject: 'Check me', message: 'Body'});
	await dashboard.press(CTRL_S, 't');
	t.regex(dashboard.screen(), /Send one test copy/);
	await dashboard.press(CTRL_U);
	await dashboard.type('me@example.net');
	await dashboard.press(ENTER);
	await dashboard.settle(screen => screen.includes('Test copy sent'));
	t.regex(dashboard.screen(), /✓ Test copy sent to me@example\.net: 250/);
	t.deepEqual(setup.server.messages.map(message => message.envelope.to), [['me@example.net']]);
	t.deepEqual(dashboard.services.delivery().sends.list(), []);
});

test.serial('a server that cannot be reached: nothing is sent and the screen says why', async t => {
	const setup = await smtpSetup(t);
	await setup.server.close();
	const dashboard = await open(t, setup);
	await composeToExampleCom(dashboard, {subject: 'Hello', message: 'Body'});
	await dashboard.press(CTRL_S, 's');
	await dashboard.settle(screen => screen.includes('Nothing was sent'));
	t.regex(dashboard.screen(), /ECONNREFUSED|refused|reach/i);
	await dashboard.press(ENTER);
	t.regex(dashboard.lines()[0], /Review/, 'back on Review to try again');
	t.deepEqual(dashboard.services.delivery().sends.list(), []);
});

test.serial('Send Reminder: To, Subject, Message, from the default sender, plain text', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press('j', ENTER, 'j', ENTER);
	t.regex(dashboard.lines()[0], /Send Reminder/);
	t.regex(dashboard.screen(), /From +System Administrator <postmaster@[^>]+> \(the default/);
	t.notRegex(dashboard.screen(), /Friendly name/);
	t.regex(dashboard.screen(), /❯ Subject/);
	await dashboard.type('Reminder: passwords');
	await dashboard.focusField('Message');
	await dashboard.type('<b>Change</b> it by Friday.');
	await dashboard.press(CTRL_S);
	t.regex(dashboard.screen(), /Recipients +1 \(All Users on a Domain: example\.org\)/);
	t.regex(dashboard.screen(), /Message +plain text/);
	await dashboard.press('s');
	await dashboard.settle(screen => screen.includes('Finished'));
	const mail = await simpleParser(setup.server.messages[0].raw);
	t.is(mail.subject, 'Reminder: passwords');
	t.is(mail.html, false, 'a reminder is plain text, whatever it holds');
	t.is(mail.text?.trim(), '<b>Change</b> it by Friday.');
	t.is(dashboard.services.delivery().sends.list()[0].kind, 'reminder');
});

/** The help's section under `title`: its lines up to the blank line after it. */
function helpSection(dashboard: Dashboard, title: string): string[] {
	const lines = dashboard.lines();
	const start = lines.indexOf(` ${title}`);
	if (start === -1) {
		return [];
	}

	const end = lines.findIndex((line, index) => index > start && line.trim() === '');
	return lines.slice(start, end === -1 ? undefined : end);
}

test.serial('a reminder is plain text: its form offers no Ctrl+T, in the footer, the hint or the help', async t => {
	// Given the Send Reminder form, on its message.
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press('j', ENTER, 'j', ENTER);
	t.regex(dashboard.lines()[0], /Send Reminder/);
	await dashboard.focusField('Message');
	await dashboard.type('<b>Change</b> it.');
	t.regex(dashboard.screen(), /❯ Message +plain text, Ctrl\+E editor$/m);
	t.false(dashboard.lines()[22].includes('Ctrl+T'), dashboard.lines()[22]);
	await dashboard.press(CTRL_T);
	t.regex(dashboard.screen(), /❯ Message +plain text/, 'Ctrl+T does nothing here');

	// When the help opens from it, its section lists the form's keys without Ctrl+T.
	await dashboard.press(F1);
	const section = helpSection(dashboard, 'Send Email / Send Reminder');
	t.true(section.some(line => line.includes('Ctrl+S')), dashboard.screen());
	t.false(section.some(line => line.includes('Ctrl+T')), section.join('\n'));
	await dashboard.press(ESC, ESC, 'y');

	// Then the Send Email form still has it, in its help too (a section of its own).
	await dashboard.press('e');
	await dashboard.focusField('Message');
	t.true(dashboard.lines()[22].includes('Ctrl+T Plain/HTML'), dashboard.lines()[22]);
	await dashboard.press(F1);
	const emailOnly = helpSection(dashboard, 'Send Email only (a reminder is plain text)');
	t.regex(emailOnly.join('\n'), /Ctrl\+T +Switch the message between plain text and HTML/, dashboard.screen());
});

test.serial('Progress: pause and resume, then cancel (asks); the summary and the record agree with the server', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await startSlowSend(t, setup, 'Slow');
	await dashboard.settle(screen => /✓ \S+@example\.org/.test(screen));
	const progress = dashboard.screen();
	t.regex(dashboard.lines()[0], /massmail │ Sending: Email to All Users/);
	t.regex(progress, /Email to All Users on a Domain: example\.org: "Slow"/);
	t.regex(progress, /of 31/);
	t.regex(progress, /Remaining \d+/);
	t.regex(progress, /Rate [\d.]+\/s +Elapsed \d+:\d\d +ETA/);
	t.regex(progress, /✓ \S+@example\.org +250/);
	t.regex(dashboard.lines()[22], /p Pause +c Cancel/);
	assertFits(t, dashboard);

	await dashboard.press('p');
	await dashboard.settle(screen => screen.includes('PAUSED'));
	t.regex(dashboard.lines()[22], /p Resume/);
	t.regex(dashboard.screen(), /ETA --:--/, 'paused: no ETA that only grows');
	await dashboard.press('p');
	await dashboard.settle(screen => screen.includes('sending'));

	await dashboard.press('c');
	t.regex(dashboard.screen(), /Cancel this send\?/);
	t.regex(dashboard.screen(), /The record keeps every outcome: massmail show/);
	await dashboard.press('y');
	await dashboard.settle(screen => screen.includes('Cancelled'));
	const [send] = dashboard.services.delivery().sends.list();
	t.is(send.status, 'cancelled');
	t.is(send.sent, setup.server.messages.length);
	t.true(send.sent < 31);
	t.regex(dashboard.screen(), new RegExp(`Cancelled: ${send.sent} of 31 sent, ${31 - send.sent} not sent`));
});

test.serial('while the Cancel or Stop question is open no message starts, and its counts hold; Keep sending goes on', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await startSlowSend(t, setup, 'Hold');
	for (const [open, keep] of [['c', 'n'], [CTRL_C, 'k']] as const) {
		await dashboard.press(open);
		t.regex(dashboard.screen(), /Paused while you answer/);
		const atQuestion = setup.server.messages.length;
		await new Promise(resolve => setTimeout(resolve, 1500));
		// Concurrency 1: at most the one message in flight finishes; at 4 a second six more would have gone.
		t.true(setup.server.messages.length <= atQuestion + 1, `${setup.server.messages.length - atQuestion} more`);
		await dashboard.press(keep);
		await dashboard.settle(() => setup.server.messages.length > atQuestion + 2, 10_000);
		t.regex(dashboard.screen(), /sending/);
	}

	await dashboard.press('c', 'y');
	await dashboard.settle(screen => screen.includes('Cancelled'));
	const [send] = dashboard.services.delivery().sends.list();
	t.is(send.sent, setup.server.messages.length);
});

test.serial('Progress: sent, failed, deferred and remaining add up to the total; cancelling names the rest once', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup, {setup(store) {
		const directory = Directory.empty();
		directory.addDomain('example.com');
		for (const local of ['refuse+rex', 'defer+dee', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']) {
			directory.addMailbox({address: `${local}@example.com`, name: local});
		}

		store.saveDirectory(directory);
		store.settings.update({delivery: {rate: 2, concurrency: 1, confirmThreshold: 1000, retryDelayMs: 60_000}});
	}});
	await composeToExampleCom(dashboard, {subject: 'Counts', message: 'Body'});
	await dashboard.press(CTRL_S, 's');
	await dashboard.settle(screen => /Failed 1/.test(screen) && /Deferred 1/.test(screen) && /Sent [1-9]/.test(screen), 20_000);
	const counts = /Sent (\d+) +Failed (\d+) +Deferred (\d+) +Remaining (\d+)/.exec(dashboard.screen());
	t.truthy(counts, dashboard.screen());
	const [sent, failed, deferred, remaining] = counts!.slice(1).map(Number);
	t.is(sent! + failed! + deferred! + remaining!, 8, dashboard.screen());
	await dashboard.press('c');
	const rest = /stay sent; the other (\d+) are not sent/.exec(dashboard.screen().replaceAll(/\s*│\s*/g, ' '));
	t.truthy(rest, dashboard.screen());
	t.true(Number(rest![1]) <= 8 - sent! - failed!, dashboard.screen());
	t.true(Number(rest![1]) >= 8 - sent! - failed! - 1, 'one more may have been sent since (the counters move on)');
	await dashboard.press('y');
	await dashboard.settle(screen => screen.includes('Cancelled'));
});

test.serial('on the demo profile, the question to stop a send gives the command as it works there: massmail --demo resume', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await startSlowSend(t, setup, 'Stop me', {demo: true});
	await dashboard.press(CTRL_C);
	t.regex(dashboard.screen(), /Resume later with: +│\n +│ +massmail --demo resume \d{8}-\d{6}-/);
	await dashboard.press('c');
	await dashboard.settle(screen => screen.includes('Cancelled'));
});

test.serial('Ctrl+C during a send asks; stopping keeps the record complete and quits with 130', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await startSlowSend(t, setup, 'Stop me');
	await dashboard.press(CTRL_C);
	t.regex(dashboard.screen(), /Stop this send\?/);
	t.regex(dashboard.screen(), /Resume later with: +│\n +│ +massmail resume \d{8}-\d{6}-/);
	await dashboard.press('k');
	t.regex(dashboard.screen(), /Sent \d+/, 'Keep sending closes the question');
	await dashboard.press(CTRL_C, 's');
	await dashboard.settle(() => dashboard.exits.length > 0);
	t.deepEqual(dashboard.exits, [130]);
	const [send] = dashboard.services.delivery().sends.list();
	t.is(send.status, 'interrupted');
	t.is(send.sent, setup.server.messages.length, 'every message the server took is on record');
});

test.serial('Ctrl+E hands the message to $EDITOR and takes the edited text back', async t => {
	const setup = await smtpSetup(t);
	const editor = path.join(setup.dir, 'editor.sh');
	fs.writeFileSync(editor, '#!/bin/sh\nprintf "Written in the editor\\nsecond line\\n" > "$1"\n', {mode: 0o755});
	const sink = new Writable({write(_chunk, _encoding, callback) {
		callback();
	}});
	const dashboard = await open(t, setup, {
		editText: async (text, {extension}) => editInEditor(text, {
			env: {...setup.env, VISUAL: editor},
			stdin: {isTTY: false} as NodeJS.ReadStream,
			stdout: sink as NodeJS.WriteStream,
			extension,
		}),
	});
	await composeToExampleCom(dashboard, {subject: 'Edited', message: 'Typed here'});
	t.regex(dashboard.lines()[22], /Ctrl\+E Editor/);
	await dashboard.press(CTRL_E);
	await dashboard.settle(screen => screen.includes('Written in the editor'));
	t.regex(dashboard.screen(), /Written in the editor\n +second line/);
	t.notRegex(dashboard.screen(), /Typed here/);
});

test.serial('quitting while Review is still connecting (Ctrl+C, y) cancels the send: nothing goes out', async t => {
	// A server that greets only after a while: Review says "Connecting…" meanwhile.
	const greetings: Array<() => void> = [];
	const slow = new SMTPServer({
		logger: false,
		disabledCommands: ['STARTTLS'],
		authOptional: true,
		onConnect(_session, callback) {
			greetings.push(() => {
				callback();
			});
		},
	});
	const received: string[] = [];
	slow.onData = (stream, session, callback) => {
		stream.resume();
		stream.on('end', () => {
			received.push(...session.envelope.rcptTo.map(r => r.address));
			callback();
		});
	};

	slow.on('error', () => undefined);
	const port = await listenOnLoopback(slow);
	t.teardown(async () => new Promise<void>(resolve => {
		slow.close(() => resolve());
	}));
	const {env} = tempConfigDir(t);
	const dashboard = await open(t, {server: undefined as unknown as TestSmtpServer, dir: '', env: {...env, LANG: 'en_US.UTF-8', NO_COLOR: '1', MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${port}`}});
	await composeToExampleCom(dashboard, {subject: 'Never sent', message: 'Body'});
	await dashboard.press(CTRL_S, 's');
	await dashboard.settle(screen => /Connecting to 127\.0\.0\.1/.test(screen) && greetings.length > 0);
	await dashboard.press(CTRL_C);
	if (/Quit massmail\?/.test(dashboard.screen())) {
		await dashboard.press('y');
	}

	t.deepEqual(dashboard.exits, [0]);
	// Now the server answers; the send it would have started must not run.
	for (const greet of greetings.splice(0)) {
		greet();
	}

	const sends = dashboard.services.delivery().sends;
	await dashboard.settle(() => sends.list().length > 0 && sends.list()[0].status !== 'running');
	await new Promise(resolve => {
		setTimeout(resolve, 300);
	});
	t.is(sends.list()[0].status, 'cancelled');
	t.deepEqual(received, []);
});

test.serial('the Summary of a send stopped by the server says so in its title and first line, the error wrapped whole, never a ✓', async t => {
	const setup = await smtpSetup(t);
	const message = 'lost the SMTP server 127.0.0.1:2525: 5 connections in a row failed to open (421 4.7.0 Error: too many connections from 127.0.0.1)';
	const dashboard = await open(t, setup, {
		demo: true,
		route: {
			screen: 'summary',
			title: 'Sending: Email to All Users',
			subject: 'Planned maintenance of the mail server on Saturday night, 22:00 to 23:00 UTC',
			destination: '127.0.0.1:2525 (STARTTLS when offered)',
			result: {id: '20261202-101010-abcdef', total: 101, sent: 8, failed: 0, status: 'interrupted', runSent: 8, stopped: {kind: 'connection', message, hint: 'it can be resumed'}},
			error: `${message} — massmail resume 20261202-101010-abcdef sends the rest`,
		},
	});
	const screen = dashboard.screen();
	t.regex(dashboard.lines()[0], /massmail │ Stopped: Email to All Users/);
	t.regex(screen, /Stopped: 8 of 101 sent, 93 not sent \(it can be resumed\)/);
	t.notRegex(screen, /✓|Every message/);
	// The title wraps rather than cutting the subject.
	t.true(screen.replaceAll(/\s+/g, ' ').includes('Email to All Users: "Planned maintenance of the mail server on Saturday night, 22:00 to 23:00 UTC"'), screen);
	// Wrapped, not cut: the whole of it is on the screen.
	t.true(screen.replaceAll(/\s+/g, ' ').includes('too many connections from 127.0.0.1) — massmail resume 20261202-101010-abcdef sends the rest'), screen);
	// The demo's records are in the demo profile: the commands say so.
	t.regex(screen, /Full record: massmail --demo show 20261202-101010-abcdef/);
	t.regex(screen, /Resume: massmail --demo resume 20261202-101010-abcdef/);
	assertFits(t, dashboard);
});
