/**
 * A large message goes out in slices of the one shared body (delivery/message-stream.ts), its
 * text encoded a block of lines at a time (quoted-printable.ts): the bytes a real SMTP server
 * receives are those of the message made whole, for every recipient and on every connection,
 * lines starting with a dot included wherever a slice or a block ends.
 */
import test from 'ava';
import {openSession, type AttemptOutcome, type SmtpSession} from '../../source/core/delivery/transport.js';
import {messageSliceBytes} from '../../source/core/delivery/message-stream.js';
import {quotedPrintable, quotedPrintableBlocks} from '../../source/core/quoted-printable.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';

test('a text encoded in blocks of lines gives the bytes of the text encoded whole', t => {
	const lines = [
		'plain line', '', '.', '.starts with a dot', 'From the start', 'trailing spaces   ', 'tab\t', 'equals = sign',
		'gr\u00FC\u00DFe \u20AC \u{1F600} '.repeat(12), 'x'.repeat(300), `${'y'.repeat(73)}\u00FC${'z'.repeat(80)}`, ' From inside', '..',
	];
	const breaks = ['\n', '\r\n', '\r'];
	let seed = 7;
	const random = (below: number) => {
		seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
		return seed % below;
	};

	for (let round = 0; round < 60; round++) {
		let text = '';
		const count = 1 + random(40);
		for (let index = 0; index < count; index++) {
			text += lines[random(lines.length)] + (index === count - 1 && random(2) === 0 ? '' : breaks[random(breaks.length)]);
		}

		for (const block of [1, 5, 64, 1000]) {
			t.deepEqual(Buffer.concat(quotedPrintableBlocks(text, block)).toString('latin1'), quotedPrintable(text), `round ${round}, blocks of ${block}`);
		}
	}
});

async function session(port: number): Promise<SmtpSession> {
	const target = {host: '127.0.0.1', port, tls: 'none' as const, user: '', allowUnverifiedTls: false, description: '', captured: false};
	return new Promise<SmtpSession>((resolve, reject) => {
		openSession(target, {replyMs: 5000, dataMs: 30_000}, (failure, opened) => {
			if (failure || !opened) {
				reject(failure?.error);
			} else {
				resolve(opened);
			}
		});
	});
}

async function send(on: SmtpSession, to: string, head: Buffer, body: Buffer): Promise<AttemptOutcome> {
	return new Promise(resolve => {
		on.send({from: 'it@example.net', to}, {head, body}, resolve);
	});
}

test('one shared body written in slices to three connections arrives byte for byte, with lone dots at the slices\' edges', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	// CRLF lines, with a line of one dot starting exactly at a slice's edge, one ending at the next
	// edge, and one of two dots starting at a later one: dot-stuffed across slices, or the message ends early.
	const lines: string[] = [];
	let length = 0;
	const lineAt = (offset: number, line: string) => {
		while (length + 100 < offset) {
			const filler = `${lines.length} gr\u00FC\u00DFe, a line to fill the body with text.`;
			lines.push(filler);
			length += Buffer.byteLength(filler) + 2;
		}

		const pad = 'p'.repeat(offset - length - 2);
		lines.push(pad, line);
		length += Buffer.byteLength(pad) + 2 + Buffer.byteLength(line) + 2;
	};

	lineAt(messageSliceBytes, '.');
	lineAt((2 * messageSliceBytes) - 1, '.');
	lineAt(5 * messageSliceBytes, '..');
	lineAt(40 * messageSliceBytes, '.end');
	const body = Buffer.from(lines.join('\r\n') + '\r\n');
	t.is(body.subarray(messageSliceBytes - 2, messageSliceBytes + 3).toString(), '\r\n.\r\n');
	t.is(body.subarray((2 * messageSliceBytes) - 3, (2 * messageSliceBytes) + 1).toString(), '\r\n.\r');

	const sessions = await Promise.all([session(server.port), session(server.port), session(server.port)]);
	const recipients = ['ann', 'bob', 'cid', 'dee', 'eve', 'fay'];
	const outcomes = await Promise.all(sessions.map(async (on, index) => {
		const results: AttemptOutcome[] = [];
		for (const name of recipients.filter((_name, at) => at % sessions.length === index)) {
			results.push(await send(on, `${name}@example.org`, Buffer.from(`To: ${name}@example.org\r\nSubject: Large\r\n\r\n`), body));
		}

		return results;
	}));
	for (const on of sessions) {
		on.destroy();
	}

	t.deepEqual(outcomes.flat().map(outcome => outcome.kind), recipients.map(() => 'accepted'));
	t.is(server.messages.length, recipients.length);
	for (const message of server.messages) {
		const to = message.envelope.to[0];
		t.true(message.raw.equals(Buffer.concat([Buffer.from(`To: ${to}\r\nSubject: Large\r\n\r\n`), body])), `the message to ${to} arrived as it was sent`);
	}
});
