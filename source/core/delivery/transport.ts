/**
 * The SMTP transport: open a session (connect, TLS, login), send one envelope and message and
 * get one outcome (smtp-transaction.ts), close. Built on nodemailer's SMTPConnection, whose
 * private parts connection-internals.ts reads for this file and the transaction (`_socket`: writing a
 * transaction, corking a message with its final dot, knowing when the dot has left, and the
 * address actually connected to; `_supportedExtensions`: whether the server offered PIPELINING,
 * SMTPUTF8 and DSN; `_responseActions`: the handler of each reply to come; `_responseQueue` and
 * `_remainder`: what the server said that nodemailer has not handled yet; `_setDsnEnvelope`: its
 * reading of DSN parameters), pinned by test/core/transport.test.ts.
 *
 * Every wait has a deadline for the whole of it, not an idle timer that each line of a reply
 * resets: the opening handshake, each command's reply, the reply to the final dot. A session
 * that closes or fails while a command is pending settles that command at once.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import {MassmailError} from '../errors.js';
import {greetingName, mailHostName} from '../host-name.js';
import {secretMask} from '../secret-mask.js';
import {certificateWords, isLoopbackAddress, withoutSecret} from '../tls.js';
import type {DsnParameters} from '../tracking/request.js';
import {seconds} from '../values.js';
import {classifyReply, replyOf, type ReplyKind, type SmtpErrorLike} from './replies.js';
import {MovingDeadline} from './moving-deadline.js';
import {offers, sendTransaction, socketOf, type TransactionSession, type TransactionWay} from './smtp-transaction.js';

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
export type AttemptOutcome = {kind: 'accepted'; response: string} | {kind: ReplyKind | 'unsent'; response: string};

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

/** One message's envelope: the envelope sender, its one recipient, and the DSN parameters to ask for reports with. */
export interface Envelope {
	from: string;
	to: string;
	/** Sent (ENVID and RET on MAIL FROM, NOTIFY and ORCPT on RCPT TO) only when the server offers DSN. */
	dsn?: DsnParameters;
}

/** One open SMTP session: at most one message at a time. */
export class SmtpSession implements TransactionSession {
	/** @internal Settles the command in flight when the session goes away under it (smtp-transaction.ts). */
	onLost: ((reason: string) => void) | undefined;
	/** @internal The deadline of the command in flight (smtp-transaction.ts). */
	readonly deadline = new MovingDeadline();
	/** @internal Transactions sent and not settled, and the one waiting behind (smtp-transaction.ts). */
	inFlight = 0;
	/** @internal */
	takeOver: (() => void) | undefined;
	/** @internal */
	dotWriting = false;
	/** @internal */
	pipelinedBehind = false;
	/** Why the session closed, once it has. */
	closedReason: string | undefined;
	/** When it opened: one opened before the server lifted its limit may keep the old (pacing.ts). */
	readonly openedAt = Date.now();
	private closed = false;
	private readonly closeListeners: Array<() => void> = [];

	/**
	 * @internal Use openSession. `mask` keeps the password out of every reply the session passes
	 * on (secret-mask.ts): a server may say it back, and replies are stored and shown.
	 */
	constructor(readonly connection: SMTPConnection, readonly deadlines: Deadlines, readonly mask: (text: string) => string = text => text) {
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
	 * function that sends it. `stepwise`: MAIL FROM, RCPT TO and DATA each wait for the last one's
	 * reply instead of going in one write, for a message the server may well refuse (the pacer's
	 * probe of a limit): refused at MAIL FROM, it costs the server one error, not three (RCPT TO and
	 * DATA answered "503 bad sequence"), and Postfix slows its replies after a few errors
	 * (smtpd_soft_error_limit). `atDot`: called as the final dot is written; a message sent from
	 * it goes behind this one, its commands in the same write as the dot (one write and one round
	 * trip a message instead of two). The transaction itself: smtp-transaction.ts.
	 */
	send(envelope: Envelope, parts: {head: Buffer; body: Buffer}, done: (outcome: AttemptOutcome) => void, way: TransactionWay = {}): void {
		if (this.closed) {
			setImmediate(() => {
				done({kind: 'connection', response: 'the connection was closed'});
			});
			return;
		}

		if (/[^\u0000-\u007F]/.test(envelope.from + envelope.to) && !offers(this.connection, 'SMTPUTF8')) {
			// nodemailer would send the address anyway, without SMTPUTF8, for the server to misread.
			const address = /[^\u0000-\u007F]/.test(envelope.to) ? envelope.to : envelope.from;
			setImmediate(() => {
				done({kind: 'permanent', response: `not sent: ${address} has non-ASCII characters, and this server does not offer SMTPUTF8 (RFC 6531), which such an address needs`});
			});
			return;
		}

		sendTransaction(this, envelope, parts, done, way);
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
		this.closedReason = reason;
		this.onLost?.(reason);
		this.deadline.dispose();
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
