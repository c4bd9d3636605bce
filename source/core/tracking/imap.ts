/**
 * The bounce mailbox's IMAP server as the fold reaches it: where it is and how to log in
 * (`tracking.imap.*`), what its failures say to people, and where a password may go in clear
 * (only to an address on this machine).
 */
import dns from 'node:dns/promises';
import net from 'node:net';
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

/** What imapflow's errors say: the server's words when it gave some. */
export function imapWords(error: unknown): string {
	const {message, responseText, code} = (error ?? {}) as {message?: unknown; responseText?: unknown; code?: unknown};
	const text = typeof responseText === 'string' && responseText !== '' ? responseText : String(message ?? error);
	return typeof code === 'string' && !text.includes(code) && /^[A-Z_]+$|^E[A-Z]+$/.test(code) ? `${text} (${code})` : text;
}

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

	const tls = tlsProblem(error) ?? ((error as {tlsFailed?: boolean}).tlsFailed ? 'tls' : undefined);
	if (tls !== undefined) {
		return new MassmailError('connection', `TLS with the IMAP server ${where} failed: ${words}`, {
			hint: tls === 'certificate'
				? 'if its certificate comes from a private CA, set tracking.imap.caFile to that CA\'s PEM file; if you trust this server as it is, set tracking.imap.allowUnverifiedTls true'
				: 'check tracking.imap.tls (implicit for port 993, starttls for 143)',
		});
	}

	return new MassmailError('connection', `cannot reach the IMAP server ${where}: ${words}`, {hint: 'check tracking.imap.host and tracking.imap.port'});
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
