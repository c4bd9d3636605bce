/**
 * Two relays against one (issue 20 item 3): the same send through the built command line to one
 * server, then spread over two (MASSMAIL_SMTP_URL holding two URLs), and the share each took.
 *
 * - **limited**: real Postfix instances, each limiting this client the ordinary way (anvil: 2
 *   connections, 33 messages per 20 s), 100 messages. One relay's least time is 60 s (the window
 *   the 100th message falls in); two relays, each with its own window, 20 s.
 * - **unlimited**: Postfix's smtp-sink, 20,000 × 2 KB (BENCH_RELAYS_COUNT): one sink at
 *   `--concurrency 10`, two at 10 each (the setting is per relay), and two at 5 each (the same 10
 *   connections), interleaved over three rounds (BENCH_RELAYS_ROUNDS), medians; wall time and the
 *   sender's CPU time (GNU time), which a loaded machine moves far less. Nothing limits here but
 *   the sender's CPU: a second relay is not expected to help.
 *
 * BENCH_RELAYS_LIMITED=0 leaves the Postfix case out.
 *
 * Every recipient must arrive once (the Maildirs, the sinks' counts).
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {startPostfix, type PostfixServer} from '../test/helpers/postfix-server.js';
import {removeTempDir, makeTempDir} from './lib/children.js';
import {cliEnv, cliNodeFlags, cliPath, writeMessageFile} from './lib/fixtures.js';
import {findPostfixTool, postfixInstallHint, startSink, type Sink} from './lib/postfix.js';
import {median, printTable, type Figure} from './lib/table.js';
import {engineError, prepareEngine, runWithCpu} from './delivery.js';
import {runMeasured} from './lib/run.js';

const part = 'relays';

/** `smtp://127.0.0.1:P1,smtp://127.0.0.1:P2`. */
function urls(ports: number[]): string {
	return ports.map(port => `smtp://127.0.0.1:${port}`).join(',');
}

/** The share of each relay, as `52 / 48`. */
function spread(counts: number[]): string {
	const total = counts.reduce((sum, count) => sum + count, 0);
	return counts.map(count => total === 0 ? '0' : Math.round((count * 100) / total).toString()).join(' / ') + ' %';
}

interface LimitedRun {
	seconds: number;
	code: number | null;
	/** Messages delivered by each instance. */
	delivered: number[];
	once: boolean;
}

/** 100 messages over `relays` anvil-limited Postfix instances. */
async function limitedSend(relays: number): Promise<LimitedRun> {
	const total = 100;
	const mailboxes = Array.from({length: total}, (_, i) => `user${i}@example.com`);
	const servers: PostfixServer[] = await Promise.all(Array.from({length: relays}, async () => startPostfix({mailboxes, connectionCountLimit: 2, messageRateLimit: 33, rateTimeUnit: '20s'})));
	const dir = mkdtempSync(path.join(os.tmpdir(), 'massmail-bench-relays-'));
	try {
		const env = {...cliEnv(dir), MASSMAIL_SMTP_URL: urls(servers.map(server => server.port))};
		const csv = path.join(dir, 'users.csv');
		writeFileSync(csv, ['email,name,role,disabled', ...mailboxes.map(address => `${address},,user,`)].join('\n'));
		await runMeasured(process.execPath, [cliPath, 'import', csv], {env, timeoutMs: 60_000});
		const started = performance.now();
		const result = await runMeasured(process.execPath, [cliPath, 'send', '--to', 'all', '--subject', 'Relays', '--message', 'Spread.', '--yes', '--json'], {env, timeoutMs: 600_000});
		const seconds = (performance.now() - started) / 1000;
		const delivered: number[] = [];
		const counts = new Map<string, number>();
		// Delivery follows "250 queued": wait until every message is in a Maildir.
		const deadline = Date.now() + 60_000;
		while (servers.reduce((sum, server) => sum + server.delivered(), 0) < total && Date.now() < deadline) {
			await new Promise(resolve => {
				setTimeout(resolve, 200);
			});
		}

		for (const server of servers) {
			delivered.push(server.delivered());
			for (const [address, count] of server.countsByRecipient()) {
				counts.set(address, (counts.get(address) ?? 0) + count);
			}
		}

		return {seconds, code: result.code, delivered, once: mailboxes.every(address => counts.get(address) === 1)};
	} finally {
		await Promise.all(servers.map(async server => server.stop()));
		rmSync(dir, {recursive: true, force: true});
	}
}

interface SinkRun {
	ms: number;
	cpuMs: number | undefined;
	received: number[];
	error: string | undefined;
}

/** `count` messages over `relays` fresh smtp-sinks. */
async function sinkSend(sinkBinary: string, work: string, configDir: string, messageFile: string, count: number, relays: number, concurrency: number): Promise<SinkRun> {
	const sinks: Sink[] = [];
	try {
		for (let index = 0; index < relays; index++) {
			sinks.push(await startSink(sinkBinary, work));
		}

		const env = {...cliEnv(configDir), MASSMAIL_SMTP_URL: urls(sinks.map(sink => sink.port))};
		const args = [...cliNodeFlags(), cliPath, 'send', '--to', 'all', '--subject', 'Relays', '--message-file', messageFile, '--yes', '--json', '--concurrency', String(concurrency), '--rate', '0'];
		const result = await runWithCpu(process.execPath, args, {env, timeoutMs: 600_000}, work);
		await Promise.all(sinks.map(async sink => sink.waitFor(1, 2000)));
		const received = sinks.map(sink => sink.received());
		const total = received.reduce((sum, value) => sum + value, 0);
		const error = result.code === 0 ? engineError(result, count) ?? (total === count ? undefined : `the sinks received ${total} of ${count}`) : `exit ${result.code}`;
		return {ms: result.ms, cpuMs: result.cpuMs, received, error};
	} finally {
		await Promise.all(sinks.map(async sink => sink.stop()));
	}
}

export async function benchRelays(): Promise<Figure[]> {
	const figures: Figure[] = [];
	console.log(`\n== Relays: two against one (load average ${os.loadavg().map(value => value.toFixed(2)).join(' ')}) ==`);

	if (process.env.BENCH_RELAYS_LIMITED !== '0') {
		const one = await limitedSend(1);
		const two = await limitedSend(2);
		const speedUp = one.seconds / two.seconds;
		printTable('Postfix limiting each client to 2 connections and 33 messages per 20 s, 100 messages', ['relays', 'seconds', 'least', 'exit', 'spread', 'each once'], [
			['1', one.seconds, 60, String(one.code ?? 'signal'), spread(one.delivered), String(one.once)],
			['2', two.seconds, 20, String(two.code ?? 'signal'), spread(two.delivered), String(two.once)],
		]);
		const ok = one.code === 0 && two.code === 0 && one.once && two.once;
		figures.push({part, name: 'limited Postfix: 2 relays / 1, speed-up', value: ok ? speedUp : undefined, unit: '×', target: '', ok: undefined});
	}

	const sinkBinary = findPostfixTool('smtp-sink');
	if (!sinkBinary) {
		console.log(`  smtp-sink not found: the unlimited case is left out \n${postfixInstallHint}`);
		return figures;
	}

	const count = Number(process.env.BENCH_RELAYS_COUNT ?? 20_000);
	const rounds = Number(process.env.BENCH_RELAYS_ROUNDS ?? 3);
	const work = makeTempDir('relays');
	try {
		const messageFile = path.join(work, 'message.txt');
		writeMessageFile(messageFile);
		const configDir = await prepareEngine(work, 'relays', count, 100);
		// Two relays at 10 connections each, and at 5 each: the same 10 connections in all, spread.
		const variants = [{name: '1 × 10', relays: 1, concurrency: 10}, {name: '2 × 10', relays: 2, concurrency: 10}, {name: '2 × 5', relays: 2, concurrency: 5}] as const;
		const runs: SinkRun[][] = variants.map(() => []);
		for (let round = 1; round <= rounds; round++) {
			for (const [index, {name, relays, concurrency}] of variants.entries()) {
				const run = await sinkSend(sinkBinary, work, configDir, messageFile, count, relays, concurrency);
				runs[index]!.push(run);
				console.log(`  round ${round}, ${name} (sinks × connections each): ${run.error ?? `${(run.ms / 1000).toFixed(2)} s, ${Math.round(count / (run.ms / 1000))} msg/s, CPU ${run.cpuMs === undefined ? '?' : (run.cpuMs / 1000).toFixed(2)} s, spread ${spread(run.received)}`}`);
			}
		}

		const good = (index: number) => runs[index]!.filter(run => run.error === undefined);
		const medianMs = (index: number) => good(index).length === 0 ? undefined : median(good(index).map(run => run.ms));
		const medianCpu = (index: number) => good(index).some(run => run.cpuMs !== undefined) ? median(good(index).flatMap(run => run.cpuMs === undefined ? [] : [run.cpuMs])) : undefined;
		printTable(`smtp-sink, ${count.toLocaleString('en-US')} × 2 KB, median of ${rounds} interleaved rounds`, ['sinks × connections', 'seconds', 'msg/s', 'CPU s', 'spread (last round)'], variants.map(({name}, index) => {
			const ms = medianMs(index);
			const cpu = medianCpu(index);
			return [name, ms === undefined ? undefined : ms / 1000, ms === undefined ? undefined : count / (ms / 1000), cpu === undefined ? undefined : cpu / 1000, spread(runs[index]!.at(-1)?.received ?? [])];
		}));
		const [one, two, twoHalf] = [medianMs(0), medianMs(1), medianMs(2)];
		figures.push(
			{part, name: 'smtp-sink: 2 relays × 10 / 1 × 10, speed-up (wall)', value: one && two ? one / two : undefined, unit: '×', target: '', ok: undefined},
			{part, name: 'smtp-sink: 2 relays × 5 / 1 × 10, speed-up (wall)', value: one && twoHalf ? one / twoHalf : undefined, unit: '×', target: '', ok: undefined},
		);
	} finally {
		removeTempDir(work);
	}

	return figures;
}
