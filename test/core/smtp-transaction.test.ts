import test from 'ava';
import type {AttemptOutcome, SmtpSession} from '../../source/core/delivery/transport.js';
import {startFaultyServer} from '../helpers/faulty-smtp-server.js';
import {startRecordingSmtpServer} from '../helpers/recording-smtp-server.js';
import {plainSession} from '../helpers/smtp-session.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {waitUntil} from '../helpers/wait.js';

// smtp-transaction.ts writes a transaction itself when the server offers PIPELINING, and leaves it
// to nodemailer's send otherwise. Every case here runs both ways on the same fault server, with
// the same expectations: the outcome of each way a transaction can end is the same either way.

async function sessionWith(port: number, deadlines = {replyMs: 10_000, dataMs: 10_000}): Promise<SmtpSession> {
	return plainSession(port, deadlines);
}

/** How many messages went through nodemailer's own send (the others were written by smtp-transaction.ts). */
function countNodemailerSends(session: SmtpSession): {count: number} {
	const counter = {count: 0};
	const connection = session.connection as unknown as {send: (...arguments_: unknown[]) => unknown};
	const send = connection.send.bind(connection);
	connection.send = (...arguments_: unknown[]) => {
		counter.count++;
		return send(...arguments_);
	};

	return counter;
}

async function attempt(session: SmtpSession, to: string, body = Buffer.from('Hello.\r\n.leading dot\r\n')): Promise<AttemptOutcome> {
	return new Promise(resolve => {
		session.send({from: 'it@example.net', to, dsn: {ret: 'HDRS', envid: 'send1.7', notify: ['FAILURE', 'DELAY'], orcpt: `rfc822;${to}`}}, {head: Buffer.from(`To: ${to}\r\nSubject: S\r\n\r\n`), body}, resolve);
	});
}

const large = Buffer.from('A line of a large message, long enough to be one of many.\r\n'.repeat(280_000));

for (const pipelining of [true, false]) {
	const way = pipelining ? 'written by smtp-transaction.ts (PIPELINING)' : 'through nodemailer\'s send (no PIPELINING)';

	test(`${way}: refused MAIL, refused RCPT, refused DATA and accepted messages on one session, each with the server's words`, async t => {
		const server = await startFaultyServer({pipelining, rateLimit: {messages: 2}, rateWindowMs: 60_000});
		t.teardown(async () => server.close());
		const session = await sessionWith(server.port);
		const sends = countNodemailerSends(session);
		t.deepEqual(await attempt(session, 'ann@example.com'), {kind: 'accepted', response: '250 2.0.0 Ok: queued as 1'});
		t.deepEqual(await attempt(session, 'refuse-data+bob@example.com'), {kind: 'temporary', response: '451 4.3.0 Error: queue file write error'});
		t.deepEqual(await attempt(session, 'cy@example.com'), {kind: 'accepted', response: '250 2.0.0 Ok: queued as 2'});
		t.deepEqual(await attempt(session, 'dee@example.com'), {kind: 'limited', response: '450 4.7.1 Error: too much mail from 127.0.0.1'});
		t.true(session.open, 'the session goes on after each refusal (RSET)');
		t.is(sends.count, pipelining ? 0 : 4);
		t.deepEqual(server.messages.map(message => message.to), [['ann@example.com'], ['cy@example.com']]);
		t.is(server.messages[0].raw.toString(), 'To: ann@example.com\r\nSubject: S\r\n\r\nHello.\r\n.leading dot\r\n', 'the dot-stuffing is undone to the bytes as written');
		const mails = server.commands.filter(command => command.startsWith('MAIL'));
		t.is(mails[0], 'MAIL FROM:<it@example.net>', 'no DSN parameters: the server does not offer DSN');
		session.destroy();
	});

	test(`${way}: a refused RCPT, then a server that hangs up on the RSET: permanent, with its words`, async t => {
		const server = await startFaultyServer({pipelining});
		t.teardown(async () => server.close());
		const session = await sessionWith(server.port);
		t.deepEqual(await attempt(session, 'refuse-close+ann@example.com'), {kind: 'permanent', response: '550 5.1.1 no such user'});
		t.deepEqual(server.commands.filter(command => /^(MAIL|RCPT|DATA)/.test(command)).map(command => command.split(':')[0]), pipelining ? ['MAIL FROM', 'RCPT TO', 'DATA'] : ['MAIL FROM', 'RCPT TO']);
	});

	test(`${way}: a 421 to the final dot is limited; a close after the dot ambiguous; a reply before the dot a protocol error`, async t => {
		const server = await startFaultyServer({pipelining});
		t.teardown(async () => server.close());
		t.deepEqual(await attempt(await sessionWith(server.port), 'shutdown-at-dot+ann@example.com'), {kind: 'limited', response: '421 4.3.2 Service shutting down'});
		const ambiguous = await attempt(await sessionWith(server.port), 'close-after-dot+bob@example.com');
		t.is(ambiguous.kind, 'ambiguous');
		t.regex(ambiguous.response, /^connection lost after the message was sent, the server may have it \(ambiguous\)/);
		const premature = await sessionWith(server.port);
		t.deepEqual(await attempt(premature, 'premature-ok+cy@example.com'), {kind: 'connection', response: 'the server replied before the final dot of the message was sent, which is a protocol error: 250 2.0.0 Ok: premature'});
		t.false(premature.open);
		t.is(server.messages.length, 0);
		t.is(server.unanswered.length, 1);
	});

	test(`${way}: a server that stops reading after 354: the data deadline, a connection failure; killed under it: the server's last words`, async t => {
		const server = await startFaultyServer({pipelining});
		t.teardown(async () => server.close());
		const stalled = await attempt(await sessionWith(server.port, {replyMs: 5000, dataMs: 1500}), 'stop-reading+ann@example.com', large);
		t.is(stalled.kind, 'connection');
		t.regex(stalled.response, /^the message could not be sent within 1\.5 s/);
		const session = await sessionWith(server.port, {replyMs: 5000, dataMs: 60_000});
		const outcome = attempt(session, 'stop-reading+bob@example.com', large);
		await waitUntil(() => server.stoppedReading === 2, 'the server to stop reading');
		await server.kill();
		t.deepEqual(await outcome, {kind: 'connection', response: 'the server closed the connection: 354 End data with <CR><LF>.<CR><LF>'});
	});
}

test('smtp-server (PIPELINING): accepted with its words, a refused RCPT, a RCPT never answered within the reply deadline; all written by smtp-transaction.ts', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const session = await sessionWith(server.port, {replyMs: 3000, dataMs: 3000});
	const sends = countNodemailerSends(session);
	t.like(await attempt(session, 'ann@example.com'), {kind: 'accepted'});
	t.like(await attempt(session, 'refuse+bob@example.com'), {kind: 'permanent'});
	t.like(await attempt(session, 'cy@example.com'), {kind: 'accepted'});
	t.deepEqual(await attempt(session, 'stall+dee@example.com'), {kind: 'connection', response: 'no complete reply to MAIL FROM, RCPT TO or DATA within 3 s'});
	t.false(session.open);
	t.is(sends.count, 0);
	t.deepEqual(server.messages.map(message => message.envelope.to), [['ann@example.com'], ['cy@example.com']]);
});

for (const pipelining of [true, false]) {
	test(`the commands ${pipelining ? 'written with PIPELINING' : 'of nodemailer\'s send'}, DSN parameters and SMTPUTF8 included (smtp-server offers both): the same either way`, async t => {
		const server = await startRecordingSmtpServer({smtputf8: true, dsn: true, pipelining});
		t.teardown(async () => server.close());
		const session = await sessionWith(server.port);
		const sends = countNodemailerSends(session);
		t.like(await attempt(session, 'ann+x=y@example.com'), {kind: 'accepted'});
		t.like(await attempt(session, 'jürgen@bücher.example'), {kind: 'accepted'});
		t.is(sends.count, pipelining ? 0 : 2);
		t.deepEqual(server.messages.map(message => message.commands), [
			['MAIL FROM:<it@example.net> RET=HDRS ENVID=send1.7', 'RCPT TO:<ann+x=y@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;ann+2Bx+3Dy@example.com'],
			['MAIL FROM:<it@example.net> SMTPUTF8 RET=HDRS ENVID=send1.7', 'RCPT TO:<jürgen@bücher.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;j+C3+BCrgen@b+C3+BCcher.example'],
		]);
		session.destroy();
	});
}
