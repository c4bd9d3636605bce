/**
 * The command line's [y/N] questions in a real pseudo-terminal (the built program): Ctrl+C there
 * is an interruption (130) and Ctrl+D an answer that is not yes (2), each with a sentence and
 * nothing changed or sent; a resume through another server than the send's says so first; a
 * sync that would empty a domain asks.
 */
import test, {type ExecutionContext} from 'ava';
import {Directory} from '../../source/core/directory.js';
import {openStore} from '../../source/core/store.js';
import fs from 'node:fs';
import path from 'node:path';
import {runCli} from '../helpers/cli.js';
import {startDovecot} from '../helpers/dovecot-server.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {spawnTerminal, type TerminalSession} from '../helpers/terminal.js';

async function setup(t: ExecutionContext): Promise<{env: NodeJS.ProcessEnv; dir: string; server: TestSmtpServer}> {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const {env: base, dir} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, NO_COLOR: '1', MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	delete env.MASSMAIL_SMTP_PASSWORD;
	const directory = Directory.empty();
	directory.addDomain('example.com');
	for (const local of ['ann', 'bob', 'cy']) {
		directory.addMailbox({address: `${local}@example.com`, name: local});
	}

	openStore({env}).saveDirectory(directory);
	return {env, dir, server};
}

function start(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv): TerminalSession {
	const term = spawnTerminal(args, {env});
	t.teardown(() => {
		term.kill('SIGKILL');
	});
	return term;
}

const noStack = /internal error|\n\s+at .+:\d+:\d+/;

test('Ctrl+C at "domain remove"\'s question: exit 130, said so, the domain kept', async t => {
	const {env, dir} = await setup(t);
	const term = start(t, ['domain', 'remove', 'example.com'], env);
	await term.waitFor('[y/N]');
	term.press('ctrlC');
	const {exitCode} = await term.waitForExit(10_000);
	const screen = await term.screen();
	t.is(exitCode, 130, screen);
	t.regex(screen, /interrupted at the question: nothing was changed or sent/);
	t.notRegex(screen, noStack);
	const domains = await runCli(['domains', '--json'], {configDir: dir});
	t.regex(domains.stdout, /example\.com/);
});

test('Ctrl+D at "send"\'s question: exit 2, said so, nothing sent; Ctrl+C there: exit 130', async t => {
	const {env, server} = await setup(t);
	const send = ['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.'];
	const first = start(t, send, env);
	await first.waitFor('Send to 3 recipients? [y/N]');
	first.press('ctrlD');
	const ended = await first.waitForExit(10_000);
	const screen = await first.screen();
	t.is(ended.exitCode, 2, screen);
	t.regex(screen, /no answer \(end of input\): nothing was changed or sent/);
	t.notRegex(screen, noStack);

	const second = start(t, send, env);
	await second.waitFor('[y/N]');
	second.press('ctrlC');
	t.is((await second.waitForExit(10_000)).exitCode, 130, await second.screen());
	t.is(server.messages.length, 0);
});

test('resume through another SMTP server than the send went through says so in the question', async t => {
	const {env, dir, server} = await setup(t);
	// A send that stopped part-way: interrupted by a signal from its first outcome.
	const first = start(t, ['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--rate', '1'], env);
	await first.waitFor(/1\/3/);
	first.press('ctrlC');
	t.is((await first.waitForExit(10_000)).exitCode, 130, await first.screen());
	const history = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout) as Array<{id: string}>;
	const {id} = history[0]!;

	const other = await startTestSmtpServer();
	t.teardown(async () => other.close());
	const term = start(t, ['resume', id], {...env, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${other.port}`});
	await term.waitFor('[y/N]');
	const screen = await term.screen();
	t.true(screen.replaceAll('\n', '').includes(`The send went through 127.0.0.1:${server.port}`), screen);
	t.true(screen.replaceAll('\n', '').includes(`this run goes through 127.0.0.1:${other.port}`), screen);
	term.type('n\r');
	t.is((await term.waitForExit(10_000)).exitCode, 2);
	t.is(other.messages.length, 0);

	// --yes skips the question, not the notice.
	const resumed = await runCli(['resume', id, '--yes'], {configDir: dir, env: {...env, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${other.port}`}});
	t.is(resumed.code, 0, resumed.stderr);
	t.true(resumed.stderr.includes(`The send went through 127.0.0.1:${server.port} (STARTTLS when offered); this run goes through 127.0.0.1:${other.port} (STARTTLS when offered).`), resumed.stderr);
	t.is(other.messages.length, 2);
});

test('a sync that would remove every mailbox of a domain asks on the terminal; n keeps the directory, y applies it', async t => {
	const dovecot = await startDovecot({users: ['ann@example.com', 'bob@example.com', 'eve@other.org']});
	t.teardown(async () => dovecot.stop());
	const {env, dir} = tempConfigDir(t);
	for (const [key, value] of [['directory.source', 'dovecot'], ['directory.dovecot.command', dovecot.command]]) {
		t.is((await runCli(['config', 'set', key!, value!], {configDir: dir})).code, 0);
	}

	t.is((await runCli(['sync', '--yes'], {configDir: dir})).code, 0);
	const before = fs.readFileSync(path.join(dir, 'directory.json'), 'utf8');
	dovecot.setUsers(['eve@other.org']);

	const no = start(t, ['sync'], env);
	await no.waitFor('Apply it? [y/N]');
	const asked = (await no.screen()).replaceAll('\n', '');
	t.regex(asked, /it removes every mailbox of example\.com/);
	no.type('n\r');
	t.is((await no.waitForExit(10_000)).exitCode, 2);
	t.is(fs.readFileSync(path.join(dir, 'directory.json'), 'utf8'), before, 'nothing changed');

	const yes = start(t, ['sync'], env);
	await yes.waitFor('Apply it? [y/N]');
	yes.type('y\r');
	t.is((await yes.waitForExit(10_000)).exitCode, 0, await yes.screen());
	const domains = JSON.parse((await runCli(['users', 'other.org', '--json'], {configDir: dir})).stdout) as unknown[];
	t.is(domains.length, 1);
	t.false(fs.readFileSync(path.join(dir, 'directory.json'), 'utf8').includes('ann@example.com'));
});
