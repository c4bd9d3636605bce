/**
 * The display-cost bench reads the CPU of the sending node process's main thread at the first and
 * the last message (bench/lib/cpu.ts). The command line runs under GNU time there; once node has
 * ended, the process below GNU time is another or none, and a reading of it is not node's.
 */
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {once} from 'node:events';
import {performance} from 'node:perf_hooks';
import test from 'ava';
import {sampleCpu} from '../../bench/lib/cpu.js';

/** The command of the one child of `pid`, or undefined. */
function childCommand(pid: number): string | undefined {
	try {
		const child = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
		return child === '' ? undefined : readFileSync(`/proc/${child}/comm`, 'utf8').trim();
	} catch {
		return undefined;
	}
}

test('after node has ended under its parent, its main thread\'s CPU stays what it last was', async t => {
	// node spends 200 ms of CPU and idles 0.3 s (the sampler reads it meanwhile), then its parent
	// shell waits on another child (sleep) for 0.6 s.
	const busy = 'const u=()=>process.cpuUsage().user; while (u() < 200000); setTimeout(() => {}, 300);';
	const child = spawn('sh', ['-c', `node -e "${busy}"; sleep 0.6`], {stdio: 'ignore'});
	const sampler = sampleCpu(child.pid!, 10);
	let nodeEnded: number;
	try {
		// The shell's child is node until it ends, then sleep: wait for sleep, and a few samples more.
		const deadline = performance.now() + 20_000;
		while (childCommand(child.pid!) !== 'sleep' && performance.now() < deadline) {
			await new Promise(resolve => setTimeout(resolve, 10));
		}

		await new Promise(resolve => setTimeout(resolve, 100));
		nodeEnded = performance.now();
		await once(child, 'exit');
	} finally {
		sampler.stop();
	}

	// During the sleep, node is gone: what it spent stands (it read 0, sleep's, before).
	t.true((sampler.mainAt(nodeEnded) ?? 0) >= 200, `main thread CPU read ${sampler.mainAt(nodeEnded)} ms once node had ended`);
});
