/** The misbehaving SMTP server of test/helpers: what a client sees of each fault. */
import net from 'node:net';
import test from 'ava';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import {startFaultyServer, type FaultySmtpServer, type FaultySmtpServerOptions} from '../helpers/faulty-smtp-server.js';

type ClientError = Error & {code?: string; originalCode?: string; responseCode?: number; command?: string};

const raw = 'From: a@example.net\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nHello\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n';

async function start(t: {teardown(fn: () => Promise<void>): void}, options: FaultySmtpServerOptions = {}): Promise<FaultySmtpServer> {
	const server = await startFaultyServer(options);
	t.teardown(async () => server.close());
	return server;
}

interface Client {
	connection: SMTPConnection;
	/** The first error the connection emitted, once it did. */
	errors: ClientError[];
	/** Resolves when the connection has ended (closed by either side). */
	ended: Promise<void>;
}

function client(port: number, options: Record<string, unknown> = {}): Client {
	const connection = new SMTPConnection({host: '127.0.0.1', port, ignoreTLS: true, logger: false, ...options});
	const errors: ClientError[] = [];
	connection.on('error', (error: ClientError) => errors.push(error));
	const ended = new Promise<void>(resolve => {
		connection.once('end', () => {
			resolve();
		});
	});
	return {connection, errors, ended};
}

async function connect(c: Client): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		c.connection.once('error', reject);
		c.connection.connect(error => (error ? reject(error) : resolve()));
	});
}

async function send(c: Client, to: string, message = raw): Promise<{response: string}> {
	return new Promise((resolve, reject) => {
		c.connection.send({from: 'a@example.net', to: [to]}, message, (error, info) => (error ? reject(error) : resolve(info)));
	});
}

async function sendVia(port: number, to: string): Promise<{response: string}> {
	const c = client(port);
	await connect(c);
	try {
		return await send(c, to);
	} finally {
		c.connection.quit();
	}
}

const sleep = async (ms: number) => new Promise<void>(resolve => {
	setTimeout(resolve, ms);
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) {
			throw new Error('condition not met in time');
		}

		await sleep(20);
	}
}

/** A raw socket that collects what the server sends. */
async function rawSocket(port: number): Promise<{socket: net.Socket; received: () => string; closed: Promise<void>; waitFor: (pattern: RegExp) => Promise<void>}> {
	const socket = net.connect(port, '127.0.0.1');
	let text = '';
	socket.on('data', (chunk: Buffer) => {
		text += chunk.toString('utf8');
	});
	socket.on('error', () => {
		// the server hanging up is the point
	});
	const closed = new Promise<void>(resolve => {
		socket.once('close', () => {
			resolve();
		});
	});
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', resolve);
		socket.once('error', reject);
	});
	return {socket, received: () => text, closed, waitFor: async (pattern: RegExp) => until(() => pattern.test(text))};
}

test('a well-behaved session: EHLO without STARTTLS, dot-stuffing undone, the message recorded', async t => {
	const server = await start(t, {smtputf8: true});
	const c = client(server.port);
	await connect(c);
	const info = await send(c, 'Ann@example.com');
	t.regex(info.response, /^250 2\.0\.0 Ok: queued as 1/);
	c.connection.quit();
	await c.ended;
	t.is(server.messages.length, 1);
	t.is(server.messages[0].from, 'a@example.net');
	t.deepEqual(server.messages[0].to, ['Ann@example.com']);
	t.is(server.messages[0].raw.toString('utf8'), raw);
	t.is(server.acceptedCount('ann@example.com'), 1);
	t.deepEqual(server.rcpts, [{address: 'Ann@example.com', rule: 'accept', reply: '250 2.1.5 Ok'}]);
	t.true(server.commands.includes('QUIT'));
	t.is(server.connectionsMade, 1);
	await until(() => server.connectionsOpen === 0);

	const plain = await start(t);
	for (const [port, smtputf8] of [[server.port, true], [plain.port, false]] as const) {
		const s = await rawSocket(port);
		s.socket.write('EHLO me\r\n');
		await s.waitFor(/^250 OK\r\n/m);
		t.regex(s.received(), /^220 /);
		t.regex(s.received(), /250-faulty\.test\r\n250-8BITMIME\r\n/);
		t.is(s.received().includes('250-SMTPUTF8'), smtputf8);
		t.false(/STARTTLS|PIPELINING/.test(s.received()));
		s.socket.write('QUIT\r\n');
		await s.closed;
		t.regex(s.received(), /221 2\.0\.0 Bye\r\n$/);
	}
});

test('endless+: 250- lines keep coming, so the idle timeout never fires; only a whole-reply timer does', async t => {
	const server = await start(t, {endlessIntervalMs: 100});
	// The idle timeout is 20 intervals long: only lines that keep coming keep it from firing.
	const c = client(server.port, {socketTimeout: 2000});
	await connect(c);
	let settled = false;
	const sending = send(c, 'endless+ann@example.com').finally(() => {
		settled = true;
	});
	sending.catch(() => undefined);
	// The client's own timer for the whole reply.
	await sleep(4000);
	t.false(settled, 'the send never completes');
	t.deepEqual(c.errors, [], 'the idle (socket) timeout did not fire');
	t.is(server.acceptedCount('endless+ann@example.com'), 0);
	t.is(server.unanswered.length, 1, 'the server has read the whole message');
	c.connection.close();

	// What is on the wire: continuation lines, never a final line.
	const s = await rawSocket(server.port);
	s.socket.write('HELO me\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<endless+bob@example.com>\r\nDATA\r\n');
	await s.waitFor(/^354 /m);
	s.socket.write('Subject: x\r\n\r\nbody\r\n.\r\n');
	await s.waitFor(/(250-ok\r\n){5}/);
	const afterData = s.received().slice(s.received().indexOf('354 '));
	t.false(/^250 /m.test(afterData));
	s.socket.destroy();
});

test('refuse-close+: RCPT TO gets 550 5.1.1, then the server hangs up on RSET without answering', async t => {
	const server = await start(t);
	const c = client(server.port);
	await connect(c);
	const error = await t.throwsAsync<ClientError>(send(c, 'refuse-close+ann@example.com'));
	t.is(error?.code, 'EENVELOPE');
	t.is(error?.responseCode, 550);
	t.regex(error?.message ?? '', /5\.1\.1 no such user/);
	let resetAnswered = false;
	c.connection.reset(() => {
		resetAnswered = true;
	});
	await c.ended;
	t.false(resetAnswered);
	t.is(c.errors[0]?.code, 'ECONNECTION');
	t.is(server.commands.at(-1), 'RSET');
	t.deepEqual(server.rcpts.map(r => r.reply), ['550 5.1.1 no such user']);

	// An ordinary RSET in a session without that refusal is answered.
	const s = await rawSocket(server.port);
	s.socket.write('HELO me\r\nRSET\r\nNOOP\r\n');
	await s.waitFor(/250 2\.0\.0 Ok\r\n250 2\.0\.0 Ok\r\n/);
	s.socket.destroy();
});

test('silent: "greeting" never greets; "after-greeting" greets and never answers', async t => {
	const mute = await start(t, {silent: 'greeting'});
	const c = client(mute.port, {greetingTimeout: 500});
	const error = await t.throwsAsync<ClientError>(connect(c));
	t.is(error?.code, 'ETIMEDOUT');
	t.is(mute.connectionsMade, 1);

	const greeter = await start(t, {silent: 'after-greeting'});
	const d = client(greeter.port, {greetingTimeout: 500, socketTimeout: 500});
	const late = await t.throwsAsync<ClientError>(connect(d));
	t.is(late?.code, 'ETIMEDOUT');
	t.regex(d.connection.lastServerResponse as string, /^220 /);

	const s = await rawSocket(greeter.port);
	await s.waitFor(/^220 .*\r\n/);
	s.socket.write('EHLO me\r\nNOOP\r\n');
	await sleep(500);
	t.regex(s.received(), /^220 [^\n]*\r\n$/, 'nothing after the greeting');
	s.socket.destroy();
});

test('acceptConnections: a connection beyond the limit gets Postfix\'s 421 greeting and is closed', async t => {
	const server = await start(t, {acceptConnections: 1});
	const first = client(server.port);
	await connect(first);
	const second = client(server.port);
	const error = await t.throwsAsync<ClientError>(connect(second));
	t.is(error?.responseCode, 421);
	t.regex(error?.message ?? '', /421 4\.7\.0 Error: too many connections from 127\.0\.0\.1/);
	t.is(server.connectionsRefused, 1);

	const s = await rawSocket(server.port);
	await s.closed;
	t.is(s.received(), '421 4.7.0 Error: too many connections from 127.0.0.1\r\n');
	t.is(server.connectionsRefused, 2);

	// The served one still works; once it is gone, a new one is served.
	await send(first, 'ann@example.com');
	first.connection.quit();
	await first.ended;
	await until(() => server.connectionsOpen === 0);
	await sendVia(server.port, 'bob@example.com');
	t.is(server.messages.length, 2);
	t.is(server.connectionsMade, 4);
});

test('rateLimit: per server, MAIL FROM gets 450 4.7.1 after N messages until the window has passed', async t => {
	const server = await start(t, {rateLimit: {messages: 2}, rateWindowMs: 3000});
	const c = client(server.port);
	await connect(c);
	await send(c, 'ann@example.com');
	await send(c, 'bob@example.com');
	const error = await t.throwsAsync<ClientError>(send(c, 'cid@example.com'));
	t.is(error?.code, 'EENVELOPE');
	t.is(error?.command, 'MAIL FROM');
	t.is(error?.responseCode, 450);
	t.regex(error?.message ?? '', /450 4\.7\.1 Error: too much mail from 127\.0\.0\.1/);
	c.connection.close();

	// A new connection is limited too: the count is the server's, not the connection's.
	const other = await t.throwsAsync<ClientError>(sendVia(server.port, 'cid@example.com'));
	t.is(other?.responseCode, 450);

	// A client that waits can send again.
	await sleep(3000);
	const info = await sendVia(server.port, 'cid@example.com');
	t.regex(info.response, /^250 /);
	t.is(server.acceptedCount('cid@example.com'), 1);
});

test('defer-limit+: a message to it uses up the limit of 1; then every MAIL FROM gets 450 for the window', async t => {
	const server = await start(t, {rateWindowMs: 60_000});
	await sendVia(server.port, 'ann@example.com');
	await sendVia(server.port, 'ann@example.com');
	await sendVia(server.port, 'defer-limit+bob@example.com');
	const error = await t.throwsAsync<ClientError>(sendVia(server.port, 'ann@example.com'));
	t.is(error?.responseCode, 450);
	t.is(error?.command, 'MAIL FROM');
	t.is(server.acceptedCount('ann@example.com'), 2);
	t.is(server.acceptedCount('defer-limit+bob@example.com'), 1);
});

test('errorLimit: after K errors in one session, 421 4.7.0 too many errors and the connection closes', async t => {
	const server = await start(t, {errorLimit: 3});
	const s = await rawSocket(server.port);
	s.socket.write('HELO me\r\nBOGUS\r\nRCPT TO:<ann@example.com>\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<refuse-close+x@example.com>\r\nNOOP\r\n');
	await s.closed;
	const lines = s.received().trim().split('\r\n');
	t.deepEqual(lines.slice(1), [
		'250 faulty.test',
		'502 5.5.2 Error: command not recognized',
		'503 5.5.1 Error: need MAIL command',
		'250 2.1.0 Ok',
		'550 5.1.1 no such user',
		'421 4.7.0 Error: too many errors',
	]);
	t.false(server.commands.includes('NOOP'), 'nothing is read after the 421');

	// The count is per session: a new session starts from zero.
	const info = await sendVia(server.port, 'ann@example.com');
	t.regex(info.response, /^250 /);
});

test('kill() ends every session mid-send and refuses new connections; restart() serves on the same port', async t => {
	const server = await start(t, {slowDataMs: 30_000});
	const port = server.port;
	const c = client(port);
	await connect(c);
	const sending = send(c, 'slow-data+ann@example.com');
	sending.catch(() => undefined);
	await until(() => server.messagesRead === 1);
	await server.kill();
	const error = await t.throwsAsync<ClientError>(sending);
	t.is(error?.code, 'ECONNECTION');
	t.is(server.unanswered.length, 1, 'the server had read the message');

	const refused = await t.throwsAsync<ClientError>(connect(client(port)));
	t.true(refused?.code === 'ECONNREFUSED' || refused?.originalCode === 'ECONNREFUSED', `${refused?.code} ${refused?.originalCode}`);
	const rawError = await t.throwsAsync<ClientError>(rawSocket(port));
	t.is(rawError?.code, 'ECONNREFUSED');

	await server.restart();
	t.is(server.port, port);
	const info = await sendVia(port, 'ann@example.com');
	t.regex(info.response, /^250 /);
	t.is(server.acceptedCount('ann@example.com'), 1);
});

test('slow-data+: the reply to the final dot comes late, then the message is accepted', async t => {
	const server = await start(t);
	const started = Date.now();
	const info = await sendVia(server.port, 'slow-data+ann@example.com');
	t.true(Date.now() - started >= 2900, 'the default delay is 3 s');
	t.regex(info.response, /^250 /);
	t.is(server.acceptedCount('slow-data+ann@example.com'), 1);

	// A client with a shorter idle timeout gives up; the server has the message, unanswered.
	const quick = await start(t, {slowDataMs: 5000});
	const c = client(quick.port, {socketTimeout: 500});
	await connect(c);
	const error = await t.throwsAsync<ClientError>(send(c, 'slow-data+bob@example.com'));
	t.is(error?.code, 'ETIMEDOUT');
	await until(() => quick.unanswered.length === 1);
	t.is(quick.messages.length, 0);
});

test('close-after-dot+: the whole message is read, then the connection closes without a reply', async t => {
	const server = await start(t);
	const c = client(server.port);
	await connect(c);
	const error = await t.throwsAsync<ClientError>(send(c, 'close-after-dot+ann@example.com'));
	t.is(error?.code, 'ECONNECTION');
	t.is(server.unanswered.length, 1);
	t.is(server.unanswered[0].raw.toString('utf8'), raw);
	t.is(server.acceptedCount('close-after-dot+ann@example.com'), 0);
});

test('premature-ok+: the 250 comes in the same write as the 354; the final dot gets 554 and nothing is taken', async t => {
	const server = await start(t);
	const s = await rawSocket(server.port);
	await s.waitFor(/^220 /m);
	s.socket.write('HELO me\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<premature-ok+ann@example.com>\r\nDATA\r\n');
	await s.waitFor(/Ok: premature\r\n/);
	t.regex(s.received(), /354 End data with <CR><LF>\.<CR><LF>\r\n250 2\.0\.0 Ok: premature\r\n$/);
	s.socket.write('Subject: S\r\n\r\nHello\r\n.\r\n');
	await s.waitFor(/554 5\.6\.0 Error: refused at the final dot\r\n$/);
	t.is(server.prematureReplies, 1);
	t.is(server.messagesRead, 1);
	t.is(server.messages.length, 0);
	t.is(server.unanswered.length, 0);
	s.socket.destroy();
});

test('stop-reading+: after the 354 the server reads nothing more and says nothing', async t => {
	const server = await start(t);
	const s = await rawSocket(server.port);
	await s.waitFor(/^220 /m);
	s.socket.write('HELO me\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<stop-reading+ann@example.com>\r\nDATA\r\n');
	await s.waitFor(/^354 /m);
	s.socket.write('Subject: S\r\n\r\nHello\r\n.\r\nNOOP\r\n');
	await sleep(300);
	t.regex(s.received(), /^354 .*\r\n$/m);
	t.notRegex(s.received(), /^(250 2\.0\.0|5\d\d)/m);
	t.is(server.stoppedReading, 1);
	t.is(server.messagesRead, 0);
	s.socket.destroy();
});

test('shutdown-at-dot+: the whole message is read, its final dot gets 421 and the connection closes', async t => {
	const server = await start(t);
	const c = client(server.port);
	await connect(c);
	const error = await t.throwsAsync<ClientError>(send(c, 'shutdown-at-dot+ann@example.com'));
	t.is(error?.responseCode, 421);
	t.regex(error?.message ?? '', /421 4\.3\.2 Service shutting down/);
	await c.ended;
	t.is(server.messagesRead, 1);
	t.is(server.messages.length, 0);
});

test('close() always ends: with silent, endless and half-sent sessions open, and after kill()', async t => {
	const server = await startFaultyServer({silent: 'after-greeting'});
	const sockets = await Promise.all([rawSocket(server.port), rawSocket(server.port)]);
	sockets[1].socket.write('HELO me\r\nMAIL FROM:<a@example.net>\r\n');
	await until(() => server.connectionsOpen === 2);
	await server.close();
	await Promise.all(sockets.map(async s => s.closed));
	await server.close();
	t.is(server.connectionsOpen, 0);

	const endless = await startFaultyServer({endlessIntervalMs: 50});
	const c = client(endless.port);
	await connect(c);
	send(c, 'endless+ann@example.com').catch(() => undefined);
	await until(() => endless.unanswered.length === 1);
	await endless.kill();
	await endless.close();
	await c.ended;
	t.pass();
});
