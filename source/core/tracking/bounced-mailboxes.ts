/**
 * The mailboxes that bounce, indexed the way the Users and Domains screens look them up: by
 * address, and counted per domain. Which mailboxes those are is results.ts's `brokenMailboxes`
 * (the last report of each address over the recent sends, a bounce); this file only indexes them.
 * Reads the send records only (journal/reports.ts); no IMAP.
 */
import {addressKey, domainOf} from '../address.js';
import type {SendReader} from '../journal/index.js';
import {brokenMailboxes, recentSendIds, type BrokenMailbox} from './results.js';

export type {BrokenMailbox} from './results.js';

/** The mailboxes whose last report bounced, by address and per domain. */
export interface BouncedMailboxes {
	/** Each mailbox by its addressKey (lower case). */
	byAddress: ReadonlyMap<string, BrokenMailbox>;
	/** How many per domain (as the directory stores it: lower case, ASCII). */
	byDomain: ReadonlyMap<string, number>;
}

/** No mailbox bounced (nothing folded yet, or delivery reports not set up). */
export const noBouncedMailboxes: BouncedMailboxes = {byAddress: new Map(), byDomain: new Map()};

/**
 * The mailboxes whose last report over the sends `ids` (default: the recent sends, those
 * `massmail track` folds) is a bounce, indexed by address and counted per domain. `ours`
 * keeps only the directory's addresses, as in brokenMailboxes.
 *
 * @example
 * const bounced = bouncedMailboxes(sends);
 * bounced.byAddress.get('full@example.com')?.status // '5.2.2'
 * bounced.byDomain.get('example.com') // 1
 */
export function bouncedMailboxes(sends: SendReader, ids: readonly string[] = recentSendIds(sends), ours?: (address: string) => boolean): BouncedMailboxes {
	const byAddress = new Map<string, BrokenMailbox>();
	const byDomain = new Map<string, number>();
	for (const mailbox of brokenMailboxes(sends, ids, ours)) {
		byAddress.set(addressKey(mailbox.address), mailbox);
		const domain = domainOf(mailbox.address).toLowerCase();
		byDomain.set(domain, (byDomain.get(domain) ?? 0) + 1);
	}

	return {byAddress, byDomain};
}
