/**
 * nodemailer's SMTPConnection's private parts, read in one place: the socket (writing a
 * transaction, corking a message with its dot, the peer's address), the extensions the server
 * offered, the handler of each reply to come, and what the server said that nodemailer has not
 * handled yet. Pinned by test/core/transport.test.ts.
 */
import type {Socket} from 'node:net';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';

/** nodemailer's private parts that smtp-transaction.ts, nodemailer-send.ts and transport.ts read (see transport.ts's comment). */
interface ConnectionInternals {
	_socket?: Socket;
	_supportedExtensions?: unknown;
	_responseQueue?: unknown;
	_remainder?: unknown;
	_responseActions?: Array<(reply: string) => void>;
	_destroyed?: boolean;
	_setDsnEnvelope?: (dsn: unknown) => {ret: string | null; envid: string | null; notify: string | null; orcpt: string | null};
}

export function internals(connection: SMTPConnection): ConnectionInternals {
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
export function saidMore(connection: SMTPConnection): boolean {
	const {_responseQueue: queue, _remainder: remainder} = internals(connection);
	return (Array.isArray(queue) && queue.some(line => String(line).trim() !== '')) || (typeof remainder === 'string' && remainder.trim() !== '');
}
