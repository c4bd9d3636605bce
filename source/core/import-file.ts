/** Importing a CSV file by path (the dashboard's Import), over the all-or-nothing importCsv. */
import fs from 'node:fs';
import path from 'node:path';
import {MassmailError} from './errors.js';
import {importCsv, type ImportResult} from './import.js';
import type {Store} from './store.js';
import {checkLocalEdit} from './sync.js';

/**
 * Reads `file`, imports it into the store's directory and saves the directory: all or nothing.
 * A bad row is a MassmailError('validation') whose `details` list every bad line; nothing is saved then.
 * Refused (MassmailError 'usage', checkLocalEdit's reason) while the mailboxes come from a source.
 *
 * @example importCsvFile(store, '~/users.csv').added
 */
export function importCsvFile(store: Store, file: string, env: NodeJS.ProcessEnv = process.env): ImportResult {
	const typed = file.trim();
	if (typed === '') {
		throw new MassmailError('validation', 'type the path of a CSV file');
	}

	const home = env.HOME;
	const target = path.resolve((typed === '~' || typed.startsWith('~/')) && home ? path.join(home, typed.slice(1)) : typed);
	let text: string;
	try {
		text = fs.readFileSync(target, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
		throw new MassmailError('validation', `cannot read ${target}: ${reason}`);
	}

	let result!: ImportResult;
	store.editDirectory(latest => {
		checkLocalEdit(store.settings.get(), latest, 'mailboxes');
		const imported = importCsv(latest, text, typed);
		result = imported.result;
		return imported.directory;
	});
	return result;
}
