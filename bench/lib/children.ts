/**
 * Every child process and temporary folder a benchmark makes is registered here,
 * so that an early exit (an error, Ctrl+C) still ends the children and removes the folders.
 */
import {type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';

const children = new Set<ChildProcess>();
const folders = new Set<string>();
const others = new Set<() => void>();

/** Something else to end on clean-up (a pseudo-terminal's program); returns the function that forgets it. */
export function addCleanUp(end: () => void): () => void {
	others.add(end);
	return () => {
		others.delete(end);
	};
}

/** Track a child spawned with `detached: true`, so its whole process group can be ended. */
export function track(child: ChildProcess): ChildProcess {
	children.add(child);
	child.once('exit', () => children.delete(child));
	return child;
}

/** End one tracked child and everything it started (its process group). */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
		return;
	}

	try {
		process.kill(-child.pid, signal);
	} catch {
		try {
			child.kill(signal);
		} catch {
			// Already gone.
		}
	}
}

/** A new temporary folder, removed by `cleanUp` (and on exit). */
export function makeTempDir(prefix: string): string {
	const folder = mkdtempSync(path.join(tmpdir(), `massmail-bench-${prefix}-`));
	folders.add(folder);
	return folder;
}

export function removeTempDir(folder: string): void {
	rmSync(folder, {recursive: true, force: true});
	folders.delete(folder);
}

/** End every tracked child and remove every temporary folder. Safe to call twice. */
export function cleanUp(): void {
	for (const child of children) {
		killTree(child, 'SIGKILL');
	}

	children.clear();
	for (const end of others) {
		try {
			end();
		} catch {
			// Already gone.
		}
	}

	others.clear();
	for (const folder of folders) {
		rmSync(folder, {recursive: true, force: true});
	}

	folders.clear();
}

let installed = false;

/** Clean up on normal exit and on Ctrl+C / SIGTERM. */
export function installCleanUp(): void {
	if (installed) {
		return;
	}

	installed = true;
	process.once('exit', cleanUp);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.once(signal, () => {
			cleanUp();
			process.exit(130);
		});
	}
}
