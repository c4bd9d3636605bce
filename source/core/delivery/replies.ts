/**
 * The one table of how an SMTP attempt can end. `classifyReply` sorts a failure into a kind from
 * the reply code, the enhanced status code, the words and nodemailer's error code;
 * `outcomeRules` says, for every kind, what becomes of the recipient. The engine decides from
 * the kind alone (decision.ts applies the rules to one recipient's attempts) and schedules.
 */
import {certificateWords} from '../tls.js';

export type ReplyKind = 'permanent' | 'temporary' | 'limited' | 'connection' | 'ambiguous' | 'auth' | 'tls';

/** What nodemailer's SMTPConnection puts on its errors (and what our deadlines add). */
export interface SmtpErrorLike {
	message: string;
	code?: string;
	responseCode?: number;
	response?: string;
	command?: string;
	originalCode?: string;
}

/**
 * Words servers use when they limit a client rather than refuse a mailbox: Postfix's anvil
 * ("too much mail", "too many connections", "too many errors"), Exim's ratelimit, rspamd,
 * Microsoft's "rate limited", Google's "unusual rate".
 */
const limitWords = /too (?:much|many|fast)|rate(?:[- ]?limit|d)?\b|limit(?:ed|ing)?\b|throttl|slow down|exceed|unusual rate|try (?:again )?later\b.*connections/i;

// A certificate that does not verify (core/tls.ts's words), or TLS spoken to a port that does not speak it.
const tlsWords = new RegExp(`${certificateWords.source}|wrong version number`, 'i');

/** `4.7.1` from `450 4.7.1 Error: too much mail`, or undefined. */
export function enhancedCode(response: string | undefined): string | undefined {
	const match = response === undefined ? null : /^\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(response);
	return match ? `${match[1]}.${match[2]}.${match[3]}` : undefined;
}

/** The server's words for an error: its reply when there was one, else the error's message. */
export function replyOf(error: SmtpErrorLike): string {
	return typeof error.response === 'string' && error.response !== '' ? error.response : error.message;
}

/**
 * Sorts a failed attempt. `dataSent`: the message's final dot had left this process, so a
 * connection lost now may have left the message with the server.
 *
 * @example
 * classifyReply({message: '', responseCode: 450, response: '450 4.7.1 Error: too much mail from 127.0.0.1', command: 'MAIL FROM'}, false) // 'limited'
 * classifyReply({message: '', responseCode: 550, response: '550 5.1.1 no such user', command: 'RCPT TO'}, false) // 'permanent'
 */
export function classifyReply(error: SmtpErrorLike, dataSent: boolean): ReplyKind {
	const code = typeof error.responseCode === 'number' ? error.responseCode : undefined;
	const text = replyOf(error);
	if (error.code === 'EAUTH' || error.command === 'AUTH' || (code === 535 || code === 534 || code === 530)) {
		return code !== undefined && code >= 400 && code < 500 && code !== 421 ? 'temporary' : 'auth';
	}

	if (error.code === 'ETLS' || tlsWords.test(`${text} ${error.originalCode ?? ''}`)) {
		return 'tls';
	}

	if (code === 421) {
		// "Service not available, closing transmission channel": the server ends the session, and
		// in practice says why: too many connections, too many errors, shutting down.
		return 'limited';
	}

	if (code !== undefined && code >= 400 && code < 500) {
		const enhanced = enhancedCode(text);
		const clientLevel = error.command === 'MAIL FROM' || error.command === 'CONN' || error.command === 'DATA';
		if (limitWords.test(text) || (enhanced?.startsWith('4.7.') && clientLevel)) {
			return 'limited';
		}

		return 'temporary';
	}

	if (code !== undefined && code >= 500 && code < 600) {
		return 'permanent';
	}

	return dataSent ? 'ambiguous' : 'connection';
}

/** What becomes of a recipient after an attempt of one kind (see `outcomeRules`). */
export interface OutcomeRule {
	/**
	 * `sent`, `failed`: for good. `retry`: tried again after the retry delay while the run has
	 * attempts left for it, else failed. `retry-first`: tried again before anyone else, once the
	 * server takes more. `stop-run`: stays pending, and the run stops.
	 */
	then: 'sent' | 'failed' | 'retry' | 'retry-first' | 'stop-run';
	/** The attempt uses one of the recipient's attempts; when false it is given back. */
	countsAttempt: boolean;
	/** The server answered about this message (took or refused it): the send is not stalled. */
	answered: boolean;
	/** The connection went after the final dot: the server may have the message. */
	mayHaveIt: boolean;
}

/**
 * What becomes of the recipient after each kind of outcome. The server limiting this client, or
 * refusing to go on, is not the recipient's doing: those attempts are given back.
 */
export const outcomeRules: Readonly<Record<'accepted' | 'unsent' | ReplyKind, OutcomeRule>> = {
	// The server took the message.
	accepted: {then: 'sent', countsAttempt: true, answered: true, mayHaveIt: false},
	// 5xx for this recipient.
	permanent: {then: 'failed', countsAttempt: true, answered: true, mayHaveIt: false},
	// 4xx for this recipient (mailbox busy, greylisted): retried with backoff.
	temporary: {then: 'retry', countsAttempt: true, answered: true, mayHaveIt: false},
	// The server limits this client (421, 4.7.x, "rate"): the whole send slows down (pacing.ts).
	limited: {then: 'retry-first', countsAttempt: false, answered: false, mayHaveIt: false},
	// No reply (dropped, timed out, refused) before the final dot left, or a reply that came before
	// it (it answers nothing we sent: transport.ts): retried on a new connection.
	connection: {then: 'retry', countsAttempt: true, answered: false, mayHaveIt: false},
	// Dropped or timed out after the final dot left this process: retried, marked "the server may have it".
	ambiguous: {then: 'retry', countsAttempt: true, answered: false, mayHaveIt: true},
	// Its commands waited behind another message's final dot (smtp-transaction.ts), and the
	// connection went before the server answered them: not tried, so tried first elsewhere.
	unsent: {then: 'retry-first', countsAttempt: false, answered: false, mayHaveIt: false},
	// The login was refused.
	auth: {then: 'stop-run', countsAttempt: false, answered: false, mayHaveIt: false},
	// TLS failed or the certificate did not verify.
	tls: {then: 'stop-run', countsAttempt: false, answered: false, mayHaveIt: false},
};
