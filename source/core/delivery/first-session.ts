/**
 * The first connection of a resumed or retried send: the check before anything is written.
 * A server restarting, a connection refused once or a "421 too busy" greeting are what a resume
 * right after a failure meets most (27 of 176 fuzzed runs ended on one failed check): the check
 * is tried again with the send's own backoff (reconnectDelay, maxConnectFailures) before the run
 * gives up with exit 3. A refused login or a TLS failure is final at once: trying again cannot
 * change it, and a login tried again and again may lock the account.
 */
import {MassmailError} from '../errors.js';
import {reconnectDelay} from './retry-queue.js';
import {openSession, type ConnectionTarget, type Deadlines, type SmtpSession} from './transport.js';

export interface PatientCheck {
	deadlines: Deadlines;
	/** The send's backoff: the first wait, doubled after each failure. */
	reconnectDelayMs: number;
	/** Attempts in all before giving up. */
	maxConnectFailures: number;
	/** Told before each wait: what failed, and when the next attempt is. */
	onRetry?: (text: string) => void;
	/**
	 * Settles once another relay of the send is ready: this one's failure is then final, and a wait
	 * for its next attempt ends at once (the run starts on the ready relays and leaves this one, as
	 * a new send's check does, rather than holding every relay back for this one's backoff).
	 */
	othersReady?: Promise<void>;
}

/** Opens a checked session (EHLO, TLS, login), trying again while the failure is one that may pass. */
export async function verifySessionPatiently(target: ConnectionTarget, check: PatientCheck): Promise<SmtpSession> {
	let othersReady = false;
	void check.othersReady?.then(() => {
		othersReady = true;
	});
	for (let attempt = 1; ; attempt++) {
		const opened = await new Promise<{session: SmtpSession} | {error: MassmailError; final: boolean; response: string}>(resolve => {
			openSession(target, check.deadlines, (failure, session) => {
				if (!failure && session) {
					resolve({session});
					return;
				}

				const error = failure?.error ?? new MassmailError('connection', 'no connection');
				resolve({error, final: failure?.kind === 'auth' || failure?.kind === 'tls' || error.kind === 'auth', response: failure?.response ?? error.message});
			});
		});
		if ('session' in opened) {
			return opened.session;
		}

		if (opened.final || attempt >= check.maxConnectFailures || othersReady) {
			throw opened.error;
		}

		const waitMs = reconnectDelay(check.reconnectDelayMs, attempt);
		check.onRetry?.(`the connection check failed (${opened.response}): trying again in ${Math.max(1, Math.round(waitMs / 1000))} s, attempt ${attempt + 1} of ${check.maxConnectFailures}`);
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([new Promise(resolve => {
			timer = setTimeout(resolve, waitMs);
		}), check.othersReady]);
		clearTimeout(timer);
		if (othersReady) {
			throw opened.error;
		}
	}
}
