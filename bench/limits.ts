/**
 * Sends against a real Postfix that limits this client the ordinary way (anvil), at massmail's
 * default settings (5 connections, no rate of its own), one case per kind of limit:
 *
 * - **message rate**: 2 connections, 33 messages per 20 s (`anvil_rate_time_unit` shortened from
 *   a minute), 100 messages. Least time: the start of the window the last message falls in, 60 s.
 * - **connection count**: 2 connections, each message held 1 s by the server (`sleep 1` at DATA),
 *   60 messages. Least time: the same send with `--concurrency 2` (the limit known beforehand)
 *   into the same Postfix without limits, measured first (about 30 s: 30 messages a connection).
 * - **connection rate**: 3 new connections per 20 s, each message held 1 s, 100 messages. Least
 *   time: 3 connections from the start, 3 more allowed at each new window (5 at most, the
 *   setting), each carrying a message in the time one took in the `--concurrency 2` send (28 s
 *   at exactly 1 s a message).
 * - **lifted part-way**: as the message rate, 200 messages, the limit taken off after 30 s
 *   (`postconf -e` and `postfix reload`; Postfix's default `smtpd_timeout`, so a session opened
 *   before the reload keeps the old limit as long as the send keeps it). Least time: from when
 *   the limit was off (the reload returned), the rest at the speed the same send has without
 *   limits (measured first, into the same Postfix without limits).
 *
 * Each prints the time against the least time, and Postfix's own count of the refusals it gave
 * ("rate limit exceeded", "concurrency limit exceeded" in its log) per 100 messages. Every
 * recipient's Maildir must hold exactly one message.
 */
import {execFile, spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {promisify} from 'node:util';
import {refusedCommandsInLog, startPostfix, type PostfixOptions} from '../test/helpers/postfix-server.js';
import type {Figure} from './lib/table.js';
import {ensureSenderAddress} from './lib/fixtures.js';

const execFileAsync = promisify(execFile);
const target = 1.15;
const concurrency = 5;

/** What the sends without limits measured, for the least times. */
interface Calibration {
	/** Messages a second into Postfix without limits (start-up included). */
	unlimitedRate: number;
	/** The 60 messages on 2 connections, each held 1 s by the server, in seconds. */
	twoConnectionsSeconds: number;
}

interface Case {
	name: string;
	total: number;
	postfix: PostfixOptions;
	/** The least time in seconds; `liftedSeconds`: when the limit was off, for the case that lifts it. */
	leastSeconds: (calibration: Calibration, liftedSeconds: number | undefined) => number;
	/** Seconds after the send starts at which the limit is taken off. */
	liftAfterSeconds?: number;
}

/** Each message held 1 s by the server: the connections, not the machine, set the pace. */
const oneSecondAMessage = {smtpd_data_restrictions: 'sleep 1'};

/**
 * New connections allowed `perWindow` per `windowSeconds` (up to the setting), a message taking
 * `messageSeconds` on each: the seconds `total` messages take at the least.
 */
function leastWithConnectionRate(total: number, perWindow: number, windowSeconds: number, messageSeconds: number): number {
	let sent = 0;
	const stepSeconds = 0.01;
	for (let seconds = 0; ; seconds += stepSeconds) {
		const connections = Math.min(concurrency, perWindow * (Math.floor(seconds / windowSeconds) + 1));
		sent += (connections * stepSeconds) / messageSeconds;
		if (sent >= total) {
			return seconds + stepSeconds;
		}
	}
}

const cases: Case[] = [
	{
		name: 'message rate (33 per 20 s, 2 connections)',
		total: 100,
		postfix: {connectionCountLimit: 2, messageRateLimit: 33, rateTimeUnit: '20s'},
		leastSeconds: () => Math.floor((100 - 1) / 33) * 20,
	},
	{
		name: 'connection count (2, 1 s a message)',
		total: 60,
		postfix: {connectionCountLimit: 2, extraMain: oneSecondAMessage},
		leastSeconds: ({twoConnectionsSeconds}) => twoConnectionsSeconds,
	},
	{
		name: 'connection rate (3 per 20 s, 1 s a message)',
		total: 100,
		postfix: {connectionRateLimit: 3, rateTimeUnit: '20s', extraMain: oneSecondAMessage},
		leastSeconds: ({twoConnectionsSeconds}) => leastWithConnectionRate(100, 3, 20, twoConnectionsSeconds / 30),
	},
	{
		name: 'lifted after 30 s (33 per 20 s)',
		total: 200,
		postfix: {connectionCountLimit: 2, messageRateLimit: 33, rateTimeUnit: '20s'},
		// 33 at 0 s and 33 at 20 s; the rest go once the limit is off: when `postfix reload`
		// returned (the smtpd processes after it read the new settings), a second or two after 30 s.
		leastSeconds: ({unlimitedRate}, liftedSeconds) => (liftedSeconds ?? 30) + ((200 - 66) / unlimitedRate),
		liftAfterSeconds: 30,
	},
];

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

interface Sent {
	seconds: number;
	code: number | null;
	once: boolean;
	/** Postfix's warnings: "Message delivery request rate limit exceeded", "Connection rate limit exceeded", "Connection concurrency limit exceeded". */
	messageRateRefusals: number;
	connectionRateRefusals: number;
	concurrencyRefusals: number;
	/** RCPT TO and DATA commands refused (pipelined behind a refused MAIL FROM). */
	refusedCommands: number;
	lastLimiting: string | undefined;
	/** Seconds from the send's start to the moment the limit was off (`postfix reload` returned). */
	liftedSeconds: number | undefined;
}

async function sendThrough(total: number, options: PostfixOptions, liftAfterSeconds?: number, sendOptions: string[] = []): Promise<Sent> {
	const mailboxes = Array.from({length: total}, (_, i) => `user${i}@example.com`);
	const postfix = await startPostfix({mailboxes, ...options});
	const dir = mkdtempSync(path.join(os.tmpdir(), 'massmail-bench-limits-'));
	let lift: NodeJS.Timeout | undefined;
	try {
		ensureSenderAddress(dir);
		const env = {...process.env, MASSMAIL_CONFIG_DIR: dir, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`};
		const csv = path.join(dir, 'users.csv');
		writeFileSync(csv, ['email,name,role,disabled', ...mailboxes.map(address => `${address},,user,`)].join('\n'));
		await run(['import', csv], env);
		let lifted: Promise<unknown> = Promise.resolve();
		let liftedAt: number | undefined;
		if (liftAfterSeconds !== undefined) {
			lift = setTimeout(() => {
				lifted = (async () => {
					await execFileAsync('/usr/sbin/postconf', ['-c', postfix.configDirectory, '-e', 'smtpd_client_message_rate_limit=0', 'smtpd_client_connection_count_limit=50']);
					await execFileAsync('/usr/sbin/postfix', ['-c', postfix.configDirectory, 'reload']);
					liftedAt = performance.now();
				})();
			}, liftAfterSeconds * 1000);
		}

		const started = performance.now();
		const result = await run(['send', '--to', 'all', '--subject', 'Limits', '--message', 'Paced.', '--yes', '--json', ...sendOptions], env);
		const seconds = (performance.now() - started) / 1000;
		clearTimeout(lift);
		await lifted;
		await postfix.waitForDelivered(total, 60_000);
		const counts = postfix.countsByRecipient();
		const log = postfix.logLines();
		return {
			seconds,
			code: result.code,
			once: mailboxes.every(address => counts.get(address) === 1),
			messageRateRefusals: log.filter(line => /message delivery request rate limit exceeded/i.test(line)).length,
			connectionRateRefusals: log.filter(line => /connection rate limit exceeded/i.test(line)).length,
			concurrencyRefusals: log.filter(line => /concurrency limit exceeded/i.test(line)).length,
			refusedCommands: refusedCommandsInLog(log),
			lastLimiting: result.stdout.split('\n').filter(line => line.includes('"type":"limiting"')).at(-1),
			liftedSeconds: liftedAt === undefined ? undefined : (liftedAt - started) / 1000,
		};
	} finally {
		clearTimeout(lift);
		await postfix.stop();
		rmSync(dir, {recursive: true, force: true});
	}
}

export async function benchLimits(): Promise<Figure[]> {
	const figures: Figure[] = [];
	const only = process.env.BENCH_LIMITS_CASES?.split(',').map(Number);
	const calibration: Calibration = {unlimitedRate: Number.POSITIVE_INFINITY, twoConnectionsSeconds: 30};
	if (!only || only.includes(4)) {
		const unlimitedTotal = 200;
		const unlimited = await sendThrough(unlimitedTotal, {});
		calibration.unlimitedRate = unlimitedTotal / unlimited.seconds;
		console.log(`\n== Limits: ${unlimitedTotal} messages into Postfix without limits: ${unlimited.seconds.toFixed(1)} s (${calibration.unlimitedRate.toFixed(0)} msg/s, start-up included) ==`);
	}

	if (!only || only.includes(2) || only.includes(3)) {
		const twoConnections = await sendThrough(60, {extraMain: oneSecondAMessage}, undefined, ['--concurrency', '2']);
		calibration.twoConnectionsSeconds = twoConnections.seconds;
		console.log(`\n== Limits: 60 messages, --concurrency 2, each held 1 s, into Postfix without limits: ${twoConnections.seconds.toFixed(1)} s ==`);
	}

	for (const [index, limitCase] of cases.entries()) {
		if (only && !only.includes(index + 1)) {
			continue;
		}

		const sent = await sendThrough(limitCase.total, limitCase.postfix, limitCase.liftAfterSeconds);
		const least = limitCase.leastSeconds(calibration, sent.liftedSeconds);
		const ratio = sent.seconds / least;
		const per100 = (count: number) => ((count * 100) / limitCase.total).toFixed(1);
		console.log(`\n== Limits ${index + 1}: ${limitCase.name}, ${limitCase.total} messages ==`);
		console.log(`exit ${sent.code}, ${sent.seconds.toFixed(1)} s against the least ${least.toFixed(1)} s: ${ratio.toFixed(2)}×; every recipient once: ${sent.once}`);
		console.log(`Postfix refused, per 100 messages: ${per100(sent.messageRateRefusals)} "message delivery request rate limit exceeded", ${per100(sent.connectionRateRefusals)} "connection rate limit exceeded", ${per100(sent.concurrencyRefusals)} "concurrency limit exceeded"; and ${per100(sent.refusedCommands)} RCPT TO or DATA`);
		if (sent.liftedSeconds !== undefined) {
			console.log(`the limit was off at ${sent.liftedSeconds.toFixed(1)} s (postfix reload returned)`);
		}

		console.log(`last limiting line: ${sent.lastLimiting ?? 'none'}`);
		figures.push({part: 'limits', name: `${limitCase.name}: time / least time`, value: ratio, unit: '×', target: `≤ ${target}`, ok: ratio <= target && sent.once && sent.code === 0});
	}

	return figures;
}
