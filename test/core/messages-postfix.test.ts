/**
 * The messages through a real Postfix into its Maildirs: what a mail client on the other side
 * finds. Postfix takes SMTPUTF8 when `smtputf8_enable` is on (its default) and does not offer it
 * when off.
 */
import test, {type ExecutionContext} from 'ava';
import {simpleParser, type AddressObject} from 'mailparser';
import {normalizeAddress} from '../../source/core/address.js';
import {createDelivery, openDeliveryContext} from '../../source/core/delivery/index.js';
import {openStore} from '../../source/core/store.js';
import type {MessageDraft, Recipient} from '../../source/core/types.js';
import {startPostfix, type PostfixServer} from '../helpers/postfix-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const draft: MessageDraft = {
	kind: 'email',
	from: {name: 'IT Team', address: 'it@example.com'},
	friendlyName: 'Benutzer für die Wartung über Nacht bei Bücher Beispiel, Jürgen Müller und Zoë - ',
	subject: 'Wartung über Nacht: {{name}}',
	body: 'Ihre Adresse: {{address}}\nFrom tomorrow on: the new server.\n',
	html: false,
};

async function sendThrough(t: ExecutionContext, postfix: PostfixServer, recipients: Recipient[]) {
	const {env: base} = tempConfigDir(t);
	const env = {...base, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`};
	const store = openStore({env});
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => ctx.close());
	const delivery = await createDelivery(ctx, {draft, audience: 'test', recipients}, {concurrency: 1, maxAttempts: 1, timeoutMs: 10_000});
	const result = await delivery.start();
	return {result, reports: ctx.sends.recipients(delivery.id)};
}

const juergen = {address: normalizeAddress('jürgen@example.com'), name: 'Jürgen Müller'};
const ann = {address: 'ann@example.com', name: 'Ann Lee'};

test('Postfix with SMTPUTF8 delivers to a non-ASCII address; every header line it stores is within 78, and reads back', async t => {
	const postfix = await startPostfix({mailboxes: ['ann@example.com', 'jürgen@example.com'], extraMain: {smtputf8_enable: 'yes'}});
	t.teardown(async () => postfix.stop());
	const {result} = await sendThrough(t, postfix, [juergen, ann]);
	t.is(result.sent, 2);
	await postfix.waitForDelivered(2);
	const [raw] = postfix.messages('jürgen@example.com');
	const text = raw.toString('utf8');
	const header = text.slice(0, text.indexOf('\n\n') === -1 ? text.indexOf('\r\n\r\n') : text.indexOf('\n\n'));
	const ours = header.split(/\r?\n/).filter(line => !/^(Return-Path|Delivered-To|Received|X-Original-To):|^\s+(by|for|from|id|with|\()/.test(line));
	t.true(ours.every(line => line.length <= 78), ours.find(line => line.length > 78));
	const mail = await simpleParser(raw);
	const to = (mail.to as AddressObject).value[0];
	t.is(to.address, 'jürgen@example.com');
	t.is(to.name, draft.friendlyName + 'jürgen@example.com');
	t.is(mail.subject, 'Wartung über Nacht: Jürgen Müller');
	t.is(mail.text, 'Ihre Adresse: jürgen@example.com\nFrom tomorrow on: the new server.\n', 'the From line arrives as written');
});

test('Postfix without SMTPUTF8: the non-ASCII address fails with that reason, the others are delivered', async t => {
	const postfix = await startPostfix({mailboxes: ['ann@example.com'], extraMain: {smtputf8_enable: 'no'}});
	t.teardown(async () => postfix.stop());
	const {result, reports} = await sendThrough(t, postfix, [juergen, ann]);
	t.is(result.sent, 1);
	t.is(result.failed, 1);
	t.regex(reports.find(r => r.address === juergen.address)?.response ?? '', /does not offer SMTPUTF8/);
	await postfix.waitForDelivered(1);
	t.is(postfix.messages('ann@example.com').length, 1);
});
