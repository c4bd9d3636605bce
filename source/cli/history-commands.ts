/** history and show: reading the send records, with the delivery reports folded into them (massmail track). */
import {describeDamage, SendLog, type Delivery, type DeliveryCounts, type RecipientRecord, type DamageReport, type SendListing} from '../core/journal.js';
import {describeOperator} from '../core/operator.js';
import {relayCounts, reportCsv, reportRow} from '../core/report.js';
import {deliveryLine, hasReports} from '../core/tracking/results.js';
import type {SendSummary} from '../core/types.js';
import {exitCodes} from '../core/errors.js';
import {formatCount, plural, printable} from '../core/format.js';
import type {Command} from './command.js';
import {json, table} from './output.js';
import {now} from '../core/clock.js';
import {formatTime, openSchedule, type ScheduledSend} from '../core/schedule/index.js';
import {describeScheduled} from './schedule-commands.js';

/** A scheduled send that has not run, as `history --json` lists it: the history's fields, its time, its state as the status. */
function scheduledHistoryJson(send: ScheduledSend): Record<string, unknown> {
	return {
		id: send.id, kind: send.kind, subject: send.draft.subject, createdAt: send.createdAt, total: send.count, sent: 0, failed: 0,
		delivered: 0, bounced: 0, delayed: 0, status: send.state, at: send.at, audience: send.audience, captured: false,
		...(send.followUpOf === undefined ? {} : {followUpOf: send.followUpOf}), operator: send.operator, ...(send.reason === undefined ? {} : {reason: send.reason}),
	};
}

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/**
 * A send's delivery counts: from its reports when massmail track folded any, else every sent
 * recipient accepted (read without the outcome log: the history lists many sends).
 */
function countsOf(sends: SendLog, listing: SendListing): DeliveryCounts {
	if (!listing.recordUnreadable && hasReports(sends, listing.id)) {
		try {
			return sends.deliveries(listing.id).counts;
		} catch {
			// Unreadable now: shown as if no report had come.
		}
	}

	return {accepted: listing.sent, delivered: 0, bounced: 0, delayed: 0, replied: 0};
}

/** A send as `history --json` prints it: what send.json could not tell is null, not made up. */
function historyJson(listing: SendListing, counts: DeliveryCounts): Record<string, unknown> {
	const {recordUnreadable, ...rest} = listing;
	if (!recordUnreadable) {
		return {...rest, delivered: counts.delivered, bounced: counts.bounced, delayed: counts.delayed};
	}

	return {id: rest.id, kind: null, subject: null, createdAt: rest.createdAt === '' ? null : rest.createdAt, total: null, sent: null, failed: null, delivered: null, bounced: null, delayed: null, status: rest.status, damaged: rest.damaged};
}

const historyCommand: Command = {
	name: 'history',
	arity: [0, 0],
	summary: 'List every send, newest first. A damaged record is listed and marked "damaged"; massmail show ID says what can be read.',
	options: {json: {type: 'boolean', description: 'print [{"id","kind","subject","createdAt","total","sent","failed","delivered","bounced","delayed","status","operator":{"user","from","host"}}] (delivered, bounced, delayed: from the delivery reports massmail track folded), and "damaged" on a damaged record. Scheduled sends that have not run come first, with "status": "scheduled" (or missed, refused, cancelled, with "reason") and "at"; a scheduled send that ran has "at" too'}},
	async run({options, io, store}) {
		const log = new SendLog(store().paths.sendsDir);
		const sends = log.list();
		const counts = sends.map(listing => countsOf(log, listing));
		const schedule = openSchedule(store()).list().sends;
		// Waiting ones first, the next first; then those that will not run, newest first.
		const waiting = [...schedule.filter(s => s.state === 'scheduled'), ...schedule.filter(s => s.state !== 'scheduled' && s.state !== 'started' && !log.has(s.id)).reverse()];
		const atOf = new Map(schedule.map(s => [s.id, s.at]));
		if (options.json) {
			io.out(json([
				...waiting.map(send => scheduledHistoryJson(send)),
				...sends.map((listing, index) => ({...historyJson(listing, counts[index]!), ...(atOf.has(listing.id) ? {at: atOf.get(listing.id)} : {})})),
			]));
		} else if (sends.length === 0 && waiting.length === 0) {
			io.out('Nothing sent yet.');
		} else {
			io.out(table(['ID', 'WHEN', 'KIND', 'BY', 'STATUS', 'SENT', 'FAILED', 'BOUNCED', 'TOTAL', 'AUDIENCE', 'SUBJECT'], [
				...waiting.map(s => [s.id, `at ${formatTime(new Date(s.at), s.zone)}`, s.kind, printable(s.operator.user), s.state, '', '', '', s.count, printable(s.audience), printable(s.draft.subject)]),
				...sends.map((s, index) => s.recordUnreadable
					? [s.id, s.createdAt === '' ? '?' : when(s.createdAt), '?', '?', s.status, '', '', '', '', '', `damaged: ${s.damaged ?? 'send.json'}`]
					: [s.id, when(s.createdAt), s.kind, printable(s.operator?.user ?? '?'), s.damaged ? `${s.status}, damaged` : s.status, s.sent, s.failed, counts[index]!.bounced, s.total, printable(s.audience), printable(s.subject)]),
			]));
			const damaged = sends.filter(s => s.damaged && !s.recordUnreadable);
			if (damaged.length > 0) {
				io.out('');
				for (const s of damaged) {
					io.out(`${s.id} damaged: ${s.damaged} (massmail show ${s.id})`);
				}
			}
		}

		return 0;
	},
};

function describeSummary(s: SendSummary): string[] {
	return [
		`Send ${s.id} (${s.kind}), ${when(s.createdAt)}: ${s.status}`,
		`Subject:  ${printable(s.subject)}`,
		`Audience: ${printable(s.audience)}${s.followUpOf ? ` (follow-up of ${s.followUpOf})` : ''}`,
		`By:       ${printable(describeOperator(s.operator))}`,
		`Sent ${formatCount(s.sent)}, failed ${formatCount(s.failed)}, of ${formatCount(s.total)}${s.captured ? ' — to local capture: nothing left this machine' : ''}`,
	];
}

/** What `show` says about a damaged record, for people. */
function damageLines(damage: DamageReport): string[] {
	const lines = [`record damaged: ${describeDamage(damage)}`];
	if (damage.unreadableRecipients > 0) {
		const parts = [
			damage.unknownAddresses > 0 ? `${plural(damage.unknownAddresses, 'address', 'addresses')} unreadable` : '',
			damage.uncertainOutcomes > 0 ? `${plural(damage.uncertainOutcomes, 'outcome')} unknown` : '',
		].filter(Boolean);
		lines.push(
			`${formatCount(damage.readableRecipients)} of ${formatCount(damage.total)} recipients readable (${parts.join(', ')}); resume, retry and remind --follow-up refuse until told --unreadable skip or send`,
		);
	}

	lines.push(`The files are in ${printable(damage.folder)}`);
	return lines;
}

/** The DELIVERY column of `show`: the state, and a report's status and words (control characters made visible). */
function deliveryCell(delivery: Delivery | null | undefined): string {
	if (!delivery) {
		return '';
	}

	return printable([delivery.state, delivery.status ?? '', delivery.state === 'bounced' || delivery.state === 'delayed' ? (delivery.diagnostic ?? '') : '']
		.filter(Boolean).join(' '));
}

/** The NOTE column of `show`. */
function noteOf(recipient: RecipientRecord): string {
	return [recipient.ambiguous ? 'ambiguous' : '', recipient.unreadable ? `unreadable ${recipient.unreadable}` : ''].filter(Boolean).join(', ');
}

const showCommand: Command = {
	name: 'show',
	args: 'SEND_ID',
	arity: [1, 1],
	summary: 'Show one send: its counts and each recipient\'s outcome, attempts and the server\'s reply. '
		+ 'A damaged record is shown as far as it can be read, with the damaged lines named, and exits 2.',
	options: {
		json: {type: 'boolean', description: 'the history object plus "recipients": [{"address","status","attempts","response","messageId","ambiguous","relay","delivery": {"state","status","diagnostic","at"}}] (relay: over several relays, the one that gave the outcome, null where none did; delivery: accepted, delivered, bounced or delayed, from the reports massmail track folded; null when not sent), and "damage" when damaged'},
		csv: {type: 'boolean', description: 'the per-recipient report as CSV, with the delivery columns'},
		failed: {type: 'boolean', description: 'only the failed recipients'},
	},
	async run({args, options, io, store, env}) {
		const id = args[0]!;
		const sends = new SendLog(store().paths.sendsDir);
		const book = openSchedule(store());
		if (!sends.has(id) && book.has(id)) {
			// Scheduled, not run yet: what and when, and why not when it was refused or missed.
			const send = book.get(id);
			// "recipients" as show --json always has it: none yet, the group is resolved when it runs.
			io.out(options.json ? json({...scheduledHistoryJson(send), recipients: []}) : describeScheduled(send, now(env)).join('\n'));
			return 0;
		}
		// send.json itself damaged: a MassmailError naming the file (exit 2); anything else is shown.
		const {summary, recipients: records, damage} = sends.inspect(id);
		const deliveries = sends.deliveries(id);
		const all = records.map((recipient, index) => ({...recipient, delivery: deliveries.recipients[index] ?? null}));
		const indexed = all.map((recipient, index) => ({recipient, index}));
		const shown = options.failed ? indexed.filter(({recipient}) => recipient.status === 'failed') : indexed;
		const {recordUnreadable: _placeholder, ...fields} = summary;
		if (options.json) {
			// History's object (its delivery counts too), plus the recipients.
			const {delivered, bounced, delayed} = deliveries.counts;
			const report: Record<string, unknown> = {...fields, delivered, bounced, delayed, recipients: shown.map(({recipient}) => reportRow(recipient))};
			if (damage.damaged) {
				const {lines, damagedLines, total, readableRecipients, unknownAddresses, uncertainOutcomes, folder} = damage;
				report.damage = {damagedLines, lines, total, readableRecipients, unknownAddresses, uncertainOutcomes, folder};
			}

			io.out(json(report));
		} else if (options.csv) {
			io.out(reportCsv(shown.map(({recipient}) => recipient), {delivery: true}));
		} else {
			io.out(describeSummary(summary).join('\n'));
			const relays = relayCounts(records);
			if (relays !== undefined) {
				io.out(`Relays: ${relays}`);
			}
			if (!summary.captured && summary.sent > 0) {
				io.out(deliveries.lastFoldedAt === null
					? 'Delivery: no report folded yet (massmail track ' + id + ')'
					: `Delivery: ${deliveryLine(deliveries.counts)} (reports folded until ${when(deliveries.lastFoldedAt)})`);
			}

			if (damage.damaged) {
				io.out(damageLines(damage).join('\n'));
			}

			if (shown.length > 0) {
				io.out('');
				io.out(table(['ADDRESS', 'STATUS', 'ATTEMPTS', 'NOTE', 'DELIVERY', 'RESPONSE'], shown.map(({recipient, index}) => [
					recipient.unreadable === 'address' ? `(recipients.jsonl:${index + 1} unreadable)` : recipient.address,
					recipient.status,
					recipient.attempts,
					noteOf(recipient),
					deliveryCell(recipient.delivery),
					printable(recipient.response ?? ''),
				])));
			}
		}

		if (damage.damaged) {
			if (options.json || options.csv) {
				io.err(`massmail: send ${id}: record damaged: ${describeDamage(damage)}`);
			}

			return exitCodes.usage;
		}

		return 0;
	},
};

export const historyCommands: Command[] = [historyCommand, showCommand];
