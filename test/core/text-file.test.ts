/** A user's file read as text: strict decoding, the first bad byte located, the encoding named. */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {decodeText, readTextFile} from '../../source/core/text-file.js';
import {tempFolder} from '../helpers/temp-dir.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

function refusal(bytes: Uint8Array, encoding?: string): MassmailError {
	return (() => {
		try {
			decodeText(bytes, {name: 'users.csv', encoding});
		} catch (error) {
			if (error instanceof MassmailError) {
				return error;
			}

			throw error;
		}

		throw new Error('decoded without an error');
	})();
}

test('Latin-1 bytes read as UTF-8 are a usage error naming the line, the column, the byte and the fix', t => {
	const error = refusal(latin1('email,name\r\nann@example.com,Ann\r\nj\u00FCrgen@example.org,J\u00FCrgen\r\n'));
	t.is(error.kind, 'usage');
	t.is(error.exitCode, 2);
	t.is(error.message, 'users.csv, line 3, column 2: byte 0xFC is not UTF-8 text (after "j")');
	t.is(error.hint, 'Name its encoding with --encoding (latin1, windows-1252, iso-8859-15, utf-16le…), or convert it to UTF-8: iconv -f latin1 -t utf-8 FILE > NEW');
});

test('the bad bytes are the sequence that breaks: a lead byte without its continuation, a stray continuation, a character cut short at the end', t => {
	t.is(refusal(latin1('M\u00E4rz')).message, 'users.csv, line 1, column 2: byte 0xE4 is not UTF-8 text (after "M")');
	t.is(refusal(latin1('ab\n\u0080x')).message, 'users.csv, line 2, column 1: byte 0x80 is not UTF-8 text');
	t.is(refusal(Buffer.concat([Buffer.from('a\rb\n€ and '), Buffer.from([0xE2, 0x82])])).message, 'users.csv, line 3, column 7: bytes 0xE2 0x82 are not UTF-8 text (after "€ and ")');
	t.is(refusal(Buffer.from([0x61, 0x0A, 0x62, 0x82, 0x20]), 'shift_jis').message, 'users.csv, line 2, column 2: byte 0x82 is not shift_jis text (after "b")');
});

test('far into a file: lines counted across chunks (a CRLF split between two is one break), columns across a long line', t => {
	// The file is looked at 64 KiB at a time: the CR is the last byte of the first chunk, the LF the first of the next.
	t.is(refusal(latin1(`${'x'.repeat(65_535)}\r\nok\r\n\u00FC`)).message, 'users.csv, line 3, column 1: byte 0xFC is not UTF-8 text');
	t.is(refusal(Buffer.concat([Buffer.from(`a\n${'é'.repeat(70_000)}`), latin1('\u00FC')])).message, `users.csv, line 2, column 70001: byte 0xFC is not UTF-8 text (after "${'é'.repeat(20)}")`);
});

test('control characters before the bad byte are not shown raw', t => {
	t.false(refusal(latin1('\u001B]0;x\u0007\u00FC')).message.includes('\u001B'));
});

test('the named encoding decodes; a U+FFFD that is really in a UTF-8 file is kept', t => {
	t.is(decodeText(latin1('J\u00FCrgen'), {name: 'a', encoding: 'latin1'}), 'Jürgen');
	t.is(decodeText(latin1('\u00A4'), {name: 'a', encoding: 'iso-8859-15'}), '€');
	t.is(decodeText(Buffer.from('a\uFFFDb'), {name: 'a'}), 'a\uFFFDb');
});

test('a byte order mark decides the encoding and is removed', t => {
	const mark8 = Buffer.from([0xEF, 0xBB, 0xBF]);
	t.is(decodeText(Buffer.concat([mark8, Buffer.from('zoë')]), {name: 'a'}), 'zoë');
	t.is(decodeText(Buffer.concat([mark8, Buffer.from('zoë')]), {name: 'a', encoding: 'latin1'}), 'zoë', 'the mark wins over the label');
	t.is(decodeText(Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from('søren', 'utf16le')]), {name: 'a'}), 'søren');
	t.is(decodeText(Buffer.from([0xFE, 0xFF, 0x00, 0x7A, 0x00, 0xEB]), {name: 'a'}), 'zë');
});

test('an unknown encoding is a usage error, said before the file is read', t => {
	const error = t.throws(() => readTextFile('/nonexistent/users.csv', {name: 'users.csv', encoding: 'klingon'}), {instanceOf: MassmailError});
	t.is(error.kind, 'usage');
	t.is(error.message, 'unknown encoding "klingon"');
	t.regex(error.hint ?? '', /utf-8, latin1, windows-1252/);
});

test('readTextFile: the iconv command names the file and a file next to it; a missing file says so', t => {
	const dir = tempFolder(t, 'massmail-text-');
	const file = path.join(dir, 'my users.csv');
	fs.writeFileSync(file, latin1('x\n\u00FC'));
	const error = t.throws(() => readTextFile(file, {name: 'my users.csv', consequence: 'nothing imported'}), {instanceOf: MassmailError});
	t.is(error.message, 'my users.csv, line 2, column 1: byte 0xFC is not UTF-8 text; nothing imported');
	t.true(error.hint?.endsWith(`iconv -f latin1 -t utf-8 '${file}' > '${path.join(dir, 'my users-utf8.csv')}'`), error.hint);
	t.is(readTextFile(file, {name: 'my users.csv', encoding: 'windows-1252'}), 'x\nü');
	const missing = t.throws(() => readTextFile(path.join(dir, 'gone.csv'), {name: 'gone.csv'}), {instanceOf: MassmailError});
	t.is(missing.message, 'cannot read gone.csv: no such file');
});
