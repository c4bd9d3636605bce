/**
 * Header lines as RFC 5322 and RFC 2047 want them, built from nodemailer's own MIME blocks
 * (mime-funcs: encodeWord, quoteString, foldLines): folded at whitespace to lines of at most 76
 * characters where the value has whitespace, never over 998; non-ASCII words as encoded-words of at
 * most 75 characters, each holding whole words, so that no reader shows a space in a word.
 *
 * @example foldedHeader('Subject', unstructuredText('Wartung über Nacht')) // 'Subject: Wartung =?UTF-8?Q?=C3=BCber?= Nacht'
 */
import {encodeWord, foldLines, quoteString} from 'nodemailer/lib/mime-funcs';
import {MassmailError} from './errors.js';
import {formatCount} from './format.js';

/** RFC 5322 §2.1.1: a line MUST NOT be longer than 998 characters, SHOULD NOT be longer than 78. */
export const maximumLineLength = 998;
/** What a header is folded to: nodemailer's width, within the 78 that RFC 5322 asks for. */
export const foldWidth = 76;
/** RFC 2047 §2: an encoded-word is at most 75 characters. */
const encodedWordLength = 75;

// Printable ASCII without the space: a word that can go into a header as it is (in a phrase,
// quoted when it holds a special). A word that looks like an encoded-word is encoded, or a
// reader would decode it.
const plainWord = /^[\u0021-\u007E]+$/;
const atom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;

function isPlain(word: string): boolean {
	return plainWord.test(word) && !word.includes('=?');
}

/** Q for mostly Latin text, B for the rest (the same choice nodemailer's MimeNode makes). */
function encodingFor(text: string): 'Q' | 'B' {
	let latin = 0;
	let other = 0;
	for (const character of text) {
		const code = character.codePointAt(0)!;
		if (code >= 0x80) {
			other++;
		} else if ((code >= 0x41 && code <= 0x5A) || (code >= 0x61 && code <= 0x7A)) {
			latin++;
		}
	}

	return other < latin ? 'Q' : 'B';
}

/**
 * A run of words that need encoding as encoded-words of at most 75 characters, split only
 * between words. `tokens` are the words, each with the spaces that follow it inside the run: a
 * space where one encoded-word ends is inside it, since readers drop the whitespace between two
 * encoded-words (RFC 2047 §6.2). Only a word too long for one encoded-word is split inside it,
 * between whole characters (nodemailer's encodeWord).
 */
function encodedRun(tokens: string[]): string {
	const encoding = encodingFor(tokens.join(''));
	const encode = (text: string) => encodeWord(text, encoding);
	const pieces: string[] = [];
	let current = '';
	for (const token of tokens) {
		if (current === '') {
			current = token;
		} else if (encode(current + token).length <= encodedWordLength) {
			current += token;
		} else {
			pieces.push(encode(current));
			current = token;
		}

		if (encode(current).length > encodedWordLength) {
			pieces.push(encodeWord(current, encoding, encodedWordLength));
			current = '';
		}
	}

	if (current !== '') {
		pieces.push(encode(current));
	}

	return pieces.join(' ');
}

/**
 * Text as header words: runs of plain ASCII words as they are (quoted in a phrase when they hold
 * a special), runs of the others as encoded-words, the spaces between runs kept. `phrase`: a
 * display name (RFC 5322 §3.2.5); otherwise unstructured text (a Subject). Spaces at either end
 * are dropped, as readers drop them.
 */
function headerWords(input: string, phrase: boolean): string {
	const text = input.replaceAll(/^ +| +$/g, '');
	if (text === '') {
		return phrase ? '""' : '';
	}

	// Words at the even places, the spaces between them at the odd ones.
	const parts = text.split(/( +)/);
	let output = '';
	for (let start = 0; start < parts.length;) {
		const plain = isPlain(parts[start]);
		let end = start;
		while (end + 2 < parts.length && isPlain(parts[end + 2]) === plain) {
			end += 2;
		}

		if (plain) {
			const run = parts.slice(start, end + 1).join('');
			let atoms = true;
			for (let index = start; index <= end && atoms; index += 2) {
				atoms = atom.test(parts[index]);
			}

			output += phrase && !atoms ? quoteString(run) : run;
		} else {
			const tokens: string[] = [];
			for (let index = start; index <= end; index += 2) {
				tokens.push(parts[index] + (index < end ? parts[index + 1] : ''));
			}

			output += encodedRun(tokens);
		}

		if (end + 1 < parts.length) {
			output += parts[end + 1];
		}

		start = end + 2;
	}

	return output;
}

/** A display name as header text: `"Example.com User - ann@example.com"`, encoded-words where not ASCII. */
export function phraseText(name: string): string {
	return headerWords(name, true);
}

/** Unstructured text (a Subject) as header text. */
export function unstructuredText(text: string): string {
	return headerWords(text, false);
}

/** `Name <address>` (or the bare address) as header text. */
export function mailboxText(name: string, address: string): string {
	return name === '' ? address : `${phraseText(name)} <${address}>`;
}

/**
 * The header line folded (CRLF, no final one), or a MassmailError('validation') naming `field`
 * when a word of it cannot fit in 998 characters: such a header cannot be sent.
 */
export function foldedHeader(name: string, value: string, field: string = name): string {
	const line = `${name}: ${value}`;
	if (line.length < foldWidth) {
		// What foldLines gives back unchanged (it folds nothing shorter): the usual To line, once per recipient.
		return line;
	}

	const lines = foldLines(line, foldWidth).split('\r\n');
	if (lines.length > 1 && lines[0] === `${name}:`) {
		// A first word too long for the first line stays on it: a break right after the colon
		// leaves some readers (Python's email) a value that starts with a space.
		lines.splice(0, 2, lines[0] + lines[1]);
	}

	const folded = lines.join('\r\n');
	const longest = Math.max(...lines.map(line => line.length));
	if (longest > maximumLineLength) {
		throw new MassmailError('validation', `${field} holds a word too long for a mail header: its line would be ${formatCount(longest)} characters, and no line may be longer than ${maximumLineLength}`, {
			hint: `put spaces in it (a header is folded between words), or shorten it`,
		});
	}

	return folded;
}
