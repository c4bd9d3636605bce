/**
 * The journal's delivery reports (journal/reports.ts): reports.log appended each key once, by one
 * appender or several; each recipient's delivery read from it (a final report wins over a delay,
 * a reply leaves the state), torn and damaged lines, and records without the file reading as
 * before. Real files in a temporary folder, no server.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {ReportAppender, reportsFile, SendLog, type ReportLine} from '../../source/core/journal.js';
import {recordFields} from '../helpers/send-records.js';
import {tempFolder} from '../helpers/temp-dir.js';

/** A send of four recipients: 0 to 2 accepted by the server, 3 refused. */
async function sentSend(t: ExecutionContext): Promise<{sends: SendLog; id: string; file: string}> {
	const sends = new SendLog(tempFolder(t, 'massmail-reports-'));
	const {record, lock} = sends.create({...recordFields, recipients: ['ann', 'bob', 'cy', 'dee'].map(name => ({address: `${name}@example.com`, name: ''}))});
	const writer = sends.openOutcomes(record.id, () => undefined);
	for (const index of [0, 1, 2]) {
		writer.append({index, code: 'S', attempts: 1, response: '250 OK', ambiguous: false});
	}

	writer.append({index: 3, code: 'F', attempts: 1, response: '550 5.1.1 no such user', ambiguous: false});
	await writer.close();
	lock.release();
	return {sends, id: record.id, file: path.join(sends.sendsDir, record.id, reportsFile)};
}

function line(index: number, state: ReportLine['state'], at: string, key: string, more: Partial<ReportLine> = {}): ReportLine {
	return {
		index, state, at, key, foldedAt: '2026-01-02T00:00:00.000Z', via: 'envid',
		status: state === 'replied' ? null : state === 'bounced' ? '5.2.2' : state === 'delayed' ? '4.4.1' : '2.0.0',
		diagnostic: state === 'bounced' ? 'mailbox full' : null,
		...more,
	};
}

test('a send without reports reads as before: every accepted recipient "accepted", the refused one without a delivery', async t => {
	const {sends, id, file} = await sentSend(t);
	const read = sends.deliveries(id);
	t.deepEqual(read.counts, {accepted: 3, delivered: 0, bounced: 0, delayed: 0, replied: 0});
	t.deepEqual(read.recipients, [
		{state: 'accepted', status: null, diagnostic: null, at: null},
		{state: 'accepted', status: null, diagnostic: null, at: null},
		{state: 'accepted', status: null, diagnostic: null, at: null},
		null,
	]);
	t.is(read.lastFoldedAt, null);
	t.is(read.damage.count, 0);
	t.false(fs.existsSync(file));
	t.like(sends.summary(id), {sent: 3, failed: 1});
});

test('a final report wins over a delay whatever their order; between finals the later one; a reply leaves the state', async t => {
	const {sends, id} = await sentSend(t);
	const reports = new ReportAppender(sends.sendsDir, id, 4);
	reports.append([
		// ann: delayed, then bounced.
		line(0, 'delayed', '2026-01-01T12:00:01.000Z', 'r1 ann'),
		line(0, 'bounced', '2026-01-01T13:00:00.000Z', 'r2 ann'),
		// bob: bounced, and a delay report of an earlier hop read after it.
		line(1, 'bounced', '2026-01-01T12:00:05.000Z', 'r3 bob'),
		line(1, 'delayed', '2026-01-01T12:30:00.000Z', 'r4 bob'),
		// cy: delivered, and a vacation notice.
		line(2, 'delivered', '2026-01-01T12:00:02.000Z', 'r5 cy', {diagnostic: 'delivered to maildir'}),
		line(2, 'replied', '2026-01-01T12:00:09.000Z', 'r6 #2', {via: 'in-reply-to', diagnostic: 'Auto: Hello'}),
		// dee was refused at the server's reply, and still a report came (the server had it after all).
		line(3, 'delayed', '2026-01-01T12:00:03.000Z', 'r7 dee'),
	]);
	const read = sends.deliveries(id);
	t.deepEqual(read.recipients, [
		{state: 'bounced', status: '5.2.2', diagnostic: 'mailbox full', at: '2026-01-01T13:00:00.000Z'},
		{state: 'bounced', status: '5.2.2', diagnostic: 'mailbox full', at: '2026-01-01T12:00:05.000Z'},
		{state: 'delivered', status: '2.0.0', diagnostic: 'delivered to maildir', at: '2026-01-01T12:00:02.000Z', repliedAt: '2026-01-01T12:00:09.000Z'},
		{state: 'delayed', status: '4.4.1', diagnostic: null, at: '2026-01-01T12:00:03.000Z'},
	]);
	t.deepEqual(read.counts, {accepted: 0, delivered: 1, bounced: 2, delayed: 1, replied: 1});
	t.is(read.lastFoldedAt, '2026-01-02T00:00:00.000Z');
});

test('each key is appended once: by one appender, by two (two processes), within one call; what was appended is returned', async t => {
	const {sends, id, file} = await sentSend(t);
	const first = new ReportAppender(sends.sendsDir, id, 4);
	const second = new ReportAppender(sends.sendsDir, id, 4);
	const a = line(0, 'bounced', '2026-01-01T12:00:00.000Z', 'a');
	const b = line(1, 'bounced', '2026-01-01T12:00:00.000Z', 'b');
	const c = line(2, 'delayed', '2026-01-01T12:00:00.000Z', 'c');
	t.deepEqual(first.append([a, a]), [a]);
	t.deepEqual(second.append([a, b]), [b]);
	t.deepEqual(first.append([a, b, c]), [c]);
	t.deepEqual(second.append([c]), []);
	t.deepEqual(new ReportAppender(sends.sendsDir, id, 4).append([a, b, c]), []);
	const text = fs.readFileSync(file, 'utf8');
	t.deepEqual(text.trim().split('\n').map(each => (JSON.parse(each) as ReportLine).key), ['a', 'b', 'c']);
	// The fields in a fixed order: the file is read by people too.
	t.is(text.split('\n')[0], '{"index":0,"state":"bounced","status":"5.2.2","diagnostic":"mailbox full","at":"2026-01-01T12:00:00.000Z","foldedAt":"2026-01-02T00:00:00.000Z","key":"a","via":"envid"}');
	t.is(fs.statSync(file).mode & 0o777, 0o600);
	t.false(fs.existsSync(`${file}.lock`));
});

test('a torn last line never happened and is cut before the next append; a damaged line is skipped and counted', async t => {
	const {sends, id, file} = await sentSend(t);
	const reports = new ReportAppender(sends.sendsDir, id, 4);
	reports.append([line(0, 'delayed', '2026-01-01T12:00:00.000Z', 'a')]);
	// A crash in the middle of a write: the line of bob's bounce, without its end.
	fs.appendFileSync(file, '{"index":1,"state":"bounced","status":"5.2');
	t.deepEqual(sends.deliveries(id).counts, {accepted: 2, delivered: 0, bounced: 0, delayed: 1, replied: 0});
	t.is(sends.deliveries(id).damage.count, 0);
	// Folded again: the torn line is cut, the report appended whole.
	const bob = line(1, 'bounced', '2026-01-01T12:00:00.000Z', 'b');
	t.deepEqual(new ReportAppender(sends.sendsDir, id, 4).append([bob]), [bob]);
	t.is(fs.readFileSync(file, 'utf8').split('\n').length, 3);
	t.deepEqual(sends.deliveries(id).counts, {accepted: 1, delivered: 0, bounced: 1, delayed: 1, replied: 0});

	fs.appendFileSync(file, 'not json\n{"index":9,"state":"bounced","status":"5.2.2","diagnostic":null,"at":"2026-01-01T12:00:00.000Z","foldedAt":"2026-01-01T12:00:00.000Z","key":"x","via":"envid"}\n');
	reports.append([line(2, 'delivered', '2026-01-01T12:00:00.000Z', 'c')]);
	const read = sends.deliveries(id);
	t.deepEqual(read.counts, {accepted: 0, delivered: 1, bounced: 1, delayed: 1, replied: 0});
	t.is(read.damage.count, 2);
	t.deepEqual(read.damage.lines, [
		{file: 'reports.log', line: 3, why: 'not JSON'},
		{file: 'reports.log', line: 4, why: 'recipient 9 does not exist (the send has 4)'},
	]);
});
