/**
 * A private CA of a test's own and a server certificate it signed (made with openssl): what the
 * TLS servers of the tests present (the SMTP server of smtp-ca-file.test.ts, Dovecot's IMAPS) and
 * what a client trusts only when given the CA's PEM file (smtp.caFile, tracking.imap.caFile).
 */
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {promisify} from 'node:util';

const run = promisify(execFile);
const opensslBinary = '/usr/bin/openssl';

export interface TestCertificates {
	/** The CA's certificate (PEM): what a client is told to trust. */
	caFile: string;
	/** The server's certificate (PEM), signed by that CA, and its key (mode 0600). */
	certFile: string;
	keyFile: string;
}

export interface CertificateOptions {
	/** The names the server certificate is for (its subjectAltName): host names and IP addresses. Default: localhost, 127.0.0.1, 0.0.0.0. */
	names?: string[];
	/** The account that must read the key (a server that drops root first); default: whoever runs the test. */
	owner?: {uid: number; gid: number};
}

/**
 * Makes `ca.pem`, `server.pem` and `server.key` in `folder` (P-256 keys, valid two days).
 *
 * @example const {caFile, certFile, keyFile} = await makeTestCertificates(folder, {names: ['mail.example.net']});
 */
export async function makeTestCertificates(folder: string, options: CertificateOptions = {}): Promise<TestCertificates> {
	if (!fs.existsSync(opensslBinary)) {
		throw new Error(`openssl is not installed (${opensslBinary} not found): install Debian's openssl package.`);
	}

	const names = options.names ?? ['localhost', '127.0.0.1', '0.0.0.0'];
	const file = (name: string) => path.join(folder, name);
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	const deadline = {timeout: 20_000};
	await run(opensslBinary, ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=massmail test CA'], deadline);
	await run(opensslBinary, ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${names[0] ?? 'localhost'}`], deadline);
	const altNames = names.map(name => net.isIP(name) === 0 ? `DNS:${name}` : `IP:${name}`).join(',');
	fs.writeFileSync(file('server.ext'), `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
	await run(opensslBinary, ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext')], deadline);
	fs.chmodSync(file('server.key'), 0o600);
	if (options.owner) {
		fs.chownSync(file('server.key'), options.owner.uid, options.owner.gid);
	}

	return {caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key')};
}
