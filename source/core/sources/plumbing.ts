/**
 * What every directory source needs around its own protocol, written once: the read's deadline and
 * the caller's cancel (`withDeadline`), the CA file of a private CA (`readCaFile`), and telling a
 * certificate or TLS failure from any other (`tlsProblem`). The wording of a read that was stopped
 * lives here, so that every source says it the same way.
 */
import fs from 'node:fs';
import {MassmailError} from '../errors.js';
import {seconds} from '../values.js';

export interface DeadlineWords {
	/** What was under way when the deadline passed, said in parentheses: `still running the query`. */
	during?: () => string | undefined;
	/** What to do about a read that ran out of time. */
	hint?: string;
}

/** The one wording of a read the caller stopped (Ctrl+C, Esc, a closed screen): 'interrupted'. */
export function readCancelled(what: string): MassmailError {
	return new MassmailError('interrupted', `reading the directory from ${what} was cancelled`);
}

/** The one wording of a read that ran out of time: 'connection'. */
function readTooLong(what: string, ms: number, words: DeadlineWords): MassmailError {
	const during = words.during?.();
	return new MassmailError('connection', `${what} did not finish within ${seconds(ms)}${during ? ` (${during})` : ''}`, {hint: words.hint});
}

/**
 * Runs one read of a source within `ms` and until `signal` aborts, whichever comes first; `what`
 * names the source in the messages (`postgres://mail@db/postfix`, `the LDAP server ldap://…`).
 *
 * The read ends at once at either: with a MassmailError('connection') `… did not finish within
 * 30 s (still …)` at the deadline, or MassmailError('interrupted') `reading the directory from … was
 * cancelled` on the signal (also when it is aborted already; `run` is then not called). Whatever
 * `run` settles with afterwards is dropped.
 *
 * `run` gets a signal that aborts then, and only then (never after the read settled): close the
 * client, kill the process, destroy the sockets on it.
 *
 * @example
 * return withDeadline(`the LDAP server ${label}`, timeoutMs, signal, async stop => {
 *   stop.addEventListener('abort', () => client.destroy(), {once: true});
 *   return readEntries(client);
 * }, {during: () => `still ${phase}`, hint: 'check directory.ldap.url'});
 */
export async function withDeadline<T>(
	what: string,
	ms: number,
	signal: AbortSignal | undefined,
	run: (stop: AbortSignal) => Promise<T>,
	words: DeadlineWords = {},
): Promise<T> {
	if (signal?.aborted) {
		throw readCancelled(what);
	}

	const deadline = AbortSignal.timeout(ms);
	const ends = signal ? AbortSignal.any([deadline, signal]) : deadline;
	const stop = new AbortController();
	let onEnd: () => void = () => undefined;
	const stopped = new Promise<never>((_resolve, reject) => {
		onEnd = () => {
			const error = deadline.aborted ? readTooLong(what, ms, words) : readCancelled(what);
			reject(error);
			stop.abort(error);
		};
	});
	ends.addEventListener('abort', onEnd, {once: true});
	try {
		return await Promise.race([run(stop.signal), stopped]);
	} finally {
		ends.removeEventListener('abort', onEnd);
	}
}

/**
 * The PEM text of a CA file setting of a source (`directory.sql.caFile`, `directory.ldap.caFile`):
 * the CAs to trust instead of Node's own list. Fails with a MassmailError('validation') that names
 * the setting and the file.
 *
 * @example readCaFile('/etc/ssl/private-ca.pem', 'directory.ldap.caFile') // '-----BEGIN CERTIFICATE-----…'
 */
export function readCaFile(file: string, setting: string): string {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch (error) {
		// Node names the file for some failures only (`…, open '/x'`, but `EISDIR: …, read`): named here always.
		const reason = (error as Error).message.replace(/, \w+( '.*')?$/s, '');
		throw new MassmailError('validation', `${setting} cannot be read: ${reason} (${file})`, {
			hint: `set ${setting} to the PEM file of the CA that signed the server's certificate, or to '' for the CAs Node.js trusts`,
		});
	}
}

/** What went wrong with TLS: the certificate was not accepted, or TLS itself failed. */
export type TlsProblem = 'certificate' | 'tls';

/** A certificate not accepted, by Node's codes or OpenSSL's words: an unknown CA, self-signed, expired, for another name. */
const certificateProblem = /certificate|self[-_ ]signed|unable[_ ]to[_ ](verify|get)|altname|hostname_mismatch|(\b|_)cert(\b|_)/i;
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
	if (certificateProblem.test(text)) {
		return 'certificate';
	}

	return otherTlsProblem.test(text) ? 'tls' : undefined;
}
