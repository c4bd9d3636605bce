import net from 'node:net';
import test from 'ava';
import {openSession, verifySession, type AttemptOutcome, type SmtpSession} from '../../source/core/delivery/transport.js';
import {startFaultyServer} from '../helpers/faulty-smtp-server.js';
import {startRecordingSmtpServer} from '../helpers/recording-smtp-server.js';
import {plainSession} from '../helpers/smtp-session.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {ownNonLoopbackAddress} from '../helpers/network.js';

// transport.ts reads nodemailer's private `_socket` (corking, and the address connected to, on
// which sending a password in clear depends). This pins it: an upgrade that renames it fails here.
test('nodemailer\'s SMTPConnection keeps its socket in _socket, with the peer\'s address', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const target = {host: '127.0.0.1', port: server.port, tls: 'none' as const, user: '', allowUnverifiedTls: false, description: '', captured: false};
	const session = await new Promise<SmtpSession>((resolve, reject) => {
		openSession(target, {replyMs: 5000, dataMs: 5000}, (failure, opened) => {
			if (failure || !opened) {
				reject(failure?.error);
			} else {
				resolve(opened);
			}
		});
	});
	const socket = (session as unknown as {connection: {_socket?: unknown}}).connection._socket;
	t.true(socket instanceof net.Socket);
	t.is((socket as net.Socket).remoteAddress, '127.0.0.1');
	session.destroy();
});

// A name that looks local (once `*.localhost`, `localhost` in a changed hosts file) may resolve
// to another machine: the password may go unencrypted only to the address actually connected to.
test('a password is never sent in clear to a server whose address is not loopback, whatever its name', async t => {
	const address = ownNonLoopbackAddress();
	if (address === undefined) {
		t.fail('this machine has no non-loopback IPv4 address to run the server on');
		return;
	}

	const server = await startTestSmtpServer({host: address, auth: {user: 'bob', pass: 'Hunter2secret'}});
	t.teardown(async () => server.close());
	let asked = 0;
	const target = {
		host: address, port: server.port, tls: 'opportunistic' as const, user: 'bob', allowUnverifiedTls: false, description: `${address}:${server.port}`, captured: false,
		password: async () => {
			asked++;
			return 'Hunter2secret';
		},
	};
	const error = await t.throwsAsync(verifySession(target, {replyMs: 5000, dataMs: 5000}));
	t.regex(error?.message ?? '', /offered no TLS: the password is not sent over an unencrypted connection/);
	t.notRegex(error?.message ?? '', /Hunter2/);
	t.is(server.authAttempts, 0, 'no AUTH reached the server');
	t.is(asked, 0, 'the password was not even asked for');

	// The same server on the loopback interface gets the login: the rule is the address.
	const local = await startTestSmtpServer({auth: {user: 'bob', pass: 'Hunter2secret'}});
	t.teardown(async () => local.close());
	const session = await verifySession({...target, host: '127.0.0.1', port: local.port}, {replyMs: 5000, dataMs: 5000});
	session.destroy();
	t.is(local.logins, 1);
});

// transport.ts reads nodemailer's private `_supportedExtensions` to know whether the server
// offered SMTPUTF8 (nodemailer would otherwise send a non-ASCII address without it). This pins it.
test('nodemailer\'s SMTPConnection lists the EHLO extensions in _supportedExtensions, SMTPUTF8 among them when offered', async t => {
	for (const smtputf8 of [true, false]) {
		const server = await startRecordingSmtpServer({smtputf8});
		t.teardown(async () => server.close());
		const target = {host: '127.0.0.1', port: server.port, tls: 'none' as const, user: '', allowUnverifiedTls: false, description: '', captured: false};
		const session = await verifySession(target, {replyMs: 5000, dataMs: 5000});
		const extensions = (session as unknown as {connection: {_supportedExtensions?: unknown}}).connection._supportedExtensions;
		t.true(Array.isArray(extensions));
		t.is((extensions as string[]).includes('SMTPUTF8'), smtputf8);
		session.destroy();
	}
});

const quickDeadlines = {replyMs: 5000, dataMs: 1500};

async function sessionWith(server: {port: number}, deadlines = quickDeadlines): Promise<SmtpSession> {
	return plainSession(server.port, deadlines);
}

async function attempt(session: SmtpSession, to: string, body: Buffer, holdEnd?: (end: () => void) => void): Promise<AttemptOutcome> {
	return new Promise(resolve => {
		session.send({from: 'it@example.net', to}, {head: Buffer.from(`To: ${to}\r\nSubject: S\r\n\r\n`), body}, resolve, {holdEnd});
	});
}

// Some 16 MB: more than the kernel's socket buffers on both ends hold, so that a server that does
// not read keeps the end of it, and its final dot, in this process.
const large = Buffer.from('A line of a large message, long enough to be one of many.\r\n'.repeat(280_000));

// transport.ts reads nodemailer's private `_responseQueue` (a reply that came in the same chunk
// as the 354, before the message was written): an upgrade that renames it fails here.
test('a 250 that came with the 354, before the message: not sent, not ambiguous, the connection dropped', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const session = await sessionWith(server);
	const outcome = await attempt(session, 'premature-ok+ann@example.com', Buffer.from('Hello.\r\n'));
	t.is(outcome.kind, 'connection');
	t.regex(outcome.response, /^the server replied before the final dot of the message was sent, which is a protocol error: 250 2\.0\.0 Ok: premature$/);
	t.false(session.open);
	t.is(server.prematureReplies, 1);
	t.is(server.messages.length, 0);
});

test('a 250 that came while the final dot was held back: not sent, and the dot is never sent', async t => {
	const server = await startFaultyServer({prematureOkDelayMs: 100});
	t.teardown(async () => server.close());
	const session = await sessionWith(server, {replyMs: 5000, dataMs: 30_000});
	let held: (() => void) | undefined;
	const outcome = await attempt(session, 'premature-ok+ann@example.com', Buffer.from('Hello.\r\n'), end => {
		held = end;
	});
	t.is(outcome.kind, 'connection');
	t.regex(outcome.response, /replied before the final dot .*: 250 2\.0\.0 Ok: premature$/);
	t.false(session.open);
	held?.();
	await new Promise(resolve => {
		setTimeout(resolve, 200);
	});
	t.is(server.messagesRead, 0, 'the server never got the final dot');
	t.is(server.messages.length, 0);
});

test('a server that stops reading after 354: the data deadline ends the attempt as a connection failure, not ambiguous', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const session = await sessionWith(server);
	const outcome = await attempt(session, 'stop-reading+ann@example.com', large);
	t.is(outcome.kind, 'connection');
	t.regex(outcome.response, /^the message could not be sent within 1\.5 s/);
	t.is(server.stoppedReading, 1);
	t.false(session.open);
});

test('the connection lost after the final dot left: ambiguous', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const session = await sessionWith(server);
	const outcome = await attempt(session, 'close-after-dot+ann@example.com', Buffer.from('Hello.\r\n'));
	t.is(outcome.kind, 'ambiguous');
	t.regex(outcome.response, /^connection lost after the message was sent, the server may have it \(ambiguous\)/);
	t.is(server.unanswered.length, 1);
});

test('a large message and one whose final dot was held back are accepted at the final dot, on one session', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const session = await sessionWith(server, {replyMs: 5000, dataMs: 30_000});
	t.like(await attempt(session, 'ann@example.com', large), {kind: 'accepted'});
	const held = await attempt(session, 'bob@example.com', Buffer.from('Hello.\r\n'), end => {
		setTimeout(end, 100);
	});
	t.like(held, {kind: 'accepted'});
	t.true(session.open);
	t.is(server.acceptedCount('ann@example.com'), 1);
	t.is(server.acceptedCount('bob@example.com'), 1);
	t.is(server.messages[0].raw.length, large.length + 'To: ann@example.com\r\nSubject: S\r\n\r\n'.length);
	session.destroy();
});

// A 421 to the final dot is the server's answer: it did not take the message. Closing the session
// after it must not turn it into "the connection was closed, the server may have it".
test('a 421 to the final dot is the server\'s refusal, with its words: limited, not ambiguous', async t => {
	const server = await startFaultyServer();
	t.teardown(async () => server.close());
	const session = await sessionWith(server);
	const outcome = await attempt(session, 'shutdown-at-dot+ann@example.com', Buffer.from('Hello.\r\n'));
	t.deepEqual(outcome, {kind: 'limited', response: '421 4.3.2 Service shutting down'});
	t.false(session.open);
	t.is(server.messagesRead, 1);
	t.is(server.messages.length, 0);
});
