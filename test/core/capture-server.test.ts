import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import {captureFileFor, startCaptureServer} from '../../source/core/capture-server.js';
import {tempFolder} from '../helpers/temp-dir.js';

async function deliver(port: number, raw: string): Promise<string> {
	const connection = new SMTPConnection({host: '127.0.0.1', port, ignoreTLS: true, logger: false});
	await new Promise<void>((resolve, reject) => {
		connection.connect(error => (error ? reject(error) : resolve()));
	});
	const info = await new Promise<{response: string}>((resolve, reject) => {
		connection.send({from: 'a@example.net', to: ['b@example.com']}, raw, (error, result) => (error ? reject(error) : resolve(result)));
	});
	connection.quit();
	return info.response;
}

test('each message is stored as an .eml file named after its Message-ID', async t => {
	const dir = tempFolder(t, 'massmail-capture-');
	const server = await startCaptureServer(dir);
	t.teardown(async () => server.close());
	t.is(server.host, '127.0.0.1');
	const raw = 'To: b@example.com\r\nMessage-ID: <20260101-000000-abcdef.7@example.net>\r\nSubject: Hi\r\n\r\nHello\r\n';
	const reply = await deliver(server.port, raw);
	t.regex(reply, /captured as 20260101-000000-abcdef\/7\.eml/);
	t.is(fs.readFileSync(path.join(dir, '20260101-000000-abcdef', '7.eml'), 'utf8'), raw);
	await deliver(server.port, 'Subject: no id\r\n\r\nx\r\n');
	const dated = fs.readdirSync(dir).filter(name => /^\d{4}-\d\d-\d\d$/.test(name));
	t.is(dated.length, 1);
	t.is(fs.readdirSync(path.join(dir, dated[0])).filter(name => name.endsWith('.eml')).length, 1);
});

test('a file name is never taken from anything but massmail\'s own Message-ID form', t => {
	const file = captureFileFor('/c', Buffer.from('Message-ID: <../../etc.1@x>\r\n\r\n'), new Date('2026-01-02T03:04:05.678Z'));
	t.true(file.startsWith('/c/2026-01-02/'));
});
