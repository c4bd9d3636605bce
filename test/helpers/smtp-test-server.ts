/**
 * A real SMTP server on 127.0.0.1 for tests: it accepts, defers, refuses, hangs up or stalls,
 * by rule on the local part of each recipient address, and records what it received.
 *
 * Rules (local part prefix):
 * - `defer-once+…`  451 at RCPT TO the first time this address is seen, then accepted
 * - `defer+…`       451 at RCPT TO, always
 * - `refuse+…`      550 at RCPT TO, always
 * - `drop-once+…`   the first time: reads the whole message, then drops the connection without a reply
 *                   (after the final dot: the ambiguous case), then accepted
 * - `drop+…`        the same, every time
 * - `drop-mid+…`    drops the connection as soon as the message data starts (before the final dot)
 * - `stall+…`       never answers RCPT TO (the client times out)
 * - anything else   accepted
 *
 * `rawReply` overrides the reply to RCPT TO or to the final dot with a line of the test's
 * choosing, control bytes and all (a hostile server's words: smtp-server itself blanks them).
 */
import type {Socket} from 'node:net';
import {SMTPServer, type SMTPServerOptions} from 'smtp-server';
import {listenOnLoopback} from '../../source/core/capture-server.js';

export interface ReceivedMessage {
	envelope: {from: string; to: string[]};
	raw: Buffer;
}

export interface TestSmtpServerOptions {
	/** Require AUTH with these credentials (allowed over plain text: the server is on loopback). */
	auth?: {user: string; pass: string};
	/** 'starttls': offer STARTTLS with smtp-server's built-in self-signed certificate; 'implicit': TLS from the start. */
	tls?: 'starttls' | 'implicit';
	/** Listen on this address of this machine instead of 127.0.0.1 (the password-in-clear tests). */
	host?: string;
	/** What the server answers after the message (after `250 `); default `OK: queued as N`. */
	acceptReply?: (count: number) => string;
	/**
	 * The whole reply line (code and text, no CRLF) to RCPT TO of `address`, or to the final dot
	 * of a message whose first recipient is `address`: written to the socket byte for byte.
	 * undefined: the rule decides.
	 */
	rawReply?: (address: string, stage: 'rcpt' | 'data') => string | undefined;
}

export interface TestSmtpServer {
	port: number;
	/** Every message accepted (and every message read before a drop), in arrival order. */
	messages: ReceivedMessage[];
	/** Messages read completely before the connection was dropped on purpose (the server "may have" them). */
	dropped: ReceivedMessage[];
	/** Every RCPT TO seen, with the reply the rule gave (accept, defer, refuse, stall). */
	attempts: Array<{address: string; rule: string}>;
	/** Successful logins. */
	logins: number;
	/** AUTH commands that reached the server at all, right or wrong: a password on the wire. */
	authAttempts: number;
	close(): Promise<void>;
}

function ruleOf(address: string): string {
	const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
	for (const rule of ['defer-once', 'defer', 'refuse', 'drop-once', 'drop-mid', 'drop', 'stall']) {
		if (local.startsWith(rule + '+')) {
			return rule;
		}
	}

	return 'accept';
}

function smtpError(code: number, message: string): Error {
	const error = new Error(message) as Error & {responseCode: number};
	error.responseCode = code;
	return error;
}

export async function startTestSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
	const messages: ReceivedMessage[] = [];
	const dropped: ReceivedMessage[] = [];
	const attempts: Array<{address: string; rule: string}> = [];
	const seen = new Set<string>();
	const sockets = new Set<Socket>();
	let logins = 0;
	let authAttempts = 0;

	const serverOptions: SMTPServerOptions = {
		logger: false,
		secure: options.tls === 'implicit',
		disabledCommands: options.tls === 'starttls' || options.tls === 'implicit' ? [] : ['STARTTLS'],
		authOptional: !options.auth,
		allowInsecureAuth: true,
		onAuth(auth, _session, callback) {
			authAttempts++;
			if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
				logins++;
				callback(null, {user: auth.username});
				return;
			}

			callback(smtpError(535, 'Authentication credentials invalid'));
		},
		onRcptTo(address, session, callback) {
			const rule = ruleOf(address.address);
			const key = address.address.toLowerCase();
			attempts.push({address: address.address, rule});
			const raw = options.rawReply?.(address.address, 'rcpt');
			if (raw !== undefined) {
				replyRaw(session.id, raw);
				callback(smtpError(Number.parseInt(raw, 10) || 550, 'replaced by the raw reply'));
				return;
			}

			switch (rule) {
				case 'defer-once': {
					if (seen.has(key)) {
						callback();
					} else {
						seen.add(key);
						callback(smtpError(451, '4.3.0 Try again later (defer-once)'));
					}

					return;
				}

				case 'defer': {
					callback(smtpError(451, '4.3.0 Mailbox busy, try again later'));
					return;
				}

				case 'refuse': {
					callback(smtpError(550, '5.1.1 No such user here'));
					return;
				}

				case 'stall': {
					return; // never answers: the client's timeout decides
				}

				default: {
					callback();
				}
			}
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			const dropMid = session.envelope.rcptTo.some(r => ruleOf(r.address) === 'drop-mid');
			const destroy = () => {
				for (const connection of server.connections) {
					if (connection.session === session || connection.id === session.id) {
						connection._socket.destroy();
					}
				}
			};

			stream.on('data', (chunk: Buffer) => {
				if (dropMid) {
					destroy();
					return;
				}

				chunks.push(chunk);
			});
			stream.on('end', () => {
				if (dropMid) {
					return;
				}

				const to = session.envelope.rcptTo.map(r => r.address);
				const message: ReceivedMessage = {
					envelope: {from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to},
					raw: Buffer.concat(chunks),
				};
				const dropRule = to.map(a => ruleOf(a)).find(r => r === 'drop' || r === 'drop-once');
				const dropKey = to[0]?.toLowerCase() + '#drop';
				if (dropRule === 'drop' || (dropRule === 'drop-once' && !seen.has(dropKey))) {
					seen.add(dropKey);
					dropped.push(message);
					// The whole message is here, but the client never hears so: the ambiguous case.
					destroy();
					return;
				}

				messages.push(message);
				const raw = to[0] === undefined ? undefined : options.rawReply?.(to[0], 'data');
				if (raw !== undefined) {
					replyRaw(session.id, raw);
				}

				callback(null, options.acceptReply ? options.acceptReply(messages.length) : 'OK: queued as ' + messages.length);
			});
		},
	};
	const server = new SMTPServer(serverOptions);
	/** The session's next reply is `line`, as it is: its connection's `send` writes it once instead of what it was given. */
	const replyRaw = (sessionId: string, line: string) => {
		const connection = [...server.connections].find(each => each.id === sessionId || each.session.id === sessionId);
		if (!connection) {
			return;
		}

		const send = connection.send.bind(connection);
		connection.send = () => {
			connection.send = send;
			connection._socket.write(line + '\r\n');
		};
	};

	server.on('error', () => {
		// Dropped and stalled sessions end in socket errors; they are the point of the test.
	});
	server.server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});

	const port = options.host === undefined ? await listenOnLoopback(server) : await new Promise<number>((resolve, reject) => {
		server.server.once('error', reject);
		server.listen(0, options.host, () => {
			const address = server.server.address();
			resolve(typeof address === 'object' && address ? address.port : 0);
		});
	});

	return {
		port,
		messages,
		dropped,
		attempts,
		get logins() {
			return logins;
		},
		get authAttempts() {
			return authAttempts;
		},
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => {
				server.close(() => resolve());
			});
		},
	};
}
