/**
 * What every directory source shares (source/core/sources/plumbing.ts): the read's deadline and
 * cancel against a real TCP server that accepts and never answers, the CA file, and TLS failures
 * told apart on real connections (a self-signed certificate, a port that speaks no TLS).
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {readCaFile, tlsProblem, withDeadline} from '../../source/core/sources/plumbing.js';
import {tempFolder} from '../helpers/temp-dir.js';

/** A server that accepts and never answers; `closed` settles when the client's connection is gone. */
async function silentServer(t: Pick<import('ava').ExecutionContext, 'teardown'>): Promise<{port: number; closed: Promise<void>}> {
	let closedBy: () => void = () => undefined;
	const closed = new Promise<void>(resolve => {
		closedBy = resolve;
	});
	const server = net.createServer(socket => {
		socket.on('error', () => undefined);
		socket.on('close', closedBy);
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => {
		server.close();
	});
	return {port: (server.address() as net.AddressInfo).port, closed};
}

/** Connects and waits for a first byte that never comes; the socket is destroyed when the read is stopped. */
async function waitForGreeting(port: number, stop: AbortSignal): Promise<string> {
	const socket = net.connect(port, '127.0.0.1');
	stop.addEventListener('abort', () => socket.destroy(), {once: true});
	return new Promise<string>((resolve, reject) => {
		socket.once('data', chunk => resolve(chunk.toString()));
		socket.once('error', reject);
		socket.once('close', () => reject(new Error('closed')));
	});
}

async function failure(promise: Promise<unknown>): Promise<MassmailError> {
	const error = await promise.then(() => undefined, (error: unknown) => error);
	if (!(error instanceof MassmailError)) {
		throw new Error(`expected a MassmailError, got ${error === undefined ? 'success' : String(error)}`);
	}

	return error;
}

test('a read that outlasts its deadline ends at it as \'connection\', saying what it was doing, and its connection is closed', async t => {
	const server = await silentServer(t);
	let stopSignal: AbortSignal | undefined;
	const startedAt = Date.now();
	const error = await failure(withDeadline('the test server', 300, undefined, async stop => {
		stopSignal = stop;
		return waitForGreeting(server.port, stop);
	}, {during: () => 'still waiting for a greeting', hint: 'give it more time'}));
	t.is(error.kind, 'connection');
	t.is(error.message, 'the test server did not finish within 0.3 s (still waiting for a greeting)');
	t.is(error.hint, 'give it more time');
	t.true(Date.now() - startedAt < 2000);
	t.true(stopSignal?.aborted);
	// The server sees the connection go: the read's own end closed it.
	await server.closed;
	t.pass();
});

test('a cancel ends the read at once as \'interrupted\', in the one wording, and closes its connection', async t => {
	const server = await silentServer(t);
	const controller = new AbortController();
	setTimeout(() => controller.abort(), 100);
	const startedAt = Date.now();
	const error = await failure(withDeadline('the test server', 20_000, controller.signal, async stop => waitForGreeting(server.port, stop)));
	t.is(error.kind, 'interrupted');
	t.is(error.message, 'reading the directory from the test server was cancelled');
	t.true(Date.now() - startedAt < 2000);
	await server.closed;
	t.pass();
});

test('a read cancelled before it starts does not start', async t => {
	const controller = new AbortController();
	controller.abort();
	let started = false;
	const error = await failure(withDeadline('the test server', 20_000, controller.signal, async () => {
		started = true;
		return [];
	}));
	t.is(error.kind, 'interrupted');
	t.is(error.message, 'reading the directory from the test server was cancelled');
	t.false(started);
});

test('a read that finished is never stopped afterwards, and its own failure is its own', async t => {
	const controller = new AbortController();
	let stopSignal: AbortSignal | undefined;
	t.is(await withDeadline('the test server', 100, controller.signal, async stop => {
		stopSignal = stop;
		return 'read';
	}), 'read');
	await new Promise(resolve => setTimeout(resolve, 200));
	controller.abort();
	t.false(stopSignal?.aborted);

	const refused = new MassmailError('auth', 'the test server refused the login');
	t.is(await failure(withDeadline('the test server', 20_000, undefined, async () => {
		throw refused;
	})), refused);
});

test('a CA file that cannot be read is a validation error naming the setting and the file', t => {
	const folder = tempFolder(t, 'massmail-ca-');
	const missing = path.join(folder, 'missing.pem');
	const error = t.throws(() => readCaFile(missing, 'directory.ldap.caFile'), {instanceOf: MassmailError});
	t.is(error?.kind, 'validation');
	t.is(error?.message, `directory.ldap.caFile cannot be read: ENOENT: no such file or directory (${missing})`);
	t.regex(error?.hint ?? '', /^set directory\.ldap\.caFile to the PEM file of the CA/);

	// Node's own message does not name a folder given for a file: ours does.
	t.is(t.throws(() => readCaFile(folder, 'directory.sql.caFile'))?.message, `directory.sql.caFile cannot be read: EISDIR: illegal operation on a directory (${folder})`);

	const pem = path.join(folder, 'ca.pem');
	fs.writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n');
	t.is(readCaFile(pem, 'directory.sql.caFile'), fs.readFileSync(pem, 'utf8'));
});

/** The error of a TLS connection to 127.0.0.1:port (with the system's CAs only). */
async function tlsError(port: number, host = '127.0.0.1'): Promise<unknown> {
	return new Promise(resolve => {
		const socket = tls.connect({port, host, servername: 'localhost'});
		socket.once('secureConnect', () => {
			socket.destroy();
			resolve(undefined);
		});
		socket.once('error', resolve);
	});
}

test('TLS failures are told apart: a certificate not trusted, a port without TLS; a refused or unknown address is neither', async t => {
	const folder = tempFolder(t, 'massmail-tls-');
	execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
		'-keyout', path.join(folder, 'key.pem'), '-out', path.join(folder, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost'], {stdio: 'ignore'});
	const secured = tls.createServer({key: fs.readFileSync(path.join(folder, 'key.pem')), cert: fs.readFileSync(path.join(folder, 'cert.pem'))});
	secured.on('tlsClientError', () => undefined);
	// Speaks at once, and not TLS: an SMTP greeting.
	const plain = net.createServer(socket => {
		socket.on('error', () => undefined);
		socket.end('220 mail.example.com ESMTP\r\n');
	});
	const closed = net.createServer();
	for (const server of [secured, plain, closed]) {
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	}

	const port = (server: net.Server) => (server.address() as net.AddressInfo).port;
	const closedPort = port(closed);
	await new Promise(resolve => closed.close(resolve));
	t.teardown(() => {
		secured.close();
		plain.close();
	});

	const selfSigned = await tlsError(port(secured));
	t.is(tlsProblem(selfSigned), 'certificate', String(selfSigned));
	const noTls = await tlsError(port(plain));
	t.is(tlsProblem(noTls), 'tls', String(noTls));
	const refused = await tlsError(closedPort);
	t.is(tlsProblem(refused), undefined, String(refused));
	// A name that does not resolve, spelling both TLS words.
	const unknown = await tlsError(443, 'ssl-cert.invalid');
	t.is(tlsProblem(unknown), undefined, String(unknown));
	// In the words of a driver that has no code.
	t.is(tlsProblem(new Error('The server does not support SSL connections')), 'tls');
	t.is(tlsProblem(new Error('connection terminated unexpectedly')), undefined);
});
