/**
 * History end to end: the built program (`npm run build` -> dist/cli.js) in a pseudo-terminal
 * at 80×24 against a real SMTP test server. A send killed with SIGKILL from outside is resumed
 * from History; a threaded reminder is sent from History; a setting changed in Settings is
 * used by the next send.
 */
import test, {type ExecutionContext} from 'ava';
import {simpleParser, type ParsedMail} from 'mailparser';
import {Directory} from '../../source/core/directory.js';
import {openStore} from '../../source/core/store.js';
import {startTestSmtpServer, type ReceivedMessage, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {spawnTerminal, type KeyName, type TerminalSession} from '../helpers/terminal.js';
import {runCli, spawnCli} from '../helpers/cli.js';

const people = Array.from({length: 60}, (_, index) => `user${String(index).padStart(2, '0')}@example.com`);

async function setup(t: ExecutionContext): Promise<{env: NodeJS.ProcessEnv; dir: string; server: TestSmtpServer}> {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const {env: base, dir} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, LANG: 'en_US.UTF-8', TERM: 'xterm-256color', MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	delete env.NO_COLOR;
	delete env.MASSMAIL_SMTP_PASSWORD;
	const store = openStore({env});
	const directory = Directory.empty();
	directory.addDomain('example.com');
	for (const address of people) {
		directory.addMailbox({address, name: address.slice(0, 6)});
	}

	store.saveDirectory(directory);
	// Under the confirmation threshold: Send sends at once.
	store.settings.update({delivery: {confirmThreshold: 1000}, sender: {address: 'postmaster@example.net'}});
	return {env, dir, server};
}

function start(t: ExecutionContext, env: NodeJS.ProcessEnv): TerminalSession {
	const term = spawnTerminal([], {env});
	t.teardown(() => {
		term.kill('SIGKILL');
	});
	return term;
}

/** One key, then wait for what it leads to. */
async function step(term: TerminalSession, key: KeyName | string, waitFor: string | RegExp, timeoutMs?: number): Promise<string> {
	if (key.length > 1 && !key.startsWith('\u001B')) {
		term.press(key as KeyName);
	} else {
		term.type(key);
	}

	return term.waitFor(waitFor, timeoutMs);
}

const recipientOf = (message: ReceivedMessage) => message.envelope.to[0];

async function parse(messages: ReceivedMessage[]): Promise<ParsedMail[]> {
	return Promise.all(messages.map(async message => simpleParser(message.raw)));
}

/** Kills `send` with SIGKILL once the server has `after` messages; resolves when it is gone. */
async function killMidway(t: ExecutionContext, env: NodeJS.ProcessEnv, dir: string, server: TestSmtpServer, after: number): Promise<void> {
	const child = spawnCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--rate', '50', '--concurrency', '2'], {
		configDir: dir,
		env: {MASSMAIL_SMTP_URL: env.MASSMAIL_SMTP_URL},
	});
	child.stdin!.end();
	const gone = new Promise<void>(resolve => {
		child.on('exit', () => {
			resolve();
		});
	});
	await new Promise<void>((resolve, reject) => {
		const timer = setInterval(() => {
			if (server.messages.length >= after) {
				clearInterval(timer);
				child.kill('SIGKILL');
				resolve();
			}
		}, 5);
		child.on('exit', code => {
			clearInterval(timer);
			if (server.messages.length < after) {
				reject(new Error(`send ended (${code}) before it could be killed`));
			}
		});
	});
	await gone;
	t.true(server.messages.length < people.length, 'killed before the end');
}

test.serial('a send killed with SIGKILL is resumed from History: every recipient gets the message; a threaded reminder follows', async t => {
	const {env, dir, server} = await setup(t);
	await killMidway(t, env, dir, server, 10);
	const beforeResume = server.messages.length;

	// The dashboard: h opens History, where the killed send shows as interrupted.
	const term = start(t, env);
	await term.waitFor('q Quit');
	let screen = await step(term, 'h', 'Enter Open');
	t.regex(screen, /massmail │ History/);
	t.regex(screen, /email +interrupted +\d+\/0\/60 +all +S/);

	screen = await step(term, 'enter', 's Resume');
	t.regex(screen, /interrupted, \d+ not sent yet/);
	await step(term, 's', /Resume: send to the \d+ recipients? not sent yet\?/);
	screen = await step(term, 'y', 'Enter/Esc Done', 30_000);
	t.regex(screen, /Finished: 60 of 60 sent/);

	// Every recipient received the message; a second copy only for what was in flight at the kill.
	const received = server.messages.map(recipientOf);
	t.deepEqual([...new Set(received)].sort(), people);
	const duplicates = received.length - new Set(received).size;
	t.true(duplicates <= 2, `${duplicates} duplicates, at most the 2 connections in flight`);
	t.true(server.messages.length > beforeResume);
	const originals = new Map<string, string>();
	for (const mail of await parse(server.messages)) {
		originals.set((mail.to as {value: Array<{address: string}>}).value[0].address, mail.messageId!);
	}

	// Done: back to History (the resume started there); the send is finished; r follows it up.
	await step(term, 'enter', /email +finished +60\/0\/60/);
	await step(term, 'enter', /Send \d{8}-\d{6}-\w+[\s\S]*r Follow up/);
	screen = await step(term, 'r', /Send Reminder \(follow-up\)[\s\S]*Reminder: S/);
	t.regex(screen, /To +Recipients of an earlier send/);
	term.press('tab');
	await term.waitFor('❯ Message');
	term.type('Please read it.');
	await term.waitFor('Please read it.');
	screen = await step(term, 'ctrlS', 't Test copy');
	t.regex(screen, /Recipients +60/);
	const sentBefore = server.messages.length;
	screen = await step(term, 's', 'Enter/Esc Done', 30_000);
	t.regex(screen, /Finished: 60 of 60 sent/);

	// Each reminder threads under the message that recipient got.
	const reminders = await parse(server.messages.slice(sentBefore));
	t.is(reminders.length, 60);
	for (const mail of reminders) {
		const address = (mail.to as {value: Array<{address: string}>}).value[0].address;
		t.is(mail.subject, 'Reminder: S');
		t.is(mail.inReplyTo, originals.get(address), address);
		t.true(String(mail.references).includes(originals.get(address)!), address);
	}

	// Done: back to History again, then home and quit.
	await step(term, 'enter', /massmail │ History/);
	await step(term, 'escape', 'h History');
	term.type('q');
	t.is((await term.waitForExit(10_000)).exitCode, 0);
});

test.serial('a sender name changed in Settings is used by the next send', async t => {
	const {env, dir, server} = await setup(t);
	const term = start(t, env);
	await term.waitFor('q Quit');
	await step(term, 'a', 'Enter Choose');
	// The menu wraps: up from the first entry is the last, Settings.
	await step(term, 'up', '❯ Settings');
	await step(term, 'enter', 'Ctrl+S Save');
	// One key at a time: keys written together reach Ink as one chunk.
	for (const field of ['Port', 'TLS', 'Certificate', 'User', 'Password from', 'Sender name']) {
		await step(term, 'tab', `❯ ${field}`);
	}

	term.type('\u0015');
	await term.waitFor(/❯ Sender name$/m);
	term.type('IT Desk');
	await term.waitFor('IT Desk');
	const screen = await step(term, 'ctrlS', 'Saved to');
	t.regex(screen, /Sender name +IT Desk/);
	await step(term, 'escape', 'h History');
	term.type('q');
	t.is((await term.waitForExit(10_000)).exitCode, 0);

	const result = await runCli(['send', '--to', 'user:user00@example.com', '--subject', 'After', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: env.MASSMAIL_SMTP_URL}});
	t.is(result.code, 0, result.stderr);
	const [mail] = await parse(server.messages);
	t.deepEqual((mail.from as {value: Array<{name: string; address: string}>}).value[0], {name: 'IT Desk', address: 'postmaster@example.net'});
});
