/**
 * One SMTP transaction on an open session (transport.ts): MAIL FROM, RCPT TO, DATA, the message
 * and its final dot, and the one outcome of it.
 *
 * When the server offers PIPELINING (RFC 2920) and the message is of a usual size, the
 * transaction is written here on nodemailer's socket: the three commands in one write, then the
 * stuffed message and its dot in one more, each reply taken from nodemailer's own reply reader
 * (its `_responseActions`, one per reply, in order). nodemailer's `send` does the same on the wire
 * but builds a DataStream, a pipe and their events for every message: the delivery bench's
 * profile put that, with its envelope bookkeeping, at a sixth of the sending process's time.
 * Otherwise (no PIPELINING, a large message, an address or DSN parameter nodemailer would refuse)
 * the message goes through nodemailer's `send` as before. So does a stepwise message (the pacer's
 * probe of a limit), with nodemailer's own pipelining turned off for it: each command waits for
 * the last one's reply, and a refusal at MAIL FROM is the server's only error. Both paths end in the same `answered`,
 * so a refused MAIL, RCPT or DATA, a refused message, a close and a reply too soon come out the
 * same either way.
 */
import type {Socket} from 'node:net';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import {encodeXText} from 'nodemailer/lib/shared';
import {seconds} from '../values.js';
import {classifyReply, replyOf, type SmtpErrorLike} from './replies.js';
import {stuffedMessage, writeStuffed, type StuffedMessage} from './message-bytes.js';
import {writeMessage} from './message-stream.js';
import type {MovingDeadline} from './moving-deadline.js';
import type {AttemptOutcome, Deadlines, Envelope} from './transport.js';

/** What a transaction needs of its session (transport.ts's SmtpSession). */
export interface TransactionSession {
	readonly connection: SMTPConnection;
	readonly deadlines: Deadlines;
	/** The deadline of the command in flight: one timer for the session's life, moved by each command. */
	readonly deadline: MovingDeadline;
	/** Keeps the password out of every reply passed on (secret-mask.ts). */
	readonly mask: (text: string) => string;
	readonly open: boolean;
	/** Settles the command in flight when the session goes away under it. */
	onLost: ((reason: string) => void) | undefined;
	destroy(): void;
}

/** nodemailer's private parts that this file and transport.ts read (see transport.ts's comment). */
interface ConnectionInternals {
	_socket?: Socket;
	_supportedExtensions?: unknown;
	_responseQueue?: unknown;
	_remainder?: unknown;
	_responseActions?: Array<(reply: string) => void>;
	_destroyed?: boolean;
	_setDsnEnvelope?: (dsn: unknown) => {ret: string | null; envid: string | null; notify: string | null; orcpt: string | null};
}

function internals(connection: SMTPConnection): ConnectionInternals {
	return connection as unknown as ConnectionInternals;
}

/** nodemailer's private socket, for corking and for the peer's address. */
export function socketOf(connection: SMTPConnection): Socket | undefined {
	return internals(connection)._socket;
}

/** Whether the server offered an extension in its EHLO reply: nodemailer's private list of them. */
export function offers(connection: SMTPConnection, extension: 'SMTPUTF8' | 'DSN' | 'PIPELINING'): boolean {
	const extensions = internals(connection)._supportedExtensions;
	return Array.isArray(extensions) && extensions.includes(extension);
}

/** The server said more than nodemailer has handled yet (its private queue of reply lines, and the line after them). */
function saidMore(connection: SMTPConnection): boolean {
	const {_responseQueue: queue, _remainder: remainder} = internals(connection);
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

const nonAscii = /[\u0080-\uFFFF]/;
// nodemailer refuses these in an address (an error of its own, with no reply): its path keeps that.
const unsafeInAddress = /[\r\n<>]/;

/** MAIL FROM, RCPT TO and DATA as one write, as nodemailer's `_setEnvelope` words them; undefined when nodemailer's own path must take the message. */
function pipelinedCommands(connection: SMTPConnection, envelope: Envelope): Buffer | undefined {
	const {from, to} = envelope;
	if (!offers(connection, 'PIPELINING') || unsafeInAddress.test(from) || to === '' || unsafeInAddress.test(to) || from !== from.trim() || to !== to.trim()) {
		return undefined;
	}

	let mailParameters = nonAscii.test(from + to) && offers(connection, 'SMTPUTF8') ? ' SMTPUTF8' : '';
	let rcptParameters = '';
	const normalize = internals(connection)._setDsnEnvelope;
	if (envelope.dsn) {
		if (typeof normalize !== 'function') {
			return undefined;
		}

		let dsn: ReturnType<typeof normalize>;
		try {
			// nodemailer's own reading of the parameters, whether sent or not; one it refuses goes its way, with its error.
			dsn = normalize.call(connection, envelope.dsn);
		} catch {
			return undefined;
		}

		if (offers(connection, 'DSN')) {
			mailParameters += (dsn.ret ? ` RET=${encodeXText(dsn.ret)}` : '') + (dsn.envid ? ` ENVID=${encodeXText(dsn.envid)}` : '');
			rcptParameters = (dsn.notify ? ` NOTIFY=${encodeXText(dsn.notify)}` : '') + (dsn.orcpt ? ` ORCPT=${encodeXText(dsn.orcpt)}` : '');
		}
	}

	return Buffer.from(`MAIL FROM:<${from}>${mailParameters}\r\nRCPT TO:<${to}>${rcptParameters}\r\nDATA\r\n`, 'utf8');
}

/** An error as nodemailer's `_formatError` makes it from a reply. */
function replyError(message: string, code: 'EENVELOPE' | 'EMESSAGE', reply: string, command: string): SmtpErrorLike {
	const responseCode = Number(/^\d+/.exec(reply)?.[0]);
	return {message: `${message}: ${reply}`, code, response: reply, command, ...(responseCode ? {responseCode} : {})};
}

/** The parts of one attempt that both ways of sending share. */
interface Attempt {
	/** The server got its 354: the message is being written. */
	started(): void;
	/** The final dot has left this process. */
	dotLeft(): void;
	/** The message is written up to its dot: `end` sends the dot (the send's holdEnd may delay it). */
	written(end: () => void): void;
	/** Arms the deadline for the dot and its reply; false when the attempt is already settled. */
	ending(): boolean;
	/** The server's answer (nodemailer's send callback, or the same from the transaction here). */
	answered(failure: SmtpErrorLike | undefined, reply: string | undefined): void;
}

/**
 * Writes the transaction on the socket when it can (see the file's comment); false, having
 * written nothing, when nodemailer's `send` must take it.
 */
function sendPipelined(connection: SMTPConnection, envelope: Envelope, message: StuffedMessage, attempt: Attempt): boolean {
	const socket = socketOf(connection);
	const actions = internals(connection)._responseActions;
	if (!socket || socket.destroyed || !socket.writable || internals(connection)._destroyed || !Array.isArray(actions) || actions.length > 0) {
		return false;
	}

	const commands = pipelinedCommands(connection, envelope);
	if (!commands) {
		return false;
	}

	let mailError: SmtpErrorLike | undefined;
	let rcptError: SmtpErrorLike | undefined;
	const writeMessageAndDot = () => {
		attempt.started();
		actions.push(reply => {
			attempt.answered(reply.startsWith('2') ? undefined : replyError('Message failed', 'EMESSAGE', reply, 'DATA'), reply);
		});
		// Corked, the message and its dot leave in one write (unless the dot is held).
		socket.cork();
		socket.write(message.head);
		if (message.body.length > 0) {
			socket.write(message.body);
		}

		attempt.written(() => {
			if (attempt.ending()) {
				socket.write(message.dot, error => {
					if (!error) {
						attempt.dotLeft();
					}
				});
			}
		});
		socket.uncork();
	};

	// Each reply in turn, as nodemailer's _actionMAIL, _actionRCPT and (pipelined) _actionDATA read them.
	actions.push(
		reply => {
			if (!reply.startsWith('2')) {
				mailError = replyError('Mail command failed', 'EENVELOPE', reply, 'MAIL FROM');
			}
		},
		reply => {
			if (!reply.startsWith('2')) {
				rcptError = replyError('Recipient command failed', 'EENVELOPE', reply, 'RCPT TO');
			}
		},
		reply => {
			const dataTaken = reply.startsWith('3');
			if (mailError) {
				if (dataTaken) {
					// A server that refused the sender but takes DATA cannot be trusted with a message: dropped.
					connection.close();
				}

				attempt.answered(mailError, mailError.response);
				return;
			}

			if (rcptError) {
				const refused = replyError('Can\'t send mail - all recipients were rejected', 'EENVELOPE', rcptError.response!, 'RCPT TO');
				if (dataTaken) {
					// It took DATA for nobody: an empty message ends it, and the session goes on.
					actions.push(() => {
						attempt.answered(refused, refused.response);
					});
					socket.write('.\r\n');
					return;
				}

				attempt.answered(refused, refused.response);
				return;
			}

			if (!/^[23]/.test(reply)) {
				attempt.answered(replyError('Data command failed', 'EENVELOPE', reply, 'DATA'), reply);
				return;
			}

			writeMessageAndDot();
		},
	);
	socket.write(commands);
	return true;
}

/**
 * Sends one message to one recipient on the session; `done` is called exactly once, within the
 * deadlines. `holdEnd` may delay the final dot (the server takes the message at the dot): it
 * gets the function that sends it. `stepwise`: through nodemailer's own path, one command and
 * its reply at a time (see SmtpSession.send).
 */
export function sendTransaction(session: TransactionSession, envelope: Envelope, parts: {head: Buffer; body: Buffer}, done: (outcome: AttemptOutcome) => void, holdEnd?: (end: () => void) => void, stepwise = false): void {
	const {connection, deadlines} = session;
	let settled = false;
	// The message is being written: the server got its 354.
	let messageStarted = false;
	// The final dot has left this process: from now on the server may have the message.
	let dotLeft = false;
	// The server said something after its 354 before the dot left: it did not answer the message.
	let repliedTooSoon = false;
	const settle = (outcome: AttemptOutcome) => {
		if (settled) {
			return;
		}

		settled = true;
		session.deadline.clear();
		session.onLost = undefined;
		done({...outcome, response: session.mask(outcome.response)});
	};

	const lost = (reason: string): AttemptOutcome => dotLeft
		? {kind: 'ambiguous', response: `connection lost after the message was sent, the server may have it (ambiguous): ${reason}`}
		: {kind: 'connection', response: reason};
	// Ends the session with this outcome: closed first, so that the engine does not start the
	// next message on it, and without the outcome of a lost connection that closing it gives.
	const hangUpWith = (outcome: AttemptOutcome) => {
		session.onLost = undefined;
		session.destroy();
		settle(outcome);
	};
	const arm = (ms: number, expired: () => AttemptOutcome) => {
		session.deadline.set(ms, () => {
			hangUpWith(expired());
		});
	};

	session.onLost = reason => {
		settle(lost(reason));
	};

	arm(deadlines.replyMs, () => lost(`no complete reply to MAIL FROM, RCPT TO or DATA within ${seconds(deadlines.replyMs)}`));
	const attempt: Attempt = {
		started() {
			messageStarted = true;
			// Called on the 354: a reply already waiting behind it came before the message.
			repliedTooSoon = saidMore(connection);
			arm(deadlines.dataMs, () => lost(`the message could not be sent within ${seconds(deadlines.dataMs)}`));
		},
		dotLeft() {
			dotLeft = true;
		},
		written(end) {
			(holdEnd ?? (sendDot => sendDot()))(end);
		},
		ending() {
			if (settled) {
				return false;
			}

			arm(deadlines.dataMs, () => lost(dotLeft
				? `no complete reply to the final dot within ${seconds(deadlines.dataMs)}`
				: `the message could not be sent within ${seconds(deadlines.dataMs)}: the server did not read it`));
			return true;
		},
		answered(failure, reply) {
			if (settled) {
				return;
			}

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
				settle({kind: 'accepted', response: reply ?? ''});
				return;
			}

			const kind = classifyReply(failure, dotLeft);
			const response = kind === 'connection' || kind === 'ambiguous' ? lost(replyOf(failure)).response : replyOf(failure);
			const refusedInSession = typeof failure.responseCode === 'number' && failure.responseCode !== 421 && (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE');
			if (!refusedInSession || !session.open) {
				hangUpWith({kind, response});
				return;
			}

			// The server refused this one message; the session goes on after a RSET, which gets a
			// deadline of its own and may find the server gone (it closes instead of answering).
			session.onLost = () => {
				settle({kind, response});
			};

			arm(deadlines.replyMs, () => ({kind, response}));
			connection.reset(resetError => {
				if (resetError) {
					session.destroy();
				}

				settle({kind, response});
			});
		},
	};

	const stuffed = stuffedMessage(parts.head, parts.body);
	if (!stepwise && stuffed && sendPipelined(connection, envelope, stuffed, attempt)) {
		return;
	}

	sendThroughNodemailer(connection, envelope, parts, attempt, stepwise);
}

/** nodemailer's `send`, its DataStream piped to the socket; the message written to it as message-bytes.ts and message-stream.ts say. */
function sendThroughNodemailer(connection: SMTPConnection, envelope: Envelope, parts: {head: Buffer; body: Buffer}, attempt: Attempt, stepwise: boolean): void {
	// SMTPConnection pipes a message that has pipe(): this writes the shared body without
	// copying it into a per-recipient buffer, and lets the final dot wait.
	const message = {
		pipe: (stream: NodeJS.ReadWriteStream) => {
			attempt.started();
			const socket = socketOf(connection);
			whenFinalDotLeft(stream, socket, attempt.dotLeft);
			// Corked, the message and its final dot leave in one write instead of several.
			if (socket) {
				socket.cork();
				setImmediate(() => {
					socket.uncork();
				});
			}

			const end = () => {
				if (attempt.ending()) {
					stream.end();
				}
			};

			// A body of a usual size, stuffed once per send, straight to the socket (message-bytes.ts);
			// a large one in slices (message-stream.ts): whole, it was copied per connection.
			if (socket && writeStuffed(socket, stream, parts.head, parts.body)) {
				attempt.written(end);
			} else {
				writeMessage(stream, [parts.head, parts.body], () => {
					attempt.written(end);
				});
			}

			return stream;
		},
	};

	// nodemailer pipelines the envelope itself when the server offers PIPELINING, deciding as send()
	// starts (_setEnvelope, synchronously, into the envelope's own state): for a stepwise message
	// the offer is hidden for that one call, and each command then waits for the last one's reply.
	const extensions = internals(connection)._supportedExtensions;
	const hidden = stepwise && Array.isArray(extensions) ? extensions.indexOf('PIPELINING') : -1;
	if (hidden >= 0) {
		(extensions as string[]).splice(hidden, 1);
	}

	try {
		connection.send({from: envelope.from, to: [envelope.to], ...(envelope.dsn ? {dsn: envelope.dsn} : {})}, message as unknown as Buffer, (error, info) => {
			const failure = error as SmtpErrorLike | null;
			attempt.answered(failure ?? undefined, failure ? failure.response : info.response);
		});
	} finally {
		if (hidden >= 0) {
			(extensions as string[]).splice(hidden, 0, 'PIPELINING');
		}
	}
}
