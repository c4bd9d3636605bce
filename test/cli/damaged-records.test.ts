/**
 * Damaged send records through the command line (the built program, as a child process):
 * show, history, resume, retry and remind --follow-up name the damage and never guess, never
 * crash with a stack, never loop. Records are written with the SendLog API into a real data
 * folder, then damaged by hand; resume goes to a real SMTP server on 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {spawn} from 'node:child_process';
import test, {type ExecutionContext} from 'ava';
import {SendLog, type SendRecord} from '../../source/core/journal.js';
import {cliEnv, cliPath, runCli, type CliResult} from '../helpers/cli.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

async function server(t: ExecutionContext): Promise<TestSmtpServer> {
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	return smtp;
}

const record = (port: number): Omit<SendRecord, 'id' | 'createdAt' | 'total'> => ({
	kind: 'email',
	draft: {kind: 'email', from: {name: 'Admin', address: 'postmaster@example.net'}, friendlyName: '', subject: 'Maintenance', body: 'Tonight.', html: false},
	audience: 'all',
	captured: false,
	destination: `127.0.0.1:${port}`,
	settings: {
		smtp: {host: '127.0.0.1', port, tls: 'opportunistic', user: '', allowUnverifiedTls: false},
		sender: {name: 'Admin', address: 'postmaster@example.net'},
		delivery: {concurrency: 2, rate: 0, maxAttempts: 1, retryDelayMs: 5, confirmThreshold: 100},
	},
});

/** A send of `count` recipients whose first `sent` were accepted; finished when all were. */
async function craftedSend(dir: string, port: number, count: number, sent: number, outcome: (index: number) => {code: 'S' | 'F'; ambiguous?: boolean} = () => ({code: 'S'})): Promise<{id: string; folder: string}> {
	const sends = new SendLog(path.join(dir, 'sends'));
	const recipients = Array.from({length: count}, (_, i) => ({address: `user${i}@example.com`, name: `User ${i}`}));
	const {record: created, lock} = sends.create({...record(port), recipients});
	const writer = sends.openOutcomes(created.id, () => undefined);
	for (let index = 0; index < sent; index++) {
		const {code, ambiguous = false} = outcome(index);
		writer.append({index, code, attempts: ambiguous ? 2 : 1, response: code === 'S' ? '250 2.0.0 OK' : '550 5.1.1 No such user', ambiguous});
	}

	await writer.close();
	if (sent === count) {
		sends.finish(created.id, 'finished', {sent, failed: 0});
	}

	lock.release();
	return {id: created.id, folder: path.join(dir, 'sends', created.id)};
}

/** Runs the CLI, killing it after `ms` (a command that loops fails the test instead of hanging it). */
async function runFor(args: string[], configDir: string, env: Record<string, string>, ms = 20_000): Promise<CliResult & {killed: boolean}> {
	const child = spawn(process.execPath, [cliPath, ...args], {env: cliEnv({configDir, env}), stdio: ['pipe', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	let killed = false;
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	child.stdin.end();
	const timer = setTimeout(() => {
		killed = true;
		child.kill('SIGKILL');
	}, ms);
	return new Promise(resolve => {
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({code, signal, stdout, stderr, killed});
		});
	});
}

function noStack(t: ExecutionContext, result: CliResult, what: string): void {
	t.notRegex(result.stderr, /internal error|\n\s+at .+:\d+:\d+/, `${what}: ${result.stderr}`);
}

function garbleOutcomes(folder: string, count: number): number[] {
	const file = path.join(folder, 'outcomes.log');
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	const garbled: number[] = [];
	for (let index = 3; index < lines.length - 1 && garbled.length < count; index += 2) {
		lines[index] = '\u0000\u0000\u0000\uFFFD' + lines[index]!.slice(4).replaceAll('\t', ' ');
		garbled.push(index + 1);
	}

	fs.writeFileSync(file, lines.join('\n'));
	return garbled;
}

const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

test('twenty garbled outcome lines: show names them and exits 2; resume, retry and remind --follow-up refuse and send nothing', async t => {
	const smtp = await server(t);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const {id, folder} = await craftedSend(dir, smtp.port, 60, 60);
	const garbled = garbleOutcomes(folder, 20);

	const show = await runCli(['show', id], {configDir: dir, env});
	t.is(show.code, 2, show.stderr);
	noStack(t, show, 'show');
	t.true(show.stdout.includes(`record damaged: 20 lines unreadable (outcomes.log:${garbled[0]}, outcomes.log:${garbled[1]}`), show.stdout);
	t.regex(show.stdout, /40 of 60 recipients readable/);
	t.notRegex(show.stdout, /Sent 60/);

	const json = await runCli(['show', id, '--json'], {configDir: dir, env});
	t.is(json.code, 2);
	const parsed = JSON.parse(json.stdout) as {sent: number; damage: {damagedLines: number; lines: Array<{file: string; line: number; why: string}>}; recipients: Array<{unreadable?: string}>};
	t.is(parsed.sent, 40);
	t.is(parsed.damage.damagedLines, 20);
	t.deepEqual(parsed.damage.lines[0], {file: 'outcomes.log', line: garbled[0], why: parsed.damage.lines[0]!.why});
	t.is(parsed.recipients.filter(r => r.unreadable === 'outcome').length, 20);

	for (const args of [['resume', id, '--yes'], ['retry', id, '--yes'], ['remind', '--follow-up', id, '--message', 'Reminder', '--yes']]) {
		const result = await runFor(args, dir, env);
		t.false(result.killed, args.join(' '));
		t.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
		noStack(t, result, args[0]!);
		t.regex(result.stderr, /outcomes\.log:\d+/, args.join(' '));
	}

	t.is(smtp.messages.length, 0, 'nobody was sent anything');
	const history = await runCli(['history'], {configDir: dir, env});
	t.is(history.code, 0, history.stderr);
	t.true(history.stdout.includes(id));
});

test('recipients.jsonl cut in half: resume refuses at once with the file and line, no loop, no attempt without an address', async t => {
	const smtp = await server(t);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const {id, folder} = await craftedSend(dir, smtp.port, 40, 10);
	const file = path.join(folder, 'recipients.jsonl');
	const text = fs.readFileSync(file, 'utf8');
	fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2) + 5));

	const resume = await runFor(['resume', id, '--yes'], dir, env);
	t.false(resume.killed, 'resume ended by itself');
	t.is(resume.code, 2, resume.stderr);
	noStack(t, resume, 'resume');
	t.regex(resume.stderr, /recipients\.jsonl:\d+/);
	t.notRegex(resume.stderr, /TimeoutOverflowWarning/);
	t.is(smtp.attempts.length, 0);

	const show = await runCli(['show', id], {configDir: dir, env});
	t.is(show.code, 2);
	noStack(t, show, 'show');
	t.regex(show.stdout, /record damaged: .*recipients\.jsonl:\d+/);
});

test('one bad line in recipients.jsonl, or {} in send.json: show, resume, remind --follow-up and history answer without a stack', async t => {
	const smtp = await server(t);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const badLine = await craftedSend(dir, smtp.port, 5, 5);
	const lines = fs.readFileSync(path.join(badLine.folder, 'recipients.jsonl'), 'utf8').split('\n');
	lines[2] = '["user2@example.com", "User';
	fs.writeFileSync(path.join(badLine.folder, 'recipients.jsonl'), lines.join('\n'));
	const empty = await craftedSend(dir, smtp.port, 3, 1);
	fs.writeFileSync(path.join(empty.folder, 'send.json'), '{}\n');
	const good = await craftedSend(dir, smtp.port, 2, 2);

	for (const id of [badLine.id, empty.id]) {
		for (const args of [['show', id], ['show', id, '--json'], ['resume', id, '--yes'], ['remind', '--follow-up', id, '--message', 'M', '--yes']]) {
			const result = await runFor(args, dir, env);
			t.false(result.killed, args.join(' '));
			t.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			noStack(t, result, args.join(' '));
		}
	}

	const show = await runCli(['show', empty.id], {configDir: dir, env});
	t.regex(show.stderr + show.stdout, /send\.json: /);
	t.is(smtp.messages.length, 0);

	const history = await runCli(['history'], {configDir: dir, env});
	t.is(history.code, 0, history.stderr);
	noStack(t, history, 'history');
	for (const id of [badLine.id, empty.id, good.id]) {
		t.true(history.stdout.includes(id), history.stdout);
	}

	t.regex(history.stdout, new RegExp(`${empty.id}.*damaged: send\\.json`));
	const listed = JSON.parse((await runCli(['history', '--json'], {configDir: dir, env})).stdout) as Array<{id: string; damaged?: string; status: string}>;
	t.is(listed.length, 3);
	t.regex(listed.find(s => s.id === empty.id)!.damaged ?? '', /^send\.json: /);
	t.is(listed.find(s => s.id === good.id)!.damaged, undefined);
});

test('one damaged state.json does not break history for every send', async t => {
	const {dir} = tempConfigDir(t);
	const damaged = await craftedSend(dir, 25, 2, 2);
	const other = await craftedSend(dir, 25, 2, 2);
	fs.writeFileSync(path.join(damaged.folder, 'state.json'), '{"status":');
	const history = await runCli(['history', '--json'], {configDir: dir});
	t.is(history.code, 0, history.stderr);
	const listed = JSON.parse(history.stdout) as Array<{id: string; damaged?: string; sent: number}>;
	t.deepEqual(listed.map(s => s.id).sort(), [damaged.id, other.id].sort());
	t.regex(listed.find(s => s.id === damaged.id)!.damaged ?? '', /^state\.json: /);
	t.is(listed.find(s => s.id === damaged.id)!.sent, 2);
});

test('a stale lock whose PID now belongs to a live unrelated process: history says interrupted and resume goes on', async t => {
	const smtp = await server(t);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const {id, folder} = await craftedSend(dir, smtp.port, 5, 2);
	const unrelated = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {stdio: 'ignore'});
	await new Promise(resolve => unrelated.once('spawn', resolve));
	t.teardown(() => unrelated.kill('SIGKILL'));
	// As after a reboot: the PID in the lock is now some other program.
	fs.writeFileSync(path.join(folder, 'lock'), JSON.stringify({pid: unrelated.pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z', bootId, startTime: '1'}), {mode: 0o600});

	const [listed] = JSON.parse((await runCli(['history', '--json'], {configDir: dir, env})).stdout) as Array<{status: string}>;
	t.is(listed!.status, 'interrupted');
	const resume = await runFor(['resume', id, '--yes', '--json'], dir, env);
	t.is(resume.code, 0, resume.stderr);
	t.deepEqual(smtp.messages.map(m => m.envelope.to[0]).sort(), ['user2@example.com', 'user3@example.com', 'user4@example.com']);
});

test('show marks the ambiguous recipients in its table, its CSV and its JSON', async t => {
	const {dir} = tempConfigDir(t);
	const {id} = await craftedSend(dir, 25, 3, 3, index => ({code: 'S', ambiguous: index === 1}));
	const show = await runCli(['show', id], {configDir: dir});
	t.is(show.code, 0, show.stderr);
	t.regex(show.stdout, /user1@example\.com\s+sent\s+2\s+ambiguous/);
	t.notRegex(show.stdout, /user0@example\.com\s+sent\s+1\s+ambiguous/);
	const csv = (await runCli(['show', id, '--csv'], {configDir: dir})).stdout.trim().split('\n');
	t.is(csv[0], 'address,status,attempts,response,messageId,ambiguous,unreadable,delivery,deliveryStatus,deliveryDiagnostic,deliveryAt');
	t.regex(csv[2]!, /,true,,accepted,,,$/);
	t.regex(csv[1]!, /,false,,accepted,,,$/);
	const json = JSON.parse((await runCli(['show', id, '--json'], {configDir: dir})).stdout) as {recipients: Array<{ambiguous: boolean}>};
	t.deepEqual(json.recipients.map(r => r.ambiguous), [false, true, false]);
});

test('--unreadable skip goes on without the damaged recipients, --unreadable send takes them as not sent; a bad policy is a usage error', async t => {
	const smtp = await server(t);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const {id, folder} = await craftedSend(dir, smtp.port, 60, 60);
	garbleOutcomes(folder, 20);

	const wrong = await runFor(['resume', id, '--yes', '--unreadable', 'maybe'], dir, env);
	t.is(wrong.code, 2);
	t.regex(wrong.stderr, /--unreadable is skip or send, not "maybe"/);

	// skip: the twenty whose outcome is unreadable are neither resumed nor reminded.
	const skip = await runFor(['resume', id, '--yes', '--unreadable', 'skip'], dir, env);
	t.is(skip.code, 0, skip.stderr);
	t.regex(skip.stdout, /nothing left to send/);
	t.is(smtp.messages.length, 0);
	const remindSkip = await runFor(['remind', '--follow-up', id, '--message', 'Reminder', '--yes', '--unreadable', 'skip', '--json'], dir, env);
	t.is(remindSkip.code, 0, remindSkip.stderr);
	t.regex(remindSkip.stderr, /20 recipients unreadable, left out/);
	t.is(smtp.messages.length, 40);
	t.like(JSON.parse(remindSkip.stdout.trim().split('\n').at(-1)!), {total: 40, sent: 40});

	// send: the twenty are taken as not sent, so resume sends to exactly those twenty, once each.
	const before = smtp.messages.length;
	const send = await runFor(['resume', id, '--yes', '--unreadable', 'send'], dir, env);
	t.is(send.code, 0, send.stderr);
	const resumed = smtp.messages.slice(before).flatMap(m => m.envelope.to);
	t.is(resumed.length, 20);
	t.is(new Set(resumed).size, 20);
	t.true(resumed.every(address => /^user\d+@example\.com$/.test(address)));
});

test('recipients.jsonl cut in half, --unreadable send: only the recipients whose address can be read are sent to', async t => {
	const smtp = await server(t);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const {id, folder} = await craftedSend(dir, smtp.port, 40, 10);
	const file = path.join(folder, 'recipients.jsonl');
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	fs.writeFileSync(file, lines.slice(0, 25).join('\n') + '\n');

	const resume = await runFor(['resume', id, '--yes', '--unreadable', 'send'], dir, env);
	t.false(resume.killed);
	t.is(resume.code, 0, resume.stderr);
	const to = smtp.messages.flatMap(m => m.envelope.to);
	t.deepEqual([...to].sort(), Array.from({length: 15}, (_, i) => `user${i + 10}@example.com`).sort());
	t.true(smtp.attempts.every(attempt => attempt.address !== ''));
});

test('resume --yes --json on a finished send prints only the JSON, with the whole send\'s counts', async t => {
	const {dir} = tempConfigDir(t);
	const {id} = await craftedSend(dir, 25, 3, 3);
	const resume = await runFor(['resume', id, '--yes', '--json'], dir, {});
	t.is(resume.code, 0, resume.stderr);
	t.deepEqual(JSON.parse(resume.stdout), {id, total: 3, sent: 3, failed: 0, status: 'finished', exitStatus: 0});
});

test('--to send:ID names an earlier send: an unknown one is a plain error, a known one reaches whom it reached', async t => {
	const smtp = await server(t);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const unknown = await runFor(['send', '--to', 'send:nope', '--subject', 'S', '--message', 'M', '--yes'], dir, env);
	t.is(unknown.code, 2, unknown.stderr);
	noStack(t, unknown, 'send --to send:nope');
	t.regex(unknown.stderr, /nope/);

	const {id} = await craftedSend(dir, smtp.port, 5, 5, index => ({code: index === 4 ? 'F' : 'S'}));
	const known = await runFor(['send', '--to', `send:${id}`, '--subject', 'S', '--message', 'M', '--dry-run', '--json'], dir, env);
	t.is(known.code, 0, known.stderr);
	t.like(JSON.parse(known.stdout), {count: 4, skipped: [{address: 'user4@example.com', reason: 'not-delivered'}]});
});
