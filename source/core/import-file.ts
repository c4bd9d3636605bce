/** Importing a CSV file by path (`massmail import` and the dashboard's Import), over the all-or-nothing importCsv. */
import path from 'node:path';
import {MassmailError} from './errors.js';
import {importCsv, type ImportResult} from './import.js';
import type {Store} from './store.js';
import {checkLocalEdit} from './sync.js';
import {readTextFile, type TextFileOptions} from './text-file.js';

/**
 * Reads `file`, imports it into the store's directory and saves the directory: all or nothing.
 * A bad row is a MassmailError('validation') whose `details` list every bad line; nothing is saved then.
 * Bytes that are not text in the encoding (UTF-8 unless `read.encoding` names another) are a
 * MassmailError('usage') naming the line. Refused (MassmailError 'usage', checkLocalEdit's
 * reason) while the mailboxes come from a source.
 *
 * @example importCsvFile(store, '~/users.csv').added
 */
export function importCsvFile(store: Store, file: string, env: NodeJS.ProcessEnv = process.env, read: Pick<TextFileOptions, 'encoding' | 'sayEncoding'> = {}): ImportResult {
	const typed = file.trim();
	if (typed === '') {
		throw new MassmailError('validation', 'type the path of a CSV file');
	}

	const home = env.HOME;
	const target = path.resolve((typed === '~' || typed.startsWith('~/')) && home ? path.join(home, typed.slice(1)) : typed);
	const text = readTextFile(target, {...read, name: typed, consequence: 'nothing imported'});

	let result!: ImportResult;
	store.editDirectory(latest => {
		checkLocalEdit(store.settings.get(), latest, 'mailboxes');
		const imported = importCsv(latest, text, typed);
		result = imported.result;
		return imported.directory;
	});
	return result;
}
