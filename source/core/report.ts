/**
 * The per-recipient report of a send, as CSV or JSON, and writing it to a file
 * (the command line's `show --csv` and the dashboard's export).
 */
import fs from 'node:fs';
import path from 'node:path';
import {csvField} from './csv.js';
import {MassmailError} from './errors.js';
import {formatCount, printable, terminalJson} from './format.js';
import {writeFileAtomic} from './json-file.js';
import type {Delivery, RecipientRecord} from './journal/index.js';
import type {RecipientReport, SendSummary} from './types.js';

export type ReportFormat = 'csv' | 'json';

/**
 * A recipient's row: the report of `show`, with the marks of the send record when it has them —
 * `ambiguous` (a connection dropped after the message was sent: the server may have delivered
 * that copy) and `unreadable` (part of the recipient's record is damaged: `address` or `outcome`)
 * — and, when the delivery reports were read, `delivery` (null: neither sent nor reported on).
 */
export type ReportRow = RecipientReport & {ambiguous?: boolean; unreadable?: 'address' | 'outcome'; relay?: string | null; delivery?: Delivery | null};

/**
 * The row as `show --json` and the JSON export print it: `unreadable` only when set, `relay` in a
 * send over several relays (null where none answered), `delivery` when read.
 */
export function reportRow({address, status, attempts, response, messageId, ambiguous = false, unreadable, relay, delivery}: ReportRow): ReportRow & {ambiguous: boolean} {
	const row: ReportRow & {ambiguous: boolean} = unreadable === undefined ? {address, status, attempts, response, messageId, ambiguous} : {address, status, attempts, response, messageId, ambiguous, unreadable};
	if (relay !== undefined) {
		row.relay = relay;
	}

	if (delivery !== undefined) {
		row.delivery = delivery === null ? null : {state: delivery.state, status: delivery.status, diagnostic: delivery.diagnostic, at: delivery.at, ...(delivery.repliedAt === undefined ? {} : {repliedAt: delivery.repliedAt})};
	}

	return row;
}

/**
 * A send over several relays: how many recipients each relay took (`mx1.example.com:25 60 sent,
 * mx2.example.com:25 40 sent, 1 failed`); undefined for a send over one (`show` and the dashboard's Summary).
 */
export function relayCounts(records: ReadonlyArray<Pick<RecipientRecord, 'relay' | 'status'>>): string | undefined {
	const counts = new Map<string, {sent: number; failed: number}>();
	for (const {relay, status} of records) {
		if (relay === undefined) {
			return undefined;
		}

		if (relay !== null && status !== 'pending') {
			const count = counts.get(relay) ?? {sent: 0, failed: 0};
			count[status === 'sent' ? 'sent' : 'failed']++;
			counts.set(relay, count);
		}
	}

	return [...counts].map(([relay, {sent, failed}]) => printable(`${relay} ${formatCount(sent)} sent${failed > 0 ? `, ${formatCount(failed)} failed` : ''}`)).join(' · ') || 'none answered yet';
}

/** What a spreadsheet takes for the start of a formula (OWASP's CSV injection list): `=`, `+`, `-`, `@`, tab, carriage return. */
const formulaStart = /^[=+\-@\t\r]/;

/**
 * A text cell of an export as a spreadsheet may open it: control characters made visible (as on
 * the screen: `\x1b`), and a cell that would start a formula (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`)
 * begun with `'`, which spreadsheets read as "this is text" and do not show. The numbers massmail
 * itself writes (attempts) are never negative and are not text cells: they stay numbers.
 *
 * @example spreadsheetText('=HYPERLINK("http://x")') // `'=HYPERLINK("http://x")`
 */
export function spreadsheetText(value: string): string {
	const shown = printable(value);
	return formulaStart.test(shown) ? `'${shown}` : shown;
}

/**
 * The per-recipient report as CSV: one header row, fields quoted where needed; `ambiguous` is
 * true or false. `delivery`: four more columns from the delivery reports — the state (accepted,
 * delivered, bounced, delayed; empty when neither sent nor reported on), the report's status
 * and diagnostic, and when it came. A send over several relays has a last column, `relay`: the
 * relay that gave the outcome (empty where none did). Text cells are {@link spreadsheetText}: the
 * exact bytes a server sent are in the JSON report.
 */
export function reportCsv(recipients: readonly ReportRow[], options: {delivery?: boolean} = {}): string {
	const quote = (value: string | number | null | undefined) => csvField(value === null || value === undefined ? '' : typeof value === 'number' ? String(value) : spreadsheetText(value));
	const relays = recipients.some(r => r.relay !== undefined);
	const rows = recipients.map(r => {
		const fields = [r.address, r.status, r.attempts, r.response, r.messageId, String(r.ambiguous ?? false), r.unreadable ?? ''];
		if (options.delivery) {
			fields.push(r.delivery?.state ?? '', r.delivery?.status ?? '', r.delivery?.diagnostic ?? '', r.delivery?.at ?? '');
		}

		if (relays) {
			fields.push(r.relay ?? '');
		}

		return fields.map(quote).join(',');
	});
	return [`address,status,attempts,response,messageId,ambiguous,unreadable${options.delivery ? ',delivery,deliveryStatus,deliveryDiagnostic,deliveryAt' : ''}${relays ? ',relay' : ''}`, ...rows].join('\n');
}

/** The report as JSON: the history object plus `recipients`, as `show ID --json` prints it. */
export function reportJson(summary: SendSummary, recipients: readonly ReportRow[]): string {
	return terminalJson({...summary, recipients: recipients.map(recipient => reportRow(recipient))}, '\t');
}

/** `.json` -> JSON, anything else -> CSV. */
export function reportFormatOf(file: string): ReportFormat {
	return path.extname(file).toLowerCase() === '.json' ? 'json' : 'csv';
}

/** The absolute path a typed path means (relative to the working folder, `~/` to the home folder). */
export function reportPath(file: string, env: NodeJS.ProcessEnv = process.env): string {
	const trimmed = file.trim();
	if (trimmed === '') {
		throw new MassmailError('validation', 'type the path of the file to write');
	}

	const home = env.HOME;
	const expanded = (trimmed === '~' || trimmed.startsWith('~/')) && home ? path.join(home, trimmed.slice(1)) : trimmed;
	return path.resolve(expanded);
}

/** Whether something already exists at the path (the dashboard asks before replacing it). */
export function reportFileExists(file: string): boolean {
	return fs.existsSync(file);
}

/**
 * Writes the report (atomically: a reader never sees half a file) and returns the absolute path.
 * The folder must exist; an existing file is replaced (ask first). The file is 0600: it lists
 * the recipients' addresses.
 *
 * @example writeReport('failed.csv', summary, recipients, 'csv')
 */
export function writeReport(file: string, summary: SendSummary, recipients: readonly ReportRow[], format: ReportFormat = reportFormatOf(file)): string {
	const target = reportPath(file);
	const folder = path.dirname(target);
	let stat: fs.Stats | undefined;
	try {
		stat = fs.statSync(folder);
	} catch {
		stat = undefined;
	}

	if (!stat?.isDirectory()) {
		throw new MassmailError('validation', `${folder}: no such folder`);
	}

	if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
		throw new MassmailError('validation', `${target} is a folder; type a file name`);
	}

	const text = format === 'json' ? reportJson(summary, recipients) : reportCsv(recipients);
	writeFileAtomic(target, text + '\n', 0o600);
	return target;
}
