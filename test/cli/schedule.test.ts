/**
 * Scheduled sends through the built command line against a real SMTP server on 127.0.0.1, with
 * the time set by the test (MASSMAIL_NOW, the clock seam) instead of waited for: `--at` writes a
 * record and sends nothing; `run-due` sends what is due, exactly once, and records why it sent
 * nothing (missed, refused, cancelled). What is asserted is what the server received, the exit
 * statuses and what `scheduled`, `history` and `show` print.
 */
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {simpleParser} from 'mailparser';
import {lastJsonLine, runCli, spawnCli, startCli, type CliResult} from '../helpers/cli.js';
import {startFaultyServer} from '../helpers/faulty-smtp-server.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

// Friday 11 December 2026, 15:00 in Berlin.
const friday = '2026-12-11T14:00:00Z';
// Saturday 18:00 in Berlin.
const saturday1800 = '2026-12-12T17:00:00.000Z';

interface Setup {
	dir: string;
	smtp: TestSmtpServer;
	/** Runs massmail at a time (MASSMAIL_NOW), in Berlin, against the test server. */
	at(time: string, args: string[]): Promise<CliResult>;
	env(time: string): Record<string, string>;
}

async function setup(t: ExecutionContext, addresses: string[]): Promise<Setup> {
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...addresses.map(address => `${address},,user,`)].join('\n'));
	const imported = await runCli(['import', csv], {configDir: dir});
	t.is(imported.code, 0, imported.stderr);
	// A timer folder of the test's own (empty: no timer installed), never the machine's.
	const timer = {MASSMAIL_TEST_TIMER: 'systemd', MASSMAIL_TEST_UNIT_DIR: path.join(dir, 'units')};
	const env = (time: string) => ({MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MASSMAIL_NOW: time, TZ: 'Europe/Berlin', ...timer});
	return {dir, smtp, env, at: async (time, args) => runCli(args, {configDir: dir, env: env(time)})};
}

const users = (count: number) => Array.from({length: count}, (_, i) => `user${i}@example.com`);

/** How many messages each recipient got at the server. */
function perRecipient(smtp: TestSmtpServer): Map<string, number> {
	const received = new Map<string, number>();
	for (const message of smtp.messages) {
		for (const address of message.envelope.to) {
			received.set(address, (received.get(address) ?? 0) + 1);
		}
	}

	return received;
}

async function schedule(t: ExecutionContext, s: Setup, when: string, extra: string[] = []): Promise<{id: string; at: string; count: number; state: string}> {
	const result = await s.at(friday, ['send', '--to', 'domain:example.com', '--subject', 'Maintenance', '--message', 'Tonight.', '--at', when, '--yes', '--json', ...extra]);
	t.is(result.code, 0, result.stderr);
	return JSON.parse(result.stdout) as {id: string; at: string; count: number; state: string};
}

async function scheduledJson(s: Setup, time = friday): Promise<Array<Record<string, unknown>>> {
	return JSON.parse((await s.at(time, ['scheduled', '--json'])).stdout) as Array<Record<string, unknown>>;
}

test('send --at shows the time in full, asks, and refuses without a terminal: nothing written, nothing sent', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const result = await s.at(friday, ['send', '--to', 'domain:example.com', '--subject', 'Maintenance', '--message', 'Tonight.', '--at', 'Sat 18:00']);
	t.is(result.code, 2);
	t.regex(result.stderr, /At: Sat 12 Dec 2026 18:00 CET, in 1 day 3 hours/);
	t.regex(result.stderr, /Recipients: 2 now/);
	t.regex(result.stderr, /no terminal to ask/);
	t.deepEqual(await scheduledJson(s), []);
	t.is(s.smtp.messages.length, 0);

	const past = await s.at(friday, ['send', '--to', 'domain:example.com', '--subject', 'S', '--message', 'M', '--at', 'yesterday 10:00', '--yes']);
	t.is(past.code, 2);
	t.regex(past.stderr, /--at "yesterday 10:00" is Thu 10 Dec 2026 10:00 CET, 1 day 5 hours ago: that time has passed/);
	t.notRegex(past.stderr, /\n\s+at .+:\d+:\d+/);

	const dry = await s.at(friday, ['send', '--to', 'domain:example.com', '--subject', 'S', '--message', 'M', '--at', '+2h', '--dry-run']);
	t.is(dry.code, 0, dry.stderr);
	t.regex(dry.stdout, /At: Fri 11 Dec 2026 17:00 CET, in 2 hours \(dry run: nothing scheduled\)/);
	t.deepEqual(await scheduledJson(s), []);
});

test('send --at --yes writes the record (0600, the group not the addresses), sends nothing; scheduled, history and show list it', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const record = await schedule(t, s, 'Sat 18:00');
	t.like(record, {at: saturday1800, count: 2, state: 'scheduled', audience: 'domain:example.com'} as Record<string, unknown>);
	// The fields every send --json ends with, as a script reads them whether the send runs now or later.
	t.like(record, {total: 2, sent: 0, failed: 0, status: 'scheduled'} as Record<string, unknown>);
	t.is(s.smtp.messages.length, 0);

	const file = path.join(s.dir, 'schedule', `${record.id}.json`);
	t.is(statSync(file).mode & 0o777, 0o600);
	const text = readFileSync(file, 'utf8');
	t.notRegex(text, /ann@example\.com|bob@example\.com/, 'the group is kept, never the list of addresses');

	const listed = await scheduledJson(s);
	t.is(listed.length, 1);
	const plain = await s.at(friday, ['scheduled']);
	t.regex(plain.stderr, /Warning: 1 send is scheduled but no timer runs them: `massmail schedule install` installs one/);
	t.like(listed[0], {id: record.id, state: 'scheduled', at: saturday1800, subject: 'Maintenance', audience: 'domain:example.com', count: 2});

	const history = JSON.parse((await s.at(friday, ['history', '--json'])).stdout) as Array<Record<string, unknown>>;
	t.like(history[0], {id: record.id, kind: 'email', subject: 'Maintenance', status: 'scheduled', at: saturday1800, total: 2, sent: 0, failed: 0});
	t.like(history[0]!.operator as Record<string, unknown>, {host: (history[0]!.operator as {host: string}).host});

	const show = await s.at(friday, ['show', record.id]);
	t.is(show.code, 0, show.stderr);
	t.regex(show.stdout, /At: +Sat 12 Dec 2026 18:00 CET, in 1 day 3 hours/);
	t.regex(show.stdout, /domain:example\.com, 2 when scheduled/);
	// show --json always has "recipients" (PRODUCT.md): none yet, the group is resolved when it runs.
	const showJson = JSON.parse((await s.at(friday, ['show', record.id, '--json'])).stdout) as Record<string, unknown>;
	t.like(showJson, {id: record.id, status: 'scheduled', total: 2, recipients: []});
});

test('run-due: not yet due sends nothing; due sends each recipient exactly once, under the scheduled id; a second run-due sends nothing more', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com', 'cy@example.com']);
	const {id} = await schedule(t, s, 'Sat 18:00');

	const early = await s.at('2026-12-12T16:59:00Z', ['run-due']);
	t.is(early.code, 0, early.stderr);
	t.is(s.smtp.messages.length, 0);
	t.like((await scheduledJson(s))[0], {id, state: 'scheduled'});

	const due = await s.at('2026-12-12T17:00:30Z', ['run-due']);
	t.is(due.code, 0, due.stderr);
	t.regex(due.stderr, new RegExp(`${id} "Maintenance" \\(Sat 12 Dec 2026 18:00 CET\\): sending`));
	t.deepEqual([...perRecipient(s.smtp)].sort(), [['ann@example.com', 1], ['bob@example.com', 1], ['cy@example.com', 1]]);

	const again = await s.at('2026-12-12T17:01:30Z', ['run-due']);
	t.is(again.code, 0, again.stderr);
	t.is(s.smtp.messages.length, 3);

	const history = JSON.parse((await s.at('2026-12-12T17:02:00Z', ['history', '--json'])).stdout) as Array<Record<string, unknown>>;
	t.is(history.length, 1);
	t.like(history[0], {id, status: 'finished', sent: 3, total: 3, at: saturday1800});
});

test('past schedule.grace it is marked missed and not sent; within it, it is sent', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const late = await schedule(t, s, '+1h');
	const soon = await schedule(t, s, '+3h');
	// 90 minutes after the first one's time: past the default hour's grace.
	const result = await s.at('2026-12-11T16:30:00Z', ['run-due']);
	t.is(result.code, 2, result.stderr);
	t.regex(result.stderr, new RegExp(`${late.id} .*: missed: its time \\(Fri 11 Dec 2026 16:00 CET, 1 hour 30 minutes ago\\) passed more than schedule.grace \\(1h\\) ago`));
	t.is(s.smtp.messages.length, 0);
	t.like((await scheduledJson(s, '2026-12-11T16:30:00Z')).find(send => send.id === late.id), {state: 'missed'});

	// The second one, 50 minutes late (the machine was down): within the grace, it is sent.
	const within = await s.at('2026-12-11T17:50:00Z', ['run-due']);
	t.is(within.code, 0, within.stderr);
	t.is(s.smtp.messages.length, 2);
	t.deepEqual(JSON.parse((await s.at('2026-12-11T17:50:00Z', ['show', soon.id, '--json'])).stdout).sent, 2);
});

test('schedule.grace 0 is no limit, as its \'0 (never)\' says: a send three days late is sent, not missed', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	t.is((await s.at(friday, ['config', 'set', 'schedule.grace', '0'])).code, 0);
	const {id} = await schedule(t, s, '+1h');
	const result = await s.at('2026-12-14T15:00:00Z', ['run-due']);
	t.is(result.code, 0, result.stderr);
	t.is(s.smtp.messages.length, 2);
	t.like(JSON.parse((await s.at('2026-12-14T15:00:00Z', ['show', id, '--json'])).stdout), {sent: 2, status: 'finished'});
});

test('two run-due started at the same minute: exactly one sends, each recipient gets one message', async t => {
	const count = 30;
	const s = await setup(t, users(count));
	await schedule(t, s, 'Sat 18:00', ['--rate', '20']);
	const time = '2026-12-12T17:00:05Z';
	const [first, second] = await Promise.all([s.at(time, ['run-due']), s.at(time, ['run-due'])]);
	t.is(first.code, 0, first.stderr);
	t.is(second.code, 0, second.stderr);
	const received = perRecipient(s.smtp);
	t.is(received.size, count);
	t.deepEqual([...received.values()].filter(times => times !== 1), [], 'nobody got it twice');
	t.is(s.smtp.messages.length, count);
	t.log(first.stderr.trim(), '|', second.stderr.trim());
});

test('kill -9 during a scheduled run: the next run-due resumes it, nobody whose acceptance was journaled gets it twice, nobody is missed', async t => {
	const count = 60;
	const s = await setup(t, users(count));
	const {id} = await schedule(t, s, 'Sat 18:00', ['--rate', '30', '--concurrency', '1']);
	const child = spawnCli(['run-due', '--json'], {configDir: s.dir, env: s.env('2026-12-12T17:00:05Z')});
	child.stdin!.end();
	await new Promise<void>((resolve, reject) => {
		const timer = setInterval(() => {
			if (s.smtp.messages.length >= 15) {
				clearInterval(timer);
				resolve();
			}
		}, 5);
		child.on('exit', () => {
			clearInterval(timer);
			reject(new Error('run-due ended before it could be killed'));
		});
	});
	child.kill('SIGKILL');
	await new Promise(resolve => child.on('close', resolve));
	t.true(s.smtp.messages.length < count);
	const before = JSON.parse((await s.at('2026-12-12T17:01:00Z', ['show', id, '--json'])).stdout) as {recipients: Array<{address: string; status: string}>};
	const journaled = new Set(before.recipients.filter(r => r.status === 'sent').map(r => r.address));

	const resumed = await s.at('2026-12-12T17:01:00Z', ['run-due', '--json']);
	t.is(resumed.code, 0, resumed.stderr);
	t.regex(resumed.stdout, /"outcome":"resuming"/);
	t.like(lastJsonLine(resumed.stdout), {id, total: count, sent: count, failed: 0, status: 'finished'});
	const received = perRecipient(s.smtp);
	t.is(received.size, count, 'every recipient got it');
	const twice = [...received].filter(([, times]) => times > 1).map(([address]) => address);
	t.deepEqual(twice.filter(address => journaled.has(address)), [], 'nobody whose acceptance was journaled is sent it again');
	t.true(twice.length <= 1 + 10, `${twice.length} duplicates, only the unjournaled window`);

	// A third run-due has nothing left to do.
	const third = await s.at('2026-12-12T17:02:00Z', ['run-due']);
	t.is(third.code, 0, third.stderr);
	t.is(perRecipient(s.smtp).size, count);
	t.is(s.smtp.messages.length, count + twice.length);
});

test('an audience that changed by more than schedule.maxChange: nothing sent, the reason in the record and in scheduled', async t => {
	const s = await setup(t, users(10));
	const {id} = await schedule(t, s, 'Sat 18:00');
	for (const address of ['user8@example.com', 'user9@example.com']) {
		const removed = await runCli(['user', 'remove', address], {configDir: s.dir});
		t.is(removed.code, 0, removed.stderr);
	}

	const result = await s.at('2026-12-12T17:00:30Z', ['run-due']);
	t.is(result.code, 2, result.stderr);
	const reason = /the audience domain:example\.com is 8 now, 10 when it was scheduled: a change of 20%, more than schedule\.maxChange \(10%\)/;
	t.regex(result.stderr, reason);
	t.is(s.smtp.messages.length, 0);
	const listed = await scheduledJson(s, '2026-12-12T17:01:00Z');
	t.like(listed[0], {id, state: 'refused'});
	t.regex(String(listed[0]!.reason), reason);
	t.regex((await s.at('2026-12-12T17:01:00Z', ['scheduled'])).stdout, new RegExp(`${id} refused: the audience`));
	t.like(JSON.parse(readFileSync(path.join(s.dir, 'schedule', `${id}.json`), 'utf8')), {state: 'refused'});
	t.false(readdirSync(path.join(s.dir)).includes('sends') && readdirSync(path.join(s.dir, 'sends')).includes(id), 'no send record');
});

test('cancel asks (exit 2 without a terminal), cancels with --yes; run-due then sends nothing', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const {id} = await schedule(t, s, 'Sat 18:00');
	const asked = await s.at(friday, ['cancel', id]);
	t.is(asked.code, 2);
	t.regex(asked.stderr, /Cancel .*\? \[y\/N\]|no terminal to ask/);
	t.like((await scheduledJson(s))[0], {id, state: 'scheduled'});

	const cancelled = await s.at(friday, ['cancel', id, '--yes']);
	t.is(cancelled.code, 0, cancelled.stderr);
	t.regex(cancelled.stdout, new RegExp(`Cancelled ${id}`));
	const due = await s.at('2026-12-12T17:00:30Z', ['run-due']);
	t.is(due.code, 0, due.stderr);
	t.is(s.smtp.messages.length, 0);
	t.like((await scheduledJson(s))[0], {id, state: 'cancelled'});
	const twice = await s.at(friday, ['cancel', id, '--yes']);
	t.is(twice.code, 2);
	t.regex(twice.stderr, /is cancelled already/);
});

test('a follow-up scheduled before its original has run: sent after it, to whom it reached, threaded under what each got', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const original = await schedule(t, s, 'Sat 18:00');
	const before = await s.at(friday, ['remind', '--follow-up', original.id, '--message', 'Soon.', '--at', 'Sat 17:00', '--yes']);
	t.is(before.code, 2);
	t.regex(before.stderr, /its follow-up can only be scheduled after it/);

	// Its dry run gives the count the real one records, and says whom it reaches is known once the original has run.
	const dry = await s.at(friday, ['remind', '--follow-up', original.id, '--message', 'In an hour.', '--at', 'Sat 19:00', '--dry-run', '--json']);
	t.is(dry.code, 0, dry.stderr);
	t.like(JSON.parse(dry.stdout), {count: 2, recipients: [], recipientsWhen: `the recipients the server took ${original.id} for, once it has run`});
	const dryText = await s.at(friday, ['remind', '--follow-up', original.id, '--message', 'In an hour.', '--at', 'Sat 19:00', '--dry-run']);
	t.regex(dryText.stdout, new RegExp(`^At: .*\\n2 recipients when ${original.id} was scheduled\\nFrom: .*\\nTo: whom ${original.id} reaches, once it has run \\(Sat 12 Dec 2026 18:00 CET, .*\\): known then\\n$`));

	const followUp = await s.at(friday, ['remind', '--follow-up', original.id, '--message', 'In an hour.', '--at', 'Sat 19:00', '--yes', '--json']);
	t.is(followUp.code, 0, followUp.stderr);
	const record = JSON.parse(followUp.stdout) as {id: string; audience: string; count: number; followUpOf: string; draft: {subject: string}};
	t.like(record, {audience: `send:${original.id}`, count: 2, followUpOf: original.id, draft: {subject: 'Reminder: Maintenance'}});

	t.is((await s.at('2026-12-12T17:00:10Z', ['run-due'])).code, 0);
	t.is(s.smtp.messages.length, 2);
	const sent = await s.at('2026-12-12T18:00:10Z', ['run-due']);
	t.is(sent.code, 0, sent.stderr);
	t.is(s.smtp.messages.length, 4);
	const first = await simpleParser(s.smtp.messages[0]!.raw);
	const reminder = await Promise.all(s.smtp.messages.slice(2).map(async message => simpleParser(message.raw)));
	const same = reminder.find(message => (message.to as {text: string}).text.includes(s.smtp.messages[0]!.envelope.to[0]!))!;
	t.is(same.subject, 'Reminder: Maintenance');
	t.is(same.inReplyTo, first.messageId);
});

test('an original and its scheduled follow-up stay in order: the original cannot move past it; cancelling the original names it; no follow-up of a cancelled send', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const original = await schedule(t, s, 'Sat 18:00');
	const followUp = JSON.parse((await s.at(friday, ['remind', '--follow-up', original.id, '--message', 'In an hour.', '--at', 'Sat 19:00', '--yes', '--json'])).stdout) as {id: string};

	const moved = await s.at(friday, ['scheduled', 'edit', original.id, '--at', 'Sat 20:00', '--yes']);
	t.is(moved.code, 2);
	t.regex(moved.stderr, new RegExp(`${original.id} is followed up by ${followUp.id}, scheduled Sat 12 Dec 2026 19:00 CET: its time must be before that\nmove the follow-up first: massmail scheduled edit ${followUp.id} --at WHEN`));
	t.like((await scheduledJson(s)).find(send => send.id === original.id), {at: saturday1800});
	t.is((await s.at(friday, ['scheduled', 'edit', original.id, '--at', 'Sat 18:30', '--yes'])).code, 0, 'before it: fine');

	const cancelled = await s.at(friday, ['cancel', original.id, '--yes']);
	t.is(cancelled.code, 0, cancelled.stderr);
	t.is(cancelled.stdout, `Cancelled ${original.id}: nothing of it will be sent.\nIts follow-up ${followUp.id} (Sat 12 Dec 2026 19:00 CET) is still scheduled, and run-due will refuse it: cancel it too with massmail cancel ${followUp.id}\n`);

	const another = await s.at(friday, ['remind', '--follow-up', original.id, '--message', 'Again.', '--at', 'Sat 19:30', '--yes']);
	t.is(another.code, 2);
	t.regex(another.stderr, new RegExp(`send ${original.id} was cancelled and never sent: a follow-up of it would reach nobody`));
	t.is((await scheduledJson(s)).length, 2, 'nothing more scheduled');
});

test('scheduled edit changes the time and the text (asks, or --yes); run-due sends the edited one at its new time', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const {id} = await schedule(t, s, 'Sat 18:00');
	const asked = await s.at(friday, ['scheduled', 'edit', id, '--at', 'Sat 19:00']);
	t.is(asked.code, 2);
	t.regex(asked.stderr, /At: +Sat 12 Dec 2026 18:00 CET -> Sat 12 Dec 2026 19:00 CET, in 1 day 4 hours/);
	t.like((await scheduledJson(s))[0], {id, at: saturday1800});
	const nothing = await s.at(friday, ['scheduled', 'edit', id, '--yes']);
	t.is(nothing.code, 2);
	t.regex(nothing.stderr, /nothing to change/);

	const edited = await s.at(friday, ['scheduled', 'edit', id, '--at', 'Sat 19:00', '--subject', 'Maintenance moved', '--message', 'At seven.', '--yes', '--json']);
	t.is(edited.code, 0, edited.stderr);
	t.like(JSON.parse(edited.stdout), {id, at: '2026-12-12T18:00:00.000Z', subject: 'Maintenance moved', state: 'scheduled'});

	t.is((await s.at('2026-12-12T17:00:30Z', ['run-due'])).code, 0);
	t.is(s.smtp.messages.length, 0, 'not at the old time');
	const ran = await s.at('2026-12-12T18:00:30Z', ['run-due']);
	t.is(ran.code, 0, ran.stderr);
	t.is(s.smtp.messages.length, 2);
	const message = await simpleParser(s.smtp.messages[0]!.raw);
	t.is(message.subject, 'Maintenance moved');
	t.is(message.text?.trim(), 'At seven.');

	const late = await s.at('2026-12-12T18:01:00Z', ['scheduled', 'edit', id, '--subject', 'Too late', '--yes']);
	t.is(late.code, 2);
	t.regex(late.stderr, /has started: it cannot be edited/);
});

test('run-due SEND_ID sends that one now, before its time, after asking; the others wait', async t => {
	const s = await setup(t, ['ann@example.com', 'bob@example.com']);
	const first = await schedule(t, s, 'Sat 18:00');
	const second = await schedule(t, s, 'Sat 19:00');
	const asked = await s.at(friday, ['run-due', first.id]);
	t.is(asked.code, 2);
	t.regex(asked.stderr, /no terminal to ask/);
	// What it would send, before the refusal, as cancel and scheduled edit show it.
	t.regex(asked.stderr, new RegExp(`^Scheduled send ${first.id} \\(email\\): scheduled\\nAt: +Sat 12 Dec 2026 18:00 CET.*\\nSubject: +Maintenance\\nAudience: +domain:example\\.com, 2 when scheduled`));
	t.is(s.smtp.messages.length, 0);

	const now = await s.at(friday, ['run-due', first.id, '--yes']);
	t.is(now.code, 0, now.stderr);
	t.is(s.smtp.messages.length, 2);
	const listed = await scheduledJson(s);
	t.deepEqual(listed.map(send => [send.id, send.state]), [[second.id, 'scheduled']]);
	t.like(JSON.parse((await s.at(friday, ['show', first.id, '--json'])).stdout), {id: first.id, sent: 2, status: 'finished'});
});

/** A faulty server (kill/restart on its port) and massmail at a time, in Berlin, sending to it. */
async function faultySetup(t: ExecutionContext, count: number) {
	const s = await setup(t, users(count));
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const at = async (time: string, args: string[]) => runCli(args, {configDir: s.dir, env: {...s.env(time), MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	const {id} = await schedule(t, s, 'Sat 18:00', ['--rate', '40', '--concurrency', '2']);
	// 18:00:05: run-due sends until the server dies part-way.
	const running = startCli(['run-due', '--json'], {configDir: s.dir, env: {...s.env('2026-12-12T17:00:05Z'), MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	await new Promise<void>(resolve => {
		const timer = setInterval(() => {
			if (server.messages.length >= 8) {
				clearInterval(timer);
				resolve();
			}
		}, 5);
	});
	await server.kill();
	const stopped = await running.result;
	t.is(stopped.code, 75, stopped.stderr);
	t.like(lastJsonLine(stopped.stdout), {id, status: 'interrupted'});
	t.true(server.messages.length < count);
	return {s, server, at, id};
}

test('a scheduled run the server stopped part-way (75) is resumed by the next run-due within schedule.grace, once the server is back', async t => {
	const count = 60;
	const {server, at, id} = await faultySetup(t, count);

	// 18:01: the server is still down. Tried, nothing changes, and it is tried again the next minute.
	const down = await at('2026-12-12T17:01:00Z', ['run-due', '--json']);
	t.is(down.code, 3, down.stderr);
	t.regex(down.stdout, /"outcome":"not started"/);
	// As the timer's log keeps it: one line, the hint after a semicolon, no \n written out.
	const plain = await at('2026-12-12T17:01:30Z', ['run-due']);
	t.is(plain.code, 3, plain.stderr);
	const lines = plain.stderr.trim().split('\n').filter(text => !text.startsWith('the connection check failed'));
	t.is(lines.length, 1, plain.stderr);
	const line = lines[0];
	t.regex(line!, new RegExp(`^${id} "Maintenance" \\(.*\\): not started: cannot reach the SMTP server 127\\.0\\.0\\.1:\\d+: .*; `), line);
	t.false(line!.includes('\\n'), line);

	await server.restart();
	const resumed = await at('2026-12-12T17:02:00Z', ['run-due', '--json']);
	t.is(resumed.code, 0, resumed.stderr);
	t.regex(resumed.stdout, /"outcome":"resuming"/);
	t.like(lastJsonLine(resumed.stdout), {id, total: count, sent: count, failed: 0, status: 'finished'});
	for (const address of users(count)) {
		t.true(server.acceptedCount(address) >= 1, address);
	}

	// Finished: the next minute's run-due has nothing to do, and the server gets nothing more.
	const accepted = server.messages.length;
	const after = await at('2026-12-12T17:03:00Z', ['run-due', '--json']);
	t.is(after.code, 0, after.stderr);
	t.is(after.stdout, '');
	t.is(server.messages.length, accepted);
});

test('a scheduled run the server stopped is left to a person once its time is past schedule.grace: run-due sends nothing and says how to resume it', async t => {
	const count = 60;
	const {server, at, id} = await faultySetup(t, count);
	await server.restart();
	const accepted = server.messages.length;

	// 19:30: more than an hour (schedule.grace) after 18:00. Not picked up every minute: said once…
	await saidOnce(t, at, '2026-12-12T18:30:00Z', id, new RegExp(`^the server stopped it, and its time passed more than schedule.grace \\(1h\\) ago: resume it by hand \\(massmail resume ${id}\\)$`));
	t.is(server.messages.length, accepted);
	// …and named, it says why and what to do.
	const named = await at('2026-12-12T18:30:00Z', ['run-due', id, '--json']);
	t.is(named.code, 2, 'named and not sent: a refusal, not "all well"');
	t.like(JSON.parse(named.stdout.trim().split('\n')[0]!), {id, outcome: 'skipped'});
	t.regex(named.stdout, new RegExp(`the server stopped it, and its time passed more than schedule.grace \\(1h\\) ago: resume it by hand \\(massmail resume ${id}\\)`));
	t.is(server.messages.length, accepted);

	const resumed = await at('2026-12-12T18:31:00Z', ['resume', id, '--yes', '--json']);
	t.is(resumed.code, 0, resumed.stderr);
	t.like(lastJsonLine(resumed.stdout), {id, total: count, sent: count, status: 'finished'});
});

/** The timer's run-due at `time` names the stopped send once (exit 2, one line with why), and the next minute's says nothing. */
async function saidOnce(t: ExecutionContext, at: (time: string, args: string[]) => Promise<CliResult>, time: string, id: string, why: RegExp): Promise<void> {
	const first = await at(time, ['run-due', '--json']);
	t.is(first.code, 2, first.stderr);
	const lines = first.stdout.trim().split('\n');
	t.is(lines.length, 1, first.stdout);
	t.like(JSON.parse(lines[0]!), {type: 'scheduled', id, outcome: 'left to a person'});
	t.regex(JSON.parse(lines[0]!).reason as string, why);
	const next = await at(new Date(Date.parse(time) + 60_000).toISOString(), ['run-due', '--json']);
	t.is(next.code, 0, next.stderr);
	t.is(next.stdout, '');
}

/** Starts run-due at 18:00:05 on a paced scheduled send and sends it `signal` once 5 messages are in. */
async function signalledRun(t: ExecutionContext, count: number, signal: NodeJS.Signals): Promise<{s: Setup; id: string; code: number | null; stderr: string}> {
	const s = await setup(t, users(count));
	const {id} = await schedule(t, s, 'Sat 18:00', ['--rate', '30', '--concurrency', '1']);
	const child = spawnCli(['run-due'], {configDir: s.dir, env: s.env('2026-12-12T17:00:05Z')});
	child.stdin!.end();
	let stderr = '';
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	await new Promise<void>(resolve => {
		const timer = setInterval(() => {
			if (s.smtp.messages.length >= 5) {
				clearInterval(timer);
				resolve();
			}
		}, 5);
	});
	child.kill(signal);
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	return {s, id, code, stderr};
}

test('a scheduled run stopped by SIGTERM (a shutdown, systemctl stop) is resumed by the next run-due: every recipient exactly once', async t => {
	const count = 40;
	const {s, id, code, stderr} = await signalledRun(t, count, 'SIGTERM');
	t.is(code, 130, stderr);
	t.regex(stderr, /Got SIGTERM: no new message starts/);
	t.true(s.smtp.messages.length < count);

	const next = await s.at('2026-12-12T17:01:00Z', ['run-due', '--json']);
	t.is(next.code, 0, next.stderr);
	t.regex(next.stdout, /"outcome":"resuming"/);
	t.like(lastJsonLine(next.stdout), {id, total: count, sent: count, failed: 0, status: 'finished'});
	const received = perRecipient(s.smtp);
	t.deepEqual(users(count).filter(address => received.get(address) !== 1), [], 'each once');
});

test('a scheduled run stopped by a person (Ctrl+C) is not resumed by the timer: run-due ID says to resume it by hand', async t => {
	const count = 40;
	const {s, id, code, stderr} = await signalledRun(t, count, 'SIGINT');
	t.is(code, 130, stderr);
	const accepted = s.smtp.messages.length;

	await saidOnce(t, s.at, '2026-12-12T17:01:00Z', id, new RegExp(`^its run was stopped: resume it by hand \\(massmail resume ${id}\\)$`));
	t.is(s.smtp.messages.length, accepted);
	const named = await s.at('2026-12-12T17:03:00Z', ['run-due', id, '--json']);
	t.is(named.code, 2);
	t.regex(named.stdout, new RegExp(`its run was stopped: resume it by hand \\(massmail resume ${id}\\)`));
});

test('a scheduled run killed part-way is not finished hours later: past schedule.grace run-due leaves it to a person', async t => {
	const count = 40;
	const {s, id} = await signalledRun(t, count, 'SIGKILL');
	const accepted = s.smtp.messages.length;
	t.true(accepted < count);

	// 21:00, the machine back after three hours: nothing is sent, and the timer's log says so once.
	await saidOnce(t, s.at, '2026-12-12T20:00:00Z', id, /^its run was cut off \(killed, or the machine went down\), and its time passed more than schedule\.grace \(1h\) ago/);
	const named = await s.at('2026-12-12T20:02:00Z', ['run-due', id, '--json']);
	t.regex(named.stdout, new RegExp(`its run was cut off \\(killed, or the machine went down\\), and its time passed more than schedule.grace \\(1h\\) ago: resume it by hand \\(massmail resume ${id}\\)`));
	t.is(s.smtp.messages.length, accepted);
});
