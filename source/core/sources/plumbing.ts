/**
 * What every directory source needs around its own protocol, written once: the read's deadline and
 * the caller's cancel (`withDeadline`). The wording of a read that was stopped lives here, so that
 * every source says it the same way. The CA file and telling a TLS failure from any other are the
 * core's, for the SMTP transport too (core/tls.ts).
 */
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
