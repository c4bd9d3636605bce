/**
 * The built program (`npm run build` -> dist/cli.js) in a real pseudo-terminal at 80×24,
 * driven by keys as a person would, against a real SMTP test server.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {simpleParser} from 'mailparser';
import {openStore} from '../../source/core/store.js';
import {SendLog} from '../../source/core/journal.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {sampleDirectory} from '../helpers/sample-directory.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {projectRoot, spawnTerminal, type TerminalSession} from '../helpers/terminal.js';

const enterAlternate = '\u001B[?1049h';
const leaveAlternate = '\u001B[?1049l';

async function setup(t: ExecutionContext, extraUsers = 0): Promise<{env: NodeJS.ProcessEnv; server: TestSmtpServer}> {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const {env: base} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, LANG: 'en_US.UTF-8', TERM: 'xterm-256color', MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	delete env.NO_COLOR;
	const store = openStore({env});
	store.saveDirectory(sampleDirectory(extraUsers, 'example.com'));
	// Slow enough that the send is still running when the signal comes.
	store.settings.update({delivery: {rate: 4, concurrency: 1}});
	return {env, server};
}

function start(t: ExecutionContext, env: NodeJS.ProcessEnv, args: string[] = []): TerminalSession {
	const term = spawnTerminal(args, {env});
	t.teardown(() => {
		term.kill('SIGKILL');
	});
	return term;
}

/** The rows of the screen now. */
async function rows(term: TerminalSession): Promise<string[]> {
	return term.lines();
}

test.serial('Send Email to All Users on a Domain through the built program: every screen, a resize, the messages received, q restores the terminal', async t => {
	const {env, server} = await setup(t);
	const term = start(t, env);

	// Home: the footer appears once the keys are live.
	await term.waitFor('q Quit');
	let screen = await rows(term);
	t.regex(screen[0], /massmail │ Domains +2 domains, 4 mailboxes/);
	t.regex(screen[1], new RegExp(`Mail goes to: 127\\.0\\.0\\.1:${server.port}`));
	t.regex(screen[3], /^❯ +example\.com +3 +1 +ann@example\.com/);
	t.regex(screen[22], /a\/\.\/Enter Actions/);
	t.is(screen[23], '', 'the frame is one row shorter than the terminal');

	term.press('enter');
	await term.waitFor('Enter Choose');
	t.regex(await term.screen(), /On example\.com/);
	t.regex(await term.screen(), /❯ Send Email/);

	term.press('enter');
	await term.waitFor('❯ From');
	screen = await rows(term);
	t.regex(screen[0], /Send Email/);
	t.regex(screen.join('\n'), /To +All Users on a Domain/);
	t.regex(screen.join('\n'), /Domain +example\.com/);

	term.press('tab');
	await term.waitFor('❯ To');
	term.press('tab');
	await term.waitFor('❯ Domain');
	term.press('tab');
	await term.waitFor('❯ Friendly name');
	term.type('Example.com User - ');
	await term.waitFor('Friendly name  Example.com User -');
	term.press('tab');
	await term.waitFor('❯ Subject');
	term.type('Maintenance tonight');
	await term.waitFor('Maintenance tonight');
	term.press('tab');
	await term.waitFor('❯ Message');
	term.type('The server restarts at 22:00.');
	await term.waitFor('The server restarts at 22:00.');

	term.press('ctrlS');
	// The screen's keys are live once its footer shows.
	await term.waitFor('t Test copy');
	screen = await rows(term);
	const review = screen.join('\n');
	t.regex(screen[0], /Review/);
	t.regex(review, /Recipients +2 \(All Users on a Domain: example\.com\)/);
	t.regex(review, /To +"Example\.com User - ann@example\.com" <ann@example\.com>/);
	t.regex(review, /Warnings +1 disabled mailbox skipped \(gone@example\.com\)/);
	t.regex(screen[22], /s\/Enter Send +l Schedule +t Test copy/);

	// A resize: the frame follows the new rows and columns, then comes back.
	// (The screen settles on the full frame: the wait ends once header and footer are both in place.)
	const framed = (height: number) => (text: string) => {
		const lines = text.split('\n');
		return /^ massmail │ Review/.test(lines[0]) && /s\/Enter Send/.test(lines[height - 2] ?? '') && lines[height - 1] === '';
	};

	term.resize(100, 30);
	await term.waitFor(framed(30));
	screen = await rows(term);
	t.regex(screen[2], /Recipients +2/);
	t.true(screen[0].length > 80, 'the header uses the wider terminal');
	term.resize(80, 24);
	await term.waitFor(framed(24));
	screen = await rows(term);
	t.regex(screen[2], /Recipients +2/);
	t.true(screen.every(line => line.length <= 80));

	t.is(server.messages.length, 0, 'nothing sent before Send');
	term.press('enter');
	await term.waitFor('Enter/Esc Done');
	t.regex(await term.screen(), /Finished: 2 of 2 sent/);
	t.regex(await term.screen(), /Full record: massmail show \d{8}-\d{6}-/);

	const received = await Promise.all(server.messages.map(async message => simpleParser(message.raw)));
	t.deepEqual(received.map(mail => (mail.to as {text: string}).text).sort(), [
		'"Example.com User - ann@example.com" <ann@example.com>',
		'"Example.com User - bob@example.com" <bob@example.com>',
	]);
	t.true(received.every(mail => mail.subject === 'Maintenance tonight'));
	t.true(received.every(mail => mail.headers.get('auto-submitted') === 'auto-generated'));

	term.press('enter');
	await term.waitFor('q Quit');
	term.type('q');
	const {exitCode} = await term.waitForExit();
	t.is(exitCode, 0);
	const output = term.output();
	t.true(output.startsWith(enterAlternate), 'the alternate screen comes first');
	t.true(output.lastIndexOf(leaveAlternate) > output.lastIndexOf(enterAlternate), 'the terminal is given back on quit');
});

test.serial('SIGTERM and SIGHUP restore the terminal', async t => {
	const {env} = await setup(t);
	for (const signal of ['SIGTERM', 'SIGHUP']) {
		const term = start(t, env);
		await term.waitFor('q Quit');
		term.kill(signal);
		const {exitCode} = await term.waitForExit();
		t.is(exitCode, signal === 'SIGTERM' ? 143 : 129, signal);
		t.true(term.output().includes(leaveAlternate), signal);
	}
});

/** Composes a message to example.com from the home screen and sends it: Progress shows it going. */
async function startSending(term: TerminalSession): Promise<void> {
	await term.waitFor('q Quit');
	term.press('enter');
	await term.waitFor('Enter Choose');
	term.press('enter');
	await term.waitFor('Tab Next');
	for (const field of ['❯ To', '❯ Domain', '❯ Friendly name', '❯ Subject']) {
		term.press('tab');
		await term.waitFor(field);
	}

	term.type('Going down');
	await term.waitFor('Going down');
	term.press('tab');
	await term.waitFor('❯ Message');
	term.type('Body');
	await term.waitFor('Body');
	term.press('ctrlS');
	await term.waitFor('t Test copy');
	term.press('enter');
	await term.waitFor(text => /Sent [1-9]/.test(text) && text.includes('p Pause'));
}

test.serial('SIGHUP during a send (the SSH session drops): the send stops with its record complete, the terminal is restored, exit 130', async t => {
	const {env, server} = await setup(t, 40);
	const term = start(t, env);
	await startSending(term);
	term.kill('SIGHUP');
	const {exitCode} = await term.waitForExit();
	t.is(exitCode, 130);
	t.true(term.output().lastIndexOf(leaveAlternate) > term.output().lastIndexOf(enterAlternate));
	const sends = new SendLog(openStore({env}).paths.sendsDir);
	const [send] = sends.list();
	t.is(send.status, 'interrupted');
	t.true(send.sent < 42);
	t.is(send.sent, server.messages.length, 'every message the server took is on record');
});

test.serial('Ctrl+C, s Stop and quit: exit 130, and the terminal is left with the send\'s id, its counts and the resume command', async t => {
	const {env, server} = await setup(t, 40);
	const term = start(t, env);
	await startSending(term);
	term.press('ctrlC');
	await term.waitFor('Stop this send?');
	term.type('s');
	const {exitCode} = await term.waitForExit();
	t.is(exitCode, 130);
	const [send] = new SendLog(openStore({env}).paths.sendsDir).list();
	t.is(send.status, 'interrupted');
	const output = term.output();
	const after = output.slice(output.lastIndexOf(leaveAlternate) + leaveAlternate.length).replaceAll('\r', '').replaceAll(/\u001B\[[?\d;]*[A-Za-z]/g, '');
	t.is(after, `Interrupted: ${server.messages.length} of 42 recipients sent. Record: ${send.id}\nThe send can be resumed: massmail resume ${send.id}\n`);
});

test.serial('Ctrl+E hands the terminal to $VISUAL and takes it back with the edited message', async t => {
	const {env} = await setup(t);
	const editor = path.join(env.MASSMAIL_CONFIG_DIR!, 'editor.sh');
	// A real editor would draw on the normal screen with the terminal in cooked mode; this one
	// records that the terminal was handed over (not raw: `stty` shows icanon) and writes the text.
	fs.writeFileSync(editor, '#!/bin/sh\nstty -a > "$MASSMAIL_CONFIG_DIR/stty.txt"\nprintf "Written in the editor\\nsecond line\\n" > "$1"\n', {mode: 0o755});
	const term = start(t, {...env, VISUAL: editor});
	await term.waitFor('q Quit');
	term.press('enter');
	await term.waitFor('Enter Choose');
	term.press('enter');
	await term.waitFor('Tab Next');
	for (const field of ['❯ To', '❯ Domain', '❯ Friendly name', '❯ Subject', '❯ Message']) {
		term.press('tab');
		await term.waitFor(field);
	}

	term.press('ctrlE');
	// The frame after the editor may reach the terminal in more than one write: wait for all of it.
	const screen = await term.waitFor(text => /Written in the editor\n +second line/.test(text) && /Ctrl\+E Editor/.test(text.split('\n')[22] ?? ''));
	const lines = screen.split('\n');
	t.regex(lines[0], /^ massmail │ Send Email/, 'the whole frame is drawn again');
	t.regex(screen, /Written in the editor\n +second line/);
	t.regex(lines[22], /Ctrl\+E Editor/);
	const output = term.output();
	const handedOver = output.indexOf(leaveAlternate);
	t.true(handedOver > 0 && output.indexOf(enterAlternate, handedOver) > handedOver, 'left the alternate screen for the editor and came back');
	t.regex(fs.readFileSync(path.join(env.MASSMAIL_CONFIG_DIR!, 'stty.txt'), 'utf8'), /(^|\s)icanon\b/, 'the editor got the terminal in its normal (not raw) mode');
	term.type('q');
	await term.waitFor('second lineq');
	t.pass('the keyboard is back in the message field');
});

test.serial('Ctrl+C on the home screen quits and restores the terminal; NO_COLOR: no colour codes', async t => {
	const {env: base} = await setup(t);
	const env = {...base, NO_COLOR: '1'};
	const term = start(t, env);
	await term.waitFor('q Quit');
	t.notRegex(term.output(), /\u001B\[(3\d|4\d|9\d|10\d)(;\d+)*m/, 'no colour under NO_COLOR');
	term.press('ctrlC');
	const {exitCode} = await term.waitForExit();
	t.is(exitCode, 0);
	t.true(term.output().endsWith(leaveAlternate) || term.output().lastIndexOf(leaveAlternate) > term.output().lastIndexOf(enterAlternate));
});

test.serial('without a terminal on stdin the dashboard does not start and points to the command line', t => {
	const {env} = tempConfigDir(t);
	const result = spawnSync(process.execPath, [path.join(projectRoot, 'dist', 'cli.js')], {env: {...env, CI: 'false'}, input: '', encoding: 'utf8'});
	t.is(result.status, 2);
	t.regex(result.stderr, /needs a terminal/);
	t.regex(result.stderr, /massmail --help/);
	t.false(result.stdout.includes(enterAlternate), 'the screen is left alone');
});
