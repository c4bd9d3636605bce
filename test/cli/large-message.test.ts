/**
 * A 50 MB message sent to several recipients over several connections (issue 21 item 9: its
 * body is built once and written to each connection in slices) arrives byte for byte as the
 * message encoded whole: lines that start with a dot, `From ` lines and accented letters included.
 * The built program, a real SMTP server on 127.0.0.1.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {quotedPrintable} from '../../source/core/quoted-printable.js';
import {lastJsonLine, runCli} from '../helpers/cli.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

test('a 50 MB message reaches five recipients over three connections byte for byte, dot-stuffed lines included', async t => {
	t.timeout(240_000);
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const {dir} = tempConfigDir(t);
	const recipients = ['ann', 'bob', 'cid', 'dee', 'eve'].map(name => `${name}@example.org`);
	const csv = path.join(dir, 'people.csv');
	writeFileSync(csv, `email,name,role,disabled\n${recipients.map(address => `${address},,,`).join('\n')}\n`);
	t.is((await runCli(['import', csv], {configDir: dir})).code, 0);

	const lines: string[] = [];
	let size = 0;
	for (let index = 0; size < 50_000_000; index++) {
		const line = index % 37 === 0 ? '.' : index % 41 === 0 ? `.${index} starts with a dot` : index % 43 === 0 ? `From line ${index}` : `Line ${index}: gr\u00FC\u00DFe, a line of the long message text, = and all.`;
		lines.push(line);
		size += Buffer.byteLength(line) + 1;
	}

	const text = lines.join('\n') + '\n';
	const file = path.join(dir, 'message.txt');
	writeFileSync(file, text);
	const result = await runCli(['send', '--to', 'all', '--subject', 'Large', '--message-file', file, '--concurrency', '3', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`}});
	t.is(result.code, 0, result.stderr);
	t.like(lastJsonLine(result.stdout), {total: 5, sent: 5, failed: 0});

	const expected = Buffer.from(quotedPrintable(text), 'latin1');
	t.deepEqual(smtp.messages.map(message => message.envelope.to[0]).sort(), recipients);
	for (const message of smtp.messages) {
		const headEnd = message.raw.indexOf('\r\n\r\n');
		t.true(message.raw.subarray(0, headEnd).includes('Content-Transfer-Encoding: quoted-printable'));
		t.true(message.raw.subarray(headEnd + 4).equals(expected), `the body to ${message.envelope.to[0]} arrived as encoded whole`);
	}

	// Past the recipient's own To and Message-ID lines every message is the same bytes.
	const shared = smtp.messages.map(message => message.raw.subarray(message.raw.indexOf('\r\nFrom: ')));
	t.true(shared.every(bytes => bytes.equals(shared[0])));
});
