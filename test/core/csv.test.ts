import test from 'ava';
import {csvField, parseCsv} from '../../source/core/csv.js';
import {MassmailError} from '../../source/core/errors.js';

test('quoted fields keep commas, doubled quotes and line breaks; lines say where each row starts', t => {
	const {rows, lines} = parseCsv('email,name\r\na@x.com,"Doe, Ann"\r\nb@x.com,"Say ""hi"""\r\nc@x.com,"two\nlines"\r\nd@x.com,last\r\n');
	t.deepEqual(rows, [
		['email', 'name'],
		['a@x.com', 'Doe, Ann'],
		['b@x.com', 'Say "hi"'],
		['c@x.com', 'two\nlines'],
		['d@x.com', 'last'],
	]);
	t.deepEqual(lines, [1, 2, 3, 4, 6]);
});

test('a byte order mark is dropped and LF, CRLF and a missing final newline all work', t => {
	t.deepEqual(parseCsv('\uFEFFa,b\nc,d').rows, [['a', 'b'], ['c', 'd']]);
	t.deepEqual(parseCsv('a,b\r\nc,d\r\n').rows, [['a', 'b'], ['c', 'd']]);
});

test('empty fields, a trailing comma and an empty line in the middle', t => {
	const {rows, lines} = parseCsv('a,,\n\nb,"",c\n');
	t.deepEqual(rows, [['a', '', ''], [''], ['b', '', 'c']]);
	t.deepEqual(lines, [1, 2, 3]);
});

test('an empty text has no rows', t => {
	t.deepEqual(parseCsv(''), {rows: [], lines: []});
});

test('an unterminated quote names the line where the field opens', t => {
	const error = t.throws(() => parseCsv('a,b\nc,"open\nmore\n'), {instanceOf: MassmailError});
	t.is(error.message, 'line 2: a quoted field is never closed (missing ")');
});

test('text after a closing quote is an error with its line', t => {
	const error = t.throws(() => parseCsv('a,b\n"x"y,z\n'), {instanceOf: MassmailError});
	t.regex(error.message, /^line 2: text after a closing quote/);
});

test('a field is quoted only when it holds a comma, a quote or a line break, and reads back unchanged', t => {
	const fields = ['ann@example.com', '550 "no", said the server', 'two\nlines', 'cr\r', ' padded ', ''];
	t.deepEqual(fields.map(field => csvField(field)), ['ann@example.com', '"550 ""no"", said the server"', '"two\nlines"', '"cr\r"', ' padded ', '']);
	t.deepEqual(parseCsv(fields.map(field => csvField(field)).join(',')).rows, [fields]);
});
