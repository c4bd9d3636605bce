/**
 * Issues 4 and 20's benchmark: the built program in a pseudo-terminal (80×24, CI=false), read
 * through @xterm/headless, with 100,000 mailboxes in 5,000 domains:
 *   1. time from spawn to the first frame that shows the domain list, for the built program and
 *      for `npm start` (the same directory in the demo profile);
 *   2. time from a key to the next frame while filtering (`/` then typing and erasing);
 *   3. the display's cost: the progress screen's CPU per message against the same send from the
 *      headless command line, in two measures (display-cost.ts says how).
 *
 * Environment: BENCH_QUICK=1 (fewer starts, one send each way), BENCH_MESSAGES (20000),
 * BENCH_ROUNDS (display-cost rounds, 25), BENCH_PROFILED_ROUNDS (display-cost rounds under
 * `node --cpu-prof`, 7), BENCH_DASHBOARD_PARTS (which of 1-3 to run: `starts`
 * — the built program's starts and the keys —, `npm`, `display`; default all three).
 */
import {copyFileSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {makeTempDir, removeTempDir} from './lib/children.js';
import {treeCpuMs} from './lib/cpu.js';
import {cliBuilt, domainName, importDirectory, repoRoot, writeDirectoryCsv} from './lib/fixtures.js';
import {median, percentile, printTable, verdict, type Figure} from './lib/table.js';
import {dashboardEnv, keys, listShown, ScreenSession, startDashboard} from './lib/terminal.js';
import {measureDisplayCost} from './display-cost.js';

const part = 'dashboard';

const dashboardParts = ['starts', 'npm', 'display'] as const;
type DashboardPart = typeof dashboardParts[number];

/** BENCH_DASHBOARD_PARTS (`starts,npm,display`): the parts to run; the display cost alone takes minutes. */
function chosenParts(): Set<DashboardPart> {
	const asked = (process.env.BENCH_DASHBOARD_PARTS ?? dashboardParts.join(',')).split(',').map(name => name.trim()).filter(Boolean);
	const unknown = asked.filter(name => !(dashboardParts as readonly string[]).includes(name));
	if (unknown.length > 0) {
		throw new Error(`BENCH_DASHBOARD_PARTS names ${unknown.join(', ')}; the parts are ${dashboardParts.join(', ')}`);
	}

	return new Set(asked as DashboardPart[]);
}

/** Quit the way a person does (Esc, q), or end it if it does not go. */
async function quit(session: ScreenSession): Promise<void> {
	session.press(keys.escape);
	await session.settle(50, 500);
	session.press('q');
	const deadline = Date.now() + 2000;
	while (!session.hasExited && Date.now() < deadline) {
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	await session.stop();
}

/** `/`, then type and erase a filter `cycles` times (3: 31 keys), each key a change of the screen. */
export function filterKeys(cycles = 3): string[] {
	const cycle = ['d', '0', '4', '2', '7', keys.backspace, keys.backspace, keys.backspace, keys.backspace, keys.backspace];
	return ['/', ...Array.from({length: cycles}, () => cycle).flat()];
}

/**
 * The CPU time the program (with its children: npm's shell and node) had used when its first frame
 * arrived: what the start costs, which the machine's load does not add to as it adds to the wall
 * time (a start waits for a CPU). undefined where /proc cannot say.
 */
function cpuAtFrame(session: ScreenSession): number | undefined {
	return treeCpuMs(session.pid);
}

const cpuFigures = (values: number[]) => (values.length > 0 ? {median: median(values), spread: `${Math.min(...values).toFixed(0)} … ${Math.max(...values).toFixed(0)}`} : undefined);

async function measureStartAndKeys(configDir: string, starts: number): Promise<{firstFrames: number[]; firstFrameCpu: number[]; latencies: number[]; missed: number; cpuPerKey: number | undefined}> {
	const firstFrames: number[] = [];
	const firstFrameCpu: number[] = [];
	let latencies: number[] = [];
	let missed = 0;
	let cpuPerKey: number | undefined;
	for (let run = 1; run <= starts; run++) {
		const session = startDashboard(dashboardEnv(configDir));
		try {
			const frame = await session.waitFor(listShown, 15_000, `the domain list (${domainName(0)})`);
			const cpu = cpuAtFrame(session);
			firstFrames.push(frame.at - session.startedAt);
			if (cpu !== undefined) {
				firstFrameCpu.push(cpu);
			}

			if (run < starts) {
				continue;
			}

			// The keys are measured in the last session only, once the program has settled.
			await session.settle(300, 5000);
			latencies = [];
			// The program's CPU time over the keys: what each key costs it, which the machine's
			// load does not add to as it adds to the latency (waiting for a CPU).
			const cpuBefore = treeCpuMs(session.pid);
			for (const key of filterKeys()) {
				const before = session.screen;
				const pressedAt = session.press(key);
				try {
					const change = await session.waitForChange(before, 2000);
					latencies.push(change.at - pressedAt);
				} catch {
					missed++;
				}

				// Let the frame finish before the next key, so that each key is timed alone.
				await session.settle(60, 2000);
			}

			const cpuAfter = treeCpuMs(session.pid);
			cpuPerKey = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / filterKeys().length;
		} finally {
			await quit(session);
		}
	}

	return {firstFrames, firstFrameCpu, latencies, missed, cpuPerKey};
}

/**
 * `npm start` as the README gives it, with nothing changed since the last build (the build step
 * only compares times): spawn to the first frame of the domain list. The demo profile holds the
 * same 100,000 mailboxes in 5,000 domains (`npm start` always opens the demo). One start first so
 * that a build, if one is due, is not counted.
 */
async function measureNpmStart(work: string, bigConfigDir: string, starts: number): Promise<{frames: number[]; cpu: number[]}> {
	const configDir = path.join(work, 'npm-start');
	mkdirSync(path.join(configDir, 'demo'), {recursive: true});
	// A demo profile that already has a directory is opened as it is, not seeded. Its settings are
	// the ones seeding writes (the sample organisation's sender), as in every demo profile: without
	// them each start would also ask the resolver for this machine's name (`hostname --fqdn`).
	copyFileSync(path.join(bigConfigDir, 'directory.json'), path.join(configDir, 'demo', 'directory.json'));
	writeFileSync(path.join(configDir, 'demo', 'settings.json'), JSON.stringify({sender: {address: 'postmaster@example.com'}}), {mode: 0o600});
	const env = dashboardEnv(configDir);
	const frames: number[] = [];
	const cpu: number[] = [];
	for (let run = 0; run <= starts; run++) {
		const session = new ScreenSession('npm', ['start', '--silent'], {env, cwd: repoRoot, cols: 80, rows: 24});
		try {
			const frame = await session.waitFor(listShown, 60_000, `the demo's domain list (${domainName(0)})`);
			const used = cpuAtFrame(session);
			if (run > 0) {
				frames.push(frame.at - session.startedAt);
				if (used !== undefined) {
					cpu.push(used);
				}
			}
		} finally {
			await quit(session);
		}
	}

	return {frames, cpu};
}

/** The built program's starts (first frame) and, in the last one, the keys while filtering. */
async function measureStarts(configDir: string, quick: boolean): Promise<Figure[]> {
	const starts = quick ? 2 : 5;
	const {firstFrames, firstFrameCpu, latencies, missed, cpuPerKey} = await measureStartAndKeys(configDir, starts);
	const firstCpu = cpuFigures(firstFrameCpu);
	const firstMedian = median(firstFrames);
	const keyMedian = latencies.length > 0 ? median(latencies) : undefined;
	const keyP95 = latencies.length > 0 ? percentile(latencies, 95) : undefined;
	printTable('100,000 mailboxes in 5,000 domains, 80×24', ['figure', 'value (ms)', 'target (ms)', ''], [
		[`node dist/cli.js → first frame with the domain list (median of ${firstFrames.length} starts)`, firstMedian, '≤ 1,000', verdict(firstMedian <= 1000)],
		['start → first frame, slowest start', Math.max(...firstFrames), '', ''],
		[`CPU time used by the first frame (median; ${firstCpu?.spread ?? 'not known'})`, firstCpu?.median, '', ''],
		[`key → next frame while filtering, median (${latencies.length} keys${missed > 0 ? `, ${missed} without a change` : ''})`, keyMedian, '', ''],
		['key → next frame while filtering, p95', keyP95, '≤ 20', verdict(keyP95 === undefined ? undefined : keyP95 <= 20)],
		['key → next frame while filtering, slowest', latencies.length > 0 ? Math.max(...latencies) : undefined, '', ''],
		['the program\'s CPU time per key while filtering (the settling between keys included)', cpuPerKey, '', ''],
	]);
	return [
		{part, name: 'node dist/cli.js → first frame with the list', value: firstMedian, unit: 'ms', target: '≤ 1,000', ok: firstMedian <= 1000},
		{part, name: 'CPU time to the first frame, node dist/cli.js (median)', value: firstCpu?.median, unit: 'ms', target: '', ok: undefined},
		{part, name: 'key → frame while filtering, median', value: keyMedian, unit: 'ms', target: '', ok: undefined},
		{part, name: 'key → frame while filtering, p95', value: keyP95, unit: 'ms', target: '≤ 20', ok: keyP95 === undefined ? undefined : keyP95 <= 20},
		{part, name: 'CPU per key while filtering', value: cpuPerKey, unit: 'ms', target: '', ok: undefined},
	];
}

/** `npm start`'s starts (the demo profile holding the same directory). */
async function measureNpmStarts(work: string, configDir: string, quick: boolean): Promise<Figure[]> {
	const {frames: npmStarts, cpu: npmCpuValues} = await measureNpmStart(work, configDir, quick ? 2 : 5);
	const npmMedian = median(npmStarts);
	const npmCpu = cpuFigures(npmCpuValues);
	printTable('npm start (the demo profile holding the same directory), sources unchanged since the last build', ['figure', 'value (ms)', 'target (ms)', ''], [
		[`npm start → first frame (median of ${npmStarts.length} starts)`, npmMedian, '≤ 1,000', verdict(npmMedian <= 1000)],
		['npm start → first frame, slowest', Math.max(...npmStarts), '', ''],
		[`CPU time used by the first frame, npm's included (median; ${npmCpu?.spread ?? 'not known'})`, npmCpu?.median, '', ''],
	]);
	return [
		{part, name: 'npm start → first frame (built, unchanged)', value: npmMedian, unit: 'ms', target: '≤ 1,000', ok: npmMedian <= 1000},
		{part, name: 'CPU time to the first frame, npm start (median)', value: npmCpu?.median, unit: 'ms', target: '', ok: undefined},
	];
}

export async function benchDashboard(): Promise<Figure[]> {
	console.log('\n== Dashboard (issues 4 and 20): the built program in an 80×24 pseudo-terminal ==');
	if (!cliBuilt()) {
		console.log('  dist/cli.js is not built (npm run build): skipping the dashboard benchmark.');
		return [];
	}

	const quick = process.env.BENCH_QUICK === '1';
	const parts = chosenParts();
	const work = makeTempDir('dashboard');
	try {
		const configDir = path.join(work, 'big');
		mkdirSync(configDir);
		if (parts.has('starts') || parts.has('npm')) {
			const csv = path.join(work, 'big.csv');
			await writeDirectoryCsv(csv, 100_000, 5000);
			const imported = await importDirectory(configDir, csv);
			console.log(`  imported 100,000 mailboxes in 5,000 domains through the command line in ${(imported.ms / 1000).toFixed(2)} s`);
		}

		const figures: Figure[] = [];
		if (parts.has('starts')) {
			figures.push(...await measureStarts(configDir, quick));
		}

		if (parts.has('npm')) {
			figures.push(...await measureNpmStarts(work, configDir, quick));
		}

		if (parts.has('display')) {
			try {
				figures.push(...await measureDisplayCost(work, quick));
			} catch (error) {
				console.log(`  The display cost was not measured: ${(error as Error).message}`);
				figures.push({part, name: 'display cost', value: undefined, unit: '%', target: '< 5', ok: undefined});
			}
		}

		return figures;
	} finally {
		removeTempDir(work);
	}
}
