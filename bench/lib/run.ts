/**
 * Run a child process timed from spawn to exit, with its peak resident memory.
 */
import {spawn} from 'node:child_process';
import {existsSync, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {killTree, makeTempDir, track} from './children.js';

const timeBinary = '/usr/bin/time';
// GNU time's reports go here; the folder is removed with the other temporary folders, even after Ctrl+C.
let reportFolder: string | undefined;
let reports = 0;

export interface RunOptions {
	env?: NodeJS.ProcessEnv;
	cwd?: string;
	/** Ended (SIGKILL to its process group) after this long. */
	timeoutMs?: number;
	/** Called once the process is spawned, with its pid (GNU time's, when it measures: its child is the command). */
	onSpawn?: (pid: number) => void;
	/** Called with each complete line of standard output, as it arrives. */
	onLine?: (line: string, at: number) => void;
}

export interface RunResult {
	/** Wall time from spawn to exit. */
	ms: number;
	/** Peak resident set size in MB, from the kernel's accounting (wait4) or /proc polling. */
	peakMb: number | undefined;
	code: number | null;
	signal: NodeJS.Signals | null;
	timedOut: boolean;
	/** The last 64 KB of standard output and of standard error. */
	stdout: string;
	stderr: string;
}

const keep = 64 * 1024;

function tail(text: string): string {
	return text.length > keep ? text.slice(-keep) : text;
}

/**
 * Spawn `command args`, time it, and measure its peak memory.
 *
 * With GNU time at /usr/bin/time the figure is the kernel's maximum resident set size of the
 * process (exact). Without it, /proc/PID/status VmHWM is polled every 20 ms (a lower bound).
 */
export async function runMeasured(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
	const useTime = existsSync(timeBinary);
	reportFolder ??= makeTempDir('rss');
	const rssFile = path.join(reportFolder, `${++reports}.txt`);
	const [file, argv] = useTime ? [timeBinary, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
	const started = performance.now();
	const child = track(spawn(file, argv, {
		cwd: options.cwd,
		env: options.env ?? process.env,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	}));
	if (child.pid !== undefined) {
		options.onSpawn?.(child.pid);
	}

	let stdout = '';
	let stderr = '';
	let partial = '';
	child.stdout!.setEncoding('utf8');
	child.stderr!.setEncoding('utf8');
	child.stdout!.on('data', (chunk: string) => {
		stdout = tail(stdout + chunk);
		if (options.onLine) {
			const at = performance.now();
			const lines = (partial + chunk).split('\n');
			partial = lines.pop()!;
			for (const line of lines) {
				options.onLine(line, at);
			}
		}
	});
	child.stderr!.on('data', (chunk: string) => {
		stderr = tail(stderr + chunk);
	});

	let pollPeakKb = 0;
	const poll = useTime ? undefined : setInterval(() => {
		try {
			const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
			const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
			pollPeakKb = Math.max(pollPeakKb, kb);
		} catch {
			// The process has just ended.
		}
	}, 20);

	let timedOut = false;
	const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
		timedOut = true;
		killTree(child, 'SIGKILL');
	}, options.timeoutMs);

	const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
		child.once('error', reject);
		child.once('close', (exitCode, exitSignal) => {
			resolve([exitCode, exitSignal]);
		});
	});
	const ms = performance.now() - started;
	clearTimeout(timer);
	clearInterval(poll);
	if (partial && options.onLine) {
		options.onLine(partial, performance.now());
	}

	let peakMb: number | undefined;
	if (useTime) {
		try {
			// GNU time writes "Command exited with non-zero status N" before the figure on failure.
			const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
			const kb = Number(lines.at(-1));
			peakMb = Number.isFinite(kb) && kb > 0 ? kb / 1024 : undefined;
		} catch {
			peakMb = undefined;
		}

		rmSync(rssFile, {force: true});
	} else {
		peakMb = pollPeakKb > 0 ? pollPeakKb / 1024 : undefined;
	}

	// GNU time exits with the child's status, or 128+N when it was killed by signal N.
	return {ms, peakMb, code, signal, timedOut, stdout, stderr};
}
