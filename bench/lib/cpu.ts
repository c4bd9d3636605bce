/**
 * CPU time of a process and its descendants, sampled from /proc while it runs. A send is CPU-bound
 * in one Node process, so the CPU it spends per message is a steadier measure of what the display
 * adds than a rate, which moves with every other program on the machine.
 */
import {readFileSync} from 'node:fs';
import {performance} from 'node:perf_hooks';

// Linux reports utime and stime in clock ticks of 1/100 s (getconf CLK_TCK) on every common platform.
const tickMs = 10;

function ownCpuMs(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// utime, stime, and cutime, cstime: the CPU of children it has reaped (GNU time's command, once it ends).
	return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * tickMs;
}

function childrenOf(pid: number): number[] {
	try {
		return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

/** CPU time (user + system, ms) of `pid` and the processes it started; undefined once it is gone. */
export function treeCpuMs(pid: number): number | undefined {
	try {
		let total = ownCpuMs(pid);
		for (const child of childrenOf(pid)) {
			total += treeCpuMs(child) ?? 0;
		}

		return total;
	} catch {
		return undefined;
	}
}

/** CPU time (user + system, ms) of the main thread of `pid` (JavaScript's), without V8's and libuv's helper threads. */
export function mainThreadCpuMs(pid: number): number | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return (Number(fields[11]) + Number(fields[12])) * tickMs;
	} catch {
		return undefined;
	}
}

/** The node process at `pid` or below it (GNU time runs the command line in the benchmarks); undefined when there is none (not yet, or no longer). */
function nodeIn(pid: number): number | undefined {
	let current = pid;
	for (let depth = 0; depth < 3; depth++) {
		let name: string;
		try {
			name = readFileSync(`/proc/${current}/comm`, 'utf8').trim();
		} catch {
			return undefined;
		}

		if (name === 'node') {
			return current;
		}

		const children = childrenOf(current);
		if (children.length !== 1) {
			return undefined;
		}

		current = children[0]!;
	}

	return undefined;
}

export interface CpuSampler {
	/** The CPU time (ms) at a moment (performance.now()), from the nearest sample at or before it. */
	at: (moment: number) => number | undefined;
	/** The same for the main thread alone. */
	mainAt: (moment: number) => number | undefined;
	stop: () => void;
}

/** Samples the CPU time of `pid` (and its children) every `everyMs`. */
export function sampleCpu(pid: number, everyMs = 20): CpuSampler {
	const samples: Array<[number, number, number | undefined]> = [];
	let most = 0;
	// The node process, once found: under GNU time it starts a moment after the sampling, and once
	// it has ended, the pid below GNU time is gone (reading GNU time's own thread instead made a
	// round's main-thread CPU read -465%). Its CPU only grows: the last reading stands after it.
	let node: number | undefined;
	let mainMost: number | undefined;
	const take = () => {
		const cpu = treeCpuMs(pid);
		if (cpu !== undefined) {
			// CPU time only grows: a child caught between its end and its reaping reads as gone for a moment.
			most = Math.max(most, cpu);
			node ??= nodeIn(pid);
			const main = node === undefined ? undefined : mainThreadCpuMs(node);
			if (main !== undefined) {
				mainMost = Math.max(mainMost ?? 0, main);
			}

			samples.push([performance.now(), most, mainMost]);
		}
	};

	const atOrBefore = (moment: number, column: 1 | 2) => {
		let found: number | undefined;
		for (const sample of samples) {
			if (sample[0] > moment) {
				break;
			}

			found = sample[column];
		}

		return found;
	};

	take();
	const timer = setInterval(take, everyMs);
	return {
		at: moment => atOrBefore(moment, 1),
		mainAt: moment => atOrBefore(moment, 2),
		stop() {
			clearInterval(timer);
		},
	};
}
