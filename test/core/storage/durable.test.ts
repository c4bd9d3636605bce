/**
 * Durable bytes: real files in a temporary folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {endOfLastLine, openForAppend, writeAtomicSync} from '../../../source/core/storage/durable.js';
import {tempFolder} from '../../helpers/temp-dir.js';

test('writeAtomicSync writes pieces in chunks, mode 0600, and leaves nothing beside the file', t => {
	const dir = tempFolder(t, 'massmail-durable-');
	const file = path.join(dir, 'lines.txt');
	const lines = Array.from({length: 20_000}, (_, index) => `line ${index}\n`);
	writeAtomicSync(file, lines);
	t.is(fs.readFileSync(file, 'utf8'), lines.join(''));
	t.is(fs.statSync(file).mode & 0o777, 0o600);
	t.deepEqual(fs.readdirSync(dir), ['lines.txt']);
});

test('a write that fails half-way leaves the old file and no temporary file', t => {
	const dir = tempFolder(t, 'massmail-durable-');
	const file = path.join(dir, 'lines.txt');
	writeAtomicSync(file, 'old\n');
	function * failing(): Generator<string> {
		yield 'x'.repeat(100_000);
		throw new Error('the source went away');
	}

	t.throws(() => {
		writeAtomicSync(file, failing());
	}, {message: 'the source went away'});
	t.is(fs.readFileSync(file, 'utf8'), 'old\n');
	t.deepEqual(fs.readdirSync(dir), ['lines.txt']);
});

test('the end of the last whole line, and a torn line cut before appending', t => {
	const dir = tempFolder(t, 'massmail-durable-');
	const file = path.join(dir, 'log');
	const end = (text: string) => {
		fs.writeFileSync(file, text);
		const fd = fs.openSync(file, 'r');
		try {
			return endOfLastLine(fd, fs.fstatSync(fd).size);
		} finally {
			fs.closeSync(fd);
		}
	};

	t.is(end('a\nb\n'), 4);
	t.is(end('a\nb'), 2);
	t.is(end('torn'), 0);
	t.is(end('a\n' + 'y'.repeat(200_000)), 2);

	fs.writeFileSync(file, 'a\nb\n' + 'z'.repeat(70_000));
	const fd = openForAppend(file);
	fs.writeSync(fd, 'c\n');
	fs.closeSync(fd);
	t.is(fs.readFileSync(file, 'utf8'), 'a\nb\nc\n');
});
