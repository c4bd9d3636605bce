/**
 * What every connection needs to be safe (source/core/tls.ts): the one CA reader against real
 * files (missing, a folder, no certificate, a broken one, a real CA), TLS failures told apart on
 * real connections (a self-signed certificate, a port that speaks no TLS), loopback addresses and
 * secrets kept out of messages.
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {caCertificates, isLoopbackAddress, readCaFile, tlsProblem, withoutSecret} from '../../source/core/tls.js';
import {makeTestCertificates} from '../helpers/postgres-server.js';
import {tempFolder} from '../helpers/temp-dir.js';

test('a CA file that cannot be read, or holds no certificate, is a validation error naming the setting and the file', async t => {
	const folder = tempFolder(t, 'massmail-ca-');
	const missing = path.join(folder, 'missing.pem');
	const error = t.throws(() => readCaFile(missing, 'directory.ldap.caFile'), {instanceOf: MassmailError});
	t.is(error?.kind, 'validation');
	t.is(error?.message, `directory.ldap.caFile: ${missing} cannot be read: ENOENT: no such file or directory`);
	t.is(error?.hint, 'set directory.ldap.caFile to the PEM file of the CA that signed the server\'s certificate, or to \'\' for Node\'s own list (massmail config set directory.ldap.caFile \'\')');

	// Node's own message does not name a folder given for a file: ours does.
	t.is(t.throws(() => readCaFile(folder, 'directory.sql.caFile'))?.message, `directory.sql.caFile: ${folder} cannot be read: EISDIR: illegal operation on a directory`);

	// Node would take these and trust nothing from them.
	const notPem = path.join(folder, 'notes.txt');
	fs.writeFileSync(notPem, 'not a certificate\n');
	t.regex(t.throws(() => readCaFile(notPem, 'smtp.caFile'))?.message ?? '', new RegExp(`^smtp\\.caFile: ${notPem} holds no certificate`));
	const broken = path.join(folder, 'broken.pem');
	fs.writeFileSync(broken, '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n');
	t.regex(t.throws(() => readCaFile(broken, 'directory.sql.caFile'))?.message ?? '', new RegExp(`^directory\\.sql\\.caFile: ${broken}: certificate 1 cannot be read`));
	t.deepEqual(caCertificates(broken), {problem: t.throws(() => readCaFile(broken, 'x'))!.message.slice('x: '.length)});

	const {caFile} = await makeTestCertificates(folder);
	t.is(readCaFile(caFile, 'directory.sql.caFile'), fs.readFileSync(caFile, 'utf8'));
	t.deepEqual(caCertificates(caFile), {pem: fs.readFileSync(caFile, 'utf8')});
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

test('a loopback address is one connected to on 127.0.0.0/8 or ::1, never a name', t => {
	for (const address of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
		t.true(isLoopbackAddress(address), address);
	}

	for (const address of ['localhost', '10.0.0.1', '::ffff:10.0.0.1', '::2', '', undefined]) {
		t.false(isLoopbackAddress(address), String(address));
	}
});

test('a secret is kept out of a message wherever it stands', t => {
	t.is(withoutSecret('login s3cret failed for s3cret', 's3cret'), 'login *** failed for ***');
	t.is(withoutSecret('nothing to hide', undefined), 'nothing to hide');
	t.is(withoutSecret('nothing to hide', ''), 'nothing to hide');
});
