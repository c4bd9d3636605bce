/**
 * For the tracking benchmark: the tests' bounce mailbox (Dovecot over a Maildir on 127.0.0.1,
 * test/helpers/bounce-mailbox.ts) outside a test, and what smtp-sink's dump (`-D FILE`) says each
 * transaction's envelope carried.
 */
import {readFileSync} from 'node:fs';
import {startBounceMailbox, type BounceMailbox} from '../../test/helpers/bounce-mailbox.js';
import {addCleanUp} from './children.js';

export {bounceUser} from '../../test/helpers/bounce-mailbox.js';

/**
 * Starts a bounce mailbox; `close` stops Dovecot and removes its folders. The helper takes a test's
 * teardown: here the teardowns are run by `close`, and also on Ctrl+C (bench/lib/children.ts), where
 * Dovecot itself is ended by the helper's own exit hook.
 */
export async function openBounceMailbox(): Promise<{mailbox: BounceMailbox; close: () => Promise<void>}> {
	const teardowns: Array<() => unknown> = [];
	const forget = addCleanUp(() => {
		for (const teardown of teardowns) {
			void Promise.resolve().then(teardown).catch(() => undefined);
		}
	});
	const close = async () => {
		forget();
		for (const teardown of teardowns.reverse()) {
			await teardown();
		}

		teardowns.length = 0;
	};

	try {
		const mailbox = await startBounceMailbox({teardown: fn => teardowns.push(fn)});
		return {mailbox, close};
	} catch (error) {
		await close();
		throw error;
	}
}

/** One mail transaction as smtp-sink dumped it: the arguments of MAIL and of each RCPT. */
export interface DumpedTransaction {
	/** `FROM:<bounces+ID.0@example.com> RET=HDRS ENVID=massmail.ID.0` */
	mailArgs: string;
	rcptArgs: string[];
}

/** The transactions of a dump file of smtp-sink (`-D FILE`): its X-Mail-Args and X-Rcpt-Args records. */
export function readSinkDump(file: string): DumpedTransaction[] {
	const transactions: DumpedTransaction[] = [];
	let text: string;
	try {
		text = readFileSync(file, 'latin1');
	} catch {
		return [];
	}

	for (const line of text.split(/\r?\n/)) {
		if (line.startsWith('X-Mail-Args: ')) {
			transactions.push({mailArgs: line.slice('X-Mail-Args: '.length), rcptArgs: []});
		} else if (line.startsWith('X-Rcpt-Args: ')) {
			transactions.at(-1)?.rcptArgs.push(line.slice('X-Rcpt-Args: '.length));
		}
	}

	return transactions;
}
