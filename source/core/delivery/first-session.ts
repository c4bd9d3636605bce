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
	/** The send's other relays, checked at the same time (start.ts's checkRelays). */
	others?: OtherRelays;
}

/**
 * What a relay's check knows of the others'. Once another relay is ready, this one's failure is
 * final and a wait for its next attempt ends at once: the run starts on the ready relays and
 * leaves this one, as a new send's check does, rather than holding every relay back for this
 * one's backoff. After its first failure a relay waits until every relay's first attempt was
 * answered before it says it will try again, so that it does not say so just before it is left.
 */
export interface OtherRelays {
	/** Settles once one relay's check succeeded. */
	ready: Promise<void>;
	/** Settles once every relay's first attempt was answered (a relay ready counts once it is). */
	tried: Promise<void>;
	/** A relay's first attempt was answered; again for the same relay changes nothing. */
	triedOnce: (relay: ConnectionTarget) => void;
}

/** Opens a checked session (EHLO, TLS, login), trying again while the failure is one that may pass. */
export async function verifySessionPatiently(target: ConnectionTarget, check: PatientCheck): Promise<SmtpSession> {
	let othersReady = false;
	void check.others?.ready.then(() => {
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
			// Counted as tried once it is ready (checkRelays), so that `ready` is known first.
			return opened.session;
		}

		if (attempt === 1 && check.others) {
			check.others.triedOnce(target);
			if (!opened.final) {
				await Promise.race([check.others.ready, check.others.tried]);
			}
		}

		if (opened.final || attempt >= check.maxConnectFailures || othersReady) {
			throw opened.error;
		}

		const waitMs = reconnectDelay(check.reconnectDelayMs, attempt);
		check.onRetry?.(`the connection check failed (${opened.response}): trying again in ${Math.max(1, Math.round(waitMs / 1000))} s, attempt ${attempt + 1} of ${check.maxConnectFailures}`);
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([new Promise(resolve => {
			timer = setTimeout(resolve, waitMs);
		}), check.others?.ready]);
		clearTimeout(timer);
		if (othersReady) {
			throw opened.error;
		}
	}
}
