/**
 * Damaged send records: every file of a send is checked when read, a damaged line is named with
 * its file and line number, and nothing that sends guesses. Real files in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {spawn} from 'node:child_process';
import test, {type ExecutionContext} from 'ava';
import {SendLog, statusCodes, UnreadableRecipientsError} from '../../source/core/journal.js';
import {recordFields} from '../helpers/send-records.js';
import {MassmailError} from '../../source/core/errors.js';
import type {Recipient} from '../../source/core/types.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const base = recordFields;

const people = (count: number): Recipient[] => Array.from({length: count}, (_, i) => ({address: `user${i}@example.com`, name: `User ${i}`}));

/** A send of `count` recipients, the first `sent` of them accepted, finished (or left interrupted). */
async function finishedSend(t: ExecutionContext, count: number, sent = count, finish = true): Promise<{sends: SendLog; id: string; folder: string}> {
	const {dir} = tempConfigDir(t);
	const sends = new SendLog(path.join(dir, 'sends'));
	const {record, lock} = sends.create({...base, recipients: people(count)});
	const writer = sends.openOutcomes(record.id, () => undefined);
	for (let index = 0; index < sent; index++) {
		writer.append({index, code: 'S', attempts: 1, response: '250 2.0.0 OK', ambiguous: false});
	}

	await writer.close();
	if (finish) {
		sends.finish(record.id, 'finished', {sent, failed: 0});
	}

	lock.release();
	return {sends, id: record.id, folder: path.join(dir, 'sends', record.id)};
}

function lines(file: string): string[] {
	return fs.readFileSync(file, 'utf8').split('\n');
}

function storeError(t: ExecutionContext, run: () => unknown): MassmailError {
	const error = t.throws(run, {instanceOf: MassmailError})!;
	t.is(error.kind, 'store');
	return error;
}

test('garbled outcome lines: named by file and line, and resume refuses until told how to treat those recipients', async t => {
	const {sends, id, folder} = await finishedSend(t, 40);
	const log = path.join(folder, 'outcomes.log');
	const text = lines(log);
	// Lines 1.. are the outcomes of recipients 0..39 (line 0 of the array is the run marker, if any).
	const garbled: number[] = [];
	for (const [lineIndex, line] of text.entries()) {
		if (/^(5|17|33)\t/.test(line)) {
			text[lineIndex] = '\u0000\u0000\u00FF garbage ' + line.slice(0, 2);
			garbled.push(lineIndex + 1);
		}
	}

	fs.writeFileSync(log, text.join('\n'));
	const report = sends.check(id);
	t.true(report.damaged);
	t.is(report.damagedLines, 3);
	t.deepEqual(report.lines.map(l => `${l.file}:${l.line}`), garbled.map(n => `outcomes.log:${n}`));
	t.is(report.uncertainOutcomes, 3);
	t.is(report.readableRecipients, 37);

	// Reading to send refuses, naming the lines.
	const error = storeError(t, () => sends.outcomes(id, 40));
	t.true(error.details.some(detail => detail.startsWith(`outcomes.log:${garbled[0]}:`)), error.details.join('\n'));
	storeError(t, () => sends.recipients(id));

	// skip: the three are never picked by resume or retry; send: they are pending again.
	const skip = sends.outcomes(id, 40, {unreadable: 'skip'});
	t.deepEqual([skip.status[5], skip.status[17], skip.status[33], skip.status[6]], [statusCodes.unreadable, statusCodes.unreadable, statusCodes.unreadable, statusCodes.sent]);
	t.is(skip.sent, 37);
	const again = sends.outcomes(id, 40, {unreadable: 'send'});
	t.is(again.status[5], statusCodes.pending);

	// show's reading: everything readable, the three marked.
	const shown = sends.recipients(id, {unreadable: 'report'});
	t.like(shown[5], {address: 'user5@example.com', status: 'pending', unreadable: 'outcome'});
	t.is(shown[6].unreadable, undefined);
	// The list shows the send, with the damage noted once its log is read.
	t.is(sends.list().length, 1);
});

test('requireReadable refuses without a policy; the policy is an argument of each read, never remembered', async t => {
	const {sends, id, folder} = await finishedSend(t, 5, 3, false);
	fs.appendFileSync(path.join(folder, 'outcomes.log'), 'not an outcome\n');
	const refused = storeError(t, () => sends.requireReadable(id, undefined));
	t.true(refused instanceof UnreadableRecipientsError);
	t.regex(refused.message, /cannot be read/);
	t.is(refused.hint, undefined, 'how to go on is the command line\'s to say');
	const report = sends.requireReadable(id, 'skip');
	t.is(report.uncertainOutcomes, 2);
	const state = sends.outcomes(id, 5, {unreadable: 'skip'});
	t.deepEqual([...state.status], [1, 1, 1, statusCodes.unreadable, statusCodes.unreadable]);
	t.is(sends.readRecipients(id, {unreadable: 'skip'}).addresses.length, 5);
	// A read without the policy refuses again: nothing was remembered.
	storeError(t, () => sends.outcomes(id, 5));
	storeError(t, () => sends.recipients(id));
});

test('a superseded garbled line needs no guess: the recipient\'s later line decides', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 0, false);
	fs.appendFileSync(path.join(folder, 'outcomes.log'), 'xx\u0000\n0\tS\t1\t250 OK\n1\tS\t1\t250 OK\n2\tF\t1\t550 no\n');
	const report = sends.check(id);
	t.is(report.damagedLines, 1);
	t.is(report.uncertainOutcomes, 0);
	t.deepEqual([...sends.outcomes(id, 3).status], [1, 1, 2]);
});

test('outcome lines are checked: index beyond the total, unknown code, attempts not a number', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 3);
	fs.appendFileSync(path.join(folder, 'outcomes.log'), '7\tS\t1\t250 OK\n1\tX\t1\t250 OK\n2\tS\tmany\t250 OK\n');
	const report = sends.check(id);
	t.is(report.damagedLines, 3);
	t.deepEqual(report.lines.map(l => l.why.split(':')[0]), ['recipient 7 does not exist (the send has 3)', 'unknown outcome code "X"', 'attempts is not a number']);
});

test('recipients.jsonl cut in half: damage at the first missing line, arrays sized from the recorded total', async t => {
	const {sends, id, folder} = await finishedSend(t, 10, 2, false);
	const file = path.join(folder, 'recipients.jsonl');
	const text = fs.readFileSync(file, 'utf8');
	fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2) - 10));
	const report = sends.check(id);
	t.true(report.damaged);
	t.is(report.unknownAddresses, 6); // Four whole lines (two of them sent), a torn fifth, and five more missing.
	t.deepEqual(report.lines.map(l => `${l.file}:${l.line}`), ['recipients.jsonl:5', 'recipients.jsonl:6']);
	const error = storeError(t, () => sends.readRecipients(id));
	t.true(error.details.some(detail => detail.startsWith('recipients.jsonl:5:')), error.details.join('\n'));
	storeError(t, () => sends.outcomes(id, 10));
	const read = sends.readRecipients(id, {unreadable: 'send'});
	t.is(read.addresses.length, 10);
	t.is(read.addresses[9], '');
	// Nobody without an address is ever picked, whatever the policy.
	const state = sends.outcomes(id, 10, {unreadable: 'send'});
	t.deepEqual([...state.status], [1, 1, 0, 0, 3, 3, 3, 3, 3, 3]);
});

test('one bad line in recipients.jsonl, extra lines, an address that is not one', async t => {
	const {sends, id, folder} = await finishedSend(t, 4, 4);
	const file = path.join(folder, 'recipients.jsonl');
	const text = lines(file);
	text[1] = '["bob@example.com", "Bob"';
	text[2] = '["not an address", "Cy"]';
	text.splice(4, 0, '["extra@example.com", "Extra"]');
	fs.writeFileSync(file, text.join('\n'));
	const report = sends.check(id);
	t.deepEqual(report.lines.map(l => `${l.file}:${l.line}`), ['recipients.jsonl:2', 'recipients.jsonl:3', 'recipients.jsonl:5']);
	t.is(report.unknownAddresses, 2);
	const rows = sends.recipients(id, {unreadable: 'report'});
	t.is(rows.length, 4);
	t.like(rows[1], {address: '', unreadable: 'address', status: 'sent'});
});

test('send.json holding {} or garbage is a store error naming the file; the list keeps every other send', async t => {
	const {sends, id, folder} = await finishedSend(t, 2);
	const other = sends.create({...base, recipients: people(1)});
	other.lock.release();
	fs.writeFileSync(path.join(folder, 'send.json'), '{}\n');
	const error = storeError(t, () => sends.record(id));
	t.true(error.message.startsWith(path.join(folder, 'send.json') + ': '), error.message);
	storeError(t, () => sends.summary(id));
	storeError(t, () => sends.readRecipients(id));
	const listed = sends.list();
	t.is(listed.length, 2);
	const damaged = listed.find(s => s.id === id)!;
	t.true(damaged.recordUnreadable);
	t.regex(damaged.damaged ?? '', /^send\.json: /);
	t.is(listed.find(s => s.id === other.record.id)?.damaged, undefined);
	t.true(sends.check(id).damaged);

	fs.writeFileSync(path.join(folder, 'send.json'), JSON.stringify({...sends.record(other.record.id), id, total: -1}));
	t.regex(storeError(t, () => sends.record(id)).message, /total/);
	fs.writeFileSync(path.join(folder, 'send.json'), JSON.stringify({...sends.record(other.record.id), id, draft: {subject: 'x'}}));
	t.regex(storeError(t, () => sends.record(id)).message, /draft/);
});

test('a damaged state.json is noted and the counts come from the log; the list still holds every send', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 2);
	const other = sends.create({...base, recipients: people(1)});
	other.lock.release();
	fs.writeFileSync(path.join(folder, 'state.json'), '{"status": "finish');
	const summary = sends.summary(id);
	t.like(summary, {status: 'interrupted', sent: 2, total: 3});
	t.regex(summary.damaged ?? '', /^state\.json: /);
	t.is(sends.list().length, 2);
	fs.writeFileSync(path.join(folder, 'state.json'), '{}');
	t.regex(sends.summary(id).damaged ?? '', /^state\.json: /);
});

test('a torn last line over 4 KB is ignored when read and cut before the next append', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 1, false);
	const log = path.join(folder, 'outcomes.log');
	fs.appendFileSync(log, '1\tS\t1\t' + 'x'.repeat(10_000));
	t.is(sends.check(id).damaged, false);
	t.is(sends.outcomes(id, 3).status[1], statusCodes.pending);
	const writer = sends.openOutcomes(id, () => undefined);
	writer.append({index: 2, code: 'S', attempts: 1, response: '250 OK', ambiguous: false});
	await writer.close();
	t.false(fs.readFileSync(log, 'utf8').includes('xxxx'));
	t.deepEqual([...sends.outcomes(id, 3).status], [1, 0, 1]);
	t.is(sends.check(id).damaged, false);
});

test('a log that is one torn line with no newline at all is emptied before the append', async t => {
	const {sends, id, folder} = await finishedSend(t, 2, 0, false);
	const log = path.join(folder, 'outcomes.log');
	fs.writeFileSync(log, '0\tS\t1\t' + 'y'.repeat(9000));
	const writer = sends.openOutcomes(id, () => undefined);
	writer.append({index: 1, code: 'S', attempts: 1, response: '250 OK', ambiguous: false});
	await writer.close();
	t.is(fs.readFileSync(log, 'utf8'), '1\tS\t1\t250 OK\n');
});

async function liveUnrelatedProcess(t: ExecutionContext): Promise<number> {
	const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {stdio: 'ignore'});
	await new Promise(resolve => child.once('spawn', resolve));
	t.teardown(() => child.kill('SIGKILL'));
	return child.pid!;
}

test('a lock whose PID now belongs to another process (a different start time) is stale: interrupted, taken over', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 1, false);
	const pid = await liveUnrelatedProcess(t);
	const lockFile = path.join(folder, 'lock');
	const ours = sends.lock(id);
	const written = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as Record<string, unknown>;
	ours.release();
	t.is(typeof written.startTime, 'string', 'the lock records its process\'s start time');
	t.is(typeof written.bootId, 'string', 'and the boot id');

	fs.writeFileSync(lockFile, JSON.stringify({...written, pid, startTime: '1'}));
	t.false(sends.lockHolder(id)!.alive);
	t.is(sends.summary(id).status, 'interrupted');
	const taken = sends.lock(id);
	t.is(sends.lockHolder(id)?.pid, process.pid);
	t.is(sends.summary(id).status, 'running');
	taken.release();
});

test('a lock from before a reboot (another boot id) is stale even when its PID is alive', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 1, false);
	const pid = await liveUnrelatedProcess(t);
	fs.writeFileSync(path.join(folder, 'lock'), JSON.stringify({pid, host: os.hostname(), since: new Date().toISOString(), bootId: '00000000-0000-0000-0000-000000000000'}));
	t.false(sends.lockHolder(id)!.alive);
	sends.lock(id).release();
});

test('an old-style lock {pid, host} older than the live process with that PID is stale', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 1, false);
	const pid = await liveUnrelatedProcess(t);
	const lockFile = path.join(folder, 'lock');
	fs.writeFileSync(lockFile, JSON.stringify({pid, host: os.hostname()}));
	const anHourAgo = new Date(Date.now() - 3_600_000);
	fs.utimesSync(lockFile, anHourAgo, anHourAgo);
	t.false(sends.lockHolder(id)!.alive);
	t.is(sends.summary(id).status, 'interrupted');
});

test('every file of a send is 0600, its folders 0700', async t => {
	const {sends, id, folder} = await finishedSend(t, 3, 2, false);
	const lock = sends.lock(id);
	t.teardown(() => lock.release());
	sends.finish(id, 'interrupted', {sent: 2, failed: 0});
	const mode = (file: string) => fs.statSync(file).mode & 0o777;
	t.is(mode(folder), 0o700);
	t.is(mode(path.dirname(folder)), 0o700);
	for (const name of fs.readdirSync(folder)) {
		t.is(mode(path.join(folder, name)), 0o600, name);
	}
});
