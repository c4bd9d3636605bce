/**
 * The JSON files of the data folder (the directory, the settings, a send's send.json and
 * state.json): read with the version's stamp, a damaged one named with its file (MassmailError
 * 'store', `file` set), written atomically through storage/durable.ts.
 */
import fs from 'node:fs';
import {MassmailError} from './errors.js';
import {writeAtomicSync} from './storage/index.js';

const neverOverwritten = 'Fix or move the file away; massmail never overwrites it.';

/**
 * Reads and parses a JSON file.
 * Returns undefined when the file does not exist; a file that is not JSON is a
 * MassmailError('store') naming the file and where the JSON breaks.
 */
export function readJsonFile(file: string): unknown {
	return readJsonFileStamped(file).data;
}

/**
 * What identifies one version of a file without reading it: inode, size, change and
 * modification times (nanoseconds). An atomic rename gives a new inode, so a rewrite is seen
 * even within one clock tick. undefined: no such file.
 */
export function fileStamp(file: string): string | undefined {
	let stat: fs.BigIntStats | undefined;
	try {
		stat = fs.statSync(file, {bigint: true, throwIfNoEntry: false});
	} catch (error) {
		throw new MassmailError('store', `${file}: cannot be read: ${(error as Error).message}`, {cause: error, file});
	}

	return stat && stampOf(stat);
}

function stampOf(stat: fs.BigIntStats): string {
	return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
}

/** A JSON file as read, never thrown: its value and the stamp of that version, or why it cannot be read. */
export type JsonFileRead =
	| {missing: true}
	| {value: unknown; stamp: string}
	| {why: string; hint?: string; cause: unknown};

/**
 * Reads and parses a JSON file, and says why not instead of throwing: for a reader that reports
 * damage (a send record) rather than stopping at it. `why` does not name the file.
 *
 * @example
 * const read = tryReadJsonFile(file);
 * if ('why' in read) damage.add('state.json', undefined, read.why);
 */
export function tryReadJsonFile(file: string): JsonFileRead {
	let text: string;
	let stamp: string;
	try {
		const fd = fs.openSync(file, 'r');
		try {
			stamp = stampOf(fs.fstatSync(fd, {bigint: true}));
			text = fs.readFileSync(fd, 'utf8');
		} finally {
			fs.closeSync(fd);
		}
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return {missing: true};
		}

		return {why: `cannot be read: ${(error as Error).message}`, cause: error};
	}

	const parsed = parseJson(text);
	return 'why' in parsed ? parsed : {value: parsed.value, stamp};
}

/**
 * {@link readJsonFile}, and the {@link fileStamp} of the very version it read (taken from the
 * open file, so a rewrite in between makes the stamp differ on the next check, never hides it).
 */
export function readJsonFileStamped(file: string): {data: unknown; stamp: string | undefined} {
	const read = tryReadJsonFile(file);
	if ('missing' in read) {
		return {data: undefined, stamp: undefined};
	}

	if ('why' in read) {
		throw new MassmailError('store', `${file}: ${read.why}`, {hint: read.hint, cause: read.cause, file});
	}

	return {data: read.value, stamp: read.stamp};
}

/** JSON.parse with an error that names the file, the line and the column. */
export function parseJsonText(text: string, file: string): unknown {
	const parsed = parseJson(text);
	if ('why' in parsed) {
		throw new MassmailError('store', `${file}: ${parsed.why}`, {hint: parsed.hint, cause: parsed.cause, file});
	}

	return parsed.value;
}

/** JSON.parse, or why the text is not JSON (with the line and the column). */
function parseJson(text: string): {value: unknown} | {why: string; hint: string; cause: unknown} {
	// A byte order mark from a hand edit is harmless; JSON.parse refuses it.
	const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
	try {
		return {value: JSON.parse(body)};
	} catch (error) {
		const message = (error as Error).message;
		const where = errorPosition(message, body);
		const at = where ? ` (line ${where.line} column ${where.column})` : '';
		return {why: `not valid JSON${at}: ${message}`, hint: neverOverwritten, cause: error};
	}
}

function errorPosition(message: string, text: string): {line: number; column: number} | undefined {
	// Node 22+ says "(line L column C)" itself; Node 20 says "at position P".
	const lineColumn = /line (\d+) column (\d+)/.exec(message);
	if (lineColumn) {
		return undefined;
	}

	let position: number;
	const match = /at position (\d+)/.exec(message);
	if (match) {
		position = Number(match[1]);
	} else if (/end of JSON input/.test(message)) {
		position = text.length;
	} else {
		return undefined;
	}

	const before = text.slice(0, position);
	const line = before.split('\n').length;
	const column = position - before.lastIndexOf('\n');
	return {line, column};
}

/** Message for a file that is JSON but not what massmail expects. */
export function badShape(file: string, what: string): MassmailError {
	return new MassmailError('store', `${file}: ${what}`, {hint: neverOverwritten, file});
}

/**
 * Writes a file so that readers see the old content or the new, never half of it
 * ({@link writeAtomicSync}); a failure is MassmailError('store') naming the file.
 */
export function writeFileAtomic(file: string, data: string | Buffer | Iterable<string>, mode = 0o600): void {
	try {
		writeAtomicSync(file, data, mode);
	} catch (error) {
		throw new MassmailError('store', `${file}: cannot be written: ${(error as Error).message}`, {cause: error, file});
	}
}

/** {@link writeFileAtomic} of `JSON.stringify(value, undefined, '\t')` with a final newline. */
export function writeJsonFileAtomic(file: string, value: unknown, mode = 0o600): void {
	writeFileAtomic(file, JSON.stringify(value, undefined, '\t') + '\n', mode);
}
