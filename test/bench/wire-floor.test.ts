/**
 * The delivery bench's fourth sender, the engine's wire pattern alone (bench/lib/wire-floor.ts),
 * against a real smtp-server on 127.0.0.1: what it counts as sent is what the server accepted,
 * and a refusal ends its run instead of being counted.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {runWireFloor} from '../../bench/lib/wire-floor.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempFolder} from '../helpers/temp-dir.js';

const text = 'Hello,\n.a line that starts with a dot\nThe mail server will be down on Saturday.\n';

test('every message reaches the server once, each recipient its own, with the text dot-stuffed', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const folder = tempFolder(t, 'wire-floor-');
	const textFile = path.join(folder, 'message.txt');
	writeFileSync(textFile, text);

	const run = await runWireFloor(folder, server.port, 30, textFile, 3);

	t.is(run.code, 0, run.stdout + run.stderr);
	t.deepEqual({sent: run.sent, failed: run.failed}, {sent: 30, failed: 0});
	// Each recipient exactly once, in whatever order the connections finished (sorted to compare).
	const recipients = server.messages.map(message => message.envelope.to.join(',')).sort();
	t.deepEqual(recipients, Array.from({length: 30}, (_, index) => `user${index}@d${String(index).padStart(4, '0')}.example.com`).sort());
	// The server reads the message back unstuffed: the text arrives as written, in CRLF lines.
	for (const message of server.messages) {
		t.true(message.raw.toString('utf8').endsWith('\r\n\r\n' + text.replaceAll('\n', '\r\n')), message.raw.toString('utf8'));
	}
});

test('a refused recipient ends the run with its reply, and the count is what the server accepted', async t => {
	const server = await startTestSmtpServer({rawReply: (address, stage) => (stage === 'rcpt' && address === 'user4@d0004.example.com' ? '550 5.1.1 no such user' : undefined)});
	t.teardown(async () => server.close());
	const folder = tempFolder(t, 'wire-floor-');
	const textFile = path.join(folder, 'message.txt');
	writeFileSync(textFile, text);

	const run = await runWireFloor(folder, server.port, 10, textFile, 1);

	t.is(run.code, 1);
	t.regex(run.firstError, /RCPT TO got: 550 5\.1\.1 no such user/);
	t.is(run.sent, 4);
	t.is(run.failed, 6);
	t.is(server.messages.length, 4);
});
