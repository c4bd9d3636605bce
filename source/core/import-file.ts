/** Importing a CSV file by path (`massmail import` and the dashboard's Import), over the all-or-nothing importCsv. */
import path from 'node:path';
import {MassmailError} from './errors.js';
import {CsvImport, type ImportResult} from './import.js';
import type {Store} from './store.js';
import {checkLocalEdit} from './sync.js';
import {openTextFile, type TextFileOptions} from './text-file.js';

/**
 * Reads `file`, imports it into the store's directory and saves the directory: all or nothing.
 * A bad row is a MassmailError('validation') whose `details` list every bad line; nothing is saved then.
 * Bytes that are not text in the encoding (UTF-8 unless `read.encoding` names another) are a
 * MassmailError('usage') naming the line. Refused (MassmailError 'usage', checkLocalEdit's
 * reason) while the mailboxes come from a source.
 *
 * The file is read as a stream, each row checked and put into the directory as it is decoded:
 * a million rows are never one string, nor a list of rows besides the directory.
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
	// Opened first: a file that cannot be read is said before anything else, as before it was read whole.
	const reader = openTextFile(target, {...read, name: typed, consequence: 'nothing imported'});
	try {
		let result!: ImportResult;
		store.editDirectory(latest => {
			checkLocalEdit(store.settings.get(), latest, 'mailboxes');
			const csvImport = new CsvImport(latest, typed);
			reader.readPieces(text => {
				csvImport.push(text);
			});
			const imported = csvImport.finish();
			result = imported.result;
			return imported.directory;
		});
		return result;
	} finally {
		reader.close();
	}
}
