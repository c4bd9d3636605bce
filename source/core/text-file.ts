/**
 * A user's file read as text (a CSV to import, a message to send): decoded by the platform's
 * TextDecoder, strictly. A byte that is not text in the file's encoding is an error naming the
 * file, the line and the column, never a silent U+FFFD that would then be stored or sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import {MassmailError} from './errors.js';
import {printable} from './format.js';

/** What a file is read as unless the user names another encoding. */
const defaultEncoding = 'utf-8';

export interface TextFileOptions {
	/** How the file is named in messages: `users.csv`, `the message file notes.txt`, `standard input`. */
	name: string;
	/** The encoding's label as the user gave it (`latin1`, `windows-1252`, `utf-16le`…); UTF-8 when absent. */
	encoding?: string;
	/** How the user names the encoding here, for the hint: `with --encoding` when absent. */
	sayEncoding?: string;
	/** Said after the error: `nothing imported`. */
	consequence?: string;
}

/**
 * The strict decoder for `label`; an encoding the platform does not know is a usage error.
 * @example decoderFor('latin1').encoding // 'windows-1252' (the Encoding Standard reads Latin-1 so)
 */
export function decoderFor(label: string = defaultEncoding): TextDecoder {
	try {
		return new TextDecoder(label.trim(), {fatal: true});
	} catch (error) {
		if (error instanceof RangeError) {
			throw new MassmailError('usage', `unknown encoding "${printable(label)}"`, {
				hint: 'Use a name such as utf-8, latin1, windows-1252, iso-8859-15, utf-16le or shift_jis (the WHATWG Encoding Standard\'s labels).',
			});
		}

		throw error;
	}
}

/**
 * Decodes a user's file. A byte order mark decides, as the Encoding Standard's decode does: a
 * UTF-8 or UTF-16 mark overrides the label, and is removed. Bytes that are not text in the
 * encoding are a MassmailError('usage') naming the file, the line and column, the bytes in hex
 * and how to say the right encoding.
 *
 * `file` is where the bytes came from (a path, or 0 for standard input), for the hint's iconv command.
 *
 * @example decodeText(Buffer.from('j\xfcrgen', 'latin1'), {name: 'a.csv', encoding: 'latin1'}) // 'jürgen'
 */
export function decodeText(bytes: Uint8Array, options: TextFileOptions, file?: string | 0): string {
	const label = byteOrderMarkEncoding(bytes) ?? options.encoding ?? defaultEncoding;
	const decoder = decoderFor(label);
	try {
		return decoder.decode(bytes);
	} catch (error) {
		if (!(error instanceof TypeError)) {
			throw error;
		}

		throw notText(bytes, decoder.encoding, options, file);
	}
}

/**
 * Reads and decodes a user's file (`0` reads standard input). A file that cannot be read is a
 * MassmailError('validation') that says why in words.
 */
export function readTextFile(file: string | 0, options: TextFileOptions): string {
	decoderFor(options.encoding); // A mistyped --encoding is said before the file is read.
	let bytes: Buffer;
	try {
		bytes = fs.readFileSync(file);
	} catch (error) {
		throw cannotRead(error, options);
	}

	return decodeText(bytes, options, file);
}

/** A file that cannot be read, said in words (MassmailError 'validation'). */
function cannotRead(error: unknown, options: TextFileOptions): MassmailError {
	const code = (error as NodeJS.ErrnoException).code;
	const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
	return new MassmailError('validation', `cannot read ${options.name}: ${reason}`);
}

/**
 * How much of a file is read at a time when it is read as a stream. Small enough that each
 * piece's text (UTF-16 at worst: 64 KB) is an ordinary young object that dies at once: pieces of
 * 256 KB went to V8's large-object space, old garbage that let a 1,000,000-row import peak 70 MB higher.
 */
export const textFilePieceBytes = 32 * 1024;

/** A user's file opened to be read as a stream: {@link openTextFile}. */
export interface TextFileReader {
	/** Reads and decodes the whole file, giving the text a piece at a time; then closes it. */
	readPieces(onText: (text: string) => void): void;
	/** Closes the file without reading it (reading closes it too). */
	close(): void;
}

/**
 * {@link readTextFile} as a stream, for a file too large to hold as one string (a CSV of a
 * million mailboxes): opened now, so that a file that cannot be read is said first; read by
 * readPieces, decoded with the platform's TextDecoder in its streaming mode (a character cut
 * between two pieces is whole in the next). The same strictness and the same errors as
 * readTextFile: a byte that is not text is said with its line and column (the file read again
 * to find them).
 *
 * @example const reader = openTextFile('users.csv', {name: 'users.csv'}); reader.readPieces(text => csvImport.push(text));
 */
export function openTextFile(file: string, options: TextFileOptions): TextFileReader {
	decoderFor(options.encoding); // A mistyped --encoding is said before the file is read.
	let fd: number | undefined;
	try {
		fd = fs.openSync(file, 'r');
		if (fs.fstatSync(fd).isDirectory()) {
			throw Object.assign(new Error('is a directory'), {code: 'EISDIR'});
		}
	} catch (error) {
		if (fd !== undefined) {
			fs.closeSync(fd);
		}

		throw cannotRead(error, options);
	}

	const opened = fd;
	let closed = false;
	const close = () => {
		if (!closed) {
			closed = true;
			fs.closeSync(opened);
		}
	};

	return {
		close,
		readPieces(onText) {
			try {
				readDecoded(opened, file, options, onText);
			} finally {
				close();
			}
		},
	};
}

function readDecoded(fd: number, file: string, options: TextFileOptions, onText: (text: string) => void): void {
	const buffer = Buffer.allocUnsafe(textFilePieceBytes);
	// The first bytes, until there are enough to see a byte order mark, which decides the decoder.
	let start: Buffer | undefined = Buffer.alloc(0);
	let decoder: TextDecoder | undefined;
	for (;;) {
		let read: number;
		try {
			read = fs.readSync(fd, buffer, 0, buffer.length, null);
		} catch (error) {
			throw cannotRead(error, options);
		}

		let bytes: Buffer = buffer.subarray(0, read);
		if (start) {
			start = Buffer.concat([start, bytes]);
			if (start.length < 3 && read > 0) {
				continue;
			}

			bytes = start;
			start = undefined;
			decoder = decoderFor(byteOrderMarkEncoding(bytes) ?? options.encoding ?? defaultEncoding);
		}

		let text: string;
		try {
			text = decoder!.decode(bytes, {stream: read > 0});
		} catch (error) {
			if (!(error instanceof TypeError)) {
				throw error;
			}

			// Where the bad bytes are is found in the whole file, as readTextFile finds it (in chunks, never one string).
			throw notText(fs.readFileSync(file), decoder!.encoding, options, file);
		}

		if (text !== '') {
			onText(text);
		}

		if (read === 0) {
			return;
		}
	}
}

/** The encoding a byte order mark at the start names: the one case where the file says what it is. */
function byteOrderMarkEncoding(bytes: Uint8Array): string | undefined {
	if (bytes[0] === 0xEF && bytes[1] === 0xBB && bytes[2] === 0xBF) {
		return 'utf-8';
	}

	if (bytes[0] === 0xFF && bytes[1] === 0xFE) {
		return 'utf-16le';
	}

	if (bytes[0] === 0xFE && bytes[1] === 0xFF) {
		return 'utf-16be';
	}

	return undefined;
}

function notText(bytes: Uint8Array, encoding: string, options: TextFileOptions, file: string | 0 | undefined): MassmailError {
	const {start, end} = firstBadBytes(bytes, encoding);
	const {line, column, lineBefore} = positionOf(bytes.subarray(0, start), encoding);
	const shown = [...bytes.subarray(start, Math.min(end, start + 8))].map(byte => `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(' ');
	const what = end - start === 1 ? `byte ${shown} is` : `bytes ${shown}${end - start > 8 ? ' …' : ''} are`;
	const context = lineBefore === '' ? '' : ` (after "${printable(lineBefore)}")`;
	const name = encoding === 'utf-8' ? 'UTF-8' : encoding;
	const say = options.sayEncoding ?? 'with --encoding';
	const convert = file === 0 ? '… | iconv -f latin1 -t utf-8 | massmail …' : `iconv -f latin1 -t utf-8 ${file === undefined ? 'FILE > NEW' : `${shellWord(file)} > ${shellWord(convertedName(file))}`}`;
	return new MassmailError('usage', `${options.name}, line ${line}, column ${column}: ${what} not ${name} text${context}${options.consequence ? `; ${options.consequence}` : ''}`, {
		hint: `Name its encoding ${say} (latin1, windows-1252, iso-8859-15, utf-16le…), or convert it to UTF-8: ${convert}`,
	});
}

/** How much of a file is decoded at a time when looking for its first bad byte. */
const chunkSize = 64 * 1024;

/**
 * The line and column (1-based, in characters) where `text` (whole characters) ends, and the
 * last 20 characters of that line before it; decoded a chunk at a time, not kept whole.
 */
function positionOf(text: Uint8Array, encoding: string): {line: number; column: number; lineBefore: string} {
	const decoder = new TextDecoder(encoding);
	let line = 1;
	let column = 1;
	let lineBefore = '';
	let endedWithCr = false;
	for (let offset = 0; offset < text.length; offset += chunkSize) {
		const end = Math.min(text.length, offset + chunkSize);
		const chunk = decoder.decode(text.subarray(offset, end), {stream: end < text.length});
		// A CRLF split between two chunks is one line break.
		line += (chunk.match(/\r\n|\r|\n/g)?.length ?? 0) - (endedWithCr && chunk.startsWith('\n') ? 1 : 0);
		const lastBreak = Math.max(chunk.lastIndexOf('\n'), chunk.lastIndexOf('\r'));
		const rest = chunk.slice(lastBreak + 1);
		const characters = rest.length - (rest.match(/[\uDC00-\uDFFF]/g)?.length ?? 0);
		column = (lastBreak === -1 ? column : 1) + characters;
		lineBefore = [...(lastBreak === -1 ? lineBefore : '') + rest.slice(-40)].slice(-20).join('');
		endedWithCr = chunk.endsWith('\r');
	}

	return {line, column, lineBefore};
}

/**
 * Where the first bytes that are not text begin and end. TextDecoder says only that a file has
 * some, so it is asked again: in chunks to find the one where the error shows, then byte by byte
 * from just before that chunk (a character is whole where the decoder gives it out). Three
 * passes over the file at most, each in the decoder's own speed.
 */
function firstBadBytes(bytes: Uint8Array, encoding: string): {start: number; end: number} {
	const chunks = new TextDecoder(encoding, {fatal: true});
	let chunkStart = 0;
	for (; chunkStart < bytes.length; chunkStart += chunkSize) {
		try {
			chunks.decode(bytes.subarray(chunkStart, chunkStart + chunkSize), {stream: true});
		} catch {
			break; // The error shows in this chunk.
		}
	}

	chunkStart = Math.min(chunkStart, bytes.length);
	// No error before chunkStart, and no character is longer than a few bytes: by `from` one has ended.
	const from = Math.max(0, chunkStart - 16);
	const bytewise = new TextDecoder(encoding, {fatal: true});
	bytewise.decode(bytes.subarray(0, from), {stream: true});
	let whole = from;
	for (let index = from; index < bytes.length; index++) {
		try {
			if (bytewise.decode(bytes.subarray(index, index + 1), {stream: true}) !== '') {
				whole = index + 1;
			}
		} catch {
			// A sequence begun before this byte is the bad part (the byte may start the next); else the byte itself.
			return {start: whole, end: Math.max(index, whole + 1)};
		}
	}

	return {start: whole, end: bytes.length}; // A character cut short by the end of the file.
}

/** `users.csv` -> `users-utf8.csv`: where the hint's iconv command writes. */
function convertedName(file: string): string {
	const {dir, name, ext} = path.parse(file);
	return path.join(dir, `${name}-utf8${ext}`);
}

/** A file name as a shell reads it back, for a command the user may copy. */
function shellWord(name: string): string {
	return /^[\w@%+=:,./-]+$/.test(name) ? name : `'${name.replaceAll('\'', '\'\\\'\'')}'`;
}
