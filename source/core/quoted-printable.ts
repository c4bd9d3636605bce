/**
 * A message text as quoted-printable bytes, encoded a block of lines at a time.
 *
 * Encoded whole, a 50 MB message went through half a dozen strings and buffers of its size at
 * once (line ends made CRLF, the UTF-8 bytes, the encoded text, the wrapped text, `From ` escaped,
 * then its Buffer): over 600 MB before the first connection. Quoted-printable lines are encoded
 * independently of each other, so a block that ends with a line break encodes to the same bytes
 * alone as within the whole text; only one block's worth of strings is alive at a time.
 */
import {encode as qpEncode, wrap as qpWrap} from 'nodemailer/lib/qp';

/** About how many characters of the text are encoded at a time (a block ends at the next line break). */
export const quotedPrintableBlockCharacters = 64 * 1024;

/**
 * Quoted-printable, lines of at most 76 characters, a line that starts `From ` written `=46rom `
 * (RFC 2049 §3 (8)): mbox readers would otherwise turn it into `>From `.
 */
export function quotedPrintable(text: string): string {
	// Wrapped at 74 so that the two characters `=46` adds keep a soft-wrapped line within 76.
	return qpWrap(qpEncode(text.replaceAll(/\r?\n|\r/g, '\r\n')), 74).replaceAll(/^From /gm, '=46rom ');
}

/**
 * {@link quotedPrintable} of `text` as the bytes to send, in blocks: the same bytes as
 * `Buffer.from(quotedPrintable(text))`.
 */
export function quotedPrintableBlocks(text: string, blockCharacters = quotedPrintableBlockCharacters): Buffer[] {
	const blocks: Buffer[] = [];
	const lineBreak = /\r\n|\n|\r/g;
	let start = 0;
	while (start < text.length) {
		let end = text.length;
		if (start + blockCharacters < text.length) {
			// The next line break from there: a CR and its LF stay in one block.
			lineBreak.lastIndex = start + blockCharacters;
			const found = lineBreak.exec(text);
			if (found) {
				end = found.index + found[0].length;
			}
		}

		// Quoted-printable is ASCII: latin1 gives the same bytes as UTF-8, faster.
		blocks.push(Buffer.from(quotedPrintable(text.slice(start, end)), 'latin1'));
		start = end;
	}

	return blocks;
}
