/**
 * Bytes that survive a crash, with no word of what they hold: whole writes and reads, a file
 * replaced atomically, a folder's entries made durable, and where the last whole line of an
 * append-only file ends. Errors are Node's own; the layers above say which file of theirs failed.
 */
import fs from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';

/** Writes all of `data`: a write may take fewer bytes than it was given (a full disk, a signal). */
export function writeAllSync(fd: number, data: string | Buffer): void {
	const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
	let offset = 0;
	while (offset < buffer.length) {
		const written = fs.writeSync(fd, buffer, offset, buffer.length - offset);
		if (written <= 0) {
			throw new Error(`short write: ${offset} of ${buffer.length} bytes`);
		}

		offset += written;
	}
}

/** Reads exactly `length` bytes at `position` (a read may return fewer). */
export function readFullySync(fd: number, buffer: Buffer, length: number, position: number): void {
	let offset = 0;
	while (offset < length) {
		const read = fs.readSync(fd, buffer, offset, length - offset, position + offset);
		if (read <= 0) {
			throw new Error(`short read: ${offset} of ${length} bytes at ${position}`);
		}

		offset += read;
	}
}

/** Makes a folder's entries (a file created, renamed or removed in it) durable. Best effort: not every platform can fsync a folder. */
export function fsyncDirectory(directory: string): void {
	try {
		const fd = fs.openSync(directory, 'r');
		try {
			fs.fsyncSync(fd);
		} finally {
			fs.closeSync(fd);
		}
	} catch {
		// The files themselves are synced.
	}
}

const chunkBytes = 65_536;

/**
 * Replaces `file` so that readers see the old content or the new, never half of it: a temporary
 * file of an unpredictable name in the same folder (removed if anything fails), written whole,
 * fsynced, renamed over the target, and the folder fsynced. `content` may be pieces (lines), written
 * in chunks of 64 KB, so a large file never becomes one string.
 *
 * @example writeAtomicSync(file, recipients.map(r => JSON.stringify(r) + '\n'))
 */
export function writeAtomicSync(file: string, content: string | Buffer | Iterable<string>, mode = 0o600): void {
	const folder = path.dirname(file);
	const temporary = path.join(folder, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
	let fd: number | undefined;
	try {
		fd = fs.openSync(temporary, 'wx', mode);
		fs.fchmodSync(fd, mode);
		if (typeof content === 'string' || Buffer.isBuffer(content)) {
			writeAllSync(fd, content);
		} else {
			let chunk = '';
			for (const piece of content) {
				chunk += piece;
				if (chunk.length >= chunkBytes) {
					writeAllSync(fd, chunk);
					chunk = '';
				}
			}

			if (chunk !== '') {
				writeAllSync(fd, chunk);
			}
		}

		fs.fsyncSync(fd);
		fs.closeSync(fd);
		fd = undefined;
		fs.renameSync(temporary, file);
	} catch (error) {
		if (fd !== undefined) {
			fs.closeSync(fd);
		}

		fs.rmSync(temporary, {force: true});
		throw error;
	}

	fsyncDirectory(folder);
}

/**
 * The end of the last whole line of an append-only file: the file's size, or less when its last
 * line is torn (no newline: a crash in the middle of a write). Reads backwards from the end in
 * chunks, so a torn line of any length is found, and a file that holds no newline at all gives 0.
 */
export function endOfLastLine(fd: number, size: number): number {
	const chunk = Buffer.alloc(Math.min(size, chunkBytes));
	let end = size;
	while (end > 0) {
		const length = Math.min(chunk.length, end);
		const start = end - length;
		readFullySync(fd, chunk, length, start);
		const part = chunk.subarray(0, length);
		if (end === size && part.at(-1) === 0x0A) {
			return size;
		}

		const newline = part.lastIndexOf(0x0A);
		if (newline !== -1) {
			return start + newline + 1;
		}

		end = start;
	}

	return 0;
}

/**
 * Opens an append-only file for appending, its torn last line (if any) cut off and the cut made
 * durable first, so that what is appended starts on a line of its own.
 */
export function openForAppend(file: string, mode = 0o600): number {
	const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, mode);
	try {
		const size = fs.fstatSync(fd).size;
		const keep = size > 0 ? endOfLastLine(fd, size) : 0;
		if (keep < size) {
			fs.ftruncateSync(fd, keep);
			fs.fsyncSync(fd);
		}
	} catch (error) {
		fs.closeSync(fd);
		throw error;
	}

	return fd;
}

/** A folder of ours that others can read or enter is closed to them (made by an older version, or by hand). */
export function keepPrivate(folder: string): void {
	try {
		if ((fs.statSync(folder).mode & 0o077) !== 0) {
			fs.chmodSync(folder, 0o700);
		}
	} catch {
		// Not ours to change (or not there): the files inside are 0600 either way.
	}
}
