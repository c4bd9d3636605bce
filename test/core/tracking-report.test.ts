/**
 * Reading delivery reports (source/core/tracking/report.ts) as plain functions: Postfix's real
 * reports (captured by test/fixtures/dsn/capture.ts), hand-made ones in other servers' shapes,
 * messages that are not reports, and hostile input. Plus the ENVID and VERP marks, both ways.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {
	envelopeIdFor, maxReportBytes, parseEnvelopeId, parseVerp, readReport, verpAddress, type ParsedReport,
} from '../../source/core/tracking/report.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dsn');
const sendId = '20260101-120000-ab12cd';
const verp = (index: number) => `bounces+${sendId}.${index}@example.com`;
const postfixDate = new Date('2026-12-07T04:15:11Z');

async function read(name: string): Promise<ParsedReport> {
	return readReport(fs.readFileSync(path.join(fixtures, name)));
}

/** A Postfix report of recipient `index` of the fixtures' send. */
function postfixReport(index: number, subject: string, recipient: ParsedReport['recipients'][number]): ParsedReport {
	return {
		kind: 'dsn',
		envelopeId: `massmail.${sendId}.${index}`,
		arrivalDate: postfixDate,
		reportingMta: 'localhost.localdomain',
		recipients: [recipient],
		returnedMessageId: `<${sendId}.${index}@example.com>`,
		envelopeRecipients: [verp(index)],
		nullSender: true,
		date: postfixDate,
		subject,
		from: 'MAILER-DAEMON@localhost.localdomain',
	};
}

const postfixCases: Array<[string, ParsedReport]> = [
	['postfix-bounce.eml', postfixReport(0, 'Undelivered Mail Returned to Sender', {
		finalRecipient: 'full@example.com', originalRecipient: 'full@example.com', action: 'failed', status: '5.2.2', diagnostic: 'mailbox full',
	})],
	// RET=FULL: the message comes back whole, as message/rfc822.
	['postfix-bounce-full.eml', postfixReport(1, 'Undelivered Mail Returned to Sender', {
		finalRecipient: 'full@example.com', originalRecipient: 'full@example.com', action: 'failed', status: '5.2.2', diagnostic: 'mailbox full',
	})],
	['postfix-delay.eml', postfixReport(2, 'Delayed Mail (still being retried)', {
		finalRecipient: 'later@example.com',
		originalRecipient: 'later@example.com',
		action: 'delayed',
		status: '4.4.1',
		diagnostic: 'mailbox unavailable, try again later',
		willRetryUntil: new Date('2026-12-12T04:15:11Z'),
	})],
	['postfix-success.eml', postfixReport(3, 'Successful Mail Delivery Report', {
		finalRecipient: 'ann@example.com', originalRecipient: 'ann@example.com', action: 'delivered', status: '2.0.0', diagnostic: 'delivery via virtual: delivered to maildir',
	})],
];

for (const [name, expected] of postfixCases) {
	test(`Postfix's real report ${name} reads to its recipient, action, status and marks`, async t => {
		const report = await read(name);
		t.deepEqual(report, expected);
		const index = Number(/\.(\d+)$/.exec(expected.envelopeId!)![1]);
		t.deepEqual(parseEnvelopeId(report.envelopeId), {sendId, index});
		t.deepEqual(parseVerp(report.envelopeRecipients[0], 'bounces@example.com', '+'), {sendId, index});
	});
}

test('another server\'s bounce: base64 delivery-status, a folded Diagnostic-Code, Remote-MTA, a commented Status, an encoded Subject', async t => {
	t.deepEqual(await read('remote-bounce.eml'), {
		kind: 'dsn',
		envelopeId: `massmail.${sendId}.7`,
		arrivalDate: new Date('2026-01-01T12:00:03Z'),
		reportingMta: 'mx.example.net',
		recipients: [{
			finalRecipient: 'carl@example.net',
			originalRecipient: 'Carl@Example.net',
			action: 'failed',
			status: '5.1.1',
			diagnostic: '550 5.1.1 <carl@example.net>: Recipient address rejected: User unknown in local recipient table',
			remoteMta: 'mailstore1.example.net',
			lastAttemptDate: new Date('2026-01-01T12:00:04Z'),
		}],
		returnedMessageId: `<${sendId}.7@example.com>`,
		envelopeRecipients: [verp(7)],
		nullSender: true,
		date: new Date('2026-01-01T12:00:04Z'),
		subject: 'Undeliverable: Maintenance tonight',
		from: 'postmaster@example.net',
	});
});

test('a bounce with no RFC 3464 part is "other": only its VERP address names the recipient', async t => {
	const report = await read('no-dsn-part.eml');
	t.deepEqual(report, {
		kind: 'other',
		recipients: [],
		envelopeRecipients: [verp(4)],
		nullSender: true,
		date: new Date('2026-01-01T12:00:08Z'),
		subject: 'failure notice',
		from: 'MAILER-DAEMON@mx.example.net',
	});
	t.deepEqual(parseVerp(report.envelopeRecipients[0], 'bounces@example.com', '+'), {sendId, index: 4});
});

test('a vacation notice is an auto-reply, not a bounce; it names the message it answers', async t => {
	t.deepEqual(await read('vacation.eml'), {
		kind: 'auto-reply',
		recipients: [],
		inReplyTo: `<${sendId}.5@example.com>`,
		envelopeRecipients: [verp(5)],
		nullSender: true,
		date: new Date('2026-01-01T12:00:04Z'),
		subject: 'Auto: Maintenance tonight',
		from: 'dora@example.org',
	});
});

test('a report on another program\'s message is a DSN whose ENVID, address and Message-ID are none of ours', async t => {
	const report = await read('foreign-dsn.eml');
	t.is(report.kind, 'dsn');
	t.is(report.envelopeId, 'INV-2026-0042');
	t.is(parseEnvelopeId(report.envelopeId), undefined);
	t.is(report.returnedMessageId, '<inv-2026-0042@billing.example.com>');
	t.deepEqual(report.envelopeRecipients, ['bounces@example.com']);
	t.is(parseVerp(report.envelopeRecipients[0], 'bounces@example.com', '+'), undefined);
	t.like(report.recipients[0], {finalRecipient: 'ann@example.com', action: 'failed', status: '5.2.2'});
});

test('an ordinary message is "other" with a sender, even when it answers one of ours', async t => {
	t.deepEqual(await read('ordinary.eml'), {
		kind: 'other',
		recipients: [],
		inReplyTo: `<${sendId}.6@example.com>`,
		envelopeRecipients: ['bounces@example.com'],
		nullSender: false,
		date: new Date('2026-01-01T12:59:58Z'),
		subject: 'Question about the maintenance',
		from: 'erin@example.org',
	});
});

/** A report of the given delivery-status fields (`\n` line ends), with more top headers if given. */
function dsn(fields: string, top = ''): Buffer {
	return Buffer.from([
		'Return-Path: <>',
		...(top === '' ? [] : [top]),
		'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
		'',
		'--B',
		'Content-Type: message/delivery-status',
		'',
		fields,
		'--B--',
		'',
	].join('\n'));
}

const controls = /[\u0000-\u001F\u007F-\u009F]/;

test('hostile: CR, LF, ESC and NUL in the fields come out as one line without control characters', async t => {
	const report = await readReport(dsn([
		'Original-Envelope-Id: massmail.x.1\u001B[31m',
		'',
		'Final-Recipient: rfc822; ann@example.com\u001B[2J',
		'Action: failed',
		'Status: 5.1.1',
		'Diagnostic-Code: smtp; 550 \u001B]0;title\u0007no such user\u0000 \u009B31m here',
		'Remote-MTA: dns; mx\rInjected: yes',
	].join('\n'), 'X-Original-To: <bounces+x.1@example.com\u001B[0m>'));
	t.is(report.kind, 'dsn');
	const texts = [report.envelopeId, ...report.envelopeRecipients, ...Object.values(report.recipients[0]).map(String)];
	for (const text of texts) {
		t.false(controls.test(text!), JSON.stringify(text));
	}

	t.is(report.recipients[0].finalRecipient, 'ann@example.com');
	t.regex(report.recipients[0].diagnostic!, /^550 .*no such user/);
	// A bare CR ends the field: what follows it is not part of Remote-MTA.
	t.is(report.recipients[0].remoteMta, 'mx');
});

test('hostile: a multi-megabyte header line or 200,000 header lines end in "other" with a problem, quickly', async t => {
	for (const raw of [
		Buffer.from('Delivered-To: bounces+x.1@example.com\nSubject: ' + 'x'.repeat(2_000_000) + '\n\nbody\n'),
		Buffer.from('X-Filler: y\n'.repeat(200_000) + 'Subject: z\n\nbody\n'),
	]) {
		const started = Date.now();
		const report = await readReport(raw);
		t.is(report.kind, 'other');
		t.regex(report.problem ?? '', /^not readable as MIME: /);
		t.true(Date.now() - started < 5000);
	}

	// What the top headers say still comes through when they come before the long one.
	const report = await readReport(Buffer.from('Return-Path: <>\nDelivered-To: bounces+x.1@example.com\nSubject: ' + 'x'.repeat(2_000_000) + '\n\nbody\n'));
	t.deepEqual(report.envelopeRecipients, ['bounces+x.1@example.com']);
	t.true(report.nullSender);
});

test('hostile: garbled MIME never throws: no boundary, an unterminated part, random bytes, an empty message, deep nesting', async t => {
	let nested = '';
	for (let level = 0; level < 3000; level++) {
		nested += `Content-Type: multipart/mixed; boundary="b${level}"\n\n--b${level}\n`;
	}

	const cases: Array<[string, Buffer, ParsedReport['kind']]> = [
		['no boundary', Buffer.from('Content-Type: multipart/report; report-type=delivery-status\n\n--B\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.c\nAction: failed\n'), 'other'],
		['unterminated', Buffer.from('Content-Type: multipart/report; boundary="B"\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.c\nAction: delayed\nStat'), 'dsn'],
		['random bytes', Buffer.from(Array.from({length: 65_536}, (_, i) => (i * 7919) % 256)), 'other'],
		['empty', Buffer.alloc(0), 'other'],
		['deep nesting', Buffer.from(nested + 'Content-Type: text/plain\n\nx\n'), 'other'],
	];
	for (const [name, raw, kind] of cases) {
		const report = await readReport(raw);
		t.is(report.kind, kind, name);
	}

	// The unterminated Status is unreadable: the action's class stands in.
	t.like((await readReport(cases[1][1])).recipients[0], {finalRecipient: 'a@b.c', action: 'delayed', status: '4.0.0'});
});

test('hostile: groups without Final-Recipient or with an unknown Action are left out; field names like __proto__ pollute nothing', async t => {
	const report = await readReport(dsn([
		'__proto__: x',
		'Original-Envelope-Id: massmail.x.2',
		'',
		'Action: failed',
		'Status: 5.0.0',
		'',
		'Final-Recipient: rfc822; a@b.c',
		'Action: exploded',
		'',
		'Final-Recipient: rfc822; c@d.e',
		'Action: FAILED (for good)',
		'__proto__: polluted',
		'constructor: y',
		'Status: 5.1.1',
	].join('\n')));
	t.deepEqual(report.recipients, [{finalRecipient: 'c@d.e', action: 'failed', status: '5.1.1'}]);
	t.is(({} as Record<string, unknown>).polluted, undefined);
	t.is(report.envelopeId, 'massmail.x.2');
});

test('hostile: 5,000 recipient groups read as the first 1,000; a huge message is read to its first megabyte', async t => {
	const many = await readReport(dsn('Reporting-MTA: dns; x\n' + '\nFinal-Recipient: rfc822; a@b.c\nAction: failed\nStatus: 5.0.0\n'.repeat(5000)));
	t.is(many.recipients.length, 1000);

	const head = dsn('Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.c\nAction: failed\nStatus: 5.2.2').toString().replace('--B--\n', '');
	const huge = Buffer.from(head + '--B\nContent-Type: message/rfc822\n\nMessage-ID: <m@x>\n\n' + 'y'.repeat(10 * maxReportBytes) + '\n--B--\n');
	const started = Date.now();
	const report = await readReport(huge);
	t.true(Date.now() - started < 5000);
	t.like(report, {kind: 'dsn', returnedMessageId: '<m@x>'});
	t.like(report.recipients[0], {status: '5.2.2'});
});

test('the envelope id: massmail.SEND_ID.INDEX, read back; another program\'s is not ours', t => {
	t.is(envelopeIdFor(sendId, 7), `massmail.${sendId}.7`);
	t.deepEqual(parseEnvelopeId(envelopeIdFor(sendId, 0)), {sendId, index: 0});
	t.deepEqual(parseEnvelopeId(` massmail.a.b-c.12 `), {sendId: 'a.b-c', index: 12});
	for (const text of [undefined, '', 'INV-2026-0042', 'massmail.', 'massmail.x', 'massmail.x.', 'massmail..1', 'Massmail.x.1', 'massmail.x y.1', 'massmail.x.1\u001B', 'massmail.x.1234567890']) {
		t.is(parseEnvelopeId(text), undefined, JSON.stringify(text));
	}
});

test('the envelope id is at most 100 characters of plain xtext, or refused', t => {
	const longest = 'a'.repeat(100 - 'massmail..999999999'.length);
	t.is(envelopeIdFor(longest, 999_999_999).length, 100);
	t.throws(() => envelopeIdFor(longest + 'a', 999_999_999), {instanceOf: RangeError});
	t.regex(envelopeIdFor(sendId, 123), /^[\u0021-\u007E]+$/);
	t.false(/[+=]/.test(envelopeIdFor(sendId, 123)));
	for (const bad of ['', 'a b', 'a+b', 'a=b', '../x', 'é']) {
		t.throws(() => envelopeIdFor(bad, 1), {instanceOf: RangeError}, bad);
	}

	for (const index of [-1, 1.5, Number.NaN, 1e12]) {
		t.throws(() => envelopeIdFor(sendId, index), {instanceOf: RangeError}, String(index));
	}
});

test('VERP: the return path with the delimiter and SEND_ID.INDEX, read back without case on the return path', t => {
	t.is(verpAddress('bounces@example.com', sendId, 7, '+'), `bounces+${sendId}.7@example.com`);
	t.is(verpAddress('bounces@example.com', sendId, 7, '-'), `bounces-${sendId}.7@example.com`);
	t.deepEqual(parseVerp(`bounces+${sendId}.7@example.com`, 'bounces@example.com', '+'), {sendId, index: 7});
	t.deepEqual(parseVerp(`<Bounces+${sendId}.7@EXAMPLE.com>`, 'bounces@example.com', '+'), {sendId, index: 7});
	t.deepEqual(parseVerp(`bounces-${sendId}.7@example.com`, 'bounces@example.com', '-'), {sendId, index: 7});
	for (const address of [
		'bounces@example.com',
		`bounces+${sendId}.7@example.org`,
		`bouncer+${sendId}.7@example.com`,
		`bounces-${sendId}.7@example.com`,
		'bounces+@example.com',
		`bounces+${sendId}@example.com`,
		`bounces+${sendId}.x@example.com`,
		`bounces+a b.1@example.com`,
		'not an address',
	]) {
		t.is(parseVerp(address, 'bounces@example.com', '+'), undefined, address);
	}
});

test('VERP refuses what the server could not deliver back: a delimiter in the return path, a local part over 64, a bad delimiter', t => {
	t.throws(() => verpAddress('bounces+massmail@example.com', sendId, 1, '+'), {instanceOf: RangeError, message: /already holds the recipient delimiter/});
	t.throws(() => verpAddress(`${'b'.repeat(40)}@example.com`, sendId, 1, '+'), {instanceOf: RangeError, message: /longer than 64/});
	for (const delimiter of ['', '++', '@', ' ', '\n']) {
		t.throws(() => verpAddress('bounces@example.com', sendId, 1, delimiter), {instanceOf: RangeError}, JSON.stringify(delimiter));
	}

	t.throws(() => verpAddress('bounces', sendId, 1, '+'), {instanceOf: RangeError});
	t.throws(() => verpAddress('bounces@example.com', 'a/b', 1, '+'), {instanceOf: RangeError});
});
