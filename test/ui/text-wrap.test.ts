/** The message field's rows (state/text-edit.ts wrapRows, cursorRow), as plain functions. */
import test from 'ava';
import {cursorRow, wrapRows} from '../../source/ui/state/text-edit.js';

function rows(value: string, width: number): string[] {
	return wrapRows(value, width).map(row => value.slice(row.start, row.end));
}

test('a long line wraps between words and keeps its start', t => {
	t.deepEqual(rows('Hi {{name}}, the server restarts Saturday.', 20), ['Hi {{name}}, the ', 'server restarts ', 'Saturday.']);
	t.deepEqual(rows('Hi {{name}}, the server restarts Saturday.', 60), ['Hi {{name}}, the server restarts Saturday.']);
});

test('a word longer than the width is cut at the width; a space just past it ends the row', t => {
	t.deepEqual(rows('aaaaaaaaaa', 4), ['aaaa', 'aaaa', 'aa']);
	t.deepEqual(rows('aaaa bbbb', 4), ['aaaa ', 'bbbb']);
});

test('line breaks and empty lines are rows of their own', t => {
	t.deepEqual(rows('ab\n\ncd', 3), ['ab', '', 'cd']);
	t.deepEqual(rows('', 3), ['']);
});

test('the cursor is on the row it reads in: at a break the next row, at a line end its last row', t => {
	const value = 'abcd efgh\nij';
	const wrapped = wrapRows(value, 4);
	t.deepEqual(rows(value, 4), ['abcd ', 'efgh', 'ij']);
	t.deepEqual([0, 4, 5, 9, 10, 12].map(cursor => cursorRow(wrapped, cursor)), [0, 0, 1, 1, 2, 2]);
});
