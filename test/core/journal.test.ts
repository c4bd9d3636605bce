import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {spawn} from 'node:child_process';
import test, {type ExecutionContext} from 'ava';
import {SendLog} from '../../source/core/journal.js';
import {recordFields} from '../helpers/send-records.js';
import {MassmailError} from '../../source/core/errors.js';
import type {Recipient} from '../../source/core/types.js';
import {tempFolder} from '../helpers/temp-dir.js';

function tempSends(t: Pick<ExecutionContext, 'teardown'>): string {
	return tempFolder(t, 'massmail-journal-');
}

const base = recordFields;

const recipients: Recipient[] = [
	{address: 'ann@example.com', name: 'Ann'},
	{address: 'bob@example.com', name: 'Bob "B"'},
	{address: 'cy@example.com', name: ''},
];

test('a new record holds what, to whom and the settings, and reads back as running while locked', t => {
	const sends = new SendLog(tempSends(t));
	const {record, lock} = sends.create({...base, recipients});
	t.is(record.total, 3);
	t.deepEqual(sends.readRecipients(record.id), {addresses: recipients.map(r => r.address), names: recipients.map(r => r.name)});
	t.is(sends.summary(record.id).status, 'running');
	t.deepEqual(sends.draft(record.id), base.draft);
	lock.release();
	t.is(sends.summary(record.id).status, 'interrupted');
	t.deepEqual(sends.list().map(s => s.id), [record.id]);
});

test('outcomes are appended in groups, last line wins, a torn line is ignored and cut off', async t => {
	const dir = tempSends(t);
	const sends = new SendLog(dir);
	const {record, lock} = sends.create({...base, recipients});
	const durable: number[] = [];
	const writer = sends.openOutcomes(record.id, group => durable.push(...group.map(o => o.index)));
	writer.append({index: 0, code: 'S', attempts: 1, response: '250 OK\r\nqueued', ambiguous: false});
	writer.append({index: 1, code: 'D', attempts: 1, response: 'Connection closed', ambiguous: true});
	writer.append({index: 2, code: 'F', attempts: 1, response: '550 5.1.1 No such user', ambiguous: false});
	writer.append({index: 1, code: 'S', attempts: 2, response: '250 OK', ambiguous: false});
	await writer.close();
	t.deepEqual(durable, [0, 1, 2, 1]);
	// A crash in the middle of a write leaves a line without its newline.
	fs.appendFileSync(path.join(dir, record.id, 'outcomes.log'), '2\tS\t2\t25');
	const report = sends.recipients(record.id);
	t.deepEqual(report.map(r => [r.address, r.status, r.attempts, r.response, r.ambiguous]), [
		['ann@example.com', 'sent', 1, '250 OK queued', false],
		['bob@example.com', 'sent', 2, '250 OK', true],
		['cy@example.com', 'failed', 1, '550 5.1.1 No such user', false],
	]);
	t.is(report[2].messageId, `<${record.id}.2@example.net>`);
	const again = sends.openOutcomes(record.id, () => undefined);
	again.append({index: 2, code: 'S', attempts: 2, response: '250 OK', ambiguous: false});
	await again.close();
	t.is(sends.recipients(record.id)[2].status, 'sent');
	sends.finish(record.id, 'finished', {sent: 3, failed: 0});
	lock.release();
	t.like(sends.summary(record.id), {status: 'finished', sent: 3, failed: 0, total: 3});
});

test('the lock refuses a second live worker and takes over the lock of a dead process', async t => {
	const dir = tempSends(t);
	const sends = new SendLog(dir);
	const {record, lock} = sends.create({...base, recipients});
	lock.release();
	const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {stdio: 'ignore'});
	await new Promise(resolve => child.once('spawn', resolve));
	fs.writeFileSync(path.join(dir, record.id, 'lock'), JSON.stringify({pid: child.pid, host: os.hostname()}));
	const error = t.throws(() => sends.lock(record.id), {instanceOf: MassmailError});
	t.is(error?.kind, 'locked');
	t.is(error?.message, `send ${record.id} is being worked on by process ${child.pid}`);
	t.is(sends.summary(record.id).status, 'running');
	child.kill('SIGKILL');
	await new Promise(resolve => child.once('exit', resolve));
	t.is(sends.summary(record.id).status, 'interrupted');
	const taken = sends.lock(record.id);
	t.is(sends.lockHolder(record.id)?.pid, process.pid);
	taken.release();
	t.is(sends.lockHolder(record.id), undefined);
});

test('an unknown send id is a usage error', t => {
	const sends = new SendLog(tempSends(t));
	t.is(t.throws(() => sends.summary('nope'), {instanceOf: MassmailError})?.kind, 'usage');
	t.deepEqual(sends.list(), []);
});

/** A send's folder as massmail wrote it before the journal was split into layers, byte for byte. */
function writeOldRecord(sendsDir: string, id: string, withState: boolean): void {
	const folder = path.join(sendsDir, id);
	fs.mkdirSync(folder, {recursive: true, mode: 0o700});
	// No "operator": records written before massmail kept who started a send.
	const record = {id, createdAt: '2026-01-02T03:04:05.000Z', total: 3, ...base};
	fs.writeFileSync(path.join(folder, 'send.json'), JSON.stringify(record, null, '\t') + '\n', {mode: 0o600});
	fs.writeFileSync(path.join(folder, 'recipients.jsonl'), '["ann@example.com","Ann"]\n["bob@example.com","Bob \\"B\\""]\n["cy@example.com",""]\n', {mode: 0o600});
	fs.writeFileSync(path.join(folder, 'outcomes.log'), [
		'#run new 2026-01-02T03:04:06.000Z pid 4242 recipients 3',
		'0\tS\t1\t250 2.0.0 OK queued',
		'1\tDa\t1\tConnection closed',
		'2\tF\t1\t550 5.1.1 No such user',
		'#run unfinished 2026-01-02T03:10:00.000Z pid 4343 recipients 1',
		'1\tS\t2\t250 OK',
		'',
	].join('\n'), {mode: 0o600});
	if (withState) {
		fs.writeFileSync(path.join(folder, 'state.json'), JSON.stringify({status: 'finished', endedAt: '2026-01-02T03:10:01.000Z', sent: 2, failed: 1}) + '\n', {mode: 0o600});
	}

	// An old-style lock: {pid, host} of a process long gone.
	fs.writeFileSync(path.join(folder, 'lock'), JSON.stringify({pid: 2 ** 22 + 1, host: os.hostname()}), {mode: 0o600});
}

test('records in the on-disk format written before the layers still read, resume and append', async t => {
	const dir = tempSends(t);
	const sends = new SendLog(dir);
	writeOldRecord(dir, '20260102-030405-a1b2c3', true);
	writeOldRecord(dir, '20260102-030405-d4e5f6', false);
	const [interrupted, finished] = sends.list();
	t.like(finished, {id: '20260102-030405-a1b2c3', status: 'finished', sent: 2, failed: 1, total: 3, operator: null, subject: 'Hello'});
	t.like(interrupted, {id: '20260102-030405-d4e5f6', status: 'interrupted', sent: 2, failed: 1, total: 3});
	t.is(finished.damaged, undefined);
	t.false(sends.check(finished.id).damaged);

	const id = interrupted.id;
	t.deepEqual(sends.recipients(id).map(r => [r.address, r.status, r.attempts, r.response, r.ambiguous]), [
		['ann@example.com', 'sent', 1, '250 2.0.0 OK queued', false],
		['bob@example.com', 'sent', 2, '250 OK', true],
		['cy@example.com', 'failed', 1, '550 5.1.1 No such user', false],
	]);
	t.deepEqual(sends.readRecipients(id), {addresses: recipients.map(r => r.address), names: recipients.map(r => r.name)});
	const state = sends.outcomes(id);
	t.deepEqual([...state.status], [1, 1, 2]);
	t.like(state, {sent: 2, failed: 1});

	// The old lock's process is gone: taken over; a retry's outcome appends after the old lines.
	const lock = sends.lock(id);
	const writer = sends.openOutcomes(id, () => undefined);
	writer.note('run failed 2026-01-03T00:00:00.000Z pid 1 recipients 1');
	writer.append({index: 2, code: 'S', attempts: 1, response: '250 OK\r\nagain', ambiguous: false});
	await writer.close();
	sends.finish(id, 'finished', {sent: 3, failed: 0});
	lock.release();
	t.true(fs.readFileSync(path.join(dir, id, 'outcomes.log'), 'utf8').endsWith('1\tS\t2\t250 OK\n#run failed 2026-01-03T00:00:00.000Z pid 1 recipients 1\n2\tS\t1\t250 OK again\n'));
	t.like(sends.summary(id), {status: 'finished', sent: 3, failed: 0});
});

test('a new record is written in that same format', t => {
	const dir = tempSends(t);
	const sends = new SendLog(dir);
	const {record, lock} = sends.create({...base, recipients});
	lock.release();
	const folder = path.join(dir, record.id);
	t.is(fs.readFileSync(path.join(folder, 'recipients.jsonl'), 'utf8'), '["ann@example.com","Ann"]\n["bob@example.com","Bob \\"B\\""]\n["cy@example.com",""]\n');
	t.is(fs.readFileSync(path.join(folder, 'send.json'), 'utf8'), JSON.stringify(record, null, '\t') + '\n');
	t.is(fs.readFileSync(path.join(folder, 'outcomes.log'), 'utf8'), '');
	t.deepEqual(fs.readdirSync(folder).sort(), ['outcomes.log', 'recipients.jsonl', 'send.json'], 'no temporary file left');
});
