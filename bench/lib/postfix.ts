/**
 * Postfix's test programs: smtp-sink (an SMTP server that counts and discards) and
 * smtp-source (the fastest SMTP client on this machine, the yardstick).
 */
import {spawn} from 'node:child_process';
import {closeSync, existsSync, fstatSync, openSync, readSync, rmSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {killTree, track} from './children.js';

/** How to get smtp-sink and smtp-source without starting Postfix's daemon. */
export const postfixInstallHint = [
	'smtp-sink/smtp-source not found: they come with Debian\'s postfix package. To install without starting its daemon:',
	'  sudo sh -c \'printf "#!/bin/sh\\nexit 101\\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d\'   # if not there already',
	'  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postfix',
	'  sudo postfix stop 2>/dev/null || true',
].join('\n');

/** The path of a Postfix test program, or undefined when it is not installed. */
export function findPostfixTool(name: 'smtp-sink' | 'smtp-source'): string | undefined {
	const folders = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')];
	for (const folder of folders) {
		const candidate = path.join(folder, name);
		if (folder && existsSync(candidate)) {
			return candidate;
		}
	}

	return undefined;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => {
				resolve(port);
			});
		});
	});
}

/** True once a server on 127.0.0.1:port answers with a greeting starting `greeting` (SMTP's 220, IMAP's `* OK`). */
export async function greets(port: number, greeting = '220'): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({host: '127.0.0.1', port});
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};

		socket.setTimeout(1000, () => {
			done(false);
		});
		socket.once('error', () => {
			done(false);
		});
		socket.once('data', chunk => {
			socket.write(greeting === '220' ? 'QUIT\r\n' : 'A1 LOGOUT\r\n');
			done(chunk.toString().startsWith(greeting));
		});
	});
}

export interface Sink {
	port: number;
	/** Messages received so far (after the final dot). */
	received: () => number;
	/** When (performance.now()) the first and the latest message were counted. */
	firstAt: () => number | undefined;
	lastAt: () => number | undefined;
	/** Resolves once `count` messages have been received, or after `timeoutMs` (then false). */
	waitFor: (count: number, timeoutMs: number) => Promise<boolean>;
	stop: () => Promise<void>;
}

/**
 * Start smtp-sink on 127.0.0.1 at a free port, with its counters on (`-c`), and wait until it
 * greets. Its counter line (`sess=N quit=N mesg=N`, one per event) gives the number of messages
 * received and, to 25 ms, when the first and the last arrived. `workFolder` holds the counter file.
 * `extraArgs`: more of smtp-sink's options (`-N`: no DSN in its EHLO reply; `-D FILE`: a dump of each transaction).
 */
export async function startSink(binary: string, workFolder: string, extraArgs: string[] = []): Promise<Sink> {
	const port = await freePort();
	// As root smtp-sink must drop its privileges (-u); as anyone else it may not.
	const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
	// The counters go to a file read every 25 ms: piping them to this process would make it compete
	// for the CPU with the sender being measured (it cost smtp-source a third of its rate).
	const counterFile = path.join(workFolder, `smtp-sink-${port}.out`);
	const counterFd = openSync(counterFile, 'w');
	const child = track(spawn(binary, ['-c', ...user, ...extraArgs, `127.0.0.1:${port}`, '1000'], {
		stdio: ['ignore', counterFd, 'pipe'],
		detached: true,
	}));
	closeSync(counterFd);
	let count = 0;
	let first: number | undefined;
	let last: number | undefined;
	let stderr = '';
	let waiter: {count: number; resolve: (ok: boolean) => void} | undefined;
	const readFd = openSync(counterFile, 'r');
	const buffer = Buffer.alloc(256);
	const readCount = () => {
		const {size} = fstatSync(readFd);
		const length = Math.min(size, buffer.length);
		const bytes = readSync(readFd, buffer, 0, length, size - length);
		// Records look like "sess=3 quit=2 mesg=1234" and end with CR; the last one may be cut short.
		const records = buffer.toString('latin1', 0, bytes).split(/[\r\n]/);
		records.pop();
		const match = /mesg=(\d+)/.exec(records.at(-1) ?? '');
		const value = match ? Number(match[1]) : count;
		if (value > count) {
			const at = performance.now();
			first ??= at;
			last = at;
			count = value;
		}

		if (waiter && count >= waiter.count) {
			waiter.resolve(true);
			waiter = undefined;
		}
	};

	const poll = setInterval(readCount, 25);
	child.once('exit', () => {
		clearInterval(poll);
	});
	child.stderr!.setEncoding('utf8');
	child.stderr!.on('data', (chunk: string) => {
		stderr += chunk;
	});

	const deadline = performance.now() + 5000;
	while (!(await greets(port))) {
		if (child.exitCode !== null || performance.now() > deadline) {
			killTree(child, 'SIGKILL');
			clearInterval(poll);
			closeSync(readFd);
			throw new Error(`smtp-sink did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
		}

		await sleep(50);
	}

	return {
		port,
		received() {
			readCount();
			return count;
		},
		firstAt: () => first,
		lastAt: () => last,
		async waitFor(target, timeoutMs) {
			readCount();
			if (count >= target) {
				return true;
			}

			return new Promise(resolve => {
				const timer = setTimeout(() => {
					waiter = undefined;
					resolve(false);
				}, timeoutMs);
				waiter = {
					count: target,
					resolve(ok) {
						clearTimeout(timer);
						resolve(ok);
					},
				};
			});
		},
		async stop() {
			clearInterval(poll);
			if (child.exitCode === null && child.signalCode === null) {
				const exited = new Promise(resolve => child.once('exit', resolve));
				killTree(child, 'SIGTERM');
				await Promise.race([exited, sleep(2000)]);
				killTree(child, 'SIGKILL');
			}

			closeSync(readFd);
			rmSync(counterFile, {force: true});
		},
	};
}
