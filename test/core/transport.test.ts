import net from 'node:net';
import test from 'ava';
import {openSession, type SmtpSession} from '../../source/core/delivery/transport.js';
import {startFaultyServer} from '../helpers/faulty-smtp-server.js';

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
