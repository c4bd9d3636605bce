/**
 * The local capture server: a real SMTP server on 127.0.0.1 (a free port) that stores each
 * message it receives as an `.eml` file, so a new installation or the demo can "send" without
 * anything leaving the machine.
 *
 * Files: `<captureDir>/<send id>/<recipient index>.eml` for massmail's own Message-IDs
 * (`<sendId.index@domain>`), otherwise `<captureDir>/<YYYY-MM-DD>/<time>-<random>.eml`.
 * A message sent twice (an ambiguous retry) overwrites its own file rather than adding one.
 */
import fs from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {SMTPServer} from 'smtp-server';

export interface CaptureServer {
	host: '127.0.0.1';
	port: number;
	close(): Promise<void>;
}

const ownMessageId = /^Message-ID:[ \t]*<([\w-]+)\.(\d+)@[^>]*>/im;

/** Where a message goes: its folder and file name, from its Message-ID header. */
export function captureFileFor(captureDir: string, raw: Buffer, now = new Date()): string {
	const end = raw.indexOf('\r\n\r\n');
	const head = raw.subarray(0, end === -1 ? Math.min(raw.length, 65_536) : end).toString('latin1');
	const match = ownMessageId.exec(head);
	if (match) {
		return path.join(captureDir, match[1], match[2] + '.eml');
	}

	const stamp = now.toISOString();
	return path.join(captureDir, stamp.slice(0, 10), stamp.slice(11, 23).replaceAll(/[:.]/g, '') + '-' + randomBytes(4).toString('hex') + '.eml');
}

async function writeAtomically(file: string, data: Buffer): Promise<void> {
	await fs.promises.mkdir(path.dirname(file), {recursive: true, mode: 0o700});
	const temporary = file + '.' + randomBytes(4).toString('hex') + '.tmp';
	await fs.promises.writeFile(temporary, data, {mode: 0o600});
	await fs.promises.rename(temporary, file);
}

/** Starts the capture server; `close()` stops it. */
/** Starts an smtp-server on 127.0.0.1 at a free port; resolves with the port. */
export async function listenOnLoopback(server: SMTPServer): Promise<number> {
	await new Promise<void>((resolve, reject) => {
		server.server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const address = server.server.address();
	return typeof address === 'object' && address ? address.port : 0;
}

export async function startCaptureServer(captureDir: string): Promise<CaptureServer> {
	const server = new SMTPServer({
		logger: false,
		authOptional: true,
		disabledCommands: ['AUTH', 'STARTTLS'],
		banner: 'massmail local capture',
		onData(stream, _session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				const raw = Buffer.concat(chunks);
				const file = captureFileFor(captureDir, raw);
				writeAtomically(file, raw).then(
					() => {
						callback(null, 'OK captured as ' + path.relative(captureDir, file));
					},
					(error: Error) => {
						const failure = new Error('cannot store the message: ' + error.message) as Error & {responseCode: number};
						failure.responseCode = 451;
						callback(failure);
					},
				);
			});
		},
	});
	server.on('error', () => {
		// A client that hangs up is its own problem; the server keeps listening.
	});
	const port = await listenOnLoopback(server);
	return {
		host: '127.0.0.1',
		port,
		async close() {
			await new Promise<void>(resolve => {
				server.close(() => resolve());
			});
		},
	};
}
