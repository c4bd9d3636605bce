/**
 * Opening one SMTP connection (connect, TLS, login) with nodemailer's own SMTPConnection, and the
 * table that sorts what goes wrong: connection/TLS, login, temporary (4xx, drop, timeout), permanent (5xx).
 */
import os from 'node:os';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import {MassmailError} from './errors.js';
import {isLoopbackHost, type SmtpTarget} from './smtp-config.js';

/** A target with the capture server's address filled in: what a connection needs. */
export interface ConnectionTarget {
	host: string;
	port: number;
	tls: 'implicit' | 'starttls' | 'opportunistic' | 'none';
	user: string;
	allowUnverifiedTls: boolean;
	password?: () => Promise<string>;
	/** Shown to the user. */
	description: string;
	captured: boolean;
}

export interface Timeouts {
	/** Connect, greeting and every reply; a silent server is a temporary failure after this. */
	timeoutMs: number;
}

export function connectionTarget(target: Extract<SmtpTarget, {kind: 'server'}>, description: string): ConnectionTarget {
	return {
		host: target.host,
		port: target.port,
		tls: target.tls,
		user: target.user,
		allowUnverifiedTls: target.allowUnverifiedTls,
		password: target.password,
		description,
		captured: false,
	};
}

type NodemailerError = Error & {code?: string; responseCode?: number; response?: string; command?: string; originalCode?: string};

/** Removes a password from any text before it is shown or stored. */
export function withoutSecret(text: string, secret: string | undefined): string {
	return secret && secret.length > 0 ? text.split(secret).join('***') : text;
}

/** The server's words for an error: its reply when there was one, else the error's message. */
export function replyOf(error: NodemailerError): string {
	if (typeof error.response === 'string' && error.response !== '') {
		return error.response;
	}

	return error.message;
}

/** A connection-time failure as the MassmailError the user sees (exit 3). */
export function connectionFailure(error: NodemailerError, target: ConnectionTarget, secret?: string): MassmailError {
	if (error instanceof MassmailError) {
		return error;
	}

	const where = `${target.host}:${target.port}`;
	if (error.code === 'EAUTH') {
		return new MassmailError('auth', withoutSecret(`the SMTP server ${where} refused the login of ${JSON.stringify(target.user)}: ${replyOf(error)}`, secret), {
			hint: 'check smtp.user and the password (MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand)',
		});
	}

	const message = withoutSecret(replyOf(error), secret);
	const certificate = /certificate|self[- ]signed|unable to verify|CERT_|altnames/i.test(message + ' ' + (error.originalCode ?? ''));
	if (error.code === 'ETLS' || certificate) {
		return new MassmailError('connection', `TLS with ${where} failed: ${message}`, {
			hint: certificate
				? 'if you trust this server, set smtp.allowUnverifiedTls true (massmail config set smtp.allowUnverifiedTls true)'
				: 'check smtp.tls (implicit for port 465, starttls for 587)',
		});
	}

	return new MassmailError('connection', `cannot reach the SMTP server ${where}: ${message}`, {
		hint: 'check smtp.host and smtp.port (massmail config get smtp.host), or MASSMAIL_SMTP_URL',
	});
}

/**
 * Opens a connection and logs in. Calls back with a ready connection, or the error as
 * nodemailer reports it (sort it with {@link connectionFailure}). Callback style: the engine
 * opens connections on its hot path.
 */
export function openConnection(
	target: ConnectionTarget,
	timeouts: Timeouts,
	done: (error: NodemailerError | undefined, connection?: SMTPConnection, secret?: string) => void,
): void {
	const connection = new SMTPConnection({
		host: target.host,
		port: target.port,
		secure: target.tls === 'implicit',
		requireTLS: target.tls === 'starttls',
		ignoreTLS: target.tls === 'none',
		opportunisticTLS: target.tls === 'opportunistic',
		tls: {rejectUnauthorized: !target.allowUnverifiedTls},
		name: os.hostname(),
		connectionTimeout: timeouts.timeoutMs,
		greetingTimeout: timeouts.timeoutMs,
		socketTimeout: timeouts.timeoutMs,
		socketCloseTimeout: 0,
		logger: false,
	});
	let finished = false;
	const finish = (error: NodemailerError | undefined, secret?: string) => {
		if (finished) {
			return;
		}

		finished = true;
		if (error) {
			connection.close();
			done(error, undefined, secret);
		} else {
			done(undefined, connection, secret);
		}
	};

	// An 'error' event without a listener would crash the process; the callbacks carry the error.
	connection.on('error', (error: NodemailerError) => {
		finish(error);
	});
	connection.connect(error => {
		if (error) {
			finish(error);
			return;
		}

		if (target.user === '') {
			finish(undefined);
			return;
		}

		if (!connection.secure && !isLoopbackHost(target.host)) {
			finish(new MassmailError('connection', `${target.host}:${target.port} offered no TLS: the password is not sent over an unencrypted connection`, {
				hint: 'set smtp.tls to starttls or implicit',
			}));
			return;
		}

		if (!target.password) {
			finish(new MassmailError('auth', `no password for SMTP user ${JSON.stringify(target.user)}`, {
				hint: 'set MASSMAIL_SMTP_PASSWORD, or smtp.passwordCommand (a command that prints the password)',
			}));
			return;
		}

		target.password().then(
			pass => {
				connection.login({user: target.user, pass}, loginError => {
					finish(loginError ?? undefined, pass);
				});
			},
			(passwordError: NodemailerError) => {
				finish(passwordError);
			},
		);
	});
}

/** Connects, logs in and says goodbye: the check before a send, and Settings' "test connection". */
export async function verifyConnection(target: ConnectionTarget, timeouts: Timeouts): Promise<SMTPConnection> {
	return new Promise((resolve, reject) => {
		openConnection(target, timeouts, (error, connection, secret) => {
			if (error || !connection) {
				reject(connectionFailure(error ?? new Error('no connection'), target, secret));
				return;
			}

			resolve(connection);
		});
	});
}

/** How the engine treats a failed attempt. */
export type FailureClass =
	| {kind: 'permanent'; response: string}
	| {kind: 'temporary'; response: string; connectionLost: boolean; ambiguous: boolean};

/**
 * Sorts a failed send: a 5xx reply is permanent; a 4xx reply, a dropped connection or a timeout
 * is temporary. A connection lost after the message data went out is ambiguous: the server may
 * have taken the message.
 */
export function classifyFailure(error: NodemailerError, dataSent: boolean): FailureClass {
	const code = error.responseCode;
	if (typeof code === 'number' && code >= 500 && code < 600) {
		return {kind: 'permanent', response: replyOf(error)};
	}

	const connectionLost = !(typeof code === 'number' && code >= 400 && code < 500 && (error.code === 'EENVELOPE' || error.code === 'EMESSAGE')) || code === 421;
	const ambiguous = dataSent && connectionLost && code === undefined;
	const response = ambiguous
		? `connection lost after the message was sent, the server may have it (ambiguous): ${replyOf(error)}`
		: replyOf(error);
	return {kind: 'temporary', response, connectionLost, ambiguous};
}
