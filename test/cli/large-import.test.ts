/**
 * A CSV far larger than one read is imported as a stream (core/text-file.ts openTextFile,
 * core/csv.ts CsvReader, core/import.ts CsvImport) with the result and the errors of the file
 * read whole: a character, a CRLF, a quoted comma and a doubled quote cut by the boundary between
 * two reads are whole, and a Latin-1 byte deep in the file is named by its line and column.
 * Real files written byte for byte, through the built program.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {importCsv} from '../../source/core/import.js';
import {textFilePieceBytes} from '../../source/core/text-file.js';
import {runCli} from '../helpers/cli.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const header = 'email,name,role,disabled\n';

/**
 * CSV text in which, at each boundary between two reads, a row is cut at its `marker`: the
 * marker's first character starts right at the boundary (`offset` bytes into it, for a character
 * of several bytes).
 */
function csvCutAtBoundaries(rows: Array<{row: (pad: string) => string; marker: string; offset?: number}>): string {
	let text = header;
	let length = Buffer.byteLength(text);
	let count = 0;
	for (const [index, {row, marker, offset = 0}] of rows.entries()) {
		const boundary = textFilePieceBytes * (index + 1);
		while (length + 400 < boundary) {
			const filler = `user${count}@example.org,Filler ${count} \u00E9t\u00E9,,\n`;
			text += filler;
			length += Buffer.byteLength(filler);
			count++;
		}

		const unpadded = row('');
		const markerAt = (placed: string) => Buffer.byteLength(placed.slice(0, placed.indexOf(marker))) + offset;
		const placed = row('x'.repeat(boundary - length - markerAt(unpadded)));
		if (length + markerAt(placed) !== boundary) {
			throw new Error(`the row is not cut at ${boundary}`);
		}

		text += placed;
		length += Buffer.byteLength(placed);
	}

	return text + 'last@example.org,Last,,\n';
}

test('a CSV read in pieces stores what the whole file gives: characters, CRLF, quoted commas and doubled quotes cut between two reads', async t => {
	const {dir} = tempConfigDir(t);
	const text = csvCutAtBoundaries([
		{row: pad => `euro@example.org,${pad}Price \u20AC,,\n`, marker: '\u20AC', offset: 1},
		{row: pad => `smile@example.org,${pad}Smile \u{1F600},,\n`, marker: '\u{1F600}', offset: 2},
		{row: pad => `crlf@example.org,${pad}Crlf,,\r\n`, marker: '\n'},
		{row: pad => `comma@example.org,"${pad}Doe, Ann",admin,\n`, marker: ', Ann'},
		{row: pad => `quote@example.org,"${pad}Say ""hi""",user,yes\n`, marker: '""hi', offset: 1},
	]);
	t.true(Buffer.byteLength(text) > textFilePieceBytes * 5);
	const csv = path.join(dir, 'large.csv');
	writeFileSync(csv, text);
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	const expected = importCsv(Directory.empty(), text, csv);
	t.regex(result.stdout, new RegExp(`: ${expected.result.added.toLocaleString('en')} added, 0 updated; new 1 domain: example\\.org`));
	t.is(readFileSync(path.join(dir, 'directory.json'), 'utf8'), expected.directory.toFileText());
	const users = JSON.parse((await runCli(['users', 'example.org', '--json'], {configDir: dir})).stdout) as Array<{address: string; name: string; role: string; disabled: boolean}>;
	const named = (address: string) => users.find(user => user.address === address);
	t.regex(named('euro@example.org')?.name ?? '', /xPrice \u20AC$/);
	t.regex(named('smile@example.org')?.name ?? '', /xSmile \u{1F600}$/u);
	t.regex(named('crlf@example.org')?.name ?? '', /xCrlf$/);
	t.regex(named('comma@example.org')?.name ?? '', /^x+Doe, Ann$/);
	t.regex(named('quote@example.org')?.name ?? '', /^x+Say "hi"$/);
	t.is(named('quote@example.org')?.disabled, true);
	t.is(named('last@example.org')?.name, 'Last');
});

test('a Latin-1 byte deep in a large CSV is named by its line and column, nothing imported; with --encoding latin1 it is stored right', async t => {
	const {dir} = tempConfigDir(t);
	const lines = [header];
	for (let index = 0; index < 40_000; index++) {
		lines.push(`user${index}@example.org,User ${index},,\n`);
	}

	lines.splice(30_000, 0, 'j\u00FCrgen@example.org,J\u00FCrgen,,\n');
	const bytes = Buffer.from(lines.join(''), 'latin1');
	t.true(bytes.indexOf(0xFC) > textFilePieceBytes * 3, 'the byte is several reads into the file');
	const csv = path.join(dir, 'latin1.csv');
	writeFileSync(csv, bytes);
	const refused = await runCli(['import', csv], {configDir: dir});
	t.is(refused.code, 2, refused.stderr);
	t.true(refused.stderr.includes(`massmail: ${csv}, line 30001, column 2: byte 0xFC is not UTF-8 text (after "j"); nothing imported`), refused.stderr);
	t.false(refused.stderr.includes('\uFFFD'));
	t.is(refused.stdout, '');
	t.is((await runCli(['domains', '--json'], {configDir: dir})).stdout.trim(), '[]');

	const imported = await runCli(['import', csv, '--encoding', 'latin1'], {configDir: dir});
	t.is(imported.code, 0, imported.stderr);
	t.regex(imported.stdout, /: 40,001 added, 0 updated/);
	const users = JSON.parse((await runCli(['users', 'example.org', '--json'], {configDir: dir})).stdout) as Array<{address: string; name: string}>;
	t.deepEqual(users.find(user => user.name === 'J\u00FCrgen'), {address: 'j\u00FCrgen@example.org', name: 'J\u00FCrgen', role: 'user', disabled: false});
});
