/**
 * The built program in a real pseudo-terminal, read back as a screen of text.
 *
 * node-pty runs `node dist/cli.js …` at 80×24 with CI=false (Ink draws nothing under CI=true);
 * @xterm/headless turns what it writes into the lines a person would see.
 *
 * @example
 * const term = spawnTerminal(['--demo'], {env});
 * await term.waitFor('Domains');
 * term.press('down');
 * await term.waitFor(screen => screen.includes('❯ example.org'));
 */
import path from 'node:path';
import pty from 'node-pty';
import xterm from '@xterm/headless';

const {Terminal: HeadlessTerminal} = xterm;

export {keys, type KeyName} from './keys.js';
import {keys, type KeyName} from './keys.js';

export const projectRoot = path.resolve(import.meta.dirname, '..', '..');

export interface TerminalOptions {
	env?: NodeJS.ProcessEnv;
	columns?: number;
	rows?: number;
	/** The program and its first arguments; default `node dist/cli.js`. */
	command?: string[];
	cwd?: string;
}

export interface TerminalSession {
	/** Everything the program wrote, escape sequences included. */
	readonly output: () => string;
	/** The screen now, one string per row, trailing blanks trimmed. */
	lines(): Promise<string[]>;
	/** The screen as one string. */
	screen(): Promise<string>;
	/** Send keys by name: `press('down', 'down', 'enter')`. */
	press(...names: KeyName[]): void;
	/** Type text as-is. */
	type(text: string): void;
	/** Wait until the screen contains `text` (or the test returns true); rejects with the screen after `timeoutMs`. */
	waitFor(test: string | RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
	/** Wait until the raw output contains `text`. */
	waitForOutput(text: string, timeoutMs?: number): Promise<void>;
	resize(columns: number, rows: number): void;
	/** Resolves when the program ends. */
	readonly exited: Promise<{exitCode: number; signal?: number}>;
	/** The program's end, or a rejection with the screen after `timeoutMs`. */
	waitForExit(timeoutMs?: number): Promise<{exitCode: number; signal?: number}>;
	kill(signal?: string): void;
	readonly pid: number;
}

export function spawnTerminal(args: string[], options: TerminalOptions = {}): TerminalSession {
	const columns = options.columns ?? 80;
	const rows = options.rows ?? 24;
	const [file, ...first] = options.command ?? [process.execPath, path.join(projectRoot, 'dist', 'cli.js')];
	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries({...process.env, ...options.env})) {
		if (value !== undefined) {
			env[name] = value;
		}
	}

	// Ink renders nothing until exit under CI=true; the test runner may have it set.
	env.CI = 'false';
	env.TERM ??= 'xterm-256color';
	delete env.NODE_OPTIONS;

	const child = pty.spawn(file, [...first, ...args], {name: env.TERM, cols: columns, rows, cwd: options.cwd ?? projectRoot, env});
	const term = new HeadlessTerminal({cols: columns, rows, allowProposedApi: true});
	let output = '';
	let parsed: Promise<void> = Promise.resolve();
	const watchers = new Set<() => void>();
	child.onData(data => {
		output += data;
		parsed = new Promise(resolve => {
			term.write(data, () => {
				resolve();
				for (const watcher of watchers) {
					watcher();
				}
			});
		});
	});

	const exited = new Promise<{exitCode: number; signal?: number}>(resolve => {
		child.onExit(event => {
			resolve(event);
			for (const watcher of watchers) {
				watcher();
			}
		});
	});
	let hasExited = false;
	void exited.then(() => {
		hasExited = true;
	});

	const lines = async () => {
		await parsed;
		const buffer = term.buffer.active;
		const result: string[] = [];
		for (let row = 0; row < term.rows; row++) {
			result.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
		}

		return result;
	};

	const screen = async () => (await lines()).join('\n');

	const waitUntil = async (check: () => Promise<boolean> | boolean, describe: () => Promise<string>, timeoutMs: number) => new Promise<void>((resolve, reject) => {
		let settled = false;
		const finish = (error?: Error) => {
			if (settled) {
				return;
			}

			settled = true;
			clearTimeout(timer);
			watchers.delete(onChange);
			if (error) {
				reject(error);
			} else {
				resolve();
			}
		};

		const onChange = () => {
			void (async () => {
				if (await check()) {
					finish();
				} else if (hasExited) {
					finish(new Error(`the program exited while waiting; screen:\n${await describe()}`));
				}
			})();
		};

		const timer = setTimeout(() => {
			void describe().then(text => finish(new Error(`timed out after ${timeoutMs} ms; screen:\n${text}`)));
		}, timeoutMs);
		watchers.add(onChange);
		onChange();
	});

	return {
		output: () => output,
		lines,
		screen,
		press(...names) {
			for (const name of names) {
				child.write(keys[name]);
			}
		},
		type(text) {
			child.write(text);
		},
		async waitFor(test, timeoutMs = 10_000) {
			const matches = (text: string) => typeof test === 'string' ? text.includes(test) : test instanceof RegExp ? test.test(text) : test(text);
			let last = '';
			await waitUntil(async () => {
				last = await screen();
				return matches(last);
			}, screen, timeoutMs);
			return last;
		},
		async waitForOutput(text, timeoutMs = 10_000) {
			await waitUntil(() => output.includes(text), async () => JSON.stringify(output.slice(-500)), timeoutMs);
		},
		resize(newColumns, newRows) {
			child.resize(newColumns, newRows);
			term.resize(newColumns, newRows);
		},
		exited,
		async waitForExit(timeoutMs = 15_000) {
			let timer: NodeJS.Timeout | undefined;
			const timeout = new Promise<never>((_resolve, reject) => {
				timer = setTimeout(() => {
					void screen().then(text => reject(new Error(`the program did not end within ${timeoutMs} ms; screen:\n${text}`)));
				}, timeoutMs);
			});
			try {
				return await Promise.race([exited, timeout]);
			} finally {
				clearTimeout(timer);
			}
		},
		kill(signal) {
			child.kill(signal);
		},
		pid: child.pid,
	};
}
