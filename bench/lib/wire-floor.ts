/**
 * The comparison point "the engine's wire pattern alone": a child process (plain JavaScript, as
 * the bare pool) that writes to the server exactly what the engine writes when the server offers
 * PIPELINING, and nothing else: per connection, MAIL FROM, RCPT TO and DATA in one write; after
 * the 354, the message, its dot and the next message's three commands in one write (RFC 2920
 * lets the next commands follow the dot). No composing, no journal, no nodemailer: the message is
 * built once. What it reaches is the most a Node process can get out of that pattern on this
 * machine, so the engine's distance to it is the engine's own work, and its distance to
 * smtp-source is not the pattern's (one message per connection and round trip).
 *
 * Every reply is checked: a reply other than the one the step expects ends the run with exit
 * status 1 and that reply, so a refused message can never be counted as sent.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {runMeasured, type RunOptions, type RunResult} from './run.js';

const childSource = String.raw`
import net from 'node:net';
import {readFileSync} from 'node:fs';

const [port, count, connections, textFile] = process.argv.slice(2);
const total = Number(count);
const text = readFileSync(textFile, 'utf8').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
// A head of the size and kind the engine writes; the same for every message.
const head = [
	'Content-Type: text/plain; charset=utf-8',
	'From: "System Administrator" <postmaster@bench.example.com>',
	'To: <user@d0000.example.com>',
	'Subject: Planned maintenance on Saturday',
	'Message-ID: <00000000-0000-0000-0000-000000000000@bench.example.com>',
	'Content-Transfer-Encoding: 7bit',
	'Date: Mon, 07 Dec 2026 20:00:00 +0000',
	'MIME-Version: 1.0',
	'',
	'',
].join('\r\n');
const message = Buffer.from(head + text + (text.endsWith('\r\n') ? '' : '\r\n'));
const dot = Buffer.from('.\r\n');
const commands = index => Buffer.from('MAIL FROM:<postmaster@bench.example.com>\r\nRCPT TO:<user' + index + '@d' + String(index % 1000).padStart(4, '0') + '.example.com>\r\nDATA\r\n');

let next = 0;
let sent = 0;
const take = () => (next < total ? next++ : -1);
const fail = (reason) => {
	console.log(JSON.stringify({sent, failed: total - sent, firstError: reason}));
	process.exit(1);
};

function session() {
	return new Promise(resolve => {
		const socket = net.connect(Number(port), '127.0.0.1');
		socket.setNoDelay(true);
		let pending = '';
		// What each coming reply must be: its first digit and the step's name.
		const expected = [['2', 'greeting']];
		let reply = '';
		const sendCommands = () => {
			const current = take();
			if (current < 0) {
				expected.push(['2', 'QUIT']);
				socket.end('QUIT\r\n');
				return;
			}

			expected.push(['2', 'MAIL FROM'], ['2', 'RCPT TO'], ['3', 'DATA']);
			socket.write(commands(current));
		};

		socket.on('data', chunk => {
			pending += chunk.toString('latin1');
			let end;
			while ((end = pending.indexOf('\n')) >= 0) {
				const line = pending.slice(0, end).replace(/\r$/, '');
				pending = pending.slice(end + 1);
				reply += (reply ? '\n' : '') + line;
				if (line[3] === '-') {
					continue;
				}

				const [digit, step] = expected.shift() ?? ['', 'nothing'];
				if (line[0] !== digit) {
					fail('connection ' + socket.localPort + ': ' + step + ' got: ' + reply);
				}

				if (step === 'greeting') {
					expected.push(['2', 'EHLO']);
					socket.write('EHLO floor.bench.example.com\r\n');
				} else if (step === 'EHLO') {
					if (!/^250[ -]PIPELINING$/m.test(reply)) {
						fail('the server does not offer PIPELINING: ' + reply);
					}

					sendCommands();
				} else if (step === 'DATA') {
					expected.push(['2', 'the final dot']);
					socket.cork();
					socket.write(message);
					socket.write(dot);
					sendCommands();
					socket.uncork();
				} else if (step === 'the final dot') {
					sent++;
				}

				reply = '';
			}
		});
		socket.on('error', error => fail('connection: ' + error.message));
		socket.on('close', () => {
			if (expected.length > 0 && expected[0][1] !== 'QUIT') {
				fail('the server closed the connection while waiting for: ' + expected[0][1]);
			}

			resolve();
		});
	});
}

await Promise.all(Array.from({length: Number(connections)}, session));
console.log(JSON.stringify({sent, failed: total - sent, firstError: ''}));
process.exit(sent === total ? 0 : 1);
`;

export interface FloorRun extends RunResult {
	cpuMs?: number;
	sent: number;
	failed: number;
	firstError: string;
}

/**
 * Send `count` messages (the text in `textFile`) to 127.0.0.1:`port` on `connections` connections
 * in the engine's wire pattern, from a child process; `workFolder` holds the child's script. `run`
 * starts it (the delivery bench's measures its CPU as well).
 */
export async function runWireFloor(workFolder: string, port: number, count: number, textFile: string, connections = 10, run: (command: string, args: string[], options: RunOptions) => Promise<RunResult & {cpuMs?: number}> = runMeasured): Promise<FloorRun> {
	const script = path.join(workFolder, 'wire-floor.mjs');
	writeFileSync(script, childSource);
	const result = await run(process.execPath, [script, String(port), String(count), String(connections), textFile], {timeoutMs: 600_000});
	const last = result.stdout.trim().split('\n').at(-1) ?? '';
	let parsed = {sent: 0, failed: count, firstError: result.stderr.trim() || (result.timedOut ? 'timed out' : '')};
	try {
		parsed = JSON.parse(last) as typeof parsed;
	} catch {
		// The child failed before printing its summary; keep stderr as the reason.
	}

	return {...result, ...parsed};
}
