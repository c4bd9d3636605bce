/**
 * One table that sorts every way an SMTP attempt can end, from the reply code, the enhanced
 * status code, the words and nodemailer's error code. The engine decides what to do from the
 * kind alone:
 *
 * | kind        | what it means                                        | the engine                                   |
 * | ----------- | ---------------------------------------------------- | -------------------------------------------- |
 * | permanent   | 5xx for this recipient                               | failed, not retried                          |
 * | temporary   | 4xx for this recipient (mailbox busy, greylisted)    | retried with backoff, an attempt used        |
 * | limited     | the server limits this client (421, 4.7.x, "rate")   | slows the send, retried, no attempt used     |
 * | connection  | no reply: dropped, timed out, refused, before the dot | retried on a new connection, an attempt used |
 * | ambiguous   | dropped or timed out after the final dot             | retried, marked "the server may have it"     |
 * | auth        | the login was refused                                | the run stops                                |
 * | tls         | TLS failed or the certificate did not verify         | the run stops                                |
 */

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

const certificateWords = /certificate|self[- ]signed|unable to verify|CERT_|altnames|wrong version number/i;

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
 * Sorts a failed attempt. `dataSent`: the message's final dot had gone out, so a connection
 * lost now may have left the message with the server.
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

	if (error.code === 'ETLS' || certificateWords.test(`${text} ${error.originalCode ?? ''}`)) {
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

/** Whether a kind ends the whole run rather than one attempt. */
export function stopsTheRun(kind: ReplyKind): boolean {
	return kind === 'auth' || kind === 'tls';
}
