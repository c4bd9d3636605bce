/**
 * Issue 4's benchmark: the built program in a pseudo-terminal (80×24, CI=false), read through
 * @xterm/headless, with 100,000 mailboxes in 5,000 domains:
 *   1. time from spawn to the first frame that shows the domain list;
 *   2. time from a key to the next frame while filtering (`/` then typing and erasing);
 *   3. the delivery rate with the progress screen shown, against the headless command line.
 *
 * Environment: BENCH_QUICK=1 (fewer starts).
 */
import {mkdirSync} from 'node:fs';
import path from 'node:path';
import {makeTempDir, removeTempDir} from './lib/children.js';
import {cliBuilt, cliPath, domainName, importDirectory, repoRoot, writeDirectoryCsv} from './lib/fixtures.js';
import {median, percentile, printTable, verdict, type Figure} from './lib/table.js';
import {keys, ScreenSession} from './lib/terminal.js';

const part = 'dashboard';

export function dashboardEnv(configDir: string, smtpPort?: number): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env, MASSMAIL_CONFIG_DIR: configDir, CI: 'false', TERM: 'xterm-256color', LANG: 'C.UTF-8'};
	delete env.NO_COLOR;
	delete env.MASSMAIL_SMTP_PASSWORD;
	if (smtpPort === undefined) {
		delete env.MASSMAIL_SMTP_URL;
	} else {
		env.MASSMAIL_SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;
	}

	return env;
}

/** The dashboard (no command), started in an 80×24 pseudo-terminal. */
export function startDashboard(env: NodeJS.ProcessEnv): ScreenSession {
	return new ScreenSession(process.execPath, [cliPath], {env, cwd: repoRoot, cols: 80, rows: 24});
}

const listShown = (screen: string) => screen.includes(domainName(0));

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

/** `/`, then type and erase a filter three times: 31 keys, each a change of the screen. */
function filterKeys(): string[] {
	const cycle = ['d', '0', '4', '2', '7', keys.backspace, keys.backspace, keys.backspace, keys.backspace, keys.backspace];
	return ['/', ...cycle, ...cycle, ...cycle];
}

async function measureStartAndKeys(configDir: string, starts: number): Promise<{firstFrames: number[]; latencies: number[]; missed: number}> {
	const firstFrames: number[] = [];
	let latencies: number[] = [];
	let missed = 0;
	for (let run = 1; run <= starts; run++) {
		const session = startDashboard(dashboardEnv(configDir));
		try {
			const frame = await session.waitFor(listShown, 15_000, `the domain list (${domainName(0)})`);
			firstFrames.push(frame.at - session.startedAt);
			if (run < starts) {
				continue;
			}

			// The keys are measured in the last session only, once the program has settled.
			await session.settle(300, 5000);
			latencies = [];
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
		} finally {
			await quit(session);
		}
	}

	return {firstFrames, latencies, missed};
}

export async function benchDashboard(): Promise<Figure[]> {
	console.log('\n== Dashboard (issue 4): the built program in an 80×24 pseudo-terminal ==');
	if (!cliBuilt()) {
		console.log('  dist/cli.js is not built (npm run build): skipping the dashboard benchmark.');
		return [];
	}

	const quick = process.env.BENCH_QUICK === '1';
	const work = makeTempDir('dashboard');
	try {
		const configDir = path.join(work, 'big');
		mkdirSync(configDir);
		const csv = path.join(work, 'big.csv');
		await writeDirectoryCsv(csv, 100_000, 5000);
		const imported = await importDirectory(configDir, csv);
		console.log(`  imported 100,000 mailboxes in 5,000 domains through the command line in ${(imported.ms / 1000).toFixed(2)} s`);

		const starts = quick ? 2 : 5;
		const {firstFrames, latencies, missed} = await measureStartAndKeys(configDir, starts);
		const firstMedian = median(firstFrames);
		const keyMedian = latencies.length > 0 ? median(latencies) : undefined;
		const keyP95 = latencies.length > 0 ? percentile(latencies, 95) : undefined;
		printTable('100,000 mailboxes in 5,000 domains, 80×24', ['figure', 'value (ms)', 'target (ms)', ''], [
			[`start → first frame with the domain list (median of ${firstFrames.length} starts)`, firstMedian, '< 1,000', verdict(firstMedian < 1000)],
			['start → first frame, slowest start', Math.max(...firstFrames), '', ''],
			[`key → next frame while filtering, median (${latencies.length} keys${missed > 0 ? `, ${missed} without a change` : ''})`, keyMedian, '< 50', verdict(keyMedian === undefined ? undefined : keyMedian < 50)],
			['key → next frame while filtering, p95', keyP95, '< 50', verdict(keyP95 === undefined ? undefined : keyP95 < 50)],
			['key → next frame while filtering, slowest', latencies.length > 0 ? Math.max(...latencies) : undefined, '', ''],
		]);

		return [
			{part, name: 'start → first frame with the list', value: firstMedian, unit: 'ms', target: '< 1,000', ok: firstMedian < 1000},
			{part, name: 'key → frame while filtering, median', value: keyMedian, unit: 'ms', target: '< 50', ok: keyMedian === undefined ? undefined : keyMedian < 50},
			{part, name: 'key → frame while filtering, p95', value: keyP95, unit: 'ms', target: '< 50', ok: keyP95 === undefined ? undefined : keyP95 < 50},
		];
	} finally {
		removeTempDir(work);
	}
}
