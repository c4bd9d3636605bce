import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import {MassmailError} from './errors.js';

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
		throw new MassmailError('store', `${file}: cannot be read: ${(error as Error).message}`, {cause: error});
	}

	return stat && stampOf(stat);
}

function stampOf(stat: fs.BigIntStats): string {
	return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
}

/**
 * {@link readJsonFile}, and the {@link fileStamp} of the very version it read (taken from the
 * open file, so a rewrite in between makes the stamp differ on the next check, never hides it).
 */
export function readJsonFileStamped(file: string): {data: unknown; stamp: string | undefined} {
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
			return {data: undefined, stamp: undefined};
		}

		throw new MassmailError('store', `${file}: cannot be read: ${(error as Error).message}`, {cause: error});
	}

	return {data: parseJsonText(text, file), stamp};
}

/** JSON.parse with an error that names the file, the line and the column. */
export function parseJsonText(text: string, file: string): unknown {
	// A byte order mark from a hand edit is harmless; JSON.parse refuses it.
	const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
	try {
		return JSON.parse(body);
	} catch (error) {
		const message = (error as Error).message;
		const where = errorPosition(message, body);
		const at = where ? ` (line ${where.line} column ${where.column})` : '';
		throw new MassmailError('store', `${file}: not valid JSON${at}: ${message}`, {hint: neverOverwritten, cause: error});
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
	return new MassmailError('store', `${file}: ${what}`, {hint: neverOverwritten});
}

/**
 * Writes a file so that readers see the old content or the new, never half of it:
 * a temporary file in the same folder, flushed to disk, then renamed over the target.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
	const dir = path.dirname(file);
	const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
	let fd: number | undefined;
	try {
		fd = fs.openSync(temporary, 'wx', mode);
		fs.writeFileSync(fd, data);
		fs.fsyncSync(fd);
		fs.closeSync(fd);
		fd = undefined;
		fs.renameSync(temporary, file);
	} catch (error) {
		if (fd !== undefined) {
			fs.closeSync(fd);
		}

		fs.rmSync(temporary, {force: true});
		throw new MassmailError('store', `${file}: cannot be written: ${(error as Error).message}`, {cause: error});
	}

	// Make the rename itself durable; not every platform lets a folder be fsynced.
	try {
		const dirFd = fs.openSync(dir, 'r');
		try {
			fs.fsyncSync(dirFd);
		} finally {
			fs.closeSync(dirFd);
		}
	} catch {
		// Best effort only.
	}
}

/** {@link writeFileAtomic} of `JSON.stringify(value, undefined, '\t')` with a final newline. */
export function writeJsonFileAtomic(file: string, value: unknown, mode = 0o600): void {
	writeFileAtomic(file, JSON.stringify(value, undefined, '\t') + '\n', mode);
}
