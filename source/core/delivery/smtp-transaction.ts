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
 * Otherwise (no PIPELINING, a large message, an address or DSN parameter nodemailer would
 * refuse) the message goes through nodemailer's `send` (nodemailer-send.ts). So does a stepwise
 * message (the pacer's probe of a limit), with nodemailer's own pipelining turned off for it: each
 * command waits for the last one's reply, and a refusal at MAIL FROM is the server's only error.
 * Both paths end in the same `answered`, so a refused MAIL, RCPT or DATA, a refused message, a
 * close and a reply too soon come out the same either way.
 *
 * The next message on the session may be sent as a dot is written (`atDot`): its commands then
 * join the dot's write, and its replies follow the dot's, so that a message costs one write and
 * one round trip instead of two. Each outcome stays its own message's: a refused dot ends its
 * transaction (no RSET, which would land in the message behind), and a session that goes before
 * the one behind had its turn leaves that one "unsent" (never tried).
 */
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import {encodeXText} from 'nodemailer/lib/shared';
import {seconds} from '../values.js';
import {internals, offers, saidMore, socketOf} from './connection-internals.js';
import {classifyReply, replyOf, type SmtpErrorLike} from './replies.js';
import {stuffedMessage, type StuffedMessage} from './message-bytes.js';
import type {MovingDeadline} from './moving-deadline.js';
import {sendThroughNodemailer} from './nodemailer-send.js';
import type {AttemptOutcome, Deadlines, Envelope} from './transport.js';

export {offers, socketOf} from './connection-internals.js';

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
	/** Transactions sent on the session and not yet settled: at most one waits behind the one in flight. */
	inFlight: number;
	/** Starts the transaction waiting behind the one in flight, once that one has settled. */
	takeOver: (() => void) | undefined;
	/** The one in flight is writing its final dot: a transaction sent now may join that write. */
	dotWriting: boolean;
	/** The next transaction's commands follow the final dot of the one in flight on the wire. */
	pipelinedBehind: boolean;
	/** Why the session closed, once it has. */
	readonly closedReason: string | undefined;
	destroy(): void;
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
export interface Attempt {
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
	/** The final dot is being written, corked: the next message's commands may join it. */
	atDot(): void;
}

/**
 * Writes the transaction on the socket when it can (see the file's comment); false, having
 * written nothing, when nodemailer's `send` must take it.
 */
function sendPipelined(connection: SMTPConnection, envelope: Envelope, message: StuffedMessage, attempt: Attempt, behind: boolean): boolean {
	const socket = socketOf(connection);
	const actions = internals(connection)._responseActions;
	if (!socket || socket.destroyed || !socket.writable || internals(connection)._destroyed || !Array.isArray(actions) || (actions.length > 0 && !behind)) {
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
				socket.cork();
				socket.write(message.dot, error => {
					if (!error) {
						attempt.dotLeft();
					}
				});
				attempt.atDot();
				socket.uncork();
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

/** How a transaction goes (SmtpSession.send says more of each). */
export interface TransactionWay {
	/** May delay the final dot (the server takes the message at the dot): gets the function that sends it. */
	holdEnd?: (end: () => void) => void;
	/** Through nodemailer's own path, one command and its reply at a time. */
	stepwise?: boolean;
	/** Called as the final dot is written, corked: a message sent from it is pipelined behind this one. */
	atDot?: () => void;
}

/**
 * Sends one message to one recipient on the session; `done` is called exactly once, within the
 * deadlines. Sent while another is in flight, it waits behind that one: its commands join the
 * other's final dot when sent from its `atDot` (RFC 2920 lets a client send the next MAIL FROM,
 * RCPT TO and DATA after the dot without waiting for its reply), and go once that one has
 * settled otherwise. Its outcome is its own: the replies come in order, the dot's first.
 */
export function sendTransaction(session: TransactionSession, envelope: Envelope, parts: {head: Buffer; body: Buffer}, done: (outcome: AttemptOutcome) => void, way: TransactionWay = {}): void {
	const {connection, deadlines} = session;
	const {holdEnd, stepwise = false} = way;
	if (session.takeOver) {
		setImmediate(() => {
			// Never tried: not the recipient's attempt.
			done({kind: 'unsent', response: 'not sent: a message already waits on this connection'});
		});
		return;
	}

	const queued = session.inFlight > 0;
	session.inFlight++;
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
		session.inFlight--;
		session.deadline.clear();
		session.onLost = undefined;
		session.pipelinedBehind = false;
		// The one waiting behind goes on from here: its outcome comes after this one's.
		const next = session.takeOver;
		session.takeOver = undefined;
		done({...outcome, response: session.mask(outcome.response)});
		next?.();
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

	// From here this transaction's replies are the next ones: it watches the session.
	const watch = () => {
		session.onLost = reason => {
			settle(lost(reason));
		};

		arm(deadlines.replyMs, () => lost(`no complete reply to MAIL FROM, RCPT TO or DATA within ${seconds(deadlines.replyMs)}`));
	};

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

			if (session.pipelinedBehind) {
				// Refused at its dot, which ends a transaction (RFC 5321 §4.1.1.4); the next one's
				// commands are on the wire after it, and a RSET now would land in that message.
				settle({kind, response});
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
		atDot() {
			if (way.atDot) {
				session.dotWriting = true;
				try {
					way.atDot();
				} finally {
					session.dotWriting = false;
				}
			}
		},
	};

	// The message's bytes are handed on, never held by a closure here: this function's closures
	// share one context, which V8 may allocate straight in the old generation once many of them
	// outlived a young collection; the bytes would then stay until a full collection (20,000
	// recipients peaked at 120 MB instead of 94 when they were held, cli.tsx's flags aside).
	const message = {envelope, parts, stuffed: stuffedMessage(parts.head, parts.body), stepwise};
	if (queued) {
		waitBehind(session, message, {attempt, holdEnd, watch, settle});
	} else {
		watch();
		begin(connection, message, attempt);
	}
}

interface PreparedMessage {
	envelope: Envelope;
	parts: {head: Buffer; body: Buffer};
	stuffed: StuffedMessage | undefined;
	stepwise: boolean;
}

/** Writes the transaction here, or hands it to nodemailer's send (see the file's comment). */
function begin(connection: SMTPConnection, message: PreparedMessage, attempt: Attempt): void {
	const {envelope, parts, stuffed, stepwise} = message;
	if (stepwise || !stuffed || !sendPipelined(connection, envelope, stuffed, attempt, false)) {
		sendThroughNodemailer(connection, envelope, parts, attempt, stepwise);
	}
}

/**
 * A transaction sent while another is in flight: its commands behind that one's final dot, when
 * sent from its `atDot` and it can be pipelined; else it begins once that one has settled. Either
 * way it watches the session only from then on (its replies come after the other's).
 */
function waitBehind(session: TransactionSession, message: PreparedMessage, transaction: {attempt: Attempt; holdEnd: TransactionWay['holdEnd']; watch: () => void; settle: (outcome: AttemptOutcome) => void}): void {
	const {connection} = session;
	const {envelope, stuffed, stepwise} = message;
	const {attempt, holdEnd, watch, settle} = transaction;
	const written = session.dotWriting && !holdEnd && !stepwise && stuffed !== undefined && sendPipelined(connection, envelope, stuffed, attempt, true);
	session.pipelinedBehind ||= written;
	session.takeOver = () => {
		if (!session.open) {
			settle({kind: 'unsent', response: `not sent: the connection went before its turn (${session.closedReason ?? 'closed'})`});
			return;
		}

		watch();
		if (!written) {
			begin(connection, message, attempt);
		}
	};
}
