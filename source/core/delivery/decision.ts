/**
 * What becomes of one recipient after one attempt: the reply table's rule for the outcome
 * (replies.ts) applied to the recipient's attempts in this run. Pure; the engine journals what
 * it decides and schedules the retry.
 *
 * @example
 * decide({kind: 'temporary', response: '451 4.3.0 Mailbox busy'}, {run: 1, max: 3}, false)
 * // {status: 'pending', code: 'D', retry: 'later', countsAttempt: true, response: '451 4.3.0 Mailbox busy', …}
 * decide({kind: 'temporary', response: '451 4.3.0 Mailbox busy'}, {run: 3, max: 3}, false)
 * // {status: 'failed', code: 'F', response: '451 4.3.0 Mailbox busy (gave up after 3 attempts)', …}
 */
import type {RecipientStatus} from '../types.js';
import {outcomeRules} from './replies.js';
import type {AttemptOutcome} from './transport.js';

export interface Decision {
	/** What the recipient is now. */
	status: RecipientStatus;
	/** Its journal line: S sent, F failed, D deferred (pending). */
	code: 'S' | 'F' | 'D';
	/** The words journaled: the server's, and why it was given up or left pending. */
	response: string;
	/** The connection went after the final dot: the server may have the message. */
	ambiguous: boolean;
	/** The attempt uses one of the recipient's attempts; when false the engine gives it back. */
	countsAttempt: boolean;
	/**
	 * Tried again in this run (while it goes on): `later`, after the retry delay; `first`, before
	 * anyone else once the server takes more. Absent: not in this run.
	 */
	retry?: 'later' | 'first';
	/** The server answered about this message (took or refused it): the send is not stalled. */
	answered: boolean;
	/** The server refuses to go on (the login, TLS): the run stops, the recipient stays pending. */
	stopsRun: boolean;
}

/**
 * Decides after an attempt. `attempts.run`: the recipient's attempts in this run, this one
 * included; `attempts.max`: how many a run may use. `aborted`: the run was ended at once
 * (abort()), so a connection cut under the attempt was not the server's doing.
 */
export function decide(outcome: AttemptOutcome, attempts: {run: number; max: number}, aborted: boolean): Decision {
	const rule = outcomeRules[outcome.kind];
	const decision: Decision = {
		status: 'pending',
		code: 'D',
		response: outcome.response,
		ambiguous: rule.mayHaveIt,
		countsAttempt: rule.countsAttempt,
		answered: rule.answered,
		stopsRun: false,
	};
	switch (rule.then) {
		case 'sent': {
			decision.status = 'sent';
			decision.code = 'S';
			break;
		}

		case 'failed': {
			decision.status = 'failed';
			decision.code = 'F';
			break;
		}

		case 'retry-first': {
			decision.retry = 'first';
			break;
		}

		case 'stop-run': {
			decision.stopsRun = true;
			break;
		}

		case 'retry': {
			if (aborted) {
				// Cut off by abort(): it stays pending, whatever its attempts.
				decision.response = `interrupted: ${outcome.response}`;
			} else if (attempts.run >= attempts.max) {
				decision.status = 'failed';
				decision.code = 'F';
				decision.response = `${outcome.response} (gave up after ${attempts.run} attempts)`;
			} else {
				decision.retry = 'later';
			}

			break;
		}
	}

	return decision;
}
