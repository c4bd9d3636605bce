/**
 * The comparison point "a bare nodemailer pool": a child process (plain JavaScript, no tsx, so that
 * it starts like the built command line does) that sends one message per recipient through
 * nodemailer's pooled transport, with a bounded number of sendMail calls in flight.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {repoRoot} from './fixtures.js';
import {runMeasured, type RunResult} from './run.js';

const childSource = String.raw`
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';

const [root, port, count, connections, inFlight, textFile] = process.argv.slice(2);
const require = createRequire(root + '/package.json');
const nodemailer = require('nodemailer');
const transport = nodemailer.createTransport({
	pool: true,
	host: '127.0.0.1',
	port: Number(port),
	maxConnections: Number(connections),
	maxMessages: Infinity,
	secure: false,
	ignoreTLS: true,
});
const text = readFileSync(textFile, 'utf8');
const total = Number(count);
let next = 0;
let sent = 0;
let failed = 0;
let firstError = '';
async function worker() {
	while (next < total) {
		const index = next++;
		try {
			await transport.sendMail({
				from: '"System Administrator" <postmaster@bench.example.com>',
				to: 'user' + index + '@d' + String(index % 1000).padStart(4, '0') + '.example.com',
				subject: 'Planned maintenance on Saturday',
				text,
			});
			sent++;
		} catch (error) {
			failed++;
			firstError ||= String(error && error.message);
		}
	}
}
await Promise.all(Array.from({length: Number(inFlight)}, worker));
transport.close();
console.log(JSON.stringify({sent, failed, firstError}));
`;

export interface PoolRun extends RunResult {
	sent: number;
	failed: number;
	firstError: string;
}

/**
 * Send `count` messages (the text in `textFile`) to 127.0.0.1:`port` through a nodemailer pool of
 * `connections` connections in a child process; `workFolder` holds the child's script.
 */
export async function runBarePool(workFolder: string, port: number, count: number, textFile: string, connections = 10): Promise<PoolRun> {
	const script = path.join(workFolder, 'bare-pool.mjs');
	writeFileSync(script, childSource);
	// Ten queued calls per connection keep every connection busy without queuing all of them at once.
	const inFlight = connections * 10;
	const result = await runMeasured(process.execPath, [script, repoRoot, String(port), String(count), String(connections), String(inFlight), textFile], {timeoutMs: 600_000});
	const last = result.stdout.trim().split('\n').at(-1) ?? '';
	let parsed = {sent: 0, failed: count, firstError: result.stderr.trim()};
	try {
		parsed = JSON.parse(last) as typeof parsed;
	} catch {
		// The child failed before printing its summary; keep stderr as the reason.
	}

	return {...result, ...parsed};
}
