/**
 * The engine against servers that misbehave the way real ones do: a reply that never ends, a
 * close instead of an answer, silence, "too many connections", "too much mail", a server that
 * dies mid-send, a disk that fills up. Each must end, with the record complete and the send
 * resumable. (The rule-driven server is test/helpers/faulty-smtp-server.ts.)
 */
import fs from 'node:fs';
import test, {type ExecutionContext} from 'ava';
import {createDelivery, openDeliveryContext, reopenDelivery, type DeliveryContext, type DeliveryOverrides} from '../../source/core/delivery/index.js';
import {MassmailError} from '../../source/core/errors.js';
import {openStore} from '../../source/core/store.js';
import type {DeliveryEvent, MessageDraft, Recipient} from '../../source/core/types.js';
import {startFaultyServer, type FaultySmtpServer, type FaultySmtpServerOptions} from '../helpers/faulty-smtp-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const draft: MessageDraft = {kind: 'email', from: {name: 'IT', address: 'it@example.net'}, friendlyName: '', subject: 'Maintenance', body: 'Tonight.', html: false};
const quick: DeliveryOverrides = {concurrency: 2, maxAttempts: 2, retryDelayMs: 10, replyTimeoutMs: 1500, dataTimeoutMs: 1500, reconnectDelayMs: 20};

function people(...locals: string[]): Recipient[] {
	return locals.map(local => ({address: `${local}@example.com`, name: ''}));
}

function many(prefix: string, count: number): Recipient[] {
	return people(...Array.from({length: count}, (_, i) => `${prefix}${i}`));
}

async function setup(t: ExecutionContext, options: FaultySmtpServerOptions = {}, profile: {demo?: boolean} = {}): Promise<{ctx: DeliveryContext; server: FaultySmtpServer; dir: string}> {
	const server = await startFaultyServer(options);
	const {dir, env} = tempConfigDir(t);
	const smtpEnv = {...env, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const ctx = openDeliveryContext(openStore({env: smtpEnv, demo: profile.demo}), smtpEnv);
	t.teardown(async () => {
		await ctx.close();
		await server.close();
	});
	return {ctx, server, dir};
}

function collect(delivery: {subscribe(listener: (event: DeliveryEvent) => void): () => void}): DeliveryEvent[] {
	const events: DeliveryEvent[] = [];
	delivery.subscribe(event => events.push(event));
	return events;
}

test('a reply to the final dot that never ends (endless 250- lines) ends within the deadline: ambiguous, retried, then failed', async t => {
	const {ctx, server} = await setup(t, {endlessIntervalMs: 100});
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients: people('endless+ann', 'bob')}, quick);
	const result = await delivery.start();
	t.like(result, {sent: 1, failed: 1, status: 'finished'});
	const [ann, bob] = ctx.sends.recipients(delivery.id);
	t.like(ann, {status: 'failed', attempts: 2, ambiguous: true});
	t.regex(ann.response ?? '', /no complete reply to the final dot within 1\.5 s/);
	t.is(bob.status, 'sent');
	t.is(server.acceptedCount('bob@example.com'), 1);
});

test('a server that answers a refusal and then closes on RSET: the refusal is recorded and the send goes on', async t => {
	const {ctx, server} = await setup(t);
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients: people('refuse-close+x', 'ann', 'bob', 'cy')}, {...quick, concurrency: 1});
	t.like(await delivery.start(), {sent: 3, failed: 1, status: 'finished'});
	const [refused] = ctx.sends.recipients(delivery.id);
	t.like(refused, {status: 'failed', attempts: 1, response: '550 5.1.1 no such user'});
	for (const local of ['ann', 'bob', 'cy']) {
		t.is(server.acceptedCount(`${local}@example.com`), 1);
	}
});

test('a silent server: the send is refused within the reply deadline, nothing written', async t => {
	for (const silent of ['greeting', 'after-greeting'] as const) {
		const {ctx} = await setup(t, {silent});
		const error = await t.throwsAsync(createDelivery(ctx, {draft, audience: 'all', recipients: people('ann')}, {...quick, replyTimeoutMs: 400}), {instanceOf: MassmailError});
		t.is(error?.kind, 'connection');
		t.regex(error?.message ?? '', /no complete greeting, EHLO, TLS or login within 0\.4 s/);
		t.deepEqual(ctx.sends.list(), []);
	}
});

test('421 "too many connections" beyond 2: the send goes on with 2, says so, and everyone gets one message', async t => {
	const {ctx, server} = await setup(t, {acceptConnections: 2});
	const recipients = many('c', 30);
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients}, {...quick, concurrency: 5});
	const events = collect(delivery);
	const result = await delivery.start();
	t.like(result, {total: 30, sent: 30, failed: 0, status: 'finished'});
	t.is(result.stopped, undefined);
	t.true(server.connectionsRefused >= 1);
	for (const recipient of recipients) {
		t.is(server.acceptedCount(recipient.address), 1, recipient.address);
	}

	const limiting = events.filter(event => event.type === 'limiting');
	t.true(limiting.length > 0);
	t.regex(limiting.at(-1)?.type === 'limiting' ? limiting.at(-1)!.text : '', /^server is limiting: [12] connections?/);
	t.true(ctx.sends.recipients(delivery.id).every(r => r.attempts === 1));
});

test('"450 4.7.1 too much mail" and "421 too many errors": the send slows down, waits, and finishes without using up attempts', async t => {
	const {ctx, server} = await setup(t, {rateLimit: {messages: 8}, rateWindowMs: 1500, errorLimit: 3});
	const recipients = many('r', 20);
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients}, {...quick, maxAttempts: 1});
	const events = collect(delivery);
	const result = await delivery.start();
	t.like(result, {total: 20, sent: 20, failed: 0, status: 'finished'});
	for (const recipient of recipients) {
		t.is(server.acceptedCount(recipient.address), 1, recipient.address);
	}

	t.true(server.rcpts.length >= 20);
	t.true(server.commands.some(command => command.startsWith('MAIL FROM')));
	t.true(ctx.sends.recipients(delivery.id).every(r => r.attempts === 1));
	const texts = events.flatMap(event => event.type === 'limiting' ? [event.text] : []);
	t.true(texts.some(text => /^server is limiting: 2 connections/.test(text)), texts.join(' | '));
	t.true(delivery.progress().limiting !== undefined);
});

test('the server dies mid-send: the run stops (resumable) with what was accepted journaled; resume finishes once it is back', async t => {
	const {ctx, server} = await setup(t);
	const recipients = many('k', 40);
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients}, {...quick, rate: 50, maxAttempts: 5});
	let killed: Promise<void> | undefined;
	delivery.subscribe(event => {
		if (event.type === 'outcome' && event.status === 'sent' && server.messages.length >= 5) {
			killed ??= server.kill();
		}
	});
	const result = await delivery.start();
	await killed;
	t.is(result.status, 'interrupted');
	t.is(result.stopped?.kind, 'connection');
	t.regex(result.stopped?.message ?? '', /lost the SMTP server 127\.0\.0\.1:\d+: .*5 connections failed in a row/);
	t.true(result.runSent >= 5);
	const journaledSent = ctx.sends.recipients(delivery.id).filter(r => r.status === 'sent').map(r => r.address);
	t.is(journaledSent.length, result.sent);

	await server.restart();
	const resumed = await reopenDelivery(ctx, delivery.id, {only: 'unfinished'}, quick);
	t.like(await resumed.start(), {total: 40, sent: 40, failed: 0, status: 'finished'});
	for (const address of journaledSent) {
		t.is(server.acceptedCount(address), 1, `${address} was journaled as sent and must not get it again`);
	}

	for (const recipient of recipients) {
		t.true(server.acceptedCount(recipient.address) >= 1, recipient.address);
	}
});

for (const demo of [false, true]) {
test(`a full disk (ENOSPC) when the journal is written: the run stops as "store", resumable, and says so${demo ? ' (the demo profile: its command)' : ''}`, async t => {
	const {ctx, server} = await setup(t, {}, {demo});
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients: many('d', 10)}, quick);
	// The outcome log becomes /dev/full: every write to it fails with ENOSPC, as on a full disk.
	const log = `${ctx.store.paths.sendsDir}/${delivery.id}/outcomes.log`;
	fs.rmSync(log, {force: true});
	fs.symlinkSync('/dev/full', log);
	const result = await delivery.start();
	t.is(result.status, 'interrupted');
	t.is(result.stopped?.kind, 'store');
	t.regex(result.stopped?.message ?? '', /cannot write the journal of send .*ENOSPC/);
	t.is(result.stopped?.hint, `free some disk space, then: ${demo ? 'massmail --demo' : 'massmail'} resume ${delivery.id}`);
	t.true(server.messages.length >= 1);
	t.true(result.runSent >= 1);
});
}

test('abort (a second Ctrl+C) ends at once: the message in flight stays pending, the lock is released', async t => {
	const {ctx} = await setup(t, {endlessIntervalMs: 100});
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients: people('endless+ann', 'endless+bob')}, {...quick, dataTimeoutMs: 60_000});
	const done = delivery.start();
	await new Promise(resolve => {
		setTimeout(resolve, 300);
	});
	delivery.interrupt();
	delivery.abort();
	const result = await done;
	t.like(result, {status: 'interrupted', sent: 0, failed: 0});
	t.true(ctx.sends.recipients(delivery.id).every(r => r.status === 'pending'));
	// Released: no process holds it, and another run may take the send (and releases it in turn).
	t.is(ctx.sends.lockHolder(delivery.id), undefined);
	const again = await reopenDelivery(ctx, delivery.id, {only: 'unfinished'}, quick);
	t.is(ctx.sends.lockHolder(delivery.id)?.pid, process.pid);
	again.cancel();
	t.is(ctx.sends.lockHolder(delivery.id), undefined);
});

// The session whose deadline passed is closed before the engine hears of it: the next recipient
// is not started on it (and cut off, an attempt lost) but on a new connection.
test('a deadline that passes ends that session before the next message: the next recipient is sent at its first attempt', async t => {
	const {ctx, server} = await setup(t, {endlessIntervalMs: 100});
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients: people('endless+ann', 'bob', 'cy')}, {...quick, concurrency: 1, maxAttempts: 1});
	t.like(await delivery.start(), {sent: 2, failed: 1, status: 'finished'});
	const [ann, bob, cy] = ctx.sends.recipients(delivery.id);
	t.like(ann, {status: 'failed', attempts: 1, ambiguous: true});
	t.like(bob, {status: 'sent', attempts: 1, ambiguous: false});
	t.like(cy, {status: 'sent', attempts: 1, ambiguous: false});
	t.is(server.acceptedCount('bob@example.com'), 1);
});
