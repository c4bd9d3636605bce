/**
 * Exit statuses at the edges of a send's run (issue 21 item 7): a signal before the first
 * connection is up, and one after the final line, end as the exit table says, never by the
 * signal's default (143 for SIGTERM, 129 for SIGHUP).
 */
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {faultyServerFor} from '../helpers/faulty-smtp-server.js';
import {importedDirectory, numbered} from '../helpers/imported-directory.js';
import {waitUntil} from '../helpers/wait.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const faulty = faultyServerFor;
const directory = importedDirectory;

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

for (const signal of signals) {
	test(`${signal} while the server has not greeted yet: exit 130, nothing sent, no record, and it says so`, async t => {
		const server = await faulty(t, {silent: 'greeting'});
		const dir = await directory(t, ['ann', 'bob']);
		const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
		await waitUntil(() => server.connectionsMade >= 1);
		const started = Date.now();
		running.child.kill(signal);
		const {code, signal: killedBy, stderr} = await running.result;
		t.is(killedBy, null, stderr);
		t.is(code, 130, stderr);
		t.true(Date.now() - started < 5000);
		t.regex(stderr, /before the first connection to the SMTP server was up: nothing was sent, and no send record was written/);
		t.notRegex(stderr, /internal error/);
		t.deepEqual(JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout), []);
		t.is(server.messages.length, 0);
	});
}

test('SIGTERM before the first connection is up, with --json: the last line of standard output is the summary a script reads', async t => {
	const server = await faulty(t, {silent: 'greeting'});
	const dir = await directory(t, ['ann', 'bob']);
	const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	await waitUntil(() => server.connectionsMade >= 1);
	running.child.kill('SIGTERM');
	const {code, stdout, stderr} = await running.result;
	t.is(code, 130, stderr);
	t.like(lastJsonLine(stdout), {id: null, total: 2, sent: 0, failed: 0, status: 'interrupted', exitStatus: 130});
	t.regex(String(lastJsonLine(stdout).stopped), /^Got SIGTERM before the first connection to the SMTP server was up: nothing was sent/);
});

for (const json of [false, true]) {
	test(`SIGTERM while run-due starts a scheduled send${json ? ' (--json)' : ''}: exit 130, it says so, and the next run-due sends it once`, async t => {
		const silent = await faulty(t, {silent: 'greeting'});
		const dir = await directory(t, ['ann', 'bob']);
		const friday = {MASSMAIL_NOW: '2026-12-11T14:00:00Z', TZ: 'Europe/Berlin'};
		const saturday = {MASSMAIL_NOW: '2026-12-12T17:00:20Z', TZ: 'Europe/Berlin'};
		const scheduled = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--at', 'Sat 18:00', '--yes', '--json'], {configDir: dir, env: friday});
		t.is(scheduled.code, 0, scheduled.stderr);
		const {id} = JSON.parse(scheduled.stdout) as {id: string};
		const running = startCli(['run-due', ...(json ? ['--json'] : [])], {configDir: dir, env: {...saturday, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${silent.port}`}});
		await waitUntil(() => silent.connectionsMade >= 1);
		running.child.kill('SIGTERM');
		const {code, signal, stdout, stderr} = await running.result;
		t.is(signal, null, stderr);
		t.is(code, 130, stderr);
		const said = /Got SIGTERM while it was starting: nothing was sent; the next run-due takes it again while its time is within schedule\.grace/;
		if (json) {
			t.like(lastJsonLine(stdout), {type: 'scheduled', id, outcome: 'not started'});
			t.regex(String(lastJsonLine(stdout).reason), said);
		} else {
			t.regex(stderr, new RegExp(`${id} "S" .*: not started: ${said.source}`));
		}

		t.is(silent.messages.length, 0);
		const server = await faulty(t);
		const again = await runCli(['run-due'], {configDir: dir, env: {...saturday, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
		t.is(again.code, 0, again.stderr);
		t.deepEqual(server.messages.flatMap(message => message.to).sort(), ['ann@example.com', 'bob@example.com']);
	});
}

test('SIGTERM while a resume waits for the server\'s greeting: exit 130, nothing more sent, the resume command printed', async t => {
	// An interrupted send to resume: the first message's reply never ends; SIGINT stops the run.
	const endless = await faulty(t, {endlessIntervalMs: 100});
	const dir = await directory(t, ['endless+ann', 'bob']);
	t.is((await runCli(['config', 'set', 'delivery.dataTimeoutMs', '2000'], {configDir: dir})).code, 0);
	const first = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--concurrency', '1'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${endless.port}`}});
	await waitUntil(() => endless.messagesRead >= 1);
	first.child.kill('SIGINT');
	t.is((await first.result).code, 130);
	const [record] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.is(record.status, 'interrupted');

	const silent = await faulty(t, {silent: 'greeting'});
	const running = startCli(['resume', record.id, '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${silent.port}`}});
	await waitUntil(() => silent.connectionsMade >= 1);
	running.child.kill('SIGTERM');
	const {code, signal, stderr} = await running.result;
	t.is(signal, null, stderr);
	t.is(code, 130, stderr);
	t.regex(stderr, new RegExp(`Got SIGTERM before the first connection to the SMTP server was up: nothing more was sent\\. The send can be resumed: massmail resume ${record.id}`));
	const [after] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.like(after, {id: record.id, status: 'interrupted'});
});

for (const signal of signals) {
	test(`${signal} after the final JSON line, while the connections say goodbye: the run's exit status stands`, async t => {
		// The server never answers QUIT: the program lingers after its last line until its own deadline.
		const server = await faulty(t, {silentQuit: true});
		const dir = await directory(t, ['ann', 'bob']);
		const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
		await waitUntil(() => running.stdout.includes('"exitStatus"'));
		running.child.kill(signal);
		const {code, signal: killedBy, stdout, stderr} = await running.result;
		t.is(killedBy, null, stderr);
		t.is(code, 0, stderr);
		t.like(lastJsonLine(stdout), {sent: 2, status: 'finished', exitStatus: 0});
		t.is(server.messages.length, 2);
	});
}

/**
 * Mounts a 64 KB tmpfs (a full disk of a known size) at `folder`. Like the tests' Postfix, this
 * needs root (CI runs the tests as root): without the right to mount, the test fails saying so
 * rather than skipping, so a run that could not check a full disk never reads as one that did.
 */
function mountSmallDisk(folder: string): void {
	try {
		execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', folder], {stdio: ['ignore', 'ignore', 'pipe']});
	} catch (error) {
		const said = String((error as {stderr?: Buffer}).stderr ?? '').trim() || (error as Error).message;
		throw new Error(`This test fills a 64 KB tmpfs and needs the right to mount one (run the tests as root, as CI does): mount said: ${said}`, {cause: error});
	}
}

test('a disk that fills up during a send: the counts printed are those its journal holds, as show reads them', async t => {
	const server = await faulty(t);
	const dir = await directory(t, numbered('u', 2000));
	// The send records on a 64 KB disk: the recipients' file (~50 KB) fits, the outcome log does not.
	const sends = path.join(dir, 'sends');
	mkdirSync(sends, {mode: 0o700});
	mountSmallDisk(sends);
	t.teardown(() => {
		execFileSync('umount', [sends]);
	});
	const {code, stdout, stderr} = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json', '--concurrency', '5'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(code, 75, stderr);
	const summary = lastJsonLine(stdout);
	t.regex(summary.stopped, /cannot write the journal of send .*ENOSPC/);
	// Complete lines only: the write the disk refused may have left a torn one at the end.
	const log = readFileSync(path.join(sends, summary.id, 'outcomes.log'), 'utf8');
	const sentOnDisk = log.split('\n').slice(0, -1).filter(line => /^\d+\tS\t/.test(line)).length;
	t.true(sentOnDisk > 0 && sentOnDisk < 2000, String(sentOnDisk));
	t.is(summary.sent, sentOnDisk);
	const shown = JSON.parse((await runCli(['show', summary.id, '--json'], {configDir: dir})).stdout);
	t.is(shown.recipients.filter((r: {status: string}) => r.status === 'sent').length, sentOnDisk);
	t.true(server.messages.length >= sentOnDisk);
});

test('history names a finished send whose outcome log was garbled afterwards, as show does', async t => {
	const server = await faulty(t);
	const dir = await directory(t, numbered('u', 50));
	const sent = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(sent.code, 0, sent.stderr);
	const {id} = lastJsonLine(sent.stdout);
	const before = await runCli(['history'], {configDir: dir});
	t.notRegex(before.stdout, /damaged/);

	const file = path.join(dir, 'sends', id, 'outcomes.log');
	const lines = readFileSync(file, 'utf8').split('\n');
	lines[20] = 'x\u0000garbled\u0000';
	writeFileSync(file, lines.join('\n'));
	const shown = await runCli(['show', id], {configDir: dir});
	t.regex(shown.stdout + shown.stderr, /of 50 recipients readable/);

	const history = await runCli(['history'], {configDir: dir});
	t.is(history.code, 0, history.stderr);
	t.regex(history.stdout, /finished, damaged/);
	t.regex(history.stdout, new RegExp(`${id} damaged: .*outcomes\\.log.* \\(massmail show ${id}\\)`));
	const [listed] = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout);
	t.regex(listed.damaged, /outcomes\.log/);
});

test('an error about a 1 MB address quotes a readable part of it and says how long it was', async t => {
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	const address = `${'a'.repeat(1_000_000)}@example.com`;
	writeFileSync(csv, `email,name,role,disabled\n${address},,user,\n`);
	const {code, stderr} = await runCli(['import', csv], {configDir: dir});
	t.is(code, 2, stderr.slice(0, 500));
	t.true(stderr.length < 1000, `${stderr.length} characters`);
	t.regex(stderr, /line 2: not a valid address "a{60,}"…"a+@example\.com" \(1,000,012 characters\): the part before the @ is longer than 64 characters/);
});

test('an error about a CSV header of a million commas is cut to a readable length and says how long the line was', async t => {
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, `${','.repeat(1_000_000)}\nann@example.com\n`);
	const {code, stderr} = await runCli(['import', csv], {configDir: dir});
	t.is(code, 2, stderr.slice(0, 500));
	t.true(stderr.length < 1000, `${stderr.length} characters`);
	// The header quoted short with its length, the empty column named once.
	t.regex(stderr, /line 1: the header ",,,+"…",,,+" \(1,000,000 characters\)/);
	t.regex(stderr, /unknown column ""[;:]/);
	t.regex(stderr, /the first line must be: email,name,role,disabled/);
});
