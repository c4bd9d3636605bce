/**
 * A message sent behind another's final dot (SmtpSession.send's `atDot`): its MAIL FROM, RCPT TO
 * and DATA go in the same write as the dot (RFC 2920), and each outcome stays as precise as when
 * the messages go one after the other: a refused dot, a refused RCPT or DATA behind it, a close or
 * a deadline at the dot (the message behind was never tried), a message too large to pipeline.
 * Against the fault server (raw sockets, every reply by rule) and smtp-server.
 */
import test, {type ExecutionContext} from 'ava';
import {createDelivery, openDeliveryContext} from '../../source/core/delivery/index.js';
import type {AttemptOutcome, SmtpSession} from '../../source/core/delivery/transport.js';
import {openStore} from '../../source/core/store.js';
import type {MessageDraft} from '../../source/core/types.js';
import {startFaultyServer, type FaultySmtpServerOptions} from '../helpers/faulty-smtp-server.js';
import {plainSession} from '../helpers/smtp-session.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const deadlines = {replyMs: 10_000, dataMs: 10_000};

function bodyOf(to: string): Buffer {
	return Buffer.from(`Hello ${to}.\r\n.a line with a leading dot\r\n`);
}

function headOf(to: string): Buffer {
	return Buffer.from(`To: ${to}\r\nSubject: S\r\n\r\n`);
}

/**
 * Sends to each address in turn on one session as the engine does: the next behind the final
 * dot of the one before when it gets there, else once that one has settled. Resolves with the
 * outcomes, in the order they came.
 */
async function sendChained(session: SmtpSession, addresses: string[], body: (to: string) => Buffer = bodyOf): Promise<Array<{to: string; behind: boolean; outcome: AttemptOutcome}>> {
	const came: Array<{to: string; behind: boolean; outcome: AttemptOutcome}> = [];
	return new Promise(resolve => {
		const sendAt = (index: number, behind: boolean) => {
			const to = addresses[index];
			let nextSent = false;
			const next = (asBehind: boolean) => {
				if (!nextSent && index + 1 < addresses.length) {
					nextSent = true;
					sendAt(index + 1, asBehind);
				}
			};

			session.send({from: 'it@example.net', to}, {head: headOf(to), body: body(to)}, outcome => {
				came.push({to, behind, outcome});
				next(false);
				if (came.length === addresses.length) {
					resolve(came);
				}
			}, {atDot: () => {
				next(true);
			}});
		};

		sendAt(0, false);
	});
}

async function faultySession(t: ExecutionContext, options: FaultySmtpServerOptions = {}, sessionDeadlines = deadlines) {
	const server = await startFaultyServer({pipelining: true, ...options});
	t.teardown(async () => server.close());
	const session = await plainSession(server.port, sessionDeadlines);
	t.teardown(() => {
		session.destroy();
	});
	return {server, session};
}

test('ten messages on one session: each behind the dot of the one before, one read a message at the server, every message whole and in order', async t => {
	const {server, session} = await faultySession(t);
	const addresses = Array.from({length: 10}, (_, index) => `u${index}@example.com`);
	const readsBefore = server.reads;
	const came = await sendChained(session, addresses);
	t.deepEqual(came.map(each => each.outcome), addresses.map((_, index) => ({kind: 'accepted', response: `250 2.0.0 Ok: queued as ${index + 1}`})));
	t.deepEqual(came.map(each => each.behind), [false, ...addresses.slice(1).map(() => true)]);
	t.deepEqual(server.messages.map(message => message.to[0]), addresses);
	t.deepEqual(server.messages.map(message => message.raw.toString()), addresses.map(to => `${headOf(to).toString()}Hello ${to}.\r\n.a line with a leading dot\r\n`));
	// One after the other, each message costs two reads (its commands; its data and dot); behind
	// the dot, the first commands and then one read a message.
	t.true(server.reads - readsBefore <= addresses.length + 1, `${server.reads - readsBefore} reads for ${addresses.length} messages`);
	t.true(session.open);
});

test('a message refused at its final dot, with the next one behind it: the refusal is that message\'s, the next is accepted, and no RSET lands in its data', async t => {
	const server = await startTestSmtpServer({rawReply: (address, stage) => (stage === 'data' && address.startsWith('first') ? '554 5.7.1 Refused at its dot' : undefined)});
	t.teardown(async () => server.close());
	const session = await plainSession(server.port, deadlines);
	t.teardown(() => {
		session.destroy();
	});
	const came = await sendChained(session, ['first@example.com', 'second@example.com', 'third@example.com']);
	t.deepEqual(came.map(each => [each.to, each.outcome.kind, each.behind]), [
		['first@example.com', 'permanent', false],
		['second@example.com', 'accepted', true],
		['third@example.com', 'accepted', true],
	]);
	t.regex(came[0].outcome.response, /^554 5\.7\.1 Refused at its dot/);
	const second = server.messages.find(message => message.envelope.to[0] === 'second@example.com');
	t.is(second?.raw.toString(), `${headOf('second@example.com').toString()}Hello second@example.com.\r\n.a line with a leading dot\r\n`);
	t.false(server.messages.some(message => message.raw.includes('RSET')));
	t.true(session.open);
});

test('a refused RCPT TO behind a dot: that recipient fails with the server\'s words; the one before and the one after are accepted', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const session = await plainSession(server.port, deadlines);
	t.teardown(() => {
		session.destroy();
	});
	const came = await sendChained(session, ['ann@example.com', 'refuse+bob@example.com', 'cy@example.com']);
	t.deepEqual(came.map(each => [each.to, each.outcome.kind]), [['ann@example.com', 'accepted'], ['refuse+bob@example.com', 'permanent'], ['cy@example.com', 'accepted']]);
	t.regex(came[1].outcome.response, /550 5\.1\.1 No such user here/);
	t.true(came[1].behind);
	t.deepEqual(server.messages.map(message => message.envelope.to[0]), ['ann@example.com', 'cy@example.com']);
});

test('a refused DATA behind a dot: temporary, with the server\'s words; the session goes on', async t => {
	const {server, session} = await faultySession(t);
	const came = await sendChained(session, ['ann@example.com', 'refuse-data+bob@example.com', 'cy@example.com']);
	t.deepEqual(came.map(each => [each.to, each.outcome.kind]), [['ann@example.com', 'accepted'], ['refuse-data+bob@example.com', 'temporary'], ['cy@example.com', 'accepted']]);
	t.is(came[1].outcome.response, '451 4.3.0 Error: queue file write error');
	t.deepEqual(server.messages.map(message => message.to[0]), ['ann@example.com', 'cy@example.com']);
	t.true(session.open);
});

for (const [rule, kind] of [['close-after-dot', 'ambiguous'], ['shutdown-at-dot', 'limited']] as const) {
	test(`the server ends the session at a dot (${rule}): that message is ${kind}; the one behind it was never tried ("unsent", retried elsewhere without using an attempt)`, async t => {
		const {server, session} = await faultySession(t);
		const came = await sendChained(session, [`${rule}+ann@example.com`, 'bob@example.com']);
		t.deepEqual(came.map(each => [each.to, each.outcome.kind, each.behind]), [[`${rule}+ann@example.com`, kind, false], ['bob@example.com', 'unsent', true]]);
		t.regex(came[1].outcome.response, /^not sent: the connection went before its turn \(/);
		t.false([...server.messages, ...server.unanswered].some(message => message.to.includes('bob@example.com')), 'the server never read a message to bob');
		t.false(session.open);
	});
}

test('no reply to a dot within its deadline: that message is ambiguous, the one behind it unsent, the session closed', async t => {
	const {server, session} = await faultySession(t, {slowDataMs: 5000}, {replyMs: 2000, dataMs: 500});
	const came = await sendChained(session, ['slow-data+ann@example.com', 'bob@example.com']);
	t.deepEqual(came.map(each => each.outcome.kind), ['ambiguous', 'unsent']);
	t.regex(came[0].outcome.response, /no complete reply to the final dot within 0\.5 s/);
	t.is(server.acceptedCount('bob@example.com'), 0);
	t.false(session.open);
});

test('a message too large to write in one piece, sent at a dot, waits for that message to settle, then goes through nodemailer (nothing behind it): all whole, in order', async t => {
	const {server, session} = await faultySession(t);
	const large = Buffer.from('A line of a large message, long enough to be one of many.\r\n'.repeat(40_000));
	const came = await sendChained(session, ['ann@example.com', 'bob@example.com', 'cy@example.com'], to => (to.startsWith('bob') ? large : bodyOf(to)));
	t.deepEqual(came.map(each => [each.to, each.outcome.kind, each.behind]), [
		['ann@example.com', 'accepted', false],
		['bob@example.com', 'accepted', true],
		['cy@example.com', 'accepted', false],
	]);
	t.deepEqual(server.messages.map(message => message.to[0]), ['ann@example.com', 'bob@example.com', 'cy@example.com']);
	t.true(server.messages[1].raw.equals(Buffer.concat([headOf('bob@example.com'), large])));
});

test('a session that offers no PIPELINING sends nothing behind a dot', async t => {
	const {server, session} = await faultySession(t, {pipelining: false});
	const came = await sendChained(session, ['ann@example.com', 'bob@example.com']);
	t.deepEqual(came.map(each => [each.outcome.kind, each.behind]), [['accepted', false], ['accepted', false]]);
	t.is(server.messages.length, 2);
});

const draft: MessageDraft = {kind: 'email', from: {name: 'IT', address: 'it@example.net'}, friendlyName: '', subject: 'Maintenance', body: 'Tonight.', html: false};

test('the engine sends each message behind the last one\'s dot when nothing paces it: one read a message at the server, each recipient once', async t => {
	const server = await startFaultyServer({pipelining: true});
	const {env} = tempConfigDir(t);
	const smtpEnv = {...env, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const ctx = openDeliveryContext(openStore({env: smtpEnv}), smtpEnv);
	t.teardown(async () => {
		await ctx.close();
		await server.close();
	});
	const recipients = Array.from({length: 40}, (_, index) => ({address: `p${index}@example.com`, name: ''}));
	const delivery = await createDelivery(ctx, {draft, audience: 'all', recipients}, {concurrency: 1, rate: 0});
	const result = await delivery.start();
	t.like(result, {sent: 40, failed: 0, status: 'finished'});
	t.deepEqual(recipients.map(each => server.acceptedCount(each.address)), recipients.map(() => 1));
	// The opening (greeting, EHLO), the first commands, then one read a message and the QUIT; one
	// after the other it was two reads a message (81 and more).
	t.true(server.reads <= 40 + 4, `${server.reads} reads for 40 messages`);
});
