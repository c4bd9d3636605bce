/**
 * A misbehaving SMTP server on 127.0.0.1 for tests of the delivery engine, written on raw
 * `node:net` sockets so that it can do what a well-behaved server library never does: never
 * finish a reply, hang up instead of answering RSET, refuse connections beyond a limit, die and
 * come back on the same port. (For ordinary accept/defer/refuse rules see `smtp-test-server.ts`.)
 *
 * It speaks enough ESMTP for nodemailer's SMTPConnection: a 220 greeting, EHLO (`250-name`,
 * `250-8BITMIME`, `250-SMTPUTF8` and `250-PIPELINING` when asked, `250 OK`; never STARTTLS or
 * AUTH), HELO, MAIL FROM, RCPT TO, DATA (354, then the message up to `\r\n.\r\n`, dot-stuffing
 * undone), RSET, NOOP and QUIT. Commands are handled one at a time, in order, also when several
 * come in one write (RFC 2920): a DATA after a refused MAIL or RCPT gets 503.
 *
 * Rules (local part prefix of a recipient, as in `endless+ann@example.com`):
 * - `endless+…`       after the final dot, `250-ok` continuation lines forever, one every
 *                     `endlessIntervalMs` (200 ms), never the final `250 ` line: an idle timer
 *                     that each line resets never fires
 * - `refuse-close+…`  RCPT TO gets `550 5.1.1 no such user`; a later RSET in that session closes
 *                     the connection without an answer
 * - `defer-limit+…`   a message to it counts against the rate limit (see `rateLimit`); with no
 *                     `rateLimit` option the limit is 1 message per `rateWindowMs`
 * - `slow-data+…`     the reply to the final dot comes after `slowDataMs` (3 s), then it is accepted
 * - `close-after-dot+…` reads the whole message, then closes without a reply (the ambiguous case)
 * - `shutdown-at-dot+…` reads the whole message, replies `421 4.3.2 Service shutting down` to its
 *                     final dot and closes: refused, not taken
 * - `premature-ok+…`  DATA gets `354` and, in the same write (or `prematureOkDelayMs` later),
 *                     `250 2.0.0 Ok: premature`, a reply before the message was read; the message
 *                     is still read to its final dot, which gets `554 5.6.0 Error: refused at the
 *                     final dot`: never taken (it is in neither `messages` nor `unanswered`)
 * - `refuse-data+…`   DATA gets `451 4.3.0 Error: queue file write error` (as Postfix says it)
 * - `stop-reading+…`  DATA gets `354`, then the server stops reading the connection and never
 *                     says anything again: a large message stays in the socket buffers, its final
 *                     dot never leaves the client
 * - anything else     accepted
 * A DATA-stage rule applies when any recipient of the message has it; the first of
 * refuse-data, stop-reading, premature-ok, close-after-dot, shutdown-at-dot, endless, slow-data wins.
 *
 * Messages read completely but never answered with a final reply (endless, close-after-dot, a
 * slow-data message whose client left first) are in `unanswered`, not in `messages`: the server
 * "may have" them.
 */
import net from 'node:net';
import type {ExecutionContext} from 'ava';

export interface FaultyMessage {
	from: string;
	to: string[];
	/** The message as the client meant it: dot-stuffing undone, ending with the CRLF before the dot. */
	raw: Buffer;
}

export type FaultyRule = 'endless' | 'refuse-close' | 'refuse-data' | 'defer-limit' | 'slow-data' | 'close-after-dot' | 'shutdown-at-dot' | 'premature-ok' | 'stop-reading' | 'accept';

export interface FaultyRcpt {
	address: string;
	rule: FaultyRule;
	/** The reply the server gave (without CRLF). */
	reply: string;
}

export interface FaultySmtpServerOptions {
	/** Name in the greeting and the EHLO reply; default 'faulty.test'. */
	name?: string;
	/** Advertise SMTPUTF8 in the EHLO reply; default false. */
	smtputf8?: boolean;
	/** Advertise PIPELINING (RFC 2920) in the EHLO reply; default false. */
	pipelining?: boolean;
	/** 'greeting': accept TCP and never send a greeting; 'after-greeting': greet, then never answer anything. */
	silent?: 'greeting' | 'after-greeting';
	/**
	 * Only this many connections are served at a time; any other connection open at the same time
	 * gets `421 4.7.0 Error: too many connections from 127.0.0.1` as its greeting and is closed.
	 */
	acceptConnections?: number;
	/**
	 * Per server (all connections together, as Postfix's anvil counts per client address, and
	 * every connection here comes from 127.0.0.1): once `messages` messages were accepted within
	 * the last `rateWindowMs`, MAIL FROM gets `450 4.7.1 Error: too much mail from 127.0.0.1`.
	 * With this option every accepted message counts; without it only messages to `defer-limit+`
	 * recipients count, with a limit of 1.
	 */
	rateLimit?: {messages: number};
	/** The sliding window of the rate limit, in ms; default 60 000 (Postfix's anvil_rate_time_unit). */
	rateWindowMs?: number;
	/**
	 * After this many error replies (4xx/5xx, the 450 of the rate limit included) in one session, the server replies
	 * `421 4.7.0 Error: too many errors` at once and closes (as Postfix's smtpd_hard_error_limit).
	 */
	errorLimit?: number;
	/** Delay of the reply to the final dot for `slow-data+` recipients, in ms; default 3000. */
	slowDataMs?: number;
	/** Delay of the premature `250` after the `354` for `premature-ok+` recipients, in ms; default 0: both in one write. */
	prematureOkDelayMs?: number;
	/** Interval of the `250-ok` lines for `endless+` recipients, in ms; default 200. */
	endlessIntervalMs?: number;
	/** Port to listen on; default 0 (any free port). */
	port?: number;
	/** QUIT gets no answer and the connection stays open: a client that says goodbye waits for its own deadline. */
	silentQuit?: boolean;
}

export interface FaultySmtpServer {
	readonly host: '127.0.0.1';
	/** The port, the same after restart(). */
	readonly port: number;
	/** Every message accepted with a final 250, in order. */
	readonly messages: FaultyMessage[];
	/** Every message read completely that never got a final reply (see the file comment). */
	readonly unanswered: FaultyMessage[];
	/** Messages read to the final dot, whatever happened next (accepted, unanswered, refused, or a reply still to come). */
	readonly messagesRead: number;
	/** Messages whose DATA got the premature `250` (premature-ok+). */
	readonly prematureReplies: number;
	/** Messages after whose `354` the server stopped reading (stop-reading+). */
	readonly stoppedReading: number;
	/** Every RCPT TO seen, with its rule and the reply given. */
	readonly rcpts: FaultyRcpt[];
	/** Every command line received (not the message data), across all sessions, in order. */
	readonly commands: string[];
	/** Connections accepted by TCP since start (those refused with 421 included). */
	readonly connectionsMade: number;
	/** What the clients wrote arrived in this many reads (a client's write is one read on loopback, unless the server fell behind and several joined). */
	readonly reads: number;
	/** Connections open right now (those being refused with 421 included until they close). */
	readonly connectionsOpen: number;
	/** Connections turned away with `421 … too many connections`. */
	readonly connectionsRefused: number;
	/** How many messages to this address were accepted (case-insensitive). */
	acceptedCount(address: string): number;
	/** Destroys every open socket and stops listening: later connections get ECONNREFUSED. Records are kept. */
	kill(): Promise<void>;
	/** Listens again on the same port after kill(). Records (and the rate limit's window) are kept. */
	restart(): Promise<void>;
	/** Teardown: destroys every socket and stops listening; always ends, also after kill(). */
	close(): Promise<void>;
}

const rules: FaultyRule[] = ['endless', 'refuse-close', 'refuse-data', 'defer-limit', 'slow-data', 'close-after-dot', 'shutdown-at-dot', 'premature-ok', 'stop-reading'];

export function faultyRuleOf(address: string): FaultyRule {
	const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
	return rules.find(rule => local.startsWith(rule + '+')) ?? 'accept';
}

interface Session {
	socket: net.Socket;
	buffer: Buffer;
	/** 'command', 'data' (reading the message), 'busy' (a reply is pending), 'dead' (reads and ignores everything). */
	mode: 'command' | 'data' | 'busy' | 'dead';
	from: string | undefined;
	to: string[];
	dataLines: Buffer[];
	refusedClose: boolean;
	errors: number;
	timer: NodeJS.Timeout | undefined;
	/** A message read completely whose final reply is still to come (slow-data). */
	pending: FaultyMessage | undefined;
	/** The message being read got a premature 250: its final dot gets 554. */
	premature: boolean;
	/** Resolves once the socket has closed and the session's records are complete. */
	closed: Promise<void>;
}

/** A fault server closed when the test ends. */
export async function faultyServerFor(t: Pick<ExecutionContext, 'teardown'>, options: FaultySmtpServerOptions = {}): Promise<FaultySmtpServer> {
	const server = await startFaultyServer(options);
	t.teardown(async () => server.close());
	return server;
}

export async function startFaultyServer(options: FaultySmtpServerOptions = {}): Promise<FaultySmtpServer> {
	const name = options.name ?? 'faulty.test';
	const slowDataMs = options.slowDataMs ?? 3000;
	const endlessIntervalMs = options.endlessIntervalMs ?? 200;
	const rateWindowMs = options.rateWindowMs ?? 60_000;
	const rateMessages = options.rateLimit?.messages ?? 1;

	const messages: FaultyMessage[] = [];
	const unanswered: FaultyMessage[] = [];
	const rcpts: FaultyRcpt[] = [];
	const commands: string[] = [];
	const sessions = new Set<Session>();
	/** Times at which messages counting against the rate limit were accepted. */
	let rateTimes: number[] = [];
	let served = 0;
	let made = 0;
	let reads = 0;
	let refused = 0;
	let read = 0;
	let premature = 0;
	let stopped = 0;
	const prematureOkDelayMs = options.prematureOkDelayMs ?? 0;
	let port = options.port ?? 0;

	const rateLimited = (): boolean => {
		const now = Date.now();
		rateTimes = rateTimes.filter(time => now - time < rateWindowMs);
		return rateTimes.length >= rateMessages;
	};

	const write = (session: Session, text: string) => {
		if (!session.socket.destroyed && session.socket.writable) {
			session.socket.write(text);
		}
	};

	const hangUp = (session: Session) => {
		session.mode = 'dead';
		session.socket.destroy();
	};

	/** One reply line (or several, joined with CRLF); counts errors and enforces errorLimit. */
	const reply = (session: Session, text: string) => {
		write(session, text + '\r\n');
		if (/^[45]\d\d/.test(text) && !text.startsWith('421')) {
			session.errors++;
			if (options.errorLimit !== undefined && session.errors >= options.errorLimit) {
				write(session, '421 4.7.0 Error: too many errors\r\n');
				session.mode = 'dead';
				session.socket.end();
			}
		}
	};

	const resetTransaction = (session: Session) => {
		session.from = undefined;
		session.to = [];
		session.dataLines = [];
	};

	const accept = (session: Session, message: FaultyMessage) => {
		messages.push(message);
		if (options.rateLimit || message.to.some(address => faultyRuleOf(address) === 'defer-limit')) {
			rateTimes.push(Date.now());
		}

		reply(session, `250 2.0.0 Ok: queued as ${messages.length}`);
	};

	const endOfData = (session: Session) => {
		const message: FaultyMessage = {from: session.from ?? '', to: session.to, raw: Buffer.concat(session.dataLines)};
		resetTransaction(session);
		session.mode = 'command';
		read++;
		if (session.premature) {
			session.premature = false;
			reply(session, '554 5.6.0 Error: refused at the final dot');
			return;
		}

		const messageRules = new Set(message.to.map(address => faultyRuleOf(address)));
		if (messageRules.has('close-after-dot')) {
			unanswered.push(message);
			hangUp(session);
			return;
		}

		if (messageRules.has('shutdown-at-dot')) {
			write(session, '421 4.3.2 Service shutting down\r\n');
			session.mode = 'dead';
			session.socket.end();
			return;
		}

		if (messageRules.has('endless')) {
			unanswered.push(message);
			session.mode = 'dead';
			session.timer = setInterval(() => {
				write(session, '250-ok\r\n');
			}, endlessIntervalMs);
			return;
		}

		if (messageRules.has('slow-data')) {
			session.mode = 'busy';
			session.pending = message;
			session.timer = setTimeout(() => {
				session.timer = undefined;
				session.pending = undefined;
				if (session.socket.destroyed) {
					unanswered.push(message);
					return;
				}

				session.mode = 'command';
				accept(session, message);
				processInput(session);
			}, slowDataMs);
			return;
		}

		accept(session, message);
	};

	const command = (session: Session, line: string) => {
		commands.push(line);
		const verb = line.split(' ', 1)[0].toUpperCase();
		const argument = line.slice(verb.length).trim();
		switch (verb) {
			case 'EHLO': {
				resetTransaction(session);
				const lines = [name, '8BITMIME', ...(options.smtputf8 ? ['SMTPUTF8'] : []), ...(options.pipelining ? ['PIPELINING'] : [])].map(text => `250-${text}`);
				reply(session, [...lines, '250 OK'].join('\r\n'));
				return;
			}

			case 'HELO': {
				resetTransaction(session);
				reply(session, `250 ${name}`);
				return;
			}

			case 'MAIL': {
				const match = /^FROM:\s*<([^>]*)>/i.exec(argument);
				if (!match) {
					reply(session, '501 5.5.4 Syntax: MAIL FROM:<address>');
				} else if (session.from !== undefined) {
					reply(session, '503 5.5.1 Error: nested MAIL command');
				} else if (rateLimited()) {
					reply(session, `450 4.7.1 Error: too much mail from ${session.socket.remoteAddress ?? '127.0.0.1'}`);
				} else {
					session.from = match[1];
					reply(session, '250 2.1.0 Ok');
				}

				return;
			}

			case 'RCPT': {
				const match = /^TO:\s*<([^>]*)>/i.exec(argument);
				if (!match) {
					reply(session, '501 5.5.4 Syntax: RCPT TO:<address>');
					return;
				}

				if (session.from === undefined) {
					reply(session, '503 5.5.1 Error: need MAIL command');
					return;
				}

				const address = match[1];
				const rule = faultyRuleOf(address);
				let text = '250 2.1.5 Ok';
				if (rule === 'refuse-close') {
					text = '550 5.1.1 no such user';
					session.refusedClose = true;
				} else {
					session.to.push(address);
				}

				rcpts.push({address, rule, reply: text});
				reply(session, text);
				return;
			}

			case 'DATA': {
				if (session.from === undefined) {
					reply(session, '503 5.5.1 Error: need MAIL command');
				} else if (session.to.length === 0) {
					reply(session, '503 5.5.1 Error: need RCPT command');
				} else {
					const dataRules = new Set(session.to.map(address => faultyRuleOf(address)));
					if (dataRules.has('refuse-data')) {
						reply(session, '451 4.3.0 Error: queue file write error');
						return;
					}

					session.mode = 'data';
					if (dataRules.has('stop-reading')) {
						stopped++;
						write(session, '354 End data with <CR><LF>.<CR><LF>\r\n');
						session.mode = 'dead';
						session.socket.pause();
					} else if (dataRules.has('premature-ok')) {
						premature++;
						session.premature = true;
						const early = '250 2.0.0 Ok: premature\r\n';
						if (prematureOkDelayMs > 0) {
							write(session, '354 End data with <CR><LF>.<CR><LF>\r\n');
							session.timer = setTimeout(() => {
								session.timer = undefined;
								write(session, early);
							}, prematureOkDelayMs);
						} else {
							write(session, '354 End data with <CR><LF>.<CR><LF>\r\n' + early);
						}
					} else {
						reply(session, '354 End data with <CR><LF>.<CR><LF>');
					}
				}

				return;
			}

			case 'RSET': {
				if (session.refusedClose) {
					hangUp(session);
					return;
				}

				resetTransaction(session);
				reply(session, '250 2.0.0 Ok');
				return;
			}

			case 'NOOP': {
				reply(session, '250 2.0.0 Ok');
				return;
			}

			case 'QUIT': {
				if (options.silentQuit) {
					session.mode = 'dead';
					return;
				}

				write(session, '221 2.0.0 Bye\r\n');
				session.mode = 'dead';
				session.socket.end();
				return;
			}

			default: {
				reply(session, '502 5.5.2 Error: command not recognized');
			}
		}
	};

	/** Handles every complete line in the buffer, as long as the session is ready for input. */
	const processInput = (session: Session) => {
		while (session.mode === 'command' || session.mode === 'data') {
			const end = session.buffer.indexOf(0x0A);
			if (end === -1) {
				return;
			}

			const line = session.buffer.subarray(0, end + 1);
			session.buffer = session.buffer.subarray(end + 1);
			const content = line.subarray(0, line.length - (line.length >= 2 && line[line.length - 2] === 0x0D ? 2 : 1));
			if (session.mode === 'data') {
				if (content.length === 1 && content[0] === 0x2E) {
					endOfData(session);
				} else {
					session.dataLines.push(content[0] === 0x2E ? line.subarray(1) : line);
				}
			} else {
				command(session, content.toString('utf8'));
			}
		}
	};

	const server = net.createServer(socket => {
		made++;
		const session: Session = {
			socket,
			buffer: Buffer.alloc(0),
			mode: 'command',
			from: undefined,
			to: [],
			dataLines: [],
			refusedClose: false,
			errors: 0,
			timer: undefined,
			pending: undefined,
			premature: false,
			closed: Promise.resolve(),
		};
		sessions.add(session);
		socket.on('error', () => {
			// Resets and hang-ups are what these tests are about.
		});
		const isServed = options.acceptConnections === undefined || served < options.acceptConnections;
		if (isServed) {
			served++;
		}

		session.closed = new Promise<void>(resolve => {
			socket.on('close', () => {
				sessions.delete(session);
				if (isServed) {
					served--;
				}

				clearTimeout(session.timer);
				clearInterval(session.timer);
				if (session.pending) {
					unanswered.push(session.pending);
					session.pending = undefined;
				}

				resolve();
			});
		});
		socket.on('data', (chunk: Buffer) => {
			if (session.mode === 'dead') {
				return;
			}

			reads++;
			session.buffer = Buffer.concat([session.buffer, chunk]);
			processInput(session);
		});

		if (!isServed) {
			refused++;
			session.mode = 'dead';
			socket.end(`421 4.7.0 Error: too many connections from ${socket.remoteAddress ?? '127.0.0.1'}\r\n`);
			return;
		}

		if (options.silent === 'greeting') {
			session.mode = 'dead';
			return;
		}

		write(session, `220 ${name} ESMTP faulty test server\r\n`);
		if (options.silent === 'after-greeting') {
			session.mode = 'dead';
		}
	});
	server.on('error', () => {
		// A listen error is reported by listen() below.
	});

	const listen = async () => {
		await new Promise<void>((resolve, reject) => {
			const onError = (error: Error) => {
				reject(error);
			};

			server.once('error', onError);
			server.listen(port, '127.0.0.1', () => {
				server.removeListener('error', onError);
				resolve();
			});
		});
		const address = server.address();
		port = typeof address === 'object' && address ? address.port : port;
	};

	const stop = async () => {
		const closing = [...sessions].map(async session => session.closed);
		for (const session of sessions) {
			session.mode = 'dead';
			session.socket.destroy();
		}

		if (server.listening) {
			await new Promise<void>(resolve => {
				server.close(() => {
					resolve();
				});
			});
		}

		await Promise.all(closing);
	};

	await listen();

	return {
		host: '127.0.0.1',
		get port() {
			return port;
		},
		messages,
		unanswered,
		get messagesRead() {
			return read;
		},
		get prematureReplies() {
			return premature;
		},
		get stoppedReading() {
			return stopped;
		},
		rcpts,
		commands,
		get connectionsMade() {
			return made;
		},
		get reads() {
			return reads;
		},
		get connectionsOpen() {
			return sessions.size;
		},
		get connectionsRefused() {
			return refused;
		},
		acceptedCount(address: string) {
			const key = address.toLowerCase();
			return messages.reduce((count, message) => count + message.to.filter(to => to.toLowerCase() === key).length, 0);
		},
		kill: stop,
		async restart() {
			if (!server.listening) {
				await listen();
			}
		},
		close: stop,
	};
}
