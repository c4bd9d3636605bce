/**
 * A real SMTP server on 127.0.0.1 (smtp-server) that accepts everything and records, per message,
 * the envelope and the MAIL and RCPT commands exactly as the client wrote them, whether the client asked for SMTPUTF8, the name it
 * greeted with (EHLO), and the raw bytes: what the message tests check line by line.
 *
 * `smtputf8: false` hides SMTPUTF8 from the EHLO reply, as a server without RFC 6531 support does;
 * `dsn: true` offers DSN (RFC 3461), which smtp-server hides unless asked; `pipelining: false` hides
 * PIPELINING (RFC 2920).
 */
import type {Socket} from 'node:net';
import {SMTPServer} from 'smtp-server';
import {listenOnLoopback} from '../../source/core/capture-server.js';

export interface RecordedMessage {
	/** As smtp-server reads it (it turns a punycode domain into Unicode). */
	envelope: {from: string; to: string[]};
	/** MAIL FROM and RCPT TO exactly as the client wrote them. */
	commands: string[];
	/** The client sent MAIL FROM with the SMTPUTF8 parameter. */
	smtpUtf8: boolean;
	/** The EHLO (or HELO) name of the session. */
	ehlo: string;
	raw: Buffer;
}

export interface RecordingSmtpServer {
	port: number;
	messages: RecordedMessage[];
	/** Every EHLO/HELO name seen, a session each. */
	greetings: string[];
	close(): Promise<void>;
}

export async function startRecordingSmtpServer(options: {smtputf8?: boolean; dsn?: boolean; pipelining?: boolean} = {}): Promise<RecordingSmtpServer> {
	const messages: RecordedMessage[] = [];
	const greetings: string[] = [];
	const sockets = new Set<Socket>();
	// The client's commands of each session since its last MAIL FROM, from smtp-server's log of them.
	const commands = new Map<string, string[]>();
	const quiet = () => undefined;
	const logger = {
		trace: quiet, info: quiet, warn: quiet, error: quiet, fatal: quiet,
		debug(entry: {cid?: string}, message: string, line?: string) {
			if (message !== 'C:' || entry.cid === undefined || typeof line !== 'string') {
				return;
			}

			if (/^MAIL FROM:/i.test(line)) {
				commands.set(entry.cid, [line]);
			} else if (/^RCPT TO:/i.test(line)) {
				commands.get(entry.cid)?.push(line);
			}
		},
	};
	const server = new SMTPServer({
		logger: logger as never,
		authOptional: true,
		disabledCommands: ['STARTTLS'],
		hideSMTPUTF8: options.smtputf8 === false,
		hideDSN: options.dsn !== true,
		hidePIPELINING: options.pipelining === false,
		onConnect(_session, callback) {
			callback();
		},
		onMailFrom(_address, session, callback) {
			greetings.push(session.hostNameAppearsAs);
			callback();
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				messages.push({
					envelope: {from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map(r => r.address)},
					commands: [...commands.get(session.id) ?? []],
					smtpUtf8: Boolean(session.envelope.smtpUtf8),
					ehlo: session.hostNameAppearsAs,
					raw: Buffer.concat(chunks),
				});
				callback(null, 'OK: queued as ' + messages.length);
			});
		},
	});
	server.on('error', () => {
		// A client that goes away mid-session is not this server's problem.
	});
	server.server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	const port = await listenOnLoopback(server);
	return {
		port,
		messages,
		greetings,
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
