/** The per-recipient report: CSV quoting, JSON shape, writing it (atomically) to a typed path. */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {reportCsv, reportFormatOf, reportPath, writeReport} from '../../source/core/report.js';
import {MassmailError} from '../../source/core/errors.js';
import type {RecipientReport, SendSummary} from '../../source/core/types.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const summary: SendSummary = {id: '20260101-120000-abcdef', kind: 'email', subject: 'S', createdAt: '2026-01-01T12:00:00.000Z', total: 2, sent: 1, failed: 1, status: 'finished', audience: 'all', captured: false, operator: {user: 'ann', from: '192.0.2.9', host: 'mail.example.net'}};
const recipients: RecipientReport[] = [
	{address: 'ann@example.com', status: 'sent', attempts: 1, response: '250 OK', messageId: '<20260101-120000-abcdef.0@example.net>'},
	{address: 'bob@example.com', status: 'failed', attempts: 2, response: '550 "no", said the server', messageId: '<20260101-120000-abcdef.1@example.net>'},
];

test('CSV quotes what needs quoting; JSON is the history object plus the recipients', t => {
	t.is(reportCsv(recipients), [
		'address,status,attempts,response,messageId,ambiguous,unreadable',
		'ann@example.com,sent,1,250 OK,<20260101-120000-abcdef.0@example.net>,false,',
		'bob@example.com,failed,2,"550 ""no"", said the server",<20260101-120000-abcdef.1@example.net>,false,',
	].join('\n'));
	const marked = reportCsv([{...recipients[0]!, ambiguous: true}, {...recipients[1]!, address: '', unreadable: 'address'}]).split('\n');
	t.regex(marked[1]!, /,true,$/);
	t.regex(marked[2]!, /,false,address$/);
	t.is(reportFormatOf('r.JSON'), 'json');
	t.is(reportFormatOf('r.csv'), 'csv');
	t.is(reportFormatOf('report'), 'csv');
});

test('writeReport writes the chosen format to the path; a missing folder or an empty path is a validation error', t => {
	const {dir} = tempConfigDir(t);
	const json = writeReport(path.join(dir, 'r.json'), summary, recipients);
	const parsed = JSON.parse(fs.readFileSync(json, 'utf8')) as SendSummary & {recipients: RecipientReport[]};
	t.is(parsed.id, summary.id);
	t.deepEqual(parsed.recipients, recipients.map(r => ({...r, ambiguous: false})));
	t.is(fs.statSync(json).mode & 0o777, 0o600, 'the report lists addresses: only its owner reads it');
	const ambiguous = JSON.parse(fs.readFileSync(writeReport(path.join(dir, 'a.json'), summary, [{...recipients[0]!, ambiguous: true}]), 'utf8')) as {recipients: Array<{ambiguous: boolean}>};
	t.true(ambiguous.recipients[0]!.ambiguous);
	const csv = writeReport(path.join(dir, 'r.csv'), summary, recipients);
	t.true(fs.readFileSync(csv, 'utf8').startsWith('address,status'));
	t.is(fs.readdirSync(dir).filter(name => name.endsWith('.tmp')).length, 0, 'no temporary file left');

	const missing = t.throws(() => writeReport(path.join(dir, 'nope', 'r.csv'), summary, recipients), {instanceOf: MassmailError});
	t.regex(missing.message, /no such folder/);
	t.throws(() => writeReport(dir, summary, recipients), {message: /is a folder/});
	t.throws(() => reportPath('  '), {message: /type the path/});
	t.is(reportPath('~/r.csv', {HOME: '/home/ann'}), '/home/ann/r.csv');
});
