/**
 * A transaction through nodemailer's own `send` (smtp-transaction.ts says when): without
 * PIPELINING, for a large message, an address or DSN parameter nodemailer must judge, and the
 * pacer's stepwise probe.
 */
import type {Socket} from 'node:net';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import {internals, socketOf} from './connection-internals.js';
import {writeStuffed} from './message-bytes.js';
import {writeMessage} from './message-stream.js';
import type {SmtpErrorLike} from './replies.js';
import type {Attempt} from './smtp-transaction.js';
import type {Envelope} from './transport.js';

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

/** nodemailer's `send`, its DataStream piped to the socket; the message written to it as message-bytes.ts and message-stream.ts say. */
export function sendThroughNodemailer(connection: SMTPConnection, envelope: Envelope, parts: {head: Buffer; body: Buffer}, attempt: Attempt, stepwise: boolean): void {
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
