/**
 * `npm run bench`: every part in order, then one table of the figures against their targets.
 * `node --import=tsx bench/index.ts delivery` (or directory, dashboard, limits, relays, sync, tracking, memory) runs the parts named.
 */
import os from 'node:os';
import {cleanUp, installCleanUp} from './lib/children.js';
import {formatNumber, printTable, verdict, type Figure} from './lib/table.js';

type Part = () => Promise<Figure[] | void>;

// Each part is loaded when it runs: one that cannot load (node-pty not built, say) fails alone.
const parts: Record<string, Part> = {
	directory: async () => (await import('./directory.js')).benchDirectory(),
	delivery: async () => (await import('./delivery.js')).benchDelivery(),
	dashboard: async () => (await import('./dashboard.js')).benchDashboard(),
	limits: async () => (await import('./limits.js')).benchLimits(),
	relays: async () => (await import('./relays.js')).benchRelays(),
	sync: async () => (await import('./sync.js')).benchSync(),
	tracking: async () => (await import('./tracking.js')).benchTracking(),
	memory: async () => (await import('./memory.js')).benchMemory(),
};

async function main(): Promise<number> {
	installCleanUp();
	const asked = process.argv.slice(2);
	const unknown = asked.filter(name => !(name in parts));
	if (unknown.length > 0) {
		console.error(`Unknown part: ${unknown.join(', ')}. Parts: ${Object.keys(parts).join(', ')}`);
		return 2;
	}

	const chosen = asked.length > 0 ? asked : Object.keys(parts);
	// Other work on the machine slows every sender; the interleaved rounds share it out, but say so.
	const load = os.loadavg()[0];
	console.log(`massmail benchmarks: ${chosen.join(', ')} — Node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), load average ${load.toFixed(2)}${load > 0.5 ? ' (the machine is busy: figures will be lower and noisier)' : ''}`);
	const figures: Figure[] = [];
	const failures: string[] = [];
	for (const name of chosen) {
		try {
			const result = await parts[name]();
			if (result) {
				figures.push(...result);
			}
		} catch (error) {
			failures.push(name);
			console.error(`\nThe ${name} part failed: ${(error as Error).stack ?? String(error)}`);
		}
	}

	if (figures.length > 0) {
		printTable('== Figures ==', ['part', 'figure', 'value', 'unit', 'target', ''], figures.map(f => [
			f.part, f.name, f.value === undefined ? 'not measured' : formatNumber(f.value), f.unit, f.target, verdict(f.ok),
		]));
	}

	if (failures.length > 0) {
		console.error(`\nParts that failed: ${failures.join(', ')}`);
		return 1;
	}

	return 0;
}

try {
	process.exitCode = await main();
} finally {
	cleanUp();
}
