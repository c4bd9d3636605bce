/**
 * What History and a send's page show and allow, as plain functions of the send records
 * (tested without rendering): the row text, which actions a send offers, the recipient filter.
 */
import type {RecipientReport, SendSummary} from '../../core/types.js';
import {filterItems} from './list.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-29 11:02` in local time. */
export function formatWhen(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) {
		return iso;
	}

	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export type SendAction = 'resume' | 'retry' | 'remind' | 'export' | 'captured';

/**
 * The actions a send offers now:
 * resume when it was interrupted with recipients still pending; retry when some failed and
 * it is not running; a reminder when someone received it; captured mail when it went to
 * local capture; export always.
 */
export function sendActions(summary: SendSummary): Set<SendAction> {
	const actions = new Set<SendAction>(['export']);
	const pending = summary.total - summary.sent - summary.failed;
	if (summary.status === 'interrupted' && pending > 0) {
		actions.add('resume');
	}

	if (summary.status !== 'running' && summary.failed > 0) {
		actions.add('retry');
	}

	if (summary.sent > 0) {
		actions.add('remind');
	}

	if (summary.captured) {
		actions.add('captured');
	}

	return actions;
}

/** The subject a reminder of this send starts with (never `Reminder: Reminder: …`). */
export function reminderSubject(subject: string): string {
	return /^reminder:/i.test(subject.trim()) ? subject.trim() : `Reminder: ${subject}`;
}

/** The recipients shown: those matching the `/` filter (address, status, reply), only the failed ones if asked. */
export function shownRecipients<T extends RecipientReport>(recipients: readonly T[], filter: string, failedOnly: boolean): readonly T[] {
	const wanted = failedOnly ? recipients.filter(r => r.status === 'failed') : recipients;
	return filterItems(wanted, filter, r => `${r.address} ${r.status} ${r.response ?? ''}`);
}

/** The sends shown: those matching the `/` filter (subject, audience, kind, status, id). */
export function shownSends(sends: readonly SendSummary[], filter: string): readonly SendSummary[] {
	return filterItems(sends, filter, s => `${s.subject} ${s.audience} ${s.kind} ${s.status} ${s.id} ${formatWhen(s.createdAt)}`);
}
