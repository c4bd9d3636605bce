/**
 * The bounce mailbox's IMAP server as the fold reaches it: where it is and how to log in
 * (`tracking.imap.*`), what its failures say to people, and where a password may go in clear
 * (only to an address on this machine).
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import type {ImapFlowOptions} from 'imapflow';
import {MassmailError} from '../errors.js';
import {isLoopbackAddress, tlsProblem, withoutSecret} from '../tls.js';

/** The bounce mailbox's IMAP server (`tracking.imap.*`). */
export interface ImapTarget {
	host: string;
	port: number;
	/** `implicit` (IMAPS, 993), `starttls` (required: no STARTTLS offered is a failure), `none` (a loopback address only). */
	tls: 'implicit' | 'starttls' | 'none';
	user: string;
	/** Asked once per fold, only once the connection may carry it (MASSMAIL_TRACKING_PASSWORD or a command). */
	password: () => Promise<string>;
	/** Accept a certificate that does not verify (as smtp.allowUnverifiedTls). */
	allowUnverifiedTls?: boolean;
	/** The CAs to trust, as PEM text (tls.ts readCaFile of tracking.imap.caFile); absent: Node's own list. */
	ca?: string;
}

/**
 * How long the server has to greet: an IMAP server greets as soon as it accepts, and one that says
 * nothing is most often waiting for a TLS handshake (STARTTLS or none on the IMAPS port).
 */
const greetingTimeoutMs = 10_000;

/**
 * imapflow's options for reaching `target` at `connectTo` (its host, or with tls none the
 * loopback address plainAddress gave): TLS from the first byte (`implicit`), or STARTTLS required
 * before the login (`starttls`: a server that does not offer it fails with the password unsent);
 * the certificate verified against `ca` (else Node's list) and the host's name, or its address
 * when it is one, unless allowUnverifiedTls. Each wait ends within `remainingMs`.
 */
export function imapClientOptions(target: ImapTarget, connectTo: string, password: string, remainingMs: number): ImapFlowOptions {
	return {
		host: connectTo,
		port: target.port,
		secure: target.tls === 'implicit',
		doSTARTTLS: target.tls === 'starttls',
		...(target.tls !== 'none' && net.isIP(target.host) === 0 ? {servername: target.host} : {}),
		tls: {rejectUnauthorized: !target.allowUnverifiedTls, ...(target.ca === undefined ? {} : {ca: target.ca})},
		auth: {user: target.user, pass: password},
		logger: false,
		disableAutoIdle: true,
		connectionTimeout: Math.min(remainingMs, 30_000),
		greetingTimeout: Math.min(remainingMs, greetingTimeoutMs),
		socketTimeout: Math.min(remainingMs, 60_000) + 5000,
	};
}

/** OpenSSL's error line (`80CC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:`): its reason is what people read. */
const openSslLine = /^[\dA-F]+:error:[\dA-F]+:[^:]*:[^:]*:([^:]+):[\s\S]*$/;

/** What imapflow's errors say: the server's words when it gave some. */
export function imapWords(error: unknown): string {
	const {message, responseText, code} = (error ?? {}) as {message?: unknown; responseText?: unknown; code?: unknown};
	const text = typeof responseText === 'string' && responseText !== '' ? responseText : String(message ?? error).replace(openSslLine, '$1');
	return typeof code === 'string' && !text.includes(code) && /^[A-Z_]+$|^E[A-Z]+$/.test(code) ? `${text} (${code})` : text;
}

/** What to check when TLS itself failed: most often the mode does not go with the port. */
const portHint: Record<ImapTarget['tls'], string> = {
	implicit: 'implicit TLS is for the IMAPS port (993): check tracking.imap.port, or for the IMAP port (143) set tracking.imap.tls starttls',
	starttls: 'STARTTLS is for the IMAP port (143): check tracking.imap.port, or for the IMAPS port (993) set tracking.imap.tls implicit',
	none: 'check tracking.imap.port and tracking.imap.tls: implicit for the IMAPS port (993), starttls for the IMAP port (143)',
};

export const passwordHint = 'check tracking.imap.user and the password (MASSMAIL_TRACKING_PASSWORD or tracking.imap.passwordCommand)';

/** A failure to connect or log in, as the user reads it. */
export function connectFailure(error: unknown, target: ImapTarget, secret: string | undefined): MassmailError {
	if (error instanceof MassmailError) {
		return error;
	}

	const where = `${target.host}:${target.port}`;
	const words = withoutSecret(imapWords(error), secret);
	if ((error as {authenticationFailed?: boolean}).authenticationFailed) {
		return new MassmailError('auth', `the IMAP server ${where} refused the login of ${JSON.stringify(target.user)}: ${words}`, {hint: passwordHint});
	}

	const names = certificateNames(error);
	if (names !== undefined) {
		// The CA may be trusted already: another CA file would not help, the name connected to would.
		return new MassmailError('connection', `TLS with the IMAP server ${where} failed: the certificate is for ${names.join(', ')}, not ${target.host} (ERR_TLS_CERT_ALTNAME_INVALID)`, {
			hint: `the server's certificate is for ${names.join(', ')}: set tracking.imap.host to ${names.length === 1 ? 'that name' : 'one of them'}; if you trust this server as it is, set tracking.imap.allowUnverifiedTls true`,
		});
	}

	const tls = tlsProblem(error) ?? ((error as {tlsFailed?: boolean}).tlsFailed ? 'tls' : undefined);
	if (tls !== undefined) {
		return new MassmailError('connection', `TLS with the IMAP server ${where} failed: ${words}`, {
			hint: tls === 'certificate'
				? 'if its certificate comes from a private CA, set tracking.imap.caFile to that CA\'s PEM file; if you trust this server as it is, set tracking.imap.allowUnverifiedTls true'
				: portHint[target.tls],
		});
	}

	return new MassmailError('connection', `cannot reach the IMAP server ${where}: ${words}`, {hint: 'check tracking.imap.host and tracking.imap.port'});
}

/**
 * The names a certificate is for, when it was refused for being for other names than the host
 * connected to (Node's ERR_TLS_CERT_ALTNAME_INVALID, which keeps the certificate): its DNS names
 * and IP addresses, else its common name. Undefined for any other failure.
 */
function certificateNames(error: unknown): string[] | undefined {
	const {code, cert} = (error ?? {}) as {code?: unknown; cert?: {subjectaltname?: unknown; subject?: {CN?: unknown}}};
	if (code !== 'ERR_TLS_CERT_ALTNAME_INVALID' || cert === undefined) {
		return undefined;
	}

	// `DNS:mail.example.net, IP Address:192.0.2.1, email:…`: the kinds a host name is checked against.
	const altNames = typeof cert.subjectaltname === 'string'
		? cert.subjectaltname.split(', ').flatMap(entry => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1] ?? [])
		: [];
	if (altNames.length > 0) {
		return altNames;
	}

	return typeof cert.subject?.CN === 'string' ? [cert.subject.CN] : undefined;
}

/**
 * The address to connect to without TLS: the host's first address, which must be on this machine
 * (the password would cross the network in clear otherwise). Connecting to that address, not the
 * name, makes the check hold for the connection made.
 */
export async function plainAddress(target: ImapTarget): Promise<string> {
	let address: string;
	if (net.isIP(target.host) === 0) {
		try {
			address = (await dns.lookup(target.host)).address;
		} catch (error) {
			throw new MassmailError('connection', `cannot reach the IMAP server ${target.host}:${target.port}: ${(error as Error).message}`, {hint: 'check tracking.imap.host'});
		}
	} else {
		address = target.host;
	}

	if (!isLoopbackAddress(address)) {
		throw new MassmailError('connection', `the IMAP server ${target.host}:${target.port} (${address}) is not on this machine and tracking.imap.tls is none: the password is not sent over an unencrypted connection`, {
			hint: 'set tracking.imap.tls to starttls or implicit',
		});
	}

	return address;
}

/** A UID set as IMAP writes it, runs compressed: `[1, 2, 3, 7]` -> `'1:3,7'`. */
export function uidSet(uids: number[]): string {
	const sorted = [...uids].sort((a, b) => a - b);
	const parts: string[] = [];
	for (let index = 0; index < sorted.length;) {
		let end = index;
		while (end + 1 < sorted.length && sorted[end + 1] === sorted[end] + 1) {
			end++;
		}

		parts.push(end === index ? String(sorted[index]) : `${sorted[index]}:${sorted[end]}`);
		index = end + 1;
	}

	return parts.join(',');
}
