/**
 * What every connection massmail opens needs to be safe, written once for the SMTP transport, the
 * directory sources and the settings that name a CA file: the CAs to trust (`readCaFile`, and
 * `caCertificates` for a check without an error kind), telling a certificate or TLS failure from
 * any other (`tlsProblem`, `certificateWords`), whether an address is loopback (the only place a
 * password may go in clear), and a secret kept out of every message (`withoutSecret`).
 */
import {X509Certificate} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import {MassmailError} from './errors.js';

/** The certificate blocks of a PEM file. */
const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The PEM text of a file of CA certificates, or why it cannot be used (`problem` names the file).
 * Node takes any text as a CA list and trusts nothing from it: a file without a certificate, or
 * with one that does not parse, is refused here.
 *
 * @example caCertificates('/etc/ssl/private-ca.pem') // {pem: '-----BEGIN CERTIFICATE-----…'}
 * @example caCertificates('/nowhere.pem') // {problem: '/nowhere.pem cannot be read: ENOENT: no such file or directory'}
 */
export function caCertificates(file: string): {pem: string} | {problem: string} {
	let pem: string;
	try {
		pem = fs.readFileSync(file, 'utf8');
	} catch (error) {
		// Node names the file for some failures only (`…, open '/x'`, but `EISDIR: …, read`): named here always.
		const reason = (error as Error).message.replace(/, \w+( '.*')?$/s, '');
		return {problem: `${file} cannot be read: ${reason}`};
	}

	const blocks = pem.match(pemCertificate) ?? [];
	if (blocks.length === 0) {
		return {problem: `${file} holds no certificate (a PEM file of CA certificates, each from -----BEGIN CERTIFICATE-----)`};
	}

	for (const [index, block] of blocks.entries()) {
		try {
			// Parsed only to know it can be: Node would take a broken one and trust nothing from it.
			new X509Certificate(block);
		} catch (error) {
			return {problem: `${file}: certificate ${index + 1} cannot be read: ${(error as Error).message}`};
		}
	}

	return {pem};
}

/**
 * The PEM text of a CA file setting (`smtp.caFile`, `directory.sql.caFile`…), read when it is
 * used: the CAs to trust instead of Node's own list. A file that cannot be read or holds no
 * certificate is a MassmailError('validation') naming the setting and the file: exit 2, nothing
 * sent or read.
 *
 * @example readCaFile('/etc/ssl/private-ca.pem', 'directory.ldap.caFile') // '-----BEGIN CERTIFICATE-----…'
 */
export function readCaFile(file: string, setting: string): string {
	const read = caCertificates(file);
	if ('problem' in read) {
		throw new MassmailError('validation', `${setting}: ${read.problem}`, {
			hint: `set ${setting} to the PEM file of the CA that signed the server's certificate, or to '' for Node's own list (massmail config set ${setting} '')`,
		});
	}

	return read.pem;
}

/** What went wrong with TLS: the certificate was not accepted, or TLS itself failed. */
export type TlsProblem = 'certificate' | 'tls';

/**
 * A certificate not accepted, in Node's codes or OpenSSL's words: an unknown CA, self-signed,
 * expired, for another name (`unable to verify the first certificate`, `CERT_HAS_EXPIRED`,
 * `ERR_TLS_CERT_ALTNAME_INVALID`, `DEPTH_ZERO_SELF_SIGNED_CERT`).
 */
export const certificateWords = /certificate|self[-_ ]signed|unable[_ ]to[_ ](verify|get)|altname|hostname_mismatch|(\b|_)cert(\b|_)/i;
/** TLS itself: no handshake, something else on the port, a server without TLS (`The server does not support SSL connections`). */
const otherTlsProblem = /TLS|SSL/;
/** A name that did not resolve, an address that refused: never TLS, though the message holds a host name that may spell it. */
const beforeTls = /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH)$/;

/**
 * Whether a failure to connect was about TLS, from its code and message (Node's happy-eyeballs
 * connect fails with every address's error: the first one's are read too).
 *
 * @example
 * tlsProblem(Object.assign(new Error('self-signed certificate'), {code: 'DEPTH_ZERO_SELF_SIGNED_CERT'})) // 'certificate'
 * tlsProblem(new Error('The server does not support SSL connections')) // 'tls'
 * tlsProblem(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {code: 'ECONNREFUSED'})) // undefined
 */
export function tlsProblem(error: unknown): TlsProblem | undefined {
	const {code, message, errors} = (error ?? {}) as {code?: unknown; message?: unknown; errors?: Array<{code?: unknown; message?: unknown}>};
	const first = Array.isArray(errors) ? errors[0] ?? {} : {};
	const codeText = String(code ?? first.code ?? '');
	if (beforeTls.test(codeText)) {
		return undefined;
	}

	const text = `${codeText} ${String(message ?? first.message ?? error)}`;
	if (certificateWords.test(text)) {
		return 'certificate';
	}

	return otherTlsProblem.test(text) ? 'tls' : undefined;
}

/** True for an IP address on the loopback interface (the address connected to, not a name). */
export function isLoopbackAddress(address: string | undefined): boolean {
	if (address === undefined) {
		return false;
	}

	const bare = address.toLowerCase().replace(/^::ffff:/, '');
	if (net.isIPv4(bare)) {
		return bare.startsWith('127.');
	}

	return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

// Masking a password in what servers say (in any of the forms an AUTH exchange sends it) is secret-mask.ts's.
export {withoutSecret} from './secret-mask.js';
