/**
 * smtp.caFile against a real TLS SMTP server on 127.0.0.1 whose certificate a CA of the test's
 * own signed (made with openssl): without the setting the certificate does not verify, with it
 * the connection is verified and a message is accepted. A CA file that is missing or holds no
 * certificate is said before anything is sent, naming the file (exit 2).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {SMTPServer} from 'smtp-server';
import {listenOnLoopback} from '../../source/core/capture-server.js';
import {verifySession, type ConnectionTarget} from '../../source/core/delivery/transport.js';
import {MassmailError} from '../../source/core/errors.js';
import {defaultSettings} from '../../source/core/settings.js';
import {describeTarget, resolveSmtpTarget} from '../../source/core/smtp-config.js';
import {openStore} from '../../source/core/store.js';
import type {Settings, TlsMode} from '../../source/core/types.js';
import {runCli} from '../../source/cli/main.js';
import {capturedOutput} from '../helpers/in-process-cli.js';
import {makeTestCertificates} from '../helpers/certificates.js';
import {tempConfigDir, tempFolder} from '../helpers/temp-dir.js';

interface TlsServer {
	port: number;
	received: string[];
	close(): Promise<void>;
}

/** An SMTP server with the test CA's certificate for localhost and 127.0.0.1: TLS from the start, or STARTTLS. */
async function startTlsServer(t: Parameters<typeof tempFolder>[0], tls: 'implicit' | 'starttls'): Promise<TlsServer> {
	const received: string[] = [];
	const server = new SMTPServer({
		logger: false,
		secure: tls === 'implicit',
		key: fs.readFileSync(files.keyFile),
		cert: fs.readFileSync(files.certFile),
		authOptional: true,
		onData(stream, session, callback) {
			stream.resume();
			stream.on('end', () => {
				received.push(session.envelope.rcptTo.map(recipient => recipient.address).join(','));
				callback(null, 'OK: queued');
			});
		},
	});
	// A client that gives up on the certificate ends the TLS handshake: the point of the test.
	server.on('error', () => undefined);
	const port = await listenOnLoopback(server);
	const close = async () => new Promise<void>(resolve => {
		server.close(() => {
			resolve();
		});
	});
	t.teardown(close);
	return {port, received, close};
}

function smtpSettings(port: number, tls: TlsMode, caFile = ''): Settings {
	const settings = defaultSettings('example.net');
	return {...settings, smtp: {...settings.smtp, host: '127.0.0.1', port, tls, caFile}};
}

/** The connection target as a send builds it from the resolved settings. */
function connectionTarget(settings: Settings): ConnectionTarget {
	const target = resolveSmtpTarget(settings, {});
	if (target.kind !== 'server') {
		throw new Error('expected a server');
	}

	return {...target, description: describeTarget(target), captured: false};
}

const deadlines = {replyMs: 10_000, dataMs: 10_000};

// One CA and server certificate for the file (openssl takes a moment).
let files: {caFile: string; certFile: string; keyFile: string};
let certificateFolder: string;
test.before(async () => {
	certificateFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-ca-'));
	files = await makeTestCertificates(certificateFolder);
});
test.after.always(() => {
	fs.rmSync(certificateFolder, {recursive: true, force: true});
});

for (const tls of ['implicit', 'starttls'] as const) {
	test(`${tls}: without smtp.caFile a certificate from a private CA does not verify; with it the message is accepted`, async t => {
		const server = await startTlsServer(t, tls);

		const unverified = await t.throwsAsync(verifySession(connectionTarget(smtpSettings(server.port, tls)), deadlines), {instanceOf: MassmailError});
		t.is(unverified?.kind, 'connection');
		t.regex(unverified?.message ?? '', new RegExp(`^TLS with 127\\.0\\.0\\.1:${server.port} failed: .*(?:unable to (?:verify|get local issuer)|self[- ]signed)`, 'i'));

		const target = connectionTarget(smtpSettings(server.port, tls, files.caFile));
		t.true(target.ca?.includes('-----BEGIN CERTIFICATE-----'));
		const session = await verifySession(target, deadlines);
		const outcome = await new Promise<{kind: string; response: string}>(resolve => {
			session.send({from: 'postmaster@example.net', to: 'ann@example.com'}, {head: Buffer.alloc(0), body: Buffer.from('Subject: CA\r\n\r\nHello.\r\n')}, resolve);
		});
		session.quit();
		t.deepEqual(outcome, {kind: 'accepted', response: '250 OK: queued'});
		t.deepEqual(server.received, ['ann@example.com']);
	});
}

test('a CA file that is missing or holds no certificate is a validation error naming the file (exit 2)', async t => {
	const folder = tempFolder(t, 'massmail-ca-bad-');
	const missing = path.join(folder, 'missing.pem');
	const error = t.throws(() => resolveSmtpTarget(smtpSettings(25, 'starttls', missing), {}), {instanceOf: MassmailError});
	t.is(error?.kind, 'validation');
	t.is(error?.exitCode, 2);
	t.is(error?.message, `smtp.caFile: ${missing} cannot be read: ENOENT: no such file or directory`);
	t.regex(error?.hint ?? '', /massmail config set smtp\.caFile ''/);

	const notPem = path.join(folder, 'ca.txt');
	fs.writeFileSync(notPem, 'not a certificate\n');
	t.regex(t.throws(() => resolveSmtpTarget(smtpSettings(25, 'starttls', notPem), {}))?.message ?? '', new RegExp(`^smtp\\.caFile: ${notPem} holds no certificate`));

	const broken = path.join(folder, 'broken.pem');
	fs.writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
	t.regex(t.throws(() => resolveSmtpTarget(smtpSettings(25, 'starttls', broken), {}))?.message ?? '', new RegExp(`^smtp\\.caFile: ${broken}: certificate 1 cannot be read`));

	// The local capture server needs no CA: the file is not read.
	t.deepEqual(resolveSmtpTarget({...smtpSettings(25, 'starttls', missing), smtp: {...smtpSettings(25, 'starttls', missing).smtp, host: ''}}, {}), {kind: 'capture'});
});

test('massmail send with a CA file gone since it was set exits 2 naming it, and sends nothing', async t => {
	const server = await startTlsServer(t, 'implicit');
	const {env, dir} = tempConfigDir(t);
	const caFile = path.join(dir, 'private-ca.pem');
	fs.copyFileSync(files.caFile, caFile);
	for (const [key, value] of [['smtp.host', '127.0.0.1'], ['smtp.port', String(server.port)], ['smtp.tls', 'implicit'], ['smtp.caFile', caFile]]) {
		const io = capturedOutput();
		t.is(await runCli(['config', 'set', key!, value!], io, env), 0, io.stderr);
	}

	fs.rmSync(caFile);
	const io = capturedOutput();
	const code = await runCli(['send', '--to', 'user:ann@example.com', '--subject', 'S', '--message', 'M', '--allow-external', '--yes'], io, env);
	t.is(code, 2, io.stderr);
	t.true(io.stderr.includes(`smtp.caFile: ${caFile} cannot be read: ENOENT`), io.stderr);
	t.deepEqual(server.received, []);
	t.deepEqual(openStore({env}).settings.get().smtp.caFile, caFile);
});

test('massmail send through a server whose certificate a private CA signed: smtp.caFile makes it verify', async t => {
	const server = await startTlsServer(t, 'implicit');
	const {env} = tempConfigDir(t);
	for (const [key, value] of [['smtp.host', '127.0.0.1'], ['smtp.port', String(server.port)], ['smtp.tls', 'implicit']]) {
		t.is(await runCli(['config', 'set', key!, value!], capturedOutput(), env), 0);
	}

	const send = async () => {
		const io = capturedOutput();
		const code = await runCli(['send', '--to', 'user:ann@example.com', '--subject', 'S', '--message', 'M', '--allow-external', '--yes'], io, env);
		return {code, stderr: io.stderr};
	};

	const unverified = await send();
	t.is(unverified.code, 3, unverified.stderr);
	t.regex(unverified.stderr, /TLS with 127\.0\.0\.1:\d+ failed/);
	t.is(await runCli(['config', 'set', 'smtp.caFile', files.caFile], capturedOutput(), env), 0);
	const verified = await send();
	t.is(verified.code, 0, verified.stderr);
	t.deepEqual(server.received, ['ann@example.com']);
});
