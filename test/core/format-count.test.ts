/**
 * Counts are written without ICU (making its number formatter costs the command line's start
 * ~16 ms): exactly as Intl.NumberFormat('en-US') writes them.
 */
import test from 'ava';
import {formatCount, plural} from '../../source/core/format.js';

const icu = new Intl.NumberFormat('en-US');

test('whole numbers read as ICU writes them, thousands grouped', t => {
	for (const n of [0, 7, -7, 999, 1000, -1000, 12_345, 100_000, 999_999, 1_000_000, -1_234_567, 123_456_789_012, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
		t.is(formatCount(n), icu.format(n), String(n));
	}

	t.is(formatCount(20_000), '20,000');
	t.is(plural(1, 'recipient'), '1 recipient');
	t.is(plural(5000, 'domain'), '5,000 domains');
});

test('other numbers still go through ICU', t => {
	for (const n of [1.5, 1234.5678, -0.25, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY]) {
		t.is(formatCount(n), icu.format(n), String(n));
	}

	// A negative zero is no count of anything: it reads 0.
	t.is(formatCount(-0), '0');
});
