/**
 * What the folded reports add up to, as the command line and the dashboard show them: a send's
 * delivery counts in one line (`Accepted 1,200 · Delivered 1,180 · Bounced 17 · Delayed 3`),
 * its bounced and delayed recipients with the remote server's words, the recent sends a fold
 * is about, and the mailboxes whose last report bounced — for an administrator, the broken
 * mailboxes of their own server. Reads the send records only (journal/reports.ts); no IMAP.
 */
import fs from 'node:fs';
import path from 'node:path';
import {reportsFile, statusCodes, type DeliveryCounts, type SendReader} from '../journal/index.js';
import {formatCount} from '../format.js';

/** A recipient a report was about. */
export interface ReportedRecipient {
	index: number;
	address: string;
	status: string | null;
	diagnostic: string | null;
	/** When the report says it happened (ISO 8601). */
	at: string | null;
}

/** One send's deliveries, for `massmail track` and the dashboard. */
export interface SendDeliveries {
	id: string;
	subject: string;
	createdAt: string;
	counts: DeliveryCounts;
	/** When a report was last folded into this send; null when none was. */
	lastFoldedAt: string | null;
	bounced: ReportedRecipient[];
	delayed: ReportedRecipient[];
}

/** Sends of the last this many days are the ones a fold without a send id reports on. */
export const recentDays = 30;

/**
 * The sends a fold reports on when no send is named: those created in the last `days` days that
 * went to an SMTP server (not the local capture server), newest first; a send whose send.json
 * cannot be read is left out.
 */
export function recentSendIds(sends: SendReader, now = Date.now(), days = recentDays): string[] {
	const since = now - (days * 24 * 60 * 60 * 1000);
	return sends.list()
		.filter(listing => !listing.recordUnreadable && !listing.captured && Date.parse(listing.createdAt) >= since)
		.map(listing => listing.id);
}

/** Whether a send has any report folded in (its reports.log exists): without one, every sent recipient is simply accepted. */
export function hasReports(sends: SendReader, id: string): boolean {
	return fs.existsSync(path.join(sends.sendsDir, id, reportsFile));
}

/** A send's deliveries: the counts, and who bounced or is delayed, with the report's status and words. */
export function sendDeliveries(sends: SendReader, id: string): SendDeliveries {
	const record = sends.record(id);
	const {recipients, counts, lastFoldedAt} = sends.deliveries(id);
	const {addresses} = sends.readRecipients(id, {unreadable: 'send'});
	const bounced: ReportedRecipient[] = [];
	const delayed: ReportedRecipient[] = [];
	for (const [index, delivery] of recipients.entries()) {
		if (delivery?.state === 'bounced' || delivery?.state === 'delayed') {
			(delivery.state === 'bounced' ? bounced : delayed).push({index, address: addresses[index] ?? '', status: delivery.status, diagnostic: delivery.diagnostic, at: delivery.at});
		}
	}

	return {id, subject: record.draft.subject, createdAt: record.createdAt, counts, lastFoldedAt, bounced, delayed};
}

/**
 * A send's delivery counts in one line. `Accepted` counts every message the server took; the
 * recipients without a report yet are said apart (with NOTIFY=FAILURE,DELAY a delivery is never
 * reported, so most stay so), and auto-replies when there were any.
 *
 * @example deliveryLine({accepted: 0, delivered: 1180, bounced: 17, delayed: 3, replied: 0}) // 'Accepted 1,200 · Delivered 1,180 · Bounced 17 · Delayed 3'
 * @example deliveryLine({accepted: 1180, delivered: 0, bounced: 17, delayed: 3, replied: 2}) // 'Accepted 1,200 · Delivered 0 · Bounced 17 · Delayed 3 · no report yet 1,180 · auto-replies 2'
 */
export function deliveryLine(counts: DeliveryCounts): string {
	const accepted = counts.accepted + counts.delivered + counts.bounced + counts.delayed;
	const parts = [
		`Accepted ${formatCount(accepted)}`,
		`Delivered ${formatCount(counts.delivered)}`,
		`Bounced ${formatCount(counts.bounced)}`,
		`Delayed ${formatCount(counts.delayed)}`,
	];
	if (counts.accepted > 0) {
		parts.push(`no report yet ${formatCount(counts.accepted)}`);
	}

	if (counts.replied > 0) {
		parts.push(`auto-replies ${formatCount(counts.replied)}`);
	}

	return parts.join(' · ');
}

/** A mailbox whose last report bounced. */
export interface BrokenMailbox {
	address: string;
	status: string | null;
	diagnostic: string | null;
	at: string | null;
	/** The send that report was about. */
	sendId: string;
}

/**
 * The mailboxes whose last report (delivered, bounced or delayed; auto-replies aside), over these
 * sends, is a bounce: over quota, disabled, gone. `ours` keeps only the addresses that are this
 * server's mailboxes (the directory's): an outside address that bounces is not a broken mailbox
 * of the server. Sorted by address.
 *
 * @example brokenMailboxes(sends, recentSendIds(sends), address => directory.find(address) !== undefined)
 * // [{address: 'full@example.com', status: '5.2.2', diagnostic: 'mailbox full', at: '…', sendId: '…'}]
 */
export function brokenMailboxes(sends: SendReader, ids: readonly string[], ours: (address: string) => boolean = () => true): BrokenMailbox[] {
	const last = new Map<string, {state: string} & BrokenMailbox>();
	for (const id of ids) {
		if (!hasReports(sends, id)) {
			continue;
		}

		const {recipients} = sends.deliveries(id);
		const {addresses} = sends.readRecipients(id, {unreadable: 'send'});
		for (const [index, delivery] of recipients.entries()) {
			const address = addresses[index];
			if (!delivery || delivery.at === null || !address) {
				continue; // No report yet.
			}

			const key = address.toLowerCase();
			const before = last.get(key);
			if (!before || Date.parse(delivery.at) >= Date.parse(before.at!)) {
				last.set(key, {state: delivery.state, address, status: delivery.status, diagnostic: delivery.diagnostic, at: delivery.at, sendId: id});
			}
		}
	}

	return [...last.values()]
		.filter(each => each.state === 'bounced' && ours(each.address))
		.map(({state: _state, ...mailbox}) => mailbox)
		.sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
}

/**
 * Per recipient: accepted by the server (`status`, the outcome log's), then bounced with a
 * temporary status (4.x.x: over quota, a hop down until the queue gave up) by its delivery
 * report — whom `retry --bounced` sends again. A permanent bounce (5.x.x) never is.
 */
export function temporarilyBounced(sends: SendReader, sendId: string, status: Uint8Array): boolean[] {
	const {recipients} = sends.deliveries(sendId);
	return recipients.map((delivery, index) => status[index] === statusCodes.sent && delivery?.state === 'bounced' && (delivery.status ?? '').startsWith('4.'));
}
