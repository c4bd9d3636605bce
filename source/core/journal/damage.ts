/**
 * The damage model of a send's record: which lines of which files cannot be read, what that
 * leaves unknown (addresses, outcomes), and the refusal of a read to send over it. Counts that
 * follow from others are derived here, never set by a reader.
 */
import {MassmailError} from '../errors.js';
import {formatCount, plural} from '../format.js';

/**
 * How reading to send treats the recipients of a damaged record it cannot read.
 * `skip` leaves them out of resume and retry: safe, nobody is sent the message twice.
 * `send` takes the readable lines at their word: an acceptance lost in a damaged line is sent again.
 * A recipient whose address cannot be read is never sent to, whatever the policy.
 */
export type UnreadablePolicy = 'skip' | 'send';

/** One damaged line (or, without `line`, a whole file) of a send's record. */
export interface DamagedLine {
	/** The file's name in the send's folder: `outcomes.log`, `recipients.jsonl`, `send.json`, `state.json`. */
	file: string;
	/** 1-based; absent when the whole file is unreadable. */
	line?: number;
	why: string;
}

/** What {@link SendLog.check} found in the files of one send. Made by {@link damageReport}. */
export interface DamageReport {
	id: string;
	/** The send's folder. */
	folder: string;
	/** damagedLines > 0. */
	damaged: boolean;
	/** The damaged lines and files, in file order (the first 1,000). */
	lines: DamagedLine[];
	/** How many lines are damaged in all (a missing stretch of recipients.jsonl counts each missing line). */
	damagedLines: number;
	/** The recipients the record says it has (0 when send.json cannot be read). */
	total: number;
	/** total - unreadableRecipients: recipients whose address and outcome can both be read. */
	readableRecipients: number;
	/** Recipients whose line of recipients.jsonl is damaged or missing. */
	unknownAddresses: number;
	/** Recipients not known to be accepted whose outcome may be in a damaged line of outcomes.log. */
	uncertainOutcomes: number;
	/** Recipients whose address or outcome cannot be read: what resume, retry and remind --follow-up refuse over without a policy. */
	unreadableRecipients: number;
}

/** A report with its derived fields (`damaged`, `readableRecipients`) worked out. */
export function damageReport(found: Omit<DamageReport, 'damaged' | 'readableRecipients'>): DamageReport {
	const {id, folder, lines, damagedLines, total, unknownAddresses, uncertainOutcomes, unreadableRecipients} = found;
	return {id, folder, damaged: damagedLines > 0, lines, damagedLines, total, readableRecipients: total - unreadableRecipients, unknownAddresses, uncertainOutcomes, unreadableRecipients};
}

/** How many damaged lines are listed by name; the rest are counted. */
export const listedDamage = 1000;

/** Damaged lines as they are found: every one counted, the first 1,000 kept. */
export class DamageList {
	readonly lines: DamagedLine[] = [];
	count = 0;

	add(file: string, line: number | undefined, why: string, count = 1): void {
		this.count += count;
		if (this.lines.length < listedDamage) {
			this.lines.push(line === undefined ? {file, why} : {file, line, why});
		}
	}
}

/** `outcomes.log:12: not an outcome line`, `send.json: not valid JSON`. */
export function formatDamagedLine(damage: DamagedLine): string {
	return damage.line === undefined ? `${damage.file}: ${damage.why}` : `${damage.file}:${damage.line}: ${damage.why}`;
}

/**
 * The damage in one line, for people: `20 lines unreadable (outcomes.log:4, outcomes.log:6,
 * outcomes.log:8, and 17 more)`; a whole file: `state.json: not valid JSON …`.
 */
export function describeDamage(report: Pick<DamageReport, 'lines' | 'damagedLines'>, shown = 3): string {
	const withLine = report.lines.filter(damage => damage.line !== undefined);
	const whole = report.lines.filter(damage => damage.line === undefined).map(damage => formatDamagedLine(damage));
	const parts: string[] = [];
	const lineCount = report.damagedLines - whole.length;
	if (lineCount > 0) {
		const where = withLine.slice(0, shown).map(damage => `${damage.file}:${damage.line}`);
		const more = lineCount - where.length;
		parts.push(`${plural(lineCount, 'line')} unreadable (${where.join(', ')}${more > 0 ? `, and ${formatCount(more)} more` : ''})`);
	}

	return [...whole, ...parts].join('; ');
}

/**
 * A read to send refused: recipients of a damaged record cannot be read and no
 * {@link UnreadablePolicy} says how to treat them (MassmailError 'store', exit 2). The message
 * names the send, the details the damaged lines; how to go on is for the caller to say (`hint`).
 */
export class UnreadableRecipientsError extends MassmailError {
	constructor(readonly report: DamageReport, options: {hint?: string; cause?: unknown} = {}) {
		const details = report.lines.slice(0, 20).map(damage => formatDamagedLine(damage));
		if (report.damagedLines > details.length) {
			details.push(`and ${plural(report.damagedLines - details.length, 'more damaged line')}`);
		}

		const what = [
			report.unknownAddresses > 0 ? `${plural(report.unknownAddresses, 'address', 'addresses')} unreadable` : '',
			report.uncertainOutcomes > 0 ? `${plural(report.uncertainOutcomes, 'outcome')} unknown` : '',
		].filter(Boolean).join(', ');
		super('store', `send ${report.id} is damaged: ${plural(report.unreadableRecipients, 'recipient')} of ${formatCount(report.total)} cannot be read (${what}) in ${report.folder}`, {details, ...options});
	}
}
