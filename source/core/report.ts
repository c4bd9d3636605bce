/**
 * The per-recipient report of a send, as CSV or JSON, and writing it to a file
 * (the command line's `show --csv` and the dashboard's export).
 */
import fs from 'node:fs';
import path from 'node:path';
import {MassmailError} from './errors.js';
import {writeFileAtomic} from './json-file.js';
import type {RecipientReport, SendSummary} from './types.js';

export type ReportFormat = 'csv' | 'json';

/** The per-recipient report as CSV: one header row, fields quoted where needed. */
export function reportCsv(recipients: readonly RecipientReport[]): string {
	const quote = (value: string | number | null) => {
		const text = value === null ? '' : String(value);
		return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
	};

	const rows = recipients.map(r => [r.address, r.status, r.attempts, r.response, r.messageId].map(quote).join(','));
	return ['address,status,attempts,response,messageId', ...rows].join('\n');
}

/** The report as JSON: the history object plus `recipients`, as `show ID --json` prints it. */
export function reportJson(summary: SendSummary, recipients: readonly RecipientReport[]): string {
	const rows = recipients.map(({address, status, attempts, response, messageId}) => ({address, status, attempts, response, messageId}));
	return JSON.stringify({...summary, recipients: rows}, undefined, '\t');
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
 * The folder must exist; an existing file is replaced (ask first).
 *
 * @example writeReport('failed.csv', summary, recipients, 'csv')
 */
export function writeReport(file: string, summary: SendSummary, recipients: readonly RecipientReport[], format: ReportFormat = reportFormatOf(file)): string {
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
	writeFileAtomic(target, text + '\n', 0o644);
	return target;
}
