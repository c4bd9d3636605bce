/**
 * Who a follow-up reminder goes to: the recipients of the original send whom the server took it
 * for, as the directory holds them now; and whom it comes from: the original's sender. One rule
 * for the command line and the dashboard.
 */
import {domainOf} from './address.js';
import type {Directory} from './directory.js';
import type {SendRecord, UnreadablePolicy} from './journal.js';
import type {RecipientReport, Resolution, Sender} from './types.js';

/**
 * The audience of a reminder that follows up a send: each recipient whose message was accepted,
 * with the directory's name for it; the others are skipped with the reason — `not-delivered`
 * (failed, or never sent), `disabled` (disabled in the directory since) or `removed` (removed
 * from the directory since: its domain is there, the mailbox is not — a disabled mailbox is
 * skipped, and a removed one must not get more than it). An address of a domain the directory
 * does not hold was outside it when sent (--allow-external), and is reminded.
 *
 * In a damaged record (`unreadable` set, see UnreadablePolicy) a recipient whose address
 * cannot be read is left out; one whose outcome cannot be read is reminded under `send` (it may
 * have been accepted) and skipped as `not-delivered` under `skip`.
 *
 * @example followUpAudience(store.directory(), sends.recipients(originalId))
 */
export function followUpAudience(directory: Directory, reports: Iterable<Pick<RecipientReport, 'address' | 'status'> & {unreadable?: 'address' | 'outcome'}>, unreadable: UnreadablePolicy = 'skip'): Resolution {
	const resolution: Resolution = {recipients: [], skipped: []};
	for (const report of reports) {
		if (report.unreadable === 'address') {
			continue;
		}

		const mailbox = directory.find(report.address);
		const delivered = report.status === 'sent' || (report.unreadable === 'outcome' && unreadable === 'send');
		if (!delivered || (report.unreadable === 'outcome' && unreadable === 'skip')) {
			resolution.skipped.push({address: report.address, reason: 'not-delivered'});
		} else if (mailbox?.disabled) {
			resolution.skipped.push({address: report.address, reason: 'disabled'});
		} else if (mailbox === undefined && directory.hasDomain(domainOf(report.address))) {
			resolution.skipped.push({address: report.address, reason: 'removed'});
		} else {
			resolution.recipients.push({address: report.address, name: mailbox?.name ?? ''});
		}
	}

	return resolution;
}

/**
 * The From and To Friendly Name a follow-up reminder has unless changed: the original's, so that
 * it reads as the same conversation. (A reminder with no original comes from the default sender
 * with the bare address, as SmarterMail's does.)
 *
 * @example followUpSender(sends.record(originalId)) // {from: {name: 'IT Team', address: 'it@example.com'}, friendlyName: 'example.com user - '}
 */
export function followUpSender(original: Pick<SendRecord, 'draft'>): {from: Sender; friendlyName: string} {
	return {from: {...original.draft.from}, friendlyName: original.draft.friendlyName};
}
