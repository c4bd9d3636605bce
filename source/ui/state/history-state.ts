/**
 * What History and a send's page show and allow, as plain functions of the send records
 * (tested without rendering): the row text, which actions a send offers, the recipient filter.
 */
import type {Delivery} from '../../core/journal/index.js';
import {isResumable} from '../../core/run-end.js';
import type {ScheduledSend} from '../../core/schedule/index.js';
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
 * resume when it was interrupted or cancelled with recipients still pending (as `massmail resume`
 * takes either: a cancelled send ends, and is sent on only when asked); retry when some failed and
 * it is not running; a reminder when someone received it; captured mail when it went to
 * local capture; export always.
 */
export function sendActions(summary: SendSummary): Set<SendAction> {
	const actions = new Set<SendAction>(['export']);
	const pending = summary.total - summary.sent - summary.failed;
	if (isResumable(summary) && pending > 0) {
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

/**
 * A recipient's delivery in its column: `delivered`, `bounced 5.2.2`, `delayed`, `accepted` (sent,
 * no report yet); '' when neither sent nor reported on.
 */
export function deliveryCell(delivery: Delivery | null | undefined): string {
	if (!delivery) {
		return '';
	}

	return delivery.state === 'bounced' && delivery.status ? `bounced ${delivery.status}` : delivery.state;
}

/**
 * What the report said, whole, for the line under the table: `bounced 5.2.2 at 2026-12-07 04:55:
 * mailbox full`; an auto-reply's time; undefined when no report came.
 */
export function deliveryNote(delivery: Delivery | null | undefined): string | undefined {
	if (!delivery) {
		return undefined;
	}

	const replied = delivery.repliedAt === undefined ? '' : `auto-reply at ${formatWhen(delivery.repliedAt)}`;
	if (delivery.at === null) {
		return replied === '' ? undefined : `${delivery.state}, ${replied}`;
	}

	const said = [delivery.state, delivery.status ?? '', `at ${formatWhen(delivery.at)}`].filter(Boolean).join(' ');
	return [`${said}${delivery.diagnostic ? `: ${delivery.diagnostic}` : ''}`, replied].filter(Boolean).join(`; `);
}

/** The recipients shown: those matching the `/` filter (address, status, delivery, reply), only the failed ones if asked. */
export function shownRecipients<T extends RecipientReport & {delivery?: Delivery | null}>(recipients: readonly T[], filter: string, failedOnly: boolean): readonly T[] {
	const wanted = failedOnly ? recipients.filter(r => r.status === 'failed') : recipients;
	return filterItems(wanted, filter, r => `${r.address} ${r.status} ${deliveryCell(r.delivery)} ${r.response ?? ''}`);
}

/** The sends shown: those matching the `/` filter (subject, audience, kind, status, id). */
export function shownSends<T extends SendSummary>(sends: readonly T[], filter: string): readonly T[] {
	return filterItems(sends, filter, s => `${s.subject} ${s.audience} ${s.kind} ${s.status} ${s.id} ${formatWhen(s.createdAt)}`);
}

/** The scheduled sends shown: those matching the `/` filter (subject, audience, kind, state and why, id, time). */
export function shownScheduled<T extends {scheduled: ScheduledSend; time: {wide: string}}>(rows: readonly T[], filter: string): readonly T[] {
	return filterItems(rows, filter, ({scheduled: s, time}) => `${s.draft.subject} ${s.audience} ${s.kind} ${s.state} ${s.reason ?? ''} ${s.id} ${time.wide}`);
}
