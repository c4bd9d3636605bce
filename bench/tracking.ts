/**
 * Issue 18's benchmark: delivery reports.
 *   1. Fold: 10,000 Postfix bounces in a Dovecot bounce mailbox on 127.0.0.1, folded into a send
 *      record of 10,000 recipients by a process that does only that: its time and peak memory.
 *   2. Report → dashboard: the built program in an 80×24 pseudo-terminal on a send's page, its
 *      bounce mailbox that Dovecot; a bounce written into the Maildir, timed until the page shows it.
 *   3. DSN parameters and speed: the engine into smtp-sink with every envelope carrying ENVID, RET,
 *      NOTIFY and ORCPT (and a VERP return path), without them (smtp-sink -N offers no DSN), and
 *      smtp-source, interleaved in rounds; a capture (smtp-sink -D) proves what went out.
 *
 * Environment: BENCH_QUICK=1 (2,000 reports, 3 dashboard rounds, one speed round), BENCH_MESSAGES
 * (20000), BENCH_ROUNDS (speed rounds, 3 here), BENCH_CPU_PROF=1 (one more fold, profiled to .bench/).
 */
import {chmodSync, chownSync, cpSync, mkdirSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {SendLog} from '../source/core/journal.js';
import {defaultTrackingIntervalMs} from '../source/ui/tracking-service.js';
import type {BounceMailbox} from '../test/helpers/bounce-mailbox.js';
import {dovecotMasterPid} from '../test/helpers/processes.js';
import {recordFields} from '../test/helpers/send-records.js';
import {postfixBounce} from '../test/helpers/report-messages.js';
import {dashboardEnv, keys, startDashboard} from './lib/terminal.js';
import {attempt, engineArgs, engineError, envNumber, prepareEngine, rate, type Attempt} from './delivery.js';
import {bounceUser, openBounceMailbox, readSinkDump, type DumpedTransaction} from './lib/bounce-mailbox.js';
import {makeTempDir, removeTempDir} from './lib/children.js';
import {summarizeProfile} from './lib/cpu-profile.js';
import {treeCpuMs} from './lib/cpu.js';
import {cliBuilt, cliEnv, cliNodeFlags, cliPath, domainName, firstError, importDirectory, repoRoot, writeDirectoryCsv, writeMessageFile} from './lib/fixtures.js';
import {findPostfixTool, postfixInstallHint, startSink} from './lib/postfix.js';
import {runMeasured, type RunResult} from './lib/run.js';
import {median, printTable, verdict, type Figure} from './lib/table.js';

const part = 'tracking';
const foldChild = path.join(import.meta.dirname, 'lib', 'fold-child.mjs');
const subject = 'Planned maintenance on Saturday';
/** What every envelope carries when reports are asked for (tracking.returnPath set, VERP on). */
const trackingSettings = {'tracking.returnPath': bounceUser, 'tracking.verp': 'true'};

const count = (value: number) => value.toLocaleString('en-US');

/** `massmail config set KEY VALUE` for each pair, in order; throws with the program's words. */
async function configure(configDir: string, settings: Record<string, string>): Promise<void> {
	for (const [key, value] of Object.entries(settings)) {
		const result = await runMeasured(process.execPath, [cliPath, 'config', 'set', key, value], {env: cliEnv(configDir), timeoutMs: 30_000});
		if (result.code !== 0) {
			throw new Error(`massmail config set ${key} ${value} failed: ${firstError(result.stderr || result.stdout)}`);
		}
	}
}

/** A folder smtp-sink (running as nobody when started as root) can write its dump into; `work` must let it through. */
function dumpFolder(work: string, name: string): string {
	chmodSync(work, 0o711);
	const folder = path.join(work, name);
	mkdirSync(folder);
	if (process.getuid?.() === 0) {
		chownSync(folder, 65_534, 65_534);
	}

	return folder;
}

/** The engine's last JSON line, its send id; throws when the send did not finish with every message sent. */
function finishedSend(stdout: string, expected: number): string {
	const last = stdout.trim().split('\n').at(-1) ?? '';
	const summary = JSON.parse(last) as {id?: string; sent?: number; status?: string};
	if (summary.status !== 'finished' || summary.sent !== expected || !summary.id) {
		throw new Error(`the send did not finish with ${expected} sent: ${last.slice(0, 300)}`);
	}

	return summary.id;
}

/** Whether one dumped transaction carried every DSN parameter massmail asks for (RFC 3461), and none of them. */
function dsnOf(transaction: DumpedTransaction): {all: boolean; none: boolean} {
	const rcpt = transaction.rcptArgs.join(' ');
	const marks = [
		/\bRET=HDRS\b/.test(transaction.mailArgs),
		/\bENVID=massmail\.[\w.-]+\.\d+\b/.test(transaction.mailArgs),
		/\bNOTIFY=FAILURE,DELAY\b/.test(rcpt),
		/\bORCPT=rfc822;\S+@\S+/i.test(rcpt),
	];
	return {all: marks.every(Boolean), none: !marks.some(Boolean) && !/\b(RET|ENVID|NOTIFY|ORCPT)=/i.test(`${transaction.mailArgs} ${rcpt}`)};
}

// ---------------------------------------------------------------- 1. the fold

interface FoldChildLine {
	ms?: number;
	cpuMs?: number;
	maxRssMb?: number;
	summary?: {looked: number; folded: number; unmatched: number; notOurs: number; notMoved: number};
	error?: {kind: string; message: string};
}

/** One fold's run: what the child said, and the process measured from outside. */
interface FoldRun {
	line: FoldChildLine;
	run: RunResult;
	/** Recipients the record holds as bounced after the fold. */
	bounced: number;
	/** CPU time Dovecot spent meanwhile (its master and every process it started), ms. */
	dovecotCpuMs: number | undefined;
}

/**
 * A new send record of `reports` recipients, every one accepted (as the engine records a send), a
 * Postfix bounce for each written into the Maildir, then the fold child run with `nodeFlags`.
 */
async function fillAndFold(mailbox: BounceMailbox, sends: SendLog, reports: number, nodeFlags: string[]): Promise<FoldRun> {
	const addresses = Array.from({length: reports}, (_, index) => `user${index}@${domainName(index % 500)}`);
	const {record, lock} = sends.create({
		...recordFields,
		captured: false,
		destination: 'smtp://127.0.0.1:25',
		draft: {...recordFields.draft, subject, from: {name: 'Postmaster', address: 'postmaster@example.com'}},
		audience: 'all',
		recipients: addresses.map(address => ({address, name: ''})),
	});
	const writer = sends.openOutcomes(record.id, () => undefined);
	for (const index of addresses.keys()) {
		writer.append({index, code: 'S', attempts: 1, response: '250 2.0.0 Ok: queued', ambiguous: false});
	}

	await writer.close();
	lock.release();
	const writing = performance.now();
	mailbox.deliver(addresses.map((address, index) => postfixBounce(record.id, index, address)));
	console.log(`  ${count(reports)} bounces written into the Maildir's new/ in ${((performance.now() - writing) / 1000).toFixed(1)} s`);

	const login = mailbox.login();
	const dovecot = dovecotMasterPid(mailbox.imap.folder);
	const dovecotBefore = dovecot === undefined ? undefined : treeCpuMs(dovecot);
	const run = await runMeasured(process.execPath, [...nodeFlags, foldChild, JSON.stringify({sendsDir: sends.sendsDir, port: login.port, user: login.user, returnPath: bounceUser})], {
		// The password goes to the child in its environment, never on its command line.
		env: {...process.env, MASSMAIL_TRACKING_PASSWORD: login.password},
		timeoutMs: 600_000,
	});
	const dovecotAfter = dovecot === undefined ? undefined : treeCpuMs(dovecot);
	let line: FoldChildLine;
	try {
		line = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as FoldChildLine;
	} catch {
		line = {error: {kind: 'internal', message: firstError(run.stderr || run.stdout) || `exit ${run.code ?? run.signal}`}};
	}

	return {
		line,
		run,
		bounced: sends.deliveries(record.id).counts.bounced,
		dovecotCpuMs: dovecotBefore === undefined || dovecotAfter === undefined ? undefined : dovecotAfter - dovecotBefore,
	};
}

export async function benchFold(quick: boolean): Promise<{figures: Figure[]; problem?: string}> {
	const reports = quick ? 2000 : 10_000;
	const label = quick ? `${count(reports)} reports, BENCH_QUICK: the targets are for 10,000` : `${count(reports)} reports`;
	console.log(`\n  1. Fold: ${count(reports)} Postfix bounces in a Dovecot bounce mailbox, folded by a process of its own`);
	const work = makeTempDir('tracking-fold');
	const {mailbox, close} = await openBounceMailbox();
	try {
		const sends = new SendLog(path.join(work, 'sends'));
		const {line, run, bounced, dovecotCpuMs} = await fillAndFold(mailbox, sends, reports, cliNodeFlags());
		const folded = line.summary?.folded;
		const problem = line.error
			? `the fold failed (${line.error.kind}): ${line.error.message}`
			: (folded === reports && bounced === reports ? undefined : `${folded ?? 0} of ${reports} reports folded, ${bounced} recipients recorded as bounced (${JSON.stringify(line.summary)})`);
		const seconds = line.ms === undefined ? undefined : line.ms / 1000;
		const inTime = seconds === undefined || quick ? undefined : seconds <= 20;
		const inMemory = line.maxRssMb === undefined ? undefined : line.maxRssMb <= 300;
		printTable(`Fold of ${count(reports)} reports, one send of ${count(reports)} recipients${quick ? ' (BENCH_QUICK: the targets are for 10,000)' : ''}`, ['figure', 'value', 'target', ''], [
			['fold, seconds (foldReports, in the child)', seconds, '≤ 20', verdict(inTime)],
			['the child, spawn to exit, seconds', run.ms / 1000, '', ''],
			['the child\'s CPU time, seconds (user + system)', line.cpuMs === undefined ? undefined : line.cpuMs / 1000, '', ''],
			['Dovecot\'s CPU time meanwhile, seconds', dovecotCpuMs === undefined ? undefined : dovecotCpuMs / 1000, '', ''],
			['peak RSS, MB (the child\'s own maxRSS)', line.maxRssMb, '≤ 300', verdict(inMemory)],
			['peak RSS, MB (GNU time / VmHWM)', run.peakMb, '', ''],
			['reports folded', folded, `= ${count(reports)}`, verdict(folded === reports)],
			['recipients recorded as bounced', bounced, `= ${count(reports)}`, verdict(bounced === reports)],
			['reports per second', seconds === undefined ? undefined : reports / seconds, '', ''],
		]);
		if (problem) {
			console.log(`  ${problem}`);
		}

		if (process.env.BENCH_CPU_PROF === '1') {
			await profileFold(mailbox, sends, reports);
		}

		return {
			figures: [
				{part, name: `fold time (${label})`, value: seconds, unit: 's', target: '≤ 20', ok: inTime},
				{part, name: `fold peak memory (${label})`, value: line.maxRssMb, unit: 'MB', target: '≤ 300', ok: inMemory},
				// What the fold needs of the machine, whatever else runs on it: the fold's process and Dovecot's.
				{part, name: `fold CPU time, fold + Dovecot (${label})`, value: line.cpuMs === undefined ? undefined : (line.cpuMs + (dovecotCpuMs ?? 0)) / 1000, unit: 's', target: '', ok: undefined},
				{part, name: 'reports folded', value: folded, unit: 'reports', target: `= ${count(reports)}`, ok: folded === reports && bounced === reports},
			],
			problem,
		};
	} finally {
		await close();
		removeTempDir(work);
	}
}

/** One more fold (another send, its bounces) under `node --cpu-prof`; the profile stays in .bench/ and its top self times are printed. */
async function profileFold(mailbox: BounceMailbox, sends: SendLog, reports: number): Promise<void> {
	const profileDir = path.join(repoRoot, '.bench');
	mkdirSync(profileDir, {recursive: true});
	const before = new Set(readdirSync(profileDir));
	console.log('\n  CPU profile of the fold (node --cpu-prof)…');
	const {line} = await fillAndFold(mailbox, sends, reports, [...cliNodeFlags(), '--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
	const written = readdirSync(profileDir).filter(name => name.endsWith('.cpuprofile') && !before.has(name)).map(name => path.join(profileDir, name));
	if (written.length === 0) {
		console.log(`  No profile was written${line.error ? `: ${line.error.message}` : ''}.`);
		return;
	}

	const summary = summarizeProfile(written[0], repoRoot, 20);
	console.log(`  Profile: ${path.relative(repoRoot, written[0])} (${(summary.totalMs / 1000).toFixed(2)} s sampled; the fold under the profiler took ${line.ms === undefined ? '?' : (line.ms / 1000).toFixed(1)} s)`);
	printTable('Fold: self time by area', ['area', 'ms', 'share %'], summary.areas.map(a => [a.name, a.ms, a.share * 100]));
	printTable('Fold: self time by function (top 20)', ['function', 'ms', 'share %'], summary.functions.map(f => [f.name, f.ms, f.share * 100]));
}

// ---------------------------------------------------------------- 2. report → dashboard

/** The `Bounced N` of the send's delivery line, or undefined when the screen does not show it. */
function bouncedShown(screen: string): number | undefined {
	const match = /\bBounced ([\d,]+)/.exec(screen);
	return match ? Number(match[1].replaceAll(',', '')) : undefined;
}

export async function benchReportToDashboard(sinkBinary: string, quick: boolean): Promise<{figures: Figure[]; problem?: string}> {
	const rounds = quick ? 3 : 8;
	const mailboxes = 20;
	const intervalMs = defaultTrackingIntervalMs;
	console.log(`\n  2. Report → dashboard: a send's page open in an 80×24 terminal; ${rounds} bounces, one at a time, each timed from its write into the Maildir to the page showing it`);
	const work = makeTempDir('tracking-dashboard');
	const {mailbox, close} = await openBounceMailbox();
	try {
		const configDir = path.join(work, 'config');
		mkdirSync(configDir);
		const csv = path.join(work, 'mailboxes.csv');
		await writeDirectoryCsv(csv, mailboxes, 2);
		await importDirectory(configDir, csv);
		const login = mailbox.login();
		await configure(configDir, {
			...trackingSettings,
			'tracking.imap.host': '127.0.0.1',
			'tracking.imap.port': String(login.port),
			'tracking.imap.tls': 'none',
			'tracking.imap.user': login.user,
		});

		// A real send through the command line into smtp-sink, its envelopes dumped: the bounces
		// below carry the ENVID and VERP address each recipient's message really went out with.
		const dump = path.join(dumpFolder(work, 'dump'), 'transactions');
		const sink = await startSink(sinkBinary, work, ['-D', dump]);
		let sendId: string;
		try {
			const sent = await runMeasured(process.execPath, [...cliNodeFlags(), cliPath, 'send', '--to', 'all', '--subject', subject, '--message', 'The mail server will be down on Saturday night.', '--yes', '--json'], {env: cliEnv(configDir, sink.port), timeoutMs: 60_000});
			if (sent.code !== 0) {
				throw new Error(`massmail send failed (exit ${sent.code ?? sent.signal}): ${firstError(sent.stderr || sent.stdout)}`);
			}

			sendId = finishedSend(sent.stdout, mailboxes);
			await sink.waitFor(mailboxes, 5000);
		} finally {
			await sink.stop();
		}

		// Recipient index → address, from the envelopes on the wire (the record's order is not the CSV's).
		const marked = new Map<number, string>();
		for (const transaction of readSinkDump(dump)) {
			const envid = /\bENVID=massmail\.([\w.-]+)\.(\d+)\b/.exec(transaction.mailArgs);
			const from = /^<([^>]*)>/.exec(transaction.mailArgs)?.[1];
			const to = /^<([^>]*)>/.exec(transaction.rcptArgs[0] ?? '')?.[1];
			if (envid?.[1] === sendId && to && from === `bounces+${sendId}.${envid[2]}@example.com`) {
				marked.set(Number(envid[2]), to);
			}
		}

		if (marked.size !== mailboxes) {
			throw new Error(`the dump holds the ENVID and VERP return path of ${marked.size} of ${mailboxes} messages`);
		}

		const env = {...dashboardEnv(configDir), MASSMAIL_TRACKING_PASSWORD: login.password};
		const session = startDashboard(env);
		const latencies: number[] = [];
		try {
			await session.waitFor(screen => screen.includes(domainName(0)), 15_000, 'the domain list');
			await session.settle(200, 3000);
			session.press('h');
			await session.waitFor(screen => screen.includes(sendId), 10_000, `History listing ${sendId}`);
			await session.settle(200, 3000);
			session.press(keys.enter);
			// The page, after its first look at the bounce mailbox: from here on, one look every interval.
			await session.waitFor(screen => screen.includes(`Email ${sendId}`) && bouncedShown(screen) === 0 && /reports read \d+ s ago/.test(screen), 30_000, 'the send\'s page after its first look at the bounce mailbox');
			for (let round = 0; round < rounds; round++) {
				// The report comes at a moment of the interval spread evenly over the rounds (shuffled),
				// counted from the screen's last change after a look: the median and the worst are fair.
				const slot = (round * 5) % rounds;
				await sleep(((slot + 0.5) / rounds) * intervalMs);
				const index = round;
				const startedAt = performance.now();
				mailbox.deliver([postfixBounce(sendId, index, marked.get(index)!, `dashboard.${round}`)]);
				const shown = await session.waitFor(screen => (bouncedShown(screen) ?? 0) >= round + 1, intervalMs + 30_000, `Bounced ${round + 1}`);
				latencies.push(shown.at - startedAt);
				console.log(`  round ${round + 1} of ${rounds}: written ${(((slot + 0.5) / rounds) * intervalMs / 1000).toFixed(1)} s after the last shown change, shown after ${((shown.at - startedAt) / 1000).toFixed(2)} s`);
			}
		} finally {
			await session.stop();
		}

		const seconds = latencies.map(ms => ms / 1000);
		const medianSeconds = median(seconds);
		const maxSeconds = Math.max(...seconds);
		printTable(`Report → dashboard (the page folds every ${intervalMs / 1000} s while it shows; ${rounds} rounds)`, ['figure', 'value', 'target', ''], [
			['median, seconds', medianSeconds, '≤ 10', verdict(medianSeconds <= 10)],
			['slowest, seconds', maxSeconds, '≤ 10', verdict(maxSeconds <= 10)],
			['fastest, seconds', Math.min(...seconds), '', ''],
		]);
		if (maxSeconds > 10) {
			console.log(`  The page looks at the bounce mailbox once every ${intervalMs / 1000} s (source/ui/tracking-service.ts): a report that arrives just after a look waits for the next one, then for that fold and the redraw: the worst case is the interval plus a fold.`);
		}

		return {figures: [
			{part, name: 'report → dashboard, median', value: medianSeconds, unit: 's', target: '≤ 10', ok: medianSeconds <= 10},
			{part, name: 'report → dashboard, slowest', value: maxSeconds, unit: 's', target: '≤ 10', ok: maxSeconds <= 10},
		]};
	} finally {
		await close();
		removeTempDir(work);
	}
}

// ---------------------------------------------------------------- 3. DSN parameters and speed

type Sender = 'with DSN' | 'without DSN' | 'smtp-source';

/**
 * A short send of one domain's mailboxes into smtp-sink with its dump on: how many transactions
 * carried every DSN parameter, and how many none.
 */
async function capture(sinkBinary: string, work: string, configDir: string, name: string, sinkArgs: string[], recipients: number): Promise<{transactions: number; all: number; none: number}> {
	const dump = path.join(dumpFolder(work, name), 'transactions');
	const sink = await startSink(sinkBinary, work, [...sinkArgs, '-D', dump]);
	try {
		const sent = await runMeasured(process.execPath, [...cliNodeFlags(), cliPath, 'send', '--to', `domain:${domainName(0)}`, '--subject', subject, '--message', 'Captured.', '--yes', '--json'], {env: cliEnv(configDir, sink.port), timeoutMs: 60_000});
		finishedSend(sent.stdout, recipients);
		await sink.waitFor(recipients, 5000);
	} finally {
		await sink.stop();
	}

	const transactions = readSinkDump(dump);
	const marks = transactions.map(dsnOf);
	return {transactions: transactions.length, all: marks.filter(mark => mark.all).length, none: marks.filter(mark => mark.none).length};
}

export async function benchDsnSpeed(sinkBinary: string, sourceBinary: string, quick: boolean): Promise<{figures: Figure[]; problem?: string}> {
	const messages = envNumber('BENCH_MESSAGES', 20_000);
	const rounds = quick ? 1 : envNumber('BENCH_ROUNDS', 3);
	const domains = Math.max(1, Math.min(1000, Math.floor(messages / 20)));
	console.log(`\n  3. DSN parameters and speed: ${count(messages)} messages of ~2 KB into smtp-sink, ${rounds} interleaved round(s)`);
	const work = makeTempDir('tracking-speed');
	try {
		const messageFile = path.join(work, 'message.txt');
		writeMessageFile(messageFile, 2048);
		// The same directory twice: one data folder as installed, one with reports asked for.
		const plainDir = await prepareEngine(work, 'without-dsn', messages, domains);
		const dsnDir = path.join(work, 'with-dsn');
		cpSync(plainDir, dsnDir, {recursive: true});
		await configure(dsnDir, trackingSettings);

		// massmail sends the DSN parameters whenever the server offers DSN (smtp-sink does), with or
		// without tracking.returnPath: the run without them is against smtp-sink -N, which does not.
		const senders: Record<Sender, {configDir?: string; sinkArgs: string[]}> = {
			'with DSN': {configDir: dsnDir, sinkArgs: []},
			'without DSN': {configDir: plainDir, sinkArgs: ['-N']},
			'smtp-source': {sinkArgs: []},
		};
		const perDomain = Math.ceil(messages / domains);
		const captured = {
			with: await capture(sinkBinary, work, dsnDir, 'dump-with', senders['with DSN'].sinkArgs, perDomain),
			without: await capture(sinkBinary, work, plainDir, 'dump-without', senders['without DSN'].sinkArgs, perDomain),
		};
		const capturedOk = captured.with.transactions === perDomain && captured.with.all === perDomain && captured.without.transactions === perDomain && captured.without.none === perDomain;
		console.log(`  capture (smtp-sink -D, ${perDomain} messages each): with DSN ${captured.with.all} of ${captured.with.transactions} envelopes carried RET, ENVID, NOTIFY and ORCPT; without DSN (smtp-sink -N) ${captured.without.none} of ${captured.without.transactions} carried none`);

		const results: Record<Sender, Attempt[]> = {'with DSN': [], 'without DSN': [], 'smtp-source': []};
		for (let round = 1; round <= rounds; round++) {
			console.log(`  round ${round} of ${rounds}…`);
			for (const sender of ['with DSN', 'without DSN'] as const) {
				const {configDir, sinkArgs} = senders[sender];
				results[sender].push(await attempt(sinkBinary, work, messages, async port => {
					const result = await runMeasured(process.execPath, engineArgs(messageFile), {env: cliEnv(configDir!, port), timeoutMs: 600_000});
					return {...result, error: result.timedOut ? undefined : engineError(result, messages)};
				}, sinkArgs));
			}

			results['smtp-source'].push(await attempt(sinkBinary, work, messages, async port => runMeasured(sourceBinary, [
				'-d', '-s', '10', '-m', String(messages), '-l', '2048', '-f', 'postmaster@bench.example.com', '-t', 'user@d0000.example.com', `127.0.0.1:${port}`,
			], {timeoutMs: 600_000})));
		}

		const best: Partial<Record<Sender, number>> = {};
		const rows = (Object.keys(results) as Sender[]).map(sender => {
			const good = results[sender].filter(run => !run.error);
			for (const bad of results[sender].filter(run => run.error)) {
				console.log(`  ${sender}: a run did not count: ${bad.error}`);
			}

			const rates = good.map(run => rate(messages, run.ms)!);
			best[sender] = rates.length > 0 ? Math.max(...rates) : undefined;
			return [sender, best[sender], rates.length > 0 ? median(rates) : undefined, good.length > 0 ? Math.max(...good.map(run => run.peakMb ?? 0)) : undefined, `${good.length}/${results[sender].length}`];
		});
		printTable(`${count(messages)} messages of ~2 KB; msg/s over the whole process`, ['sender', 'best', 'median', 'peak MB', 'runs ok'], rows);

		const ratio = (a: Sender, b: Sender) => (best[a] !== undefined && best[b] !== undefined ? best[a]! / best[b]! : undefined);
		const paired = (a: Sender, b: Sender) => {
			const ratios = results[a].flatMap((run, index) => {
				const other = results[b][index];
				return !run.error && other && !other.error ? [other.ms / run.ms] : [];
			});
			return ratios.length > 0 ? median(ratios) : undefined;
		};

		const withDsn = ratio('with DSN', 'smtp-source');
		const withoutDsn = ratio('without DSN', 'smtp-source');
		const dsnCost = ratio('with DSN', 'without DSN');
		printTable('Ratios (whole-process rates)', ['ratio', 'of the best rounds', 'per round, median', 'target', ''], [
			['engine with DSN / smtp-source', withDsn, paired('with DSN', 'smtp-source'), '≥ 0.5', verdict(withDsn === undefined ? undefined : withDsn >= 0.5)],
			['engine without DSN / smtp-source', withoutDsn, paired('without DSN', 'smtp-source'), '', ''],
			['engine with DSN / without DSN', dsnCost, paired('with DSN', 'without DSN'), '', ''],
		]);
		return {
			figures: [
				{part, name: 'engine with DSN / smtp-source', value: withDsn, unit: '×', target: '≥ 0.5', ok: withDsn === undefined ? undefined : withDsn >= 0.5},
				{part, name: 'engine without DSN / smtp-source (same run)', value: withoutDsn, unit: '×', target: '', ok: undefined},
				{part, name: 'engine with DSN / without DSN', value: dsnCost, unit: '×', target: '', ok: undefined},
				{part, name: 'envelopes with RET, ENVID, NOTIFY, ORCPT (capture)', value: captured.with.all, unit: `of ${perDomain}`, target: `= ${perDomain}`, ok: capturedOk},
			],
			problem: capturedOk ? undefined : 'the capture did not show the DSN parameters on every envelope with DSN and on none without',
		};
	} finally {
		removeTempDir(work);
	}
}

// ----------------------------------------------------------------

export async function benchTracking(): Promise<Figure[]> {
	console.log('\n== Delivery reports (issue 18): folding, report → dashboard, DSN parameters and speed ==');
	if (!cliBuilt()) {
		throw new Error(`${path.relative(repoRoot, cliPath)} is not built (npm run build)`);
	}

	const quick = process.env.BENCH_QUICK === '1';
	const sinkBinary = findPostfixTool('smtp-sink');
	const sourceBinary = findPostfixTool('smtp-source');
	const figures: Figure[] = [];
	const problems: string[] = [];
	const run = async (name: string, step: () => Promise<{figures: Figure[]; problem?: string}>) => {
		try {
			const result = await step();
			figures.push(...result.figures);
			if (result.problem) {
				problems.push(`${name}: ${result.problem}`);
			}
		} catch (error) {
			const message = (error as Error).message;
			// Dovecot not installed, or not root (its master runs as root): said, and skipped like a missing smtp-sink.
			if (/is not installed|needs root/.test(message)) {
				console.log(`  ${name} is skipped: ${message}`);
				return;
			}

			problems.push(`${name}: ${message}`);
			console.log(`  ${name} failed: ${message}`);
		}
	};

	await run('fold', async () => benchFold(quick));
	if (sinkBinary && sourceBinary) {
		await run('report → dashboard', async () => benchReportToDashboard(sinkBinary, quick));
		await run('DSN and speed', async () => benchDsnSpeed(sinkBinary, sourceBinary, quick));
	} else {
		console.log(postfixInstallHint);
		console.log('  Skipping report → dashboard and DSN and speed.');
	}

	if (problems.length > 0) {
		printTable('Tracking figures so far', ['figure', 'value', 'unit', 'target', ''], figures.map(f => [f.name, f.value, f.unit, f.target, verdict(f.ok)]));
		throw new Error(problems.join('\n'));
	}

	return figures;
}
