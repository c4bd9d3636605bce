/**
 * The SMTP transport: open a session (connect, TLS, login), send one envelope and message and
 * get one outcome, close. Built on nodemailer's SMTPConnection; this is the one file that
 * knows its private parts (`_socket`: corking a message with its final dot, knowing when the
 * dot has left, and the address actually connected to; `_supportedExtensions`: whether the
 * server offered SMTPUTF8 and DSN; `_responseQueue` and `_remainder`: what the server said that
 * nodemailer has not handled yet), pinned by test/core/transport.test.ts.
 *
 * Every wait has a deadline for the whole of it, not an idle timer that each line of a reply
 * resets: the opening handshake, each command's reply, the reply to the final dot. A session
 * that closes or fails while a command is pending settles that command at once.
 */
import type {Socket} from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import {MassmailError} from '../errors.js';
import {greetingName, mailHostName} from '../host-name.js';
import {secretMask} from '../secret-mask.js';
import {certificateWords, isLoopbackAddress, withoutSecret} from '../tls.js';
import type {DsnParameters} from '../tracking/request.js';
import {seconds} from '../values.js';
import {classifyReply, replyOf, type ReplyKind, type SmtpErrorLike} from './replies.js';
import {writeStuffed} from './message-bytes.js';
import {writeMessage} from './message-stream.js';

/** A target with the capture server's address filled in: what a connection needs. */
export interface ConnectionTarget {
	host: string;
	port: number;
	tls: 'implicit' | 'starttls' | 'opportunistic' | 'none';
	user: string;
	allowUnverifiedTls: boolean;
	/** The CAs to trust for the server's certificate, as PEM text (`smtp.caFile`); absent: Node's own list. */
	ca?: string;
	password?: () => Promise<string>;
	/** Shown to the user. */
	description: string;
	captured: boolean;
	/** The EHLO name (`smtp.heloName`); absent or '': this machine's fully qualified name. */
	heloName?: string;
	/** Several relays (delivery/relays.ts), the first included, each described as `host:port`; absent with one. */
	relays?: ConnectionTarget[];
}

/**
 * How long each wait may take. RFC 5321 §4.5.3.2 asks a client for minutes (5 for most
 * replies, 10 after the final dot, because the server may scan the message before it answers);
 * a mass mailer that a person watches wants to know sooner that a server is gone.
 */
export interface Deadlines {
	/** The whole opening (TCP, greeting, EHLO, STARTTLS, AUTH), and each command's whole reply. */
	replyMs: number;
	/** Sending the message and the whole reply to its final dot. */
	dataMs: number;
}

export const defaultDeadlines: Deadlines = {replyMs: 60_000, dataMs: 300_000};

/** How one attempt ended. */
export type AttemptOutcome = {kind: 'accepted'; response: string} | {kind: ReplyKind; response: string};

/** Why a session could not be opened: the kind for the engine, the error for the person. */
export interface OpenFailure {
	kind: ReplyKind;
	response: string;
	error: MassmailError;
}

/** A failure to open as the MassmailError the user sees (exit 3). */
export function connectionFailure(error: SmtpErrorLike, target: ConnectionTarget, secret?: string): MassmailError {
	if (error instanceof MassmailError) {
		return error;
	}

	const where = `${target.host}:${target.port}`;
	const kind = classifyReply(error, false);
	const message = withoutSecret(replyOf(error), secret);
	if (kind === 'auth') {
		return new MassmailError('auth', `the SMTP server ${where} refused the login of ${JSON.stringify(target.user)}: ${message}`, {
			hint: 'check smtp.user and the password (MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand)',
		});
	}

	if (kind === 'tls') {
		const certificate = certificateWords.test(`${message} ${error.originalCode ?? ''}`);
		return new MassmailError('connection', `TLS with ${where} failed: ${message}`, {
			hint: certificate
				? 'if its certificate comes from a private CA, set smtp.caFile to that CA\'s PEM file (massmail config set smtp.caFile /etc/ssl/our-ca.pem); if you trust this server as it is, set smtp.allowUnverifiedTls true'
				: 'check smtp.tls (implicit for port 465, starttls for 587)',
		});
	}

	return new MassmailError('connection', `cannot reach the SMTP server ${where}: ${message}`, {
		hint: kind === 'limited'
			? 'the server limits connections from this machine; try again later, or lower delivery.concurrency'
			: 'check smtp.host and smtp.port (massmail config get smtp.host), or MASSMAIL_SMTP_URL',
	});
}

/** nodemailer's private socket, for corking and for the peer's address (see the file's comment). */
function socketOf(connection: SMTPConnection): Socket | undefined {
	return (connection as unknown as {_socket?: Socket})._socket;
}

/** The server said more than nodemailer has handled yet (its private queue of reply lines, and the line after them). */
function saidMore(connection: SMTPConnection): boolean {
	const {_responseQueue: queue, _remainder: remainder} = connection as unknown as {_responseQueue?: unknown; _remainder?: unknown};
	return (Array.isArray(queue) && queue.some(line => String(line).trim() !== '')) || (typeof remainder === 'string' && remainder.trim() !== '');
}

/**
 * Calls `left` once the final dot has left this process: the DataStream ended (nodemailer's pipe
 * handed its last chunk, the dot, to the socket) and the socket wrote all it held to the kernel.
 * Usually the socket is still corked then: the empty write joins the message's one write, with no
 * system call of its own, and calls back when that is done. A socket that is ending never sends it.
 * Past this point only the kernel holds the dot, and whether the server read it cannot be known.
 */
function whenFinalDotLeft(stream: NodeJS.ReadableStream, socket: Socket | undefined, left: () => void): void {
	stream.once('end', () => {
		if (!socket || (socket.writable && socket.writableLength === 0 && socket.writableCorked === 0)) {
			left();
		} else if (socket.writable) {
			socket.write(Buffer.alloc(0), error => {
				if (!error) {
					left();
				}
			});
		}
	});
}

/** Whether the server offered an extension (SMTPUTF8, DSN) in its EHLO reply: nodemailer's private list of them (see the file's comment). */
function offers(connection: SMTPConnection, extension: 'SMTPUTF8' | 'DSN'): boolean {
	const extensions = (connection as unknown as {_supportedExtensions?: unknown})._supportedExtensions;
	return Array.isArray(extensions) && extensions.includes(extension);
}

/** One message's envelope: the envelope sender, its one recipient, and the DSN parameters to ask for reports with. */
export interface Envelope {
	from: string;
	to: string;
	/** Sent (ENVID and RET on MAIL FROM, NOTIFY and ORCPT on RCPT TO) only when the server offers DSN. */
	dsn?: DsnParameters;
}

/** One open SMTP session: at most one message at a time. */
export class SmtpSession {
	private closed = false;
	/** Settles the command in flight when the session goes away under it. */
	private onLost: ((reason: string) => void) | undefined;
	private readonly closeListeners: Array<() => void> = [];

	/**
	 * @internal Use openSession. `mask` keeps the password out of every reply the session passes
	 * on (secret-mask.ts): a server may say it back, and replies are stored and shown.
	 */
	constructor(private readonly connection: SMTPConnection, private readonly deadlines: Deadlines, private readonly mask: (text: string) => string = text => text) {
		connection.on('error', () => {
			// Reported to the pending command (or nothing was pending); 'end' follows.
		});
		connection.on('end', () => {
			this.markClosed(connection.lastServerResponse ? `the server closed the connection: ${connection.lastServerResponse}` : 'the server closed the connection');
		});
	}

	/** False once the connection is closed, by either side. */
	get open(): boolean {
		return !this.closed;
	}

	/** The server offered DSN (RFC 3461) in its EHLO reply: the DSN parameters of an envelope are sent. */
	get offersDsn(): boolean {
		return offers(this.connection, 'DSN');
	}

	/** Called once when the session closes. */
	onClose(listener: () => void): void {
		this.closeListeners.push(listener);
	}

	/**
	 * Sends one message to one recipient; `done` is called exactly once, within the deadlines.
	 * `holdEnd` may delay the final dot (the server takes the message at the dot): it gets the
	 * function that sends it.
	 */
	send(envelope: Envelope, parts: {head: Buffer; body: Buffer}, done: (outcome: AttemptOutcome) => void, holdEnd?: (end: () => void) => void): void {
		if (this.closed) {
			setImmediate(() => {
				done({kind: 'connection', response: 'the connection was closed'});
			});
			return;
		}

		const {connection} = this;
		if (/[^\u0000-\u007F]/.test(envelope.from + envelope.to) && !offers(connection, 'SMTPUTF8')) {
			// nodemailer would send the address anyway, without SMTPUTF8, for the server to misread.
			const address = /[^\u0000-\u007F]/.test(envelope.to) ? envelope.to : envelope.from;
			setImmediate(() => {
				done({kind: 'permanent', response: `not sent: ${address} has non-ASCII characters, and this server does not offer SMTPUTF8 (RFC 6531), which such an address needs`});
			});
			return;
		}

		let settled = false;
		// The message is being written: the server got its 354.
		let messageStarted = false;
		// The final dot has left this process (see whenFinalDotLeft): from now on the server may have the message.
		let dotLeft = false;
		// The server said something after its 354 before the dot left: it did not answer the message.
		let repliedTooSoon = false;
		let timer: NodeJS.Timeout | undefined;
		const settle = (outcome: AttemptOutcome) => {
			if (settled) {
				return;
			}

			settled = true;
			clearTimeout(timer);
			this.onLost = undefined;
			done({...outcome, response: this.mask(outcome.response)});
		};

		const lost = (reason: string): AttemptOutcome => dotLeft
			? {kind: 'ambiguous', response: `connection lost after the message was sent, the server may have it (ambiguous): ${reason}`}
			: {kind: 'connection', response: reason};
		// Ends the session with this outcome: closed first, so that the engine does not start the
		// next message on it, and without the outcome of a lost connection that closing it gives.
		const hangUpWith = (outcome: AttemptOutcome) => {
			this.onLost = undefined;
			this.destroy();
			settle(outcome);
		};
		const arm = (ms: number, expired: () => AttemptOutcome) => {
			clearTimeout(timer);
			timer = setTimeout(() => {
				hangUpWith(expired());
			}, ms);
		};

		this.onLost = reason => {
			settle(lost(reason));
		};

		arm(this.deadlines.replyMs, () => lost(`no complete reply to MAIL FROM, RCPT TO or DATA within ${seconds(this.deadlines.replyMs)}`));
		// SMTPConnection pipes a message that has pipe(): this writes the shared body without
		// copying it into a per-recipient buffer, and lets the final dot wait.
		const message = {
			pipe: (stream: NodeJS.ReadWriteStream) => {
				messageStarted = true;
				// Called from nodemailer's handling of the 354: a reply already waiting behind it came before the message.
				repliedTooSoon = saidMore(connection);
				arm(this.deadlines.dataMs, () => lost(`the message could not be sent within ${seconds(this.deadlines.dataMs)}`));
				const socket = socketOf(connection);
				whenFinalDotLeft(stream, socket, () => {
					dotLeft = true;
				});
				// Corked, the message and its final dot leave in one write instead of several.
				if (socket) {
					socket.cork();
					setImmediate(() => {
						socket.uncork();
					});
				}

				const end = () => {
					if (settled) {
						return;
					}

					arm(this.deadlines.dataMs, () => lost(dotLeft
						? `no complete reply to the final dot within ${seconds(this.deadlines.dataMs)}`
						: `the message could not be sent within ${seconds(this.deadlines.dataMs)}: the server did not read it`));
					stream.end();
				};

				const written = () => {
					(holdEnd ?? (sendDot => sendDot()))(end);
				};

				// A body of a usual size, stuffed once per send, straight to the socket (message-bytes.ts);
				// a large one in slices (message-stream.ts): whole, it was copied per connection.
				if (socket && writeStuffed(socket, stream, parts.head, parts.body)) {
					written();
				} else {
					writeMessage(stream, [parts.head, parts.body], written);
				}

				return stream;
			},
		};

		connection.send({from: envelope.from, to: [envelope.to], ...(envelope.dsn ? {dsn: envelope.dsn} : {})}, message as unknown as Buffer, (error, info) => {
			if (settled) {
				return;
			}

			const failure = error as SmtpErrorLike | null;
			const reply = failure ? failure.response : info.response;
			if (messageStarted && (repliedTooSoon || !dotLeft) && typeof reply === 'string' && reply !== '' && !/^421[ -]/.test(reply)) {
				// A server answers a message at its final dot (RFC 5321 §4.1.1.4). A reply that came
				// before the dot left answers nothing we sent: not a success, and not a refusal of the
				// message either. The session is out of step (the real reply comes later): it goes,
				// and the recipient is tried again as after a lost connection. (A 421 may come at
				// any time: the server is closing, and that is classified as usual.)
				hangUpWith({kind: 'connection', response: `the server replied before the final dot of the message was sent, which is a protocol error: ${reply}`});
				return;
			}

			if (!failure) {
				settle({kind: 'accepted', response: info.response ?? ''});
				return;
			}

			const kind = classifyReply(failure, dotLeft);
			const response = kind === 'connection' || kind === 'ambiguous' ? lost(replyOf(failure)).response : replyOf(failure);
			const refusedInSession = typeof failure.responseCode === 'number' && failure.responseCode !== 421 && (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE');
			if (!refusedInSession || this.closed) {
				hangUpWith({kind, response});
				return;
			}

			// The server refused this one message; the session goes on after a RSET, which gets a
			// deadline of its own and may find the server gone (it closes instead of answering).
			this.onLost = () => {
				settle({kind, response});
			};

			arm(this.deadlines.replyMs, () => ({kind, response}));
			connection.reset(resetError => {
				if (resetError) {
					this.destroy();
				}

				settle({kind, response});
			});
		});
	}

	/** Says goodbye; the connection is gone within the reply deadline whatever the server does. */
	quit(): void {
		if (this.closed) {
			return;
		}

		this.connection.quit();
		const timer = setTimeout(() => {
			this.destroy();
		}, Math.min(this.deadlines.replyMs, 5000));
		timer.unref();
		this.onClose(() => {
			clearTimeout(timer);
		});
	}

	/** Closes at once; a command in flight settles now (as lost, or ambiguous after the final dot). */
	destroy(reason = 'the connection was closed'): void {
		// Marked first: nodemailer's close() emits 'end' at once, which must not speak for us.
		this.markClosed(reason);
		this.connection.close();
	}

	private markClosed(reason: string): void {
		if (this.closed) {
			return;
		}

		this.closed = true;
		this.onLost?.(reason);
		for (const listener of this.closeListeners.splice(0)) {
			listener();
		}
	}
}

function openError(kind: ReplyKind, error: MassmailError): OpenFailure {
	return {kind, response: error.message, error};
}

/**
 * Opens a session and logs in, within `deadlines.replyMs` for the whole of it. Calls back with
 * the session, or with why not. Callback style: the engine opens connections on its hot path.
 * Returns a function that gives up on the opening (the callback then gets a failure).
 */
export function openSession(target: ConnectionTarget, deadlines: Deadlines, done: (failure: OpenFailure | undefined, session?: SmtpSession) => void): () => void {
	const connection = new SMTPConnection({
		host: target.host,
		port: target.port,
		secure: target.tls === 'implicit',
		requireTLS: target.tls === 'starttls',
		ignoreTLS: target.tls === 'none',
		opportunisticTLS: target.tls === 'opportunistic',
		tls: {rejectUnauthorized: !target.allowUnverifiedTls, ...(target.ca === undefined ? {} : {ca: target.ca})},
		name: target.heloName || mailHostName().name || '[127.0.0.1]',
		// Our own deadline below covers the whole opening; these are nodemailer's idle timers.
		connectionTimeout: deadlines.replyMs + 5000,
		greetingTimeout: deadlines.replyMs + 5000,
		socketTimeout: Math.max(deadlines.replyMs, deadlines.dataMs) + 5000,
		socketCloseTimeout: 0,
		logger: false,
	});
	if (!target.heloName) {
		// Without a fully qualified name the greeting names this end of the connection by its
		// address, known only once connected: nodemailer reads `name` when it sends EHLO.
		Object.defineProperty(connection, 'name', {get: () => greetingName(mailHostName().name, socketOf(connection)?.localAddress)});
	}

	let finished = false;
	let mask = secretMask(undefined);
	const finish = (failure: OpenFailure | undefined) => {
		if (finished) {
			return;
		}

		finished = true;
		clearTimeout(deadline);
		if (failure) {
			connection.close();
			done(failure);
		} else {
			done(undefined, new SmtpSession(connection, deadlines, mask));
		}
	};

	const fail = (error: SmtpErrorLike, secret?: string) => {
		const kind = classifyReply(error, false);
		finish({kind, response: withoutSecret(replyOf(error), secret), error: connectionFailure(error, target, secret)});
	};

	const deadline = setTimeout(() => {
		fail({code: 'ETIMEDOUT', message: `no complete greeting, EHLO, TLS or login within ${seconds(deadlines.replyMs)}`});
	}, deadlines.replyMs);

	// An 'error' event without a listener would crash the process; the callbacks carry the error.
	connection.on('error', (error: SmtpErrorLike) => {
		fail(error);
	});
	connection.on('end', () => {
		fail({code: 'ECONNECTION', message: connection.lastServerResponse || 'the server closed the connection', response: connection.lastServerResponse || undefined});
	});
	connection.connect(error => {
		if (error) {
			fail(error);
			return;
		}

		if (target.user === '') {
			finish(undefined);
			return;
		}

		// Decided from the address actually connected to: a name that looks local may resolve elsewhere.
		const peer = socketOf(connection)?.remoteAddress;
		if (!connection.secure && !isLoopbackAddress(peer)) {
			finish(openError('tls', new MassmailError('connection', `${target.host}:${target.port} (${peer ?? 'unknown address'}) offered no TLS: the password is not sent over an unencrypted connection`, {
				hint: 'set smtp.tls to starttls or implicit',
			})));
			return;
		}

		if (!target.password) {
			finish(openError('auth', new MassmailError('auth', `no password for SMTP user ${JSON.stringify(target.user)}`, {
				hint: 'set MASSMAIL_SMTP_PASSWORD, or smtp.passwordCommand (a command that prints the password)',
			})));
			return;
		}

		target.password().then(
			pass => {
				mask = secretMask(pass);
				connection.login({user: target.user, pass}, loginError => {
					if (loginError) {
						fail(loginError as SmtpErrorLike, pass);
					} else {
						finish(undefined);
					}
				});
			},
			(passwordError: Error) => {
				finish(openError('auth', passwordError instanceof MassmailError ? passwordError : new MassmailError('auth', passwordError.message)));
			},
		);
	});
	return () => {
		fail({code: 'ECONNECTION', message: 'the connection was given up'});
	};
}

/** Opens a session or rejects with the MassmailError to show: the check before a send, and "test connection". */
export async function verifySession(target: ConnectionTarget, deadlines: Deadlines): Promise<SmtpSession> {
	return new Promise((resolve, reject) => {
		openSession(target, deadlines, (failure, session) => {
			if (failure || !session) {
				reject(failure?.error ?? new MassmailError('connection', 'no connection'));
				return;
			}

			resolve(session);
		});
	});
}
