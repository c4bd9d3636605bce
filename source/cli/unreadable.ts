/**
 * --unreadable: how resume, retry, remind --follow-up and --to send:ID treat the recipients of a
 * damaged send record, and the command line's words about it. The journal refuses to read such a
 * send without a policy; saying how to go on is the command line's part.
 */
import {usageError} from '../core/errors.js';
import {UnreadableRecipientsError, type UnreadablePolicy} from '../core/journal.js';

/** --unreadable's value: `skip`, `send`, or not given; anything else is a usage error. */
export function unreadablePolicy(value: string | undefined): UnreadablePolicy | undefined {
	if (value !== undefined && value !== 'skip' && value !== 'send') {
		throw usageError(`--unreadable is skip or send, not ${JSON.stringify(value)}`, 'skip leaves the unreadable recipients out (safe); send may send some a second time');
	}

	return value;
}

/** What a refusal over unreadable recipients suggests. */
function unreadableHint(id: string): string {
	return `massmail show ${id} shows what can be read. To go on anyway: --unreadable skip leaves those recipients out (safe: nobody is sent anything twice); --unreadable send takes the readable lines at their word (whoever's acceptance was lost is sent again)`;
}

/**
 * A refusal over unreadable recipients with the command line's way on (`--unreadable`); any
 * other error as it is.
 *
 * @example
 * try { … } catch (error) { throw withUnreadableHint(error); }
 */
export function withUnreadableHint(error: unknown): unknown {
	return error instanceof UnreadableRecipientsError && error.hint === undefined
		? new UnreadableRecipientsError(error.report, {hint: unreadableHint(error.report.id)})
		: error;
}
