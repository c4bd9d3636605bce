/**
 * Key → frame while filtering, for several builds of the program side by side: each round starts
 * each build once (in turn) on the same 100,000 mailboxes in 5,000 domains, at 80×24, and types the
 * dashboard part's filter keys, so that the machine's load weighs on every build alike. For a change
 * to the dashboard or the bundle: copy dist/ before it (`cp -r dist .bench/dist-before`), build,
 * then `BENCH_BUILDS=.bench/dist-before,dist node --import=tsx bench/dashboard-keys.ts`.
 *
 * Per build: the keys' median, p95 and slowest latency; the program's CPU time per key (all its
 * threads: V8 compiles hot code on its own threads while the first keys are typed) and its main
 * thread's alone (/proc/PID/task/PID/stat), medians over the rounds.
 *
 * Environment: BENCH_BUILDS (folders holding cli.js; default dist), BENCH_ROUNDS (5),
 * BENCH_KEY_CYCLES (filter typed and erased this many times per start, 3: the dashboard part's 31 keys).
 */
import {mkdirSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {makeTempDir, removeTempDir, installCleanUp} from './lib/children.js';
import {mainThreadCpuMs, treeCpuMs} from './lib/cpu.js';
import {cliNodeFlags, domainName, importDirectory, repoRoot, writeDirectoryCsv} from './lib/fixtures.js';
import {median, percentile, printTable} from './lib/table.js';
import {filterKeys} from './dashboard.js';
import {dashboardEnv, ScreenSession} from './lib/terminal.js';

async function typeFilter(cli: string, configDir: string, cycles: number): Promise<{latencies: number[]; cpuPerKey: number; mainPerKey: number}> {
	const session = new ScreenSession(process.execPath, [...cliNodeFlags(), cli], {env: dashboardEnv(configDir), cwd: repoRoot, cols: 80, rows: 24});
	try {
		await session.waitFor(screen => screen.includes(domainName(0)), 15_000, 'the domain list');
		await session.settle(300, 5000);
		const keys = filterKeys(cycles);
		const cpuBefore = treeCpuMs(session.pid) ?? Number.NaN;
		const mainBefore = mainThreadCpuMs(session.pid) ?? Number.NaN;
		const latencies: number[] = [];
		for (const key of keys) {
			const before = session.screen;
			const pressedAt = session.press(key);
			const change = await session.waitForChange(before, 2000);
			latencies.push(change.at - pressedAt);
			await session.settle(60, 2000);
		}

		return {latencies, cpuPerKey: ((treeCpuMs(session.pid) ?? Number.NaN) - cpuBefore) / keys.length, mainPerKey: ((mainThreadCpuMs(session.pid) ?? Number.NaN) - mainBefore) / keys.length};
	} finally {
		session.press('q');
		await session.settle(100, 1000);
		await session.stop();
	}
}

async function main(): Promise<void> {
	installCleanUp();
	const builds = (process.env.BENCH_BUILDS ?? 'dist').split(',').map(folder => path.resolve(repoRoot, folder, 'cli.js'));
	const rounds = Number(process.env.BENCH_ROUNDS) > 0 ? Number(process.env.BENCH_ROUNDS) : 5;
	const cycles = Number(process.env.BENCH_KEY_CYCLES) > 0 ? Number(process.env.BENCH_KEY_CYCLES) : 3;
	const work = makeTempDir('dashboard-keys');
	try {
		const configDir = path.join(work, 'big');
		mkdirSync(configDir);
		const csv = path.join(work, 'big.csv');
		await writeDirectoryCsv(csv, 100_000, 5000);
		await importDirectory(configDir, csv);
		const results = builds.map(() => ({latencies: [] as number[], cpu: [] as number[], main: [] as number[]}));
		for (let round = 1; round <= rounds; round++) {
			for (const [index, cli] of builds.entries()) {
				const {latencies, cpuPerKey, mainPerKey} = await typeFilter(cli, configDir, cycles);
				results[index]!.latencies.push(...latencies);
				results[index]!.cpu.push(cpuPerKey);
				results[index]!.main.push(mainPerKey);
			}

			console.log(`  round ${round} of ${rounds} (load ${os.loadavg()[0].toFixed(1)})`);
		}

		printTable(`Key → frame while filtering, 100,000 mailboxes in 5,000 domains, 80×24: ${rounds} round(s) of ${filterKeys(cycles).length} keys per build, interleaved`, ['build', 'median ms', 'p95 ms', 'slowest ms', 'CPU ms/key', 'main thread ms/key'], builds.map((cli, index) => {
			const {latencies, cpu, main} = results[index]!;
			return [path.relative(repoRoot, path.dirname(cli)), median(latencies), percentile(latencies, 95), Math.max(...latencies), median(cpu), median(main)];
		}));
	} finally {
		removeTempDir(work);
	}
}

await main();
