/**
 * Reading what the local capture server stored (see capture-server.ts): the `.eml` files of
 * one send, and one message's headers and plain text, for the dashboard's Captured mail.
 *
 * A deliberately small MIME reader for the messages massmail itself composes (compose.ts):
 * headers with RFC 2047 encoded words, a text/plain part (alone or in multipart/alternative)
 * in quoted-printable, base64, 7bit or 8bit.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CapturedFile {
	/** The recipient's index in the send (its line in the recipients file). */
	index: number;
	file: string;
}

export interface CapturedMessage {
	/** Every header in order, unfolded and decoded. */
	headers: Array<{name: string; value: string}>;
	/** The plain text the recipient reads (the plain-text alternative of an HTML message). */
	text: string;
}

/** The captured messages of a send, in recipient order; none (or no folder) -> []. */
export function listCaptured(captureDir: string, sendId: string): CapturedFile[] {
	if (!/^[\w.-]+$/.test(sendId)) {
		return [];
	}

	const folder = path.join(captureDir, sendId);
	let names: string[];
	try {
		names = fs.readdirSync(folder);
	} catch {
		return [];
	}

	const files: CapturedFile[] = [];
	for (const name of names) {
		const match = /^(\d+)\.eml$/.exec(name);
		if (match) {
			files.push({index: Number(match[1]), file: path.join(folder, name)});
		}
	}

	return files.sort((a, b) => a.index - b.index);
}

/** Reads and decodes one captured message. */
export function readCapturedMessage(file: string): CapturedMessage {
	return parseMessage(fs.readFileSync(file));
}

/** The value of the first header with this name (any case), or undefined. */
export function headerValue(message: CapturedMessage, name: string): string | undefined {
	const lower = name.toLowerCase();
	return message.headers.find(header => header.name.toLowerCase() === lower)?.value;
}

function splitHead(raw: string): {head: string; body: string} {
	const match = /\r?\n\r?\n/.exec(raw);
	if (!match) {
		return {head: raw, body: ''};
	}

	return {head: raw.slice(0, match.index), body: raw.slice(match.index + match[0].length)};
}

function parseHeaders(head: string): Array<{name: string; rawValue: string}> {
	const headers: Array<{name: string; rawValue: string}> = [];
	for (const line of head.split(/\r?\n/)) {
		if (/^[ \t]/.test(line) && headers.length > 0) {
			headers.at(-1)!.rawValue += ' ' + line.trim();
			continue;
		}

		const colon = line.indexOf(':');
		if (colon > 0) {
			headers.push({name: line.slice(0, colon).trim(), rawValue: line.slice(colon + 1).trim()});
		}
	}

	return headers;
}

function decodeQuotedPrintable(text: string, charset: string): string {
	const soft = text.replaceAll(/=\r?\n/g, '');
	const bytes: number[] = [];
	for (let index = 0; index < soft.length; index++) {
		const char = soft[index];
		if (char === '=' && /^[\dA-Fa-f]{2}$/.test(soft.slice(index + 1, index + 3))) {
			bytes.push(Number.parseInt(soft.slice(index + 1, index + 3), 16));
			index += 2;
		} else {
			for (const byte of Buffer.from(char, 'latin1')) {
				bytes.push(byte);
			}
		}
	}

	return decodeBytes(Buffer.from(bytes), charset);
}

function decodeBytes(bytes: Buffer, charset: string): string {
	try {
		return new TextDecoder(charset || 'utf-8').decode(bytes);
	} catch {
		return bytes.toString('utf8');
	}
}

/** `=?utf-8?Q?caf=C3=A9?=` -> `café`; adjacent encoded words join without the space between them. */
export function decodeEncodedWords(value: string): string {
	return value
		.replaceAll(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
		.replaceAll(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_match, charset: string, encoding: string, text: string) => {
			const name = charset.split('*')[0];
			if (encoding.toUpperCase() === 'B') {
				return decodeBytes(Buffer.from(text, 'base64'), name);
			}

			return decodeQuotedPrintable(text.replaceAll('_', ' '), name);
		});
}

function parameter(headerValue: string, name: string): string | undefined {
	const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(headerValue);
	return match ? match[1] ?? match[2] : undefined;
}

function find(headers: Array<{name: string; rawValue: string}>, name: string): string {
	return headers.find(header => header.name.toLowerCase() === name)?.rawValue ?? '';
}

/** The text of a part, or of its first text/plain (else text/html) sub-part, decoded. */
function textOf(headers: Array<{name: string; rawValue: string}>, body: string): string {
	const type = find(headers, 'content-type') || 'text/plain';
	const mediaType = type.split(';')[0].trim().toLowerCase();
	if (mediaType.startsWith('multipart/')) {
		const boundary = parameter(type, 'boundary');
		if (!boundary) {
			return body;
		}

		const parts = body.split(new RegExp(`\\r?\\n?--${boundary.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?\\n?`)).slice(1);
		const parsed = parts.filter(part => part.trim() !== '').map(part => {
			const {head, body: partBody} = splitHead(part);
			return {headers: parseHeaders(head), body: partBody};
		});
		const plain = parsed.find(part => (find(part.headers, 'content-type') || 'text/plain').toLowerCase().startsWith('text/plain'))
			?? parsed.find(part => find(part.headers, 'content-type').toLowerCase().startsWith('multipart/'))
			?? parsed[0];
		return plain ? textOf(plain.headers, plain.body) : '';
	}

	const charset = parameter(type, 'charset') ?? 'utf-8';
	const encoding = find(headers, 'content-transfer-encoding').toLowerCase();
	if (encoding === 'quoted-printable') {
		return decodeQuotedPrintable(body, charset);
	}

	if (encoding === 'base64') {
		return decodeBytes(Buffer.from(body.replaceAll(/\s+/g, ''), 'base64'), charset);
	}

	return decodeBytes(Buffer.from(body, 'latin1'), charset);
}

/** Parses a raw message (headers decoded, the plain text extracted). */
export function parseMessage(raw: Buffer): CapturedMessage {
	const {head, body} = splitHead(raw.toString('latin1'));
	const headers = parseHeaders(head);
	const text = textOf(headers, body).replaceAll('\r\n', '\n').replace(/\n+$/, '');
	return {
		headers: headers.map(({name, rawValue}) => ({name, value: decodeEncodedWords(decodeBytes(Buffer.from(rawValue, 'latin1'), 'utf-8'))})),
		text,
	};
}
