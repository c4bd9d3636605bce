/**
 * The display's cost (issue 20, item 5): CPU per message with the progress screen shown, against
 * the same send from the headless command line.
 *
 * Two measures, each per round, then their median and spread:
 *   1. The difference of the two sends' CPU (from the first message at its sink to the last), one
 *      way after the other, each alone with its own sink, the order swapped every round. (Run at
 *      the same time, as this measure once did, the two senders and two sinks shared 2 CPUs, and
 *      how long each ran alone varied from round to round: the rounds spread from -12% to +20%.)
 *      On a virtual machine the CPU time of the same send moves by ±15% from run to run, alike
 *      for both ways, so this difference is known only within its confidence interval.
 *   2. The display's share of the dashboard's own CPU during the send, from a CPU profile of the
 *      dashboard (`node --cpu-prof`): the samples in the display's code (Ink, React, the screens,
 *      the hooks that fold the engine's events) over every busy sample of the main thread between
 *      the first and the last message's transaction. A share is read within one process at one
 *      time, so the machine's speed, whatever it is, weighs on both parts alike. The garbage
 *      collector's share, which no sample can attribute, is shown beside the command line's.
 */
import {cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {sampleCpu, type CpuSampler} from './lib/cpu.js';
import {profileShares, type ProfileShares} from './lib/cpu-profile.js';
import {cliEnv, cliNodeFlags, cliPath, domainName, firstError, importDirectory, messageText, writeDirectoryCsv} from './lib/fixtures.js';
import {findPostfixTool, postfixInstallHint, startSink, type Sink} from './lib/postfix.js';
import {runMeasured} from './lib/run.js';
import {median, medianInterval, percentile, printTable, verdict, type Figure} from './lib/table.js';
import {paste} from '../test/helpers/keys.js';
import {dashboardEnv, keys, listShown, startDashboard, type ScreenSession} from './lib/terminal.js';

const part = 'dashboard';

const subject = 'Planned maintenance on Saturday';
// How long a typed key may take to show while the send is set up: generous, as this is not what is
// measured, and on a machine at a load of 10-15 a 3 s wait failed the whole display-cost measure.
const typingWaitMs = 15_000;
const focused = (screen: string, label: string) => new RegExp(`^\\s*[❯>]\\s+${label}`, 'm').test(screen);

/** Move the form's focus (Tab) to the field labelled `label`: at most 10 Tabs. */
async function focusField(session: ScreenSession, label: string): Promise<void> {
	for (let tabs = 0; tabs < 10 && !focused(session.screen, label); tabs++) {
		const before = session.screen;
		session.press(keys.tab);
		await session.waitForChange(before, typingWaitMs);
		await session.settle(40, 2000);
	}

	if (!focused(session.screen, label)) {
		throw new Error(`could not move the focus to ${label}; the screen was:\n${session.screen.trimEnd()}`);
	}
}

/**
 * The message as a terminal pastes it (bracketed paste, line breaks as CR): one edit. Typed a line
 * and an Enter at a time, a key whose effect fell outside the field's visible rows changed nothing
 * on screen, and waiting for that change failed the measure at a different line each run.
 */
async function pasteLines(session: ScreenSession, lines: string[]): Promise<void> {
	const before = session.screen;
	session.press(paste(lines.join('\r')));
	await session.waitForChange(before, typingWaitMs);
	await session.settle(200, typingWaitMs);
}

interface SendTiming {
	/** From the first to the last message at the sink. */
	streamMs: number | undefined;
	/** From the key that started the send to the frame that ends it (dashboard), or spawn to exit (command line). */
	wholeMs: number;
	received: number;
	/** CPU time of the sending process between the first and the last message at the sink. */
	cpuMs: number | undefined;
	/** The same for the main thread alone (JavaScript's: the display's work is all there). */
	mainCpuMs: number | undefined;
}

/** What the sink saw, and the CPU the sender spent meanwhile. */
function timingAt(sink: Sink, cpu: CpuSampler | undefined, wholeMs: number): SendTiming {
	const first = sink.firstAt();
	const last = sink.lastAt();
	const between = (read: ((moment: number) => number | undefined) | undefined) => {
		const atFirst = first === undefined ? undefined : read?.(first);
		const atLast = last === undefined ? undefined : read?.(last);
		return atFirst === undefined || atLast === undefined ? undefined : atLast - atFirst;
	};

	return {
		streamMs: first === undefined || last === undefined ? undefined : last - first,
		wholeMs,
		received: sink.received(),
		cpuMs: between(cpu?.at),
		mainCpuMs: between(cpu?.mainAt),
	};
}

/**
 * Through the dashboard: `e` on the first domain (Send Email to All Users on that domain),
 * Subject, Message, Ctrl+S (Review), `s` and the confirmation: the progress screen is shown
 * until the summary replaces it.
 */
async function sendFromDashboard(configDir: string, sink: Sink, lines: string[], count: number, nodeFlags: string[] = []): Promise<SendTiming> {
	const session = startDashboard(dashboardEnv(configDir, sink.port), nodeFlags);
	let cpu: CpuSampler | undefined;
	try {
		await session.waitFor(listShown, 15_000, 'the domain list');
		await session.settle(200, 3000);
		session.press('e');
		await session.waitFor(screen => screen.includes('Subject'), typingWaitMs, 'the Send Email form');
		await session.settle(100, 2000);
		await focusField(session, 'Subject');
		session.press(subject);
		await session.waitFor(screen => screen.includes(subject), typingWaitMs, 'the subject typed');
		await session.settle(50, 2000);
		await focusField(session, 'Message');
		await pasteLines(session, lines);
		session.press(keys.ctrlS);
		await session.waitFor(screen => screen.includes('Test copy') && screen.includes('Recipients'), 10_000, 'the Review screen');
		await session.settle(100, 2000);
		const reviewed = /Recipients\s+([\d,]+)/.exec(session.screen)?.[1]?.replaceAll(',', '');
		if (Number(reviewed) !== count) {
			throw new Error(`the Review screen shows ${reviewed ?? 'no'} recipients, not ${count}:\n${session.screen.trimEnd()}`);
		}

		cpu = sampleCpu(session.pid);
		let startedAt = session.press('s');
		const next = await session.waitFor(screen => /Send to [\d,]+ recipients\?/.test(screen) || screen.includes('Pause') || /Finished:/.test(screen), 10_000, 'the confirmation or the progress screen');
		if (/Send to [\d,]+ recipients\?/.test(next.screen)) {
			await session.settle(50, 2000);
			startedAt = session.press('y');
		}

		const end = await session.waitFor(screen => /(Finished|Cancelled|Interrupted|Stopped)[^\n]*: [\d,]+ of [\d,]+ sent/.test(screen), 600_000, 'the summary');
		if (!new RegExp(`Finished: ${count.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} sent`).test(end.screen)) {
			throw new Error(`the send did not finish cleanly:\n${end.screen.trimEnd()}`);
		}

		await sink.waitFor(count, 2000);
		return timingAt(sink, cpu, end.at - startedAt);
	} finally {
		cpu?.stop();
		session.press('q');
		await session.settle(100, 1000);
		// A CPU profile is written as the program exits by itself.
		const deadline = Date.now() + 5000;
		while (!session.hasExited && Date.now() < deadline) {
			await sleep(20);
		}

		await session.stop();
	}
}

async function sendFromCommandLine(configDir: string, sink: Sink, messageFile: string, count: number, nodeFlags: string[] = []): Promise<SendTiming> {
	let cpu: CpuSampler | undefined;
	const result = await runMeasured(process.execPath, [
		...cliNodeFlags(), ...nodeFlags, cliPath, 'send', '--to', `domain:${domainName(0)}`, '--subject', subject, '--message-file', messageFile, '--yes', '--json',
	], {
		env: cliEnv(configDir, sink.port),
		timeoutMs: 600_000,
		onSpawn(pid) {
			cpu = sampleCpu(pid);
		},
	});
	cpu?.stop();
	if (result.code !== 0) {
		throw new Error(`massmail send exited ${result.code ?? result.signal}: ${firstError(result.stderr || result.stdout)}`);
	}

	await sink.waitFor(count, 2000);
	return timingAt(sink, cpu, result.ms);
}

/** The display's cost: the same send from the dashboard (progress shown) and from the command line, interleaved. */
export async function measureDisplayCost(work: string, quick: boolean): Promise<Figure[]> {
	const sinkBinary = findPostfixTool('smtp-sink');
	if (!sinkBinary) {
		console.log(`  ${postfixInstallHint.split('\n').join('\n  ')}\n  Skipping the display-cost measure.`);
		return [];
	}

	const count = Number(process.env.BENCH_MESSAGES) > 0 ? Number(process.env.BENCH_MESSAGES) : 20_000;
	const configDir = path.join(work, 'send');
	mkdirSync(configDir);
	const csv = path.join(work, 'send.csv');
	// Every mailbox in one domain, so that `e` on the first row is the whole send.
	await writeDirectoryCsv(csv, count, 1);
	await importDirectory(configDir, csv);
	// The command line's sends have a data folder of their own (the same directory): each way's
	// journal holds only its own sends, as many as the other's.
	const cliConfigDir = path.join(work, 'send-cli');
	cpSync(configDir, cliConfigDir, {recursive: true});
	const lines = messageText(2048).trimEnd().split('\n');
	const messageFile = path.join(work, 'message.txt');
	writeFileSync(messageFile, lines.join('\n'));

	// 25 rounds: the median's 95% interval then runs from the 8th to the 18th of them.
	const rounds = quick ? 1 : (Number(process.env.BENCH_ROUNDS) > 0 ? Number(process.env.BENCH_ROUNDS) : 25);
	const askedProfiled = Number(process.env.BENCH_PROFILED_ROUNDS ?? 'none');
	const profiledRounds = quick ? 1 : (Number.isInteger(askedProfiled) && askedProfiled >= 0 ? askedProfiled : 7);
	const results: Record<'dashboard' | 'cli', SendTiming[]> = {dashboard: [], cli: []};
	for (let round = 1; round <= rounds; round++) {
		const dashboardSink = await startSink(sinkBinary, work);
		const cliSink = await startSink(sinkBinary, work);
		try {
			const started = performance.now();
			// One after the other, each alone with its sink on the machine, the order swapped every
			// round (ABBA): a drift in the machine's speed over a round weighs on both ways alike.
			const dashboardFirst = round % 2 === 1;
			const cliThen = async () => sendFromCommandLine(cliConfigDir, cliSink, messageFile, count);
			const cliBefore = dashboardFirst ? undefined : await cliThen();
			const dashboard = await sendFromDashboard(configDir, dashboardSink, lines, count);
			const cli = cliBefore ?? await cliThen();
			for (const [way, timing] of [['dashboard', dashboard], ['cli', cli]] as const) {
				if (timing.received !== count) {
					throw new Error(`the sink received ${timing.received} of ${count} (${way})`);
				}
			}

			results.dashboard.push(dashboard);
			results.cli.push(cli);
			const perMessage = (timing: SendTiming) => (timing.cpuMs === undefined ? '?' : `${((timing.cpuMs / count) * 1000).toFixed(1)} (main thread ${timing.mainCpuMs === undefined ? '?' : ((timing.mainCpuMs / count) * 1000).toFixed(1)})`);
			console.log(`  round ${round}: ${dashboardFirst ? 'dashboard, then command line' : 'command line, then dashboard'}, ${count.toLocaleString('en-US')} each, in ${((performance.now() - started) / 1000).toFixed(1)} s; CPU µs/msg ${perMessage(dashboard)} against ${perMessage(cli)} (load ${os.loadavg()[0].toFixed(1)})`);
		} finally {
			await dashboardSink.stop();
			await cliSink.stop();
		}
	}

	const shareFigures = await measureDisplayShare(work, sinkBinary, {configDir, cliConfigDir, lines, messageFile, count}, profiledRounds);

	// Each round pairs a dashboard send with the command-line send next to it; the cost is the
	// median of the rounds' pairs, and their spread says how far a single round can be trusted.
	const pairs = (cost: (dashboard: SendTiming, cli: SendTiming) => number | undefined) => results.dashboard
		.map((dashboard, index) => (results.cli[index] ? cost(dashboard, results.cli[index]) : undefined))
		.filter((value): value is number => value !== undefined && Number.isFinite(value));
	const cpuPairs = pairs((d, c) => (d.cpuMs && c.cpuMs ? (d.cpuMs / c.cpuMs) - 1 : undefined));
	const mainPairs = pairs((d, c) => (d.mainCpuMs && c.mainCpuMs ? (d.mainCpuMs / c.mainCpuMs) - 1 : undefined));
	const ratePairs = pairs((d, c) => (d.streamMs && c.streamMs ? 1 - (c.streamMs / d.streamMs) : undefined));
	const middle = (values: number[]) => (values.length > 0 ? median(values) : undefined);
	const cpuCost = middle(cpuPairs);
	const rateCost = middle(ratePairs);
	const percent = (value: number | undefined) => (value === undefined ? undefined : value * 100);
	const spread = (values: number[]) => (values.length > 1
		? `${(Math.min(...values) * 100).toFixed(1)} … ${(Math.max(...values) * 100).toFixed(1)}; IQR ${((percentile(values, 75) - percentile(values, 25)) * 100).toFixed(1)}`
		: '');
	const eachRound = (values: number[]) => values.map(value => (value * 100).toFixed(1)).join(' ');

	const known = (values: Array<number | undefined>) => values.filter((value): value is number => value !== undefined && value > 0);
	const rateOf = (timings: SendTiming[], key: 'streamMs' | 'wholeMs') => {
		const times = known(timings.map(t => t[key]));
		return times.length > 0 ? count / (median(times) / 1000) : undefined;
	};

	const cpuPerMessage = (timings: SendTiming[]) => {
		const times = known(timings.map(t => t.cpuMs));
		return times.length > 0 ? (median(times) / count) * 1000 : undefined;
	};

	printTable(`${count.toLocaleString('en-US')} recipients (one domain), ${rounds} round(s), medians`, ['way', 'msg/s (first→last at sink)', 'msg/s (whole)', 'whole measured as', 'CPU µs/msg'], [
		['dashboard, progress screen shown', rateOf(results.dashboard, 'streamMs'), rateOf(results.dashboard, 'wholeMs'), 'Send key → summary frame', cpuPerMessage(results.dashboard)],
		['command line (send --json)', rateOf(results.cli, 'streamMs'), rateOf(results.cli, 'wholeMs'), 'spawn → exit', cpuPerMessage(results.cli)],
	]);
	// One send's CPU per message moves by ±20% from round to round on a quiet 2-CPU machine, alike
	// for both ways: a median is trusted only as far as its confidence interval reaches. The goal is
	// met when the whole interval is below it, missed when the whole interval is above it.
	const interval = (values: number[]) => {
		const bounds = medianInterval(values);
		return bounds ? `${(bounds[0] * 100).toFixed(1)} … ${(bounds[1] * 100).toFixed(1)}` : `none (${values.length} rounds: 6 at least)`;
	};

	const cpuBounds = medianInterval(cpuPairs);
	const cpuMet = cpuBounds === undefined ? undefined : (cpuBounds[1] < 0.05 ? true : (cpuBounds[0] >= 0.05 ? false : undefined));
	printTable(`Display cost: each round's dashboard send against the command-line send next to it; median of ${cpuPairs.length} round(s), its 95% confidence interval, spread min … max`, ['figure', 'median %', '95% interval %', 'spread %', 'target %', ''], [
		['CPU per message: dashboard ÷ command line − 1', percent(cpuCost), interval(cpuPairs), spread(cpuPairs), '< 5', cpuMet === undefined ? 'not known' : verdict(cpuMet)],
		['  each round', eachRound(cpuPairs), '', '', '', ''],
		['main thread\'s CPU per message: the same', percent(middle(mainPairs)), interval(mainPairs), spread(mainPairs), '', ''],
		['  each round', eachRound(mainPairs), '', '', '', ''],
		['rate at the sink: 1 − dashboard ÷ command line', percent(rateCost), interval(ratePairs), spread(ratePairs), '', ''],
		['  each round', eachRound(ratePairs), '', '', '', ''],
	]);
	return [
		{part, name: `display cost, CPU per message (median of ${cpuPairs.length} rounds)`, value: percent(cpuCost), unit: '%', target: '< 5', ok: cpuMet},
		{part, name: 'display cost, CPU per message: top of the 95% interval', value: cpuBounds === undefined ? undefined : cpuBounds[1] * 100, unit: '%', target: '< 5', ok: cpuBounds === undefined ? undefined : cpuBounds[1] < 0.05},
		{part, name: 'display cost, rate at the sink (median)', value: percent(rateCost), unit: '%', target: '', ok: undefined},
		...shareFigures,
	];
}

/** Ink, React and the screens are bundled into the dashboard's own chunk, which nothing else loads. */
const inDisplay = (frame: {url: string}) => /\/chunks\/run-dashboard-[^/]+\.js$/.test(frame.url);
/** Runs once for every message: the window of a profile in which the send goes on. */
const perMessageFunction = 'sendTransaction';

interface SendSetup {
	configDir: string;
	cliConfigDir: string;
	lines: string[];
	messageFile: string;
	count: number;
}

/** The largest CPU profile node wrote into `folder`: the program's own (a child would write a smaller one). */
function profileIn(folder: string): string {
	const files = readdirSync(folder).filter(name => name.endsWith('.cpuprofile')).map(name => path.join(folder, name));
	if (files.length === 0) {
		throw new Error(`no CPU profile was written into ${folder}`);
	}

	return files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}

/**
 * The second measure (the file's comment): rounds of a dashboard send and a command-line send,
 * each under `node --cpu-prof`, their profiles read within the send.
 */
async function measureDisplayShare(work: string, sinkBinary: string, setup: SendSetup, rounds: number): Promise<Figure[]> {
	if (rounds === 0) {
		return [];
	}

	const display: number[] = [];
	const gcExcess: number[] = [];
	const gcShares: Record<'dashboard' | 'cli', number[]> = {dashboard: [], cli: []};
	for (let round = 1; round <= rounds; round++) {
		const folder = path.join(work, `profiles-${round}`);
		const flags = (way: string) => {
			mkdirSync(path.join(folder, way), {recursive: true});
			return ['--cpu-prof', `--cpu-prof-dir=${path.join(folder, way)}`, '--cpu-prof-interval=500'];
		};

		const dashboardSink = await startSink(sinkBinary, work);
		const cliSink = await startSink(sinkBinary, work);
		try {
			await sendFromDashboard(setup.configDir, dashboardSink, setup.lines, setup.count, flags('dashboard'));
			await sendFromCommandLine(setup.cliConfigDir, cliSink, setup.messageFile, setup.count, flags('cli'));
		} finally {
			await dashboardSink.stop();
			await cliSink.stop();
		}

		const dashboard = profileShares(profileIn(path.join(folder, 'dashboard')), perMessageFunction, inDisplay);
		const cli = profileShares(profileIn(path.join(folder, 'cli')), perMessageFunction, () => false);
		rmSync(folder, {recursive: true, force: true});
		if (!dashboard || !cli) {
			throw new Error(`a profile holds no sample of ${perMessageFunction}: no message was sent while it was taken`);
		}

		if (dashboard.countedAnywhereMs === 0) {
			// The display drew the whole session: none of its frames means the chunk is named otherwise now.
			throw new Error('the dashboard\'s profile holds no frame of dist/chunks/run-dashboard-*.js: the display\'s code is not recognised (the bundle\'s chunks were renamed?)');
		}

		const shareOf = (shares: ProfileShares, ms: number) => (shares.busyMs > 0 ? ms / shares.busyMs : 0);
		display.push(shareOf(dashboard, dashboard.countedMs));
		gcShares.dashboard.push(shareOf(dashboard, dashboard.gcMs));
		gcShares.cli.push(shareOf(cli, cli.gcMs));
		gcExcess.push(Math.max(0, shareOf(dashboard, dashboard.gcMs) - shareOf(cli, cli.gcMs)));
		console.log(`  profiled round ${round}: the display's code ${(display.at(-1)! * 100).toFixed(2)}% of the dashboard's busy ${(dashboard.busyMs).toFixed(0)} ms in the send; the garbage collector ${(gcShares.dashboard.at(-1)! * 100).toFixed(1)}% (command line ${(gcShares.cli.at(-1)! * 100).toFixed(1)}%)`);
	}

	// The display's code, and the collector's share above the command line's (the display's
	// garbage, at most: the collector's own share varies too): the attributed cost, taken high.
	const attributed = display.map((share, index) => share + gcExcess[index]!);
	const bounds = medianInterval(attributed);
	const met = bounds ? (bounds[1] < 0.05 ? true : (bounds[0] >= 0.05 ? false : undefined)) : (Math.max(...attributed) < 0.05 ? true : undefined);
	const asPercent = (values: number[]) => `${(median(values) * 100).toFixed(2)} (${(Math.min(...values) * 100).toFixed(2)} … ${(Math.max(...values) * 100).toFixed(2)})`;
	printTable(`Display cost from CPU profiles: share of the dashboard's busy main thread in the send, ${rounds} round(s), median (min … max)`, ['figure', '%', '95% interval %', 'target %', ''], [
		['the display\'s code (Ink, React, screens, event folding)', asPercent(display), '', '', ''],
		['garbage collector, dashboard', asPercent(gcShares.dashboard), '', '', ''],
		['garbage collector, command line', asPercent(gcShares.cli), '', '', ''],
		['display cost: its code + the collector\'s excess', asPercent(attributed), bounds ? `${(bounds[0] * 100).toFixed(2)} … ${(bounds[1] * 100).toFixed(2)}` : `none (${rounds} rounds: 6 at least)`, '< 5', met === undefined ? 'not known' : verdict(met)],
	]);
	return [
		{part, name: `display cost from CPU profiles (median of ${rounds} rounds)`, value: median(attributed) * 100, unit: '%', target: '< 5', ok: met},
		{part, name: 'display cost from CPU profiles: the highest round', value: Math.max(...attributed) * 100, unit: '%', target: '', ok: undefined},
	];
}
