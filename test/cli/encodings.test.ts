/**
 * A user's file in another encoding than UTF-8 (a CSV saved as Latin-1, a message written on a
 * Latin-1 terminal), as a script runs the command line: an error naming the file, line and
 * column and nothing imported or sent; with --encoding, the right letters stored and sent.
 * Real files written byte for byte, a real SMTP server on 127.0.0.1.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {simpleParser} from 'mailparser';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const header = 'email,name,role,disabled\n';
const latin1Csv = Buffer.from(`${header}j\u00FCrgen@example.org,J\u00FCrgen,,\n`, 'latin1');

/** A data folder with one mailbox already imported, so that the directory file exists. */
async function withDirectory(t: ExecutionContext): Promise<{dir: string; directoryFile: string}> {
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'first.csv');
	writeFileSync(csv, `${header}ann@example.com,Ann,primary,\n`);
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	return {dir, directoryFile: path.join(dir, 'directory.json')};
}

async function server(t: ExecutionContext): Promise<TestSmtpServer> {
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	return smtp;
}

test('a Latin-1 CSV imported as UTF-8 is refused with exit 2, naming the file, line, column and byte; nothing is imported', async t => {
	const {dir, directoryFile} = await withDirectory(t);
	const before = readFileSync(directoryFile);
	const csv = path.join(dir, 'latin1.csv');
	writeFileSync(csv, latin1Csv);
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 2, result.stderr);
	t.true(result.stderr.includes(`massmail: ${csv}, line 2, column 2: byte 0xFC is not UTF-8 text (after "j"); nothing imported`), result.stderr);
	t.true(result.stderr.includes('with --encoding (latin1, windows-1252'), result.stderr);
	t.true(result.stderr.includes(`iconv -f latin1 -t utf-8 ${csv} > ${path.join(dir, 'latin1-utf8.csv')}`), result.stderr);
	t.false(result.stderr.includes('\uFFFD'));
	t.is(result.stdout, '');
	t.deepEqual(readFileSync(directoryFile), before, 'the directory file is unchanged');
	const domains = JSON.parse((await runCli(['domains', '--json'], {configDir: dir})).stdout) as Array<{name: string}>;
	t.deepEqual(domains.map(domain => domain.name), ['example.com']);
});

test('import --encoding latin1 stores jürgen@example.org and Jürgen as they were meant', async t => {
	const {dir, directoryFile} = await withDirectory(t);
	const csv = path.join(dir, 'latin1.csv');
	writeFileSync(csv, latin1Csv);
	const result = await runCli(['import', csv, '--encoding', 'latin1'], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /: 1 added, 0 updated; new 1 domain: example\.org/);
	const users = JSON.parse((await runCli(['users', 'example.org', '--json'], {configDir: dir})).stdout);
	t.deepEqual(users, [{address: 'jürgen@example.org', name: 'Jürgen', role: 'user', disabled: false}]);
	const stored = readFileSync(directoryFile, 'utf8');
	t.true(stored.includes('Jürgen'));
	t.false(stored.includes('\uFFFD'));
});

test('a byte order mark says the encoding: UTF-8 and UTF-16 files import without --encoding', async t => {
	const {dir} = await withDirectory(t);
	const utf8 = path.join(dir, 'utf8-bom.csv');
	writeFileSync(utf8, Buffer.concat([Buffer.from([0xEF, 0xBB, 0xBF]), Buffer.from(`${header}zoë@example.org,Zoë,,\n`, 'utf8')]));
	const fromUtf8 = await runCli(['import', utf8], {configDir: dir});
	t.is(fromUtf8.code, 0, fromUtf8.stderr);
	// "Unicode text" as a spreadsheet saves it: UTF-16, little-endian, with its mark.
	const utf16 = path.join(dir, 'utf16.csv');
	writeFileSync(utf16, Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from(`${header}søren@example.net,Søren,,\r\n`, 'utf16le')]));
	const fromUtf16 = await runCli(['import', utf16], {configDir: dir});
	t.is(fromUtf16.code, 0, fromUtf16.stderr);
	t.deepEqual(JSON.parse((await runCli(['users', 'example.org', '--json'], {configDir: dir})).stdout), [{address: 'zoë@example.org', name: 'Zoë', role: 'user', disabled: false}]);
	t.deepEqual(JSON.parse((await runCli(['users', 'example.net', '--json'], {configDir: dir})).stdout), [{address: 'søren@example.net', name: 'Søren', role: 'user', disabled: false}]);
});

test('an unknown --encoding is a usage error that says which names work; --help documents the option', async t => {
	const {dir, directoryFile} = await withDirectory(t);
	const before = readFileSync(directoryFile);
	const csv = path.join(dir, 'latin1.csv');
	writeFileSync(csv, latin1Csv);
	const result = await runCli(['import', csv, '--encoding', 'klingon'], {configDir: dir});
	t.is(result.code, 2, result.stderr);
	t.true(result.stderr.includes('unknown encoding "klingon"'), result.stderr);
	t.true(result.stderr.includes('utf-8, latin1, windows-1252'), result.stderr);
	t.deepEqual(readFileSync(directoryFile), before);
	for (const command of ['import', 'send', 'remind']) {
		const help = await runCli([command, '--help'], {configDir: dir});
		t.regex(help.stdout, /--encoding LABEL +the .*encoding when it is not UTF-8: latin1, windows-1252/, command);
	}
});

test('a Latin-1 --message-file is refused before anything is sent: exit 2, the line named, the server got nothing', async t => {
	const smtp = await server(t);
	const {dir} = await withDirectory(t);
	const message = path.join(dir, 'message.txt');
	writeFileSync(message, Buffer.from('Hallo {{name}},\n\nGr\u00FC\u00DFe aus M\u00FCnchen\n', 'latin1'));
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	for (const command of ['send', 'remind']) {
		const result = await runCli([command, '--to', 'all', '--subject', 'Wartung', '--message-file', message, '--yes', '--json'], {configDir: dir, env});
		t.is(result.code, 2, result.stderr);
		t.true(result.stderr.includes(`the message file ${message}, line 3, column 3: byte 0xFC is not UTF-8 text (after "Gr"); nothing sent`), result.stderr);
		t.true(result.stderr.includes('with --encoding'), result.stderr);
	}

	t.is(smtp.messages.length, 0);
	t.deepEqual(JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout), [], 'no send was recorded');
});

test('send --encoding latin1 sends ü and ß as UTF-8, from a file or from standard input', async t => {
	const smtp = await server(t);
	const {dir} = await withDirectory(t);
	const text = 'Gr\u00FC\u00DFe aus M\u00FCnchen\n';
	const message = path.join(dir, 'message.txt');
	writeFileSync(message, Buffer.from(text, 'latin1'));
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const fromFile = await runCli(['send', '--to', 'all', '--subject', 'Wartung', '--message-file', message, '--encoding', 'latin1', '--yes', '--json'], {configDir: dir, env});
	t.is(fromFile.code, 0, fromFile.stderr);
	t.like(lastJsonLine(fromFile.stdout), {sent: 1, failed: 0});
	const fromInput = await startCli(['remind', '--to', 'all', '--subject', 'Wartung', '--message-file', '-', '--encoding', 'iso-8859-1', '--yes', '--json'], {configDir: dir, env, input: Buffer.from(text, 'latin1')}).result;
	t.is(fromInput.code, 0, fromInput.stderr);
	t.is(smtp.messages.length, 2);
	for (const received of smtp.messages) {
		const raw = received.raw.toString('latin1');
		t.true(raw.includes('Gr=C3=BC=C3=9Fe aus M=C3=BCnchen'), raw);
		t.false(raw.includes('=EF=BF=BD'));
		t.is((await simpleParser(received.raw)).text?.trim(), 'Grüße aus München');
	}
});

test('a Latin-1 message on standard input without --encoding is refused, naming standard input; --encoding with --message is a usage error', async t => {
	const smtp = await server(t);
	const {dir} = await withDirectory(t);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	const result = await startCli(['send', '--to', 'all', '--subject', 'S', '--message-file', '-', '--yes'], {configDir: dir, env, input: Buffer.from('M\u00FCnchen\n', 'latin1')}).result;
	t.is(result.code, 2, result.stderr);
	t.true(result.stderr.includes('standard input, line 1, column 2: byte 0xFC is not UTF-8 text (after "M"); nothing sent'), result.stderr);
	t.true(result.stderr.includes('… | iconv -f latin1 -t utf-8 | massmail …'), result.stderr);
	const both = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'München', '--encoding', 'latin1', '--yes'], {configDir: dir, env});
	t.is(both.code, 2, both.stderr);
	t.true(both.stderr.includes('--encoding is the encoding of --message-file'), both.stderr);
	t.is(smtp.messages.length, 0);
});
