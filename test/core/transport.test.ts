import net from 'node:net';
import test from 'ava';
import {openSession, verifySession, type SmtpSession} from '../../source/core/delivery/transport.js';
import {startFaultyServer} from '../helpers/faulty-smtp-server.js';
import {startRecordingSmtpServer} from '../helpers/recording-smtp-server.js';
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
