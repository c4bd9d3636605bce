/**
 * The message after DATA (message-bytes.ts): dot-stuffed once per send by nodemailer's own
 * DataStream rules, written straight to the socket. The bytes must be those DataStream writes, and
 * a body with lines that start with a dot (a lone dot among them, which would end the message)
 * must reach a real smtp-server, the fault server and Postfix as it was written, message after
 * message on one session.
 */
import {PassThrough} from 'node:stream';
import test from 'ava';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import {stuffed} from '../../source/core/delivery/message-bytes.js';
import {verifySession, type AttemptOutcome, type SmtpSession} from '../../source/core/delivery/transport.js';
import {startFaultyServer} from '../helpers/faulty-smtp-server.js';
import {startPostfix} from '../helpers/postfix-server.js';
import {startRecordingSmtpServer} from '../helpers/recording-smtp-server.js';

/** What nodemailer's DataStream writes for `parts`, written to it one after the other, with its final dot. */
async function throughDataStream(parts: Buffer[]): Promise<Buffer> {
	const stream = new DataStream();
	const out = new PassThrough();
	const chunks: Buffer[] = [];
	out.on('data', (chunk: Buffer) => chunks.push(chunk));
	stream.pipe(out);
	for (const part of parts) {
		stream.write(part);
	}

	stream.end();
	await new Promise(resolve => out.on('end', resolve));
	return Buffer.concat(chunks);
}

const dotted = Buffer.from('.\r\n.hidden\r\n..two\r\nplain\r\n.\r\nlast line\r\n');

test('the bytes are those nodemailer\'s DataStream writes: dots stuffed, bare CR and LF made CRLF, after a head or at the start', async t => {
	const cases = [
		dotted,
		Buffer.from('bare\nline feed\rand carriage return\r.dot after CR\n.dot after LF'),
		Buffer.from('no final line break'),
		Buffer.from(''),
	];
	const head = Buffer.from('To: ann@example.com\r\n');
	for (const body of cases) {
		const expected = await throughDataStream([head, body]);
		const ours = Buffer.concat([stuffed(head, false), stuffed(body, 0x0A)]);
		// DataStream's own ending after what it saw last.
		t.is(Buffer.concat([ours]).toString('latin1'), expected.subarray(0, ours.length).toString('latin1'));
		t.true(expected.subarray(ours.length).toString('latin1').endsWith('.\r\n'));
	}

	t.is(stuffed(Buffer.from('.starts the message\r\n'), false).toString(), '..starts the message\r\n');
});

async function sessionWith(port: number): Promise<SmtpSession> {
	return verifySession({host: '127.0.0.1', port, tls: 'none', user: '', allowUnverifiedTls: false, description: '', captured: false}, {replyMs: 10_000, dataMs: 10_000});
}

const headOf = (to: string) => `To: ${to}\r\nSubject: Dots\r\n\r\n`;

async function sendDotted(session: SmtpSession, to: string): Promise<AttemptOutcome> {
	return new Promise(resolve => {
		session.send({from: 'it@example.com', to}, {head: Buffer.from(headOf(to)), body: dotted}, resolve);
	});
}

const smtpServers = [
	{name: 'smtp-server', start: startRecordingSmtpServer},
	{name: 'the fault server', start: startFaultyServer},
];

for (const {name, start} of smtpServers) {
	test(`lines starting with a dot reach ${name} as written, twice on one session`, async t => {
		const server = await start();
		t.teardown(async () => server.close());
		const session = await sessionWith(server.port);
		t.teardown(() => {
			session.destroy();
		});
		t.like(await sendDotted(session, 'ann@example.com'), {kind: 'accepted'});
		t.like(await sendDotted(session, 'bob@example.com'), {kind: 'accepted'});
		t.is(server.messages.length, 2);
		t.is(server.messages[0].raw.toString(), headOf('ann@example.com') + dotted.toString());
		t.is(server.messages[1].raw.toString(), headOf('bob@example.com') + dotted.toString());
	});
}

test('lines starting with a dot reach a Postfix mailbox as written, twice on one session', async t => {
	const postfix = await startPostfix({mailboxes: ['ann@example.com', 'bob@example.com']});
	t.teardown(async () => postfix.stop());
	const session = await sessionWith(postfix.port);
	t.teardown(() => {
		session.destroy();
	});
	t.like(await sendDotted(session, 'ann@example.com'), {kind: 'accepted'});
	t.like(await sendDotted(session, 'bob@example.com'), {kind: 'accepted'});
	await postfix.waitForDelivered(2, 20_000);
	for (const to of ['ann@example.com', 'bob@example.com']) {
		const [raw] = postfix.messages(to);
		// Postfix adds header lines of its own, and writes LF line ends in a Maildir.
		const text = raw!.toString();
		t.true(text.includes(`To: ${to}\nSubject: Dots\n`), text);
		t.is(text.slice(text.indexOf('\n\n') + 2), dotted.toString().replaceAll('\r\n', '\n'));
	}
});
