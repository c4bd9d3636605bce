/** history and show: reading the send records. */
import {describeDamage, SendLog, type DamageReport, type RecipientRecord, type SendListing} from '../core/journal.js';
import {describeOperator} from '../core/operator.js';
import {reportCsv, reportRow} from '../core/report.js';
import type {SendSummary} from '../core/types.js';
import {exitCodes} from '../core/errors.js';
import {formatCount, plural} from '../core/format.js';
import type {Command} from './command.js';
import {json, table} from './output.js';

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** A send as `history --json` prints it: what send.json could not tell is null, not made up. */
function historyJson(listing: SendListing): Record<string, unknown> {
	const {recordUnreadable, ...rest} = listing;
	if (!recordUnreadable) {
		return rest;
	}

	return {id: rest.id, kind: null, subject: null, createdAt: rest.createdAt === '' ? null : rest.createdAt, total: null, sent: null, failed: null, status: rest.status, damaged: rest.damaged};
}

const historyCommand: Command = {
	name: 'history',
	arity: [0, 0],
	summary: 'List every send, newest first. A damaged record is listed and marked "damaged"; massmail show ID says what can be read.',
	options: {json: {type: 'boolean', description: 'print [{"id","kind","subject","createdAt","total","sent","failed","status","operator":{"user","from","host"}}], and "damaged" on a damaged record'}},
	async run({options, io, store}) {
		const sends = new SendLog(store().paths.sendsDir).list();
		if (options.json) {
			io.out(json(sends.map(listing => historyJson(listing))));
		} else if (sends.length === 0) {
			io.out('Nothing sent yet.');
		} else {
			io.out(table(['ID', 'WHEN', 'KIND', 'BY', 'STATUS', 'SENT', 'FAILED', 'TOTAL', 'AUDIENCE', 'SUBJECT'],
				sends.map(s => s.recordUnreadable
					? [s.id, s.createdAt === '' ? '?' : when(s.createdAt), '?', '?', s.status, '', '', '', '', `damaged: ${s.damaged ?? 'send.json'}`]
					: [s.id, when(s.createdAt), s.kind, s.operator?.user ?? '?', s.damaged ? `${s.status}, damaged` : s.status, s.sent, s.failed, s.total, s.audience, s.subject])));
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
		`Subject:  ${s.subject}`,
		`Audience: ${s.audience}${s.followUpOf ? ` (follow-up of ${s.followUpOf})` : ''}`,
		`By:       ${describeOperator(s.operator)}`,
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

	lines.push(`The files are in ${damage.folder}`);
	return lines;
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
		json: {type: 'boolean', description: 'the history object plus "recipients": [{"address","status","attempts","response","messageId","ambiguous"}], and "damage" when damaged'},
		csv: {type: 'boolean', description: 'the per-recipient report as CSV'},
		failed: {type: 'boolean', description: 'only the failed recipients'},
	},
	async run({args, options, io, store}) {
		const id = args[0]!;
		const sends = new SendLog(store().paths.sendsDir);
		// send.json itself damaged: a MassmailError naming the file (exit 2); anything else is shown.
		const {summary, recipients: all, damage} = sends.inspect(id);
		const indexed = all.map((recipient, index) => ({recipient, index}));
		const shown = options.failed ? indexed.filter(({recipient}) => recipient.status === 'failed') : indexed;
		const {recordUnreadable: _placeholder, ...fields} = summary;
		if (options.json) {
			const report: Record<string, unknown> = {...fields, recipients: shown.map(({recipient}) => reportRow(recipient))};
			if (damage.damaged) {
				const {lines, damagedLines, total, readableRecipients, unknownAddresses, uncertainOutcomes, folder} = damage;
				report.damage = {damagedLines, lines, total, readableRecipients, unknownAddresses, uncertainOutcomes, folder};
			}

			io.out(json(report));
		} else if (options.csv) {
			io.out(reportCsv(shown.map(({recipient}) => recipient)));
		} else {
			io.out(describeSummary(summary).join('\n'));
			if (damage.damaged) {
				io.out(damageLines(damage).join('\n'));
			}

			if (shown.length > 0) {
				io.out('');
				io.out(table(['ADDRESS', 'STATUS', 'ATTEMPTS', 'NOTE', 'RESPONSE'], shown.map(({recipient, index}) => [
					recipient.unreadable === 'address' ? `(recipients.jsonl:${index + 1} unreadable)` : recipient.address,
					recipient.status,
					recipient.attempts,
					noteOf(recipient),
					recipient.response ?? '',
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
