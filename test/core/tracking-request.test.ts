/**
 * Asking for delivery reports: each message's envelope (the bounce address, VERP-encoded when set
 * so; ENVID, RET=HDRS, NOTIFY, ORCPT), sent by the real engine. Through a real Postfix that offers
 * DSN, the reports come back to the VERP address with massmail's ENVID and the recipient's ORCPT,
 * headers only; a server that does not offer DSN gets plain MAIL FROM and RCPT TO, and the run
 * says so once.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import test from 'ava';
import {simpleParser} from 'mailparser';
import {createDelivery, openDeliveryContext, type DeliveryOverrides} from '../../source/core/delivery/index.js';
import {MassmailError} from '../../source/core/errors.js';
import {openStore} from '../../source/core/store.js';
import {readReport} from '../../source/core/tracking/report.js';
import {checkReportRequest, envelopeFor, reportRequest, type ReportRequest} from '../../source/core/tracking/request.js';
import type {DeliveryEvent, MessageDraft} from '../../source/core/types.js';
import {startRecordingSmtpServer} from '../helpers/recording-smtp-server.js';
import {bouncedStatus, bouncedText, reportAddresses, startReportHarness} from '../helpers/report-harness.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const fast: DeliveryOverrides = {concurrency: 2, maxAttempts: 1, retryDelayMs: 5, timeoutMs: 5000, journalIntervalMs: 5};
const id = '20260101-120000-ab12cd';

function draft(overrides: Partial<MessageDraft> = {}): MessageDraft {
	return {kind: 'email', from: {name: 'IT Team', address: 'postmaster@example.com'}, friendlyName: '', subject: 'Maintenance tonight', body: 'The server restarts at 22:00.\n', html: false, ...overrides};
}

const request = (partial: Partial<ReportRequest>): ReportRequest => ({returnPath: '', verp: false, delimiter: '+', notify: ['FAILURE', 'DELAY'], ...partial});

test('each envelope asks for reports: ENVID naming the send and recipient, RET=HDRS, NOTIFY, ORCPT; the envelope sender is the bounce address, VERP-encoded when asked, else the From address', t => {
	t.deepEqual(envelopeFor(request({}), id, 7, 'postmaster@example.com', 'ann@example.com'), {
		from: 'postmaster@example.com',
		to: 'ann@example.com',
		dsn: {ret: 'HDRS', envid: `massmail.${id}.7`, notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;ann@example.com'},
	});
	t.is(envelopeFor(request({returnPath: 'bounces@example.com'}), id, 7, 'postmaster@example.com', 'ann@example.com').from, 'bounces@example.com');
	t.is(envelopeFor(request({returnPath: 'bounces@example.com', verp: true}), id, 7, 'postmaster@example.com', 'ann@example.com').from, `bounces+${id}.7@example.com`);
	t.is(envelopeFor(request({returnPath: 'bounces@example.com', verp: true, delimiter: '-'}), id, 0, 'postmaster@example.com', 'ann@example.com').from, `bounces-${id}.0@example.com`);
	// An address with non-ASCII characters would need an ORCPT of type utf-8 (RFC 6533): none is sent.
	t.false('orcpt' in envelopeFor(request({}), id, 1, 'postmaster@example.com', 'jürgen@example.com').dsn);
});

test('the settings say what is asked: NOTIFY=SUCCESS too with tracking.notify success,failure,delay; VERP only with a return path', t => {
	const {dir} = tempConfigDir(t);
	const store = openStore({env: {MASSMAIL_CONFIG_DIR: dir}});
	t.deepEqual(reportRequest(store.settings.get()), request({}));
	store.settings.setKey('tracking.verp', 'true');
	t.false(reportRequest(store.settings.get()).verp, 'no VERP without a return path');
	store.settings.setKey('tracking.returnPath', 'bounces@example.com');
	store.settings.setKey('tracking.notify', 'success,failure,delay');
	t.deepEqual(reportRequest(store.settings.get()), request({returnPath: 'bounces@example.com', verp: true, notify: ['SUCCESS', 'FAILURE', 'DELAY']}));
});

test('a bounce address too long for its VERP addresses is refused before anything is written or sent', t => {
	const long = `${'b'.repeat(40)}@example.com`;
	const error = t.throws(() => {
		checkReportRequest(request({returnPath: long, verp: true}), 1000, id);
	}, {instanceOf: MassmailError});
	t.is(error.kind, 'validation');
	t.regex(error.message, /^tracking\.returnPath: .*longer than 64 characters/);
	t.notThrows(() => {
		checkReportRequest(request({returnPath: long, verp: false}), 1000, id);
	});
});

test('a server that does not offer DSN gets plain MAIL FROM and RCPT TO, and the run says so once, however many connections it opens', async t => {
	const server = await startRecordingSmtpServer();
	t.teardown(async () => server.close());
	const {env: base} = tempConfigDir(t);
	const env = {...base, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const store = openStore({env});
	store.settings.setKey('tracking.returnPath', 'bounces@example.com');
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => ctx.close());
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'test', recipients: ['ann', 'bob', 'cid', 'dan'].map(local => ({address: `${local}@example.com`, name: ''}))}, fast);
	const notices: DeliveryEvent[] = [];
	delivery.subscribe(event => {
		if (event.type === 'no-dsn') {
			notices.push(event);
		}
	});
	const result = await delivery.start();
	t.like(result, {sent: 4, failed: 0});
	t.is(notices.length, 1);
	t.regex((notices[0] as {text: string}).text, /^127\.0\.0\.1:\d+ \(STARTTLS when offered\) does not offer DSN \(RFC 3461\): delivery reports are not asked for/);
	// The bounce address is the envelope sender all the same; no DSN parameter anywhere.
	t.deepEqual(server.messages.map(message => message.commands[0]), Array.from({length: 4}, () => 'MAIL FROM:<bounces@example.com>'));
	t.true(server.messages.every(message => message.commands.slice(1).every(command => /^RCPT TO:<[a-z]+@example\.com>$/.test(command))));
	// The From header is the sender's, as before.
	const parsed = await simpleParser(server.messages[0]!.raw);
	t.is(parsed.from?.value[0]?.address, 'postmaster@example.com');
});

test('a send to the local capture server asks for nothing and says nothing about it', async t => {
	const {env} = tempConfigDir(t);
	const store = openStore({env});
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => ctx.close());
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'test', recipients: [{address: 'ann@example.com', name: ''}]}, fast);
	const events: string[] = [];
	delivery.subscribe(event => events.push(event.type));
	t.like(await delivery.start(), {sent: 1});
	t.false(events.includes('no-dsn'));
});

test('through a real Postfix: the bounce comes back to the VERP address with massmail\'s ENVID and the recipient\'s ORCPT, headers only; NOTIFY=SUCCESS brings a success report; the From header is unchanged', async t => {
	const harness = await startReportHarness();
	t.teardown(async () => harness.stop());
	const {env: base} = tempConfigDir(t);
	const env = {...base, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${harness.postfix.port}`};
	const store = openStore({env});
	store.settings.setKey('tracking.returnPath', reportAddresses.bounceMailbox);
	store.settings.setKey('tracking.verp', 'true');
	store.settings.setKey('tracking.notify', 'success,failure,delay');
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => ctx.close());
	const [ann] = reportAddresses.delivered;
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'test', recipients: [ann, reportAddresses.bounced].map(address => ({address, name: ''}))}, fast);
	const events: string[] = [];
	delivery.subscribe(event => events.push(event.type));
	t.like(await delivery.start(), {sent: 2, failed: 0});
	t.false(events.includes('no-dsn'));

	// Two reports: full's bounce and ann's success, each at its own VERP address.
	const reports = await Promise.all((await harness.waitForReports(2, 20_000)).map(async raw => readReport(raw)));
	const byRecipient = new Map(reports.map(report => [report.recipients[0]?.finalRecipient, report]));
	const full = byRecipient.get(reportAddresses.bounced);
	t.like(full, {kind: 'dsn', envelopeId: `massmail.${delivery.id}.1`, returnedMessageId: `<${delivery.id}.1@example.com>`});
	t.like(full?.recipients[0], {action: 'failed', status: bouncedStatus, diagnostic: bouncedText, originalRecipient: reportAddresses.bounced});
	t.true(full?.envelopeRecipients.includes(`bounces+${delivery.id}.1@example.com`), full?.envelopeRecipients.join(' '));
	const success = byRecipient.get(ann);
	t.like(success, {kind: 'dsn', envelopeId: `massmail.${delivery.id}.0`});
	t.like(success?.recipients[0], {action: 'delivered', originalRecipient: ann});
	t.true(success?.envelopeRecipients.includes(`bounces+${delivery.id}.0@example.com`));
	// RET=HDRS: the report returns the headers, not the message.
	const rawBounce = harness.reports().find(raw => raw.includes(`massmail.${delivery.id}.1`))!.toString('utf8');
	t.regex(rawBounce, /Content-Type: text\/rfc822-headers/i);
	t.notRegex(rawBounce, /The server restarts at 22:00/);

	// ann's message: the From header as composed, the VERP address as its Return-Path.
	await harness.postfix.waitForDelivered(3, 10_000);
	const raw = harness.postfix.messages(ann)[0]!;
	const delivered = await simpleParser(raw);
	t.is(delivered.from?.value[0]?.address, 'postmaster@example.com');
	t.true(raw.toString('utf8').startsWith(`Return-Path: <bounces+${delivery.id}.0@example.com>\n`), raw.toString('utf8').split('\n')[0]);
});

test('without NOTIFY=SUCCESS (the default) a delivered message brings no report, a bounce does', async t => {
	const harness = await startReportHarness();
	t.teardown(async () => harness.stop());
	const {env: base} = tempConfigDir(t);
	const env = {...base, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${harness.postfix.port}`};
	const store = openStore({env});
	store.settings.setKey('tracking.returnPath', reportAddresses.bounceMailbox);
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => ctx.close());
	const [ann, bob] = reportAddresses.delivered;
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'test', recipients: [ann, bob, reportAddresses.bounced].map(address => ({address, name: ''}))}, fast);
	t.like(await delivery.start(), {sent: 3});
	await harness.postfix.waitForDelivered(2, 10_000);
	const [bounce] = await harness.waitForReports(1, 20_000);
	t.like(await readReport(bounce!), {kind: 'dsn', envelopeId: `massmail.${delivery.id}.2`});
	// ann and bob were delivered before the bounce came: a success report would have followed within moments.
	await sleep(2000);
	t.is(harness.reports().length, 1);
});
