/**
 * A send against a real Postfix that limits this client the ordinary way (anvil): 2 connections
 * at a time and 30 messages per time unit. The time unit is shortened from a minute to 10 s so
 * the run takes about half a minute; the figure is the time taken against the limit's own
 * minimum (100 at 30 per 10 s = 33.3 s, the same ratio as 100 at 30/min = 200 s).
 * Every recipient must be delivered exactly once.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {startPostfix} from '../test/helpers/postfix-server.js';
import type {Figure} from './lib/table.js';
import {ensureSenderAddress} from './lib/fixtures.js';

const total = 100;
const perUnit = 30;
const unitSeconds = 10;

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{code: number | null; stdout: string; stderr: string}> {
	const cli = path.join(import.meta.dirname, '..', 'dist', 'cli.js');
	const child = spawn(process.execPath, [cli, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	return {code, stdout, stderr};
}

export async function benchLimits(): Promise<Figure[]> {
	const mailboxes = Array.from({length: total}, (_, i) => `user${i}@example.com`);
	const postfix = await startPostfix({mailboxes, connectionCountLimit: 2, messageRateLimit: perUnit, rateTimeUnit: `${unitSeconds}s`});
	const dir = mkdtempSync(path.join(os.tmpdir(), 'massmail-bench-limits-'));
	try {
		ensureSenderAddress(dir);
		const env = {...process.env, MASSMAIL_CONFIG_DIR: dir, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`};
		const csv = path.join(dir, 'users.csv');
		writeFileSync(csv, ['email,name,role,disabled', ...mailboxes.map(address => `${address},,user,`)].join('\n'));
		await run(['import', csv], env);
		const started = performance.now();
		const result = await run(['send', '--to', 'all', '--subject', 'Limits', '--message', 'Paced.', '--yes', '--json'], env);
		const seconds = (performance.now() - started) / 1000;
		await postfix.waitForDelivered(total, 60_000);
		const counts = postfix.countsByRecipient();
		const once = mailboxes.every(address => counts.get(address) === 1);
		const minimum = (total / perUnit) * unitSeconds;
		const limiting = result.stdout.split('\n').filter(line => line.includes('"type":"limiting"')).at(-1);
		console.log(`\n== Limits: ${total} messages into Postfix limiting 2 connections, ${perUnit} per ${unitSeconds} s ==`);
		console.log(`exit ${result.code}, ${seconds.toFixed(1)} s (minimum ${minimum.toFixed(1)} s), every recipient once: ${once}`);
		console.log(`last limiting line: ${limiting ?? 'none'}`);
		return [
			{part: 'limits', name: 'time / the limit\'s minimum', value: seconds / minimum, unit: '×', target: '≤ 1.25', ok: seconds / minimum <= 1.25 && once && result.code === 0},
		];
	} finally {
		await postfix.stop();
		rmSync(dir, {recursive: true, force: true});
	}
}
