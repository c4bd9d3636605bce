/**
 * The built program in a pseudo-terminal (node-pty), its output turned into a screen of text by
 * @xterm/headless, with the time each change of the screen arrived.
 */
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import xterm from '@xterm/headless';
import {spawn, type IPty} from 'node-pty';
import {addCleanUp} from './children.js';
import {cliEnv, cliNodeFlags, cliPath, domainName, repoRoot} from './fixtures.js';

export {keys} from '../../test/helpers/keys.js';

export interface Change {
	/** performance.now() when the output that changed the screen arrived. */
	at: number;
	screen: string;
}

export class ScreenSession {
	/** performance.now() just before the spawn. */
	readonly startedAt: number;
	private readonly pty: IPty;
	private readonly terminal: InstanceType<typeof xterm.Terminal>;
	private screenText = '';
	private lastDataAt: number;
	private lastPressAt = 0;
	private exited = false;
	private listeners = new Set<(change: Change | 'exit') => void>();
	private readonly forget: () => void;

	constructor(command: string, args: string[], options: {env: NodeJS.ProcessEnv; cwd?: string; cols?: number; rows?: number}) {
		const cols = options.cols ?? 80;
		const rows = options.rows ?? 24;
		this.terminal = new xterm.Terminal({cols, rows, allowProposedApi: true, scrollback: 0});
		this.startedAt = performance.now();
		this.lastDataAt = this.startedAt;
		this.pty = spawn(command, args, {name: 'xterm-256color', cols, rows, cwd: options.cwd, env: options.env as Record<string, string>});
		this.pty.onData(data => {
			const at = performance.now();
			this.lastDataAt = at;
			this.terminal.write(data, () => {
				this.parsed(at);
			});
		});
		this.forget = addCleanUp(() => {
			this.pty.kill('SIGKILL');
		});
		this.pty.onExit(() => {
			this.exited = true;
			this.forget();
			// Let the last output be parsed before telling the waiters that nothing more will come.
			setTimeout(() => {
				for (const listener of [...this.listeners]) {
					listener('exit');
				}
			}, 50);
		});
	}

	get pid(): number {
		return this.pty.pid;
	}

	get hasExited(): boolean {
		return this.exited;
	}

	/** The screen as a person reads it: one line per row, trailing blanks trimmed. */
	get screen(): string {
		return this.screenText;
	}

	/** Write keys to the program; returns performance.now() just before the write. */
	press(input: string): number {
		const at = performance.now();
		this.lastPressAt = at;
		this.pty.write(input);
		return at;
	}

	/** Resolves with the first screen (now or later) that satisfies `test`; rejects after `timeoutMs`. */
	async waitFor(test: (screen: string) => boolean, timeoutMs: number, what = 'the expected screen'): Promise<Change> {
		if (test(this.screenText)) {
			return {at: performance.now(), screen: this.screenText};
		}

		if (this.exited) {
			throw new Error(`the program has ended; waiting for ${what}; the screen was:\n${this.screenText.trimEnd()}`);
		}

		return new Promise((resolve, reject) => {
			const listener = (change: Change | 'exit') => {
				if (change === 'exit') {
					clearTimeout(timer);
					this.listeners.delete(listener);
					reject(new Error(`the program ended while waiting for ${what}; the screen was:\n${this.screenText.trimEnd()}`));
				} else if (test(change.screen)) {
					clearTimeout(timer);
					this.listeners.delete(listener);
					resolve(change);
				}
			};

			const timer = setTimeout(() => {
				this.listeners.delete(listener);
				reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen was:\n${this.screenText.trimEnd()}`));
			}, timeoutMs);
			this.listeners.add(listener);
		});
	}

	/** Resolves with the first screen that differs from `before`. */
	async waitForChange(before: string, timeoutMs: number): Promise<Change> {
		return this.waitFor(screen => screen !== before, timeoutMs, 'the screen to change');
	}

	/**
	 * Waits until the program has written nothing for `quietMs` since its last output and the last
	 * key (at most `maxMs`). Keys written closer together can reach the program as one chunk, which
	 * Ink takes for one pasted string rather than several keys.
	 */
	async settle(quietMs = 100, maxMs = 3000): Promise<void> {
		const deadline = performance.now() + maxMs;
		while (performance.now() < deadline) {
			const idle = performance.now() - Math.max(this.lastDataAt, this.lastPressAt);
			if (idle >= quietMs) {
				return;
			}

			await sleep(quietMs - idle + 5);
		}
	}

	/** Ends the program (SIGTERM, then SIGKILL after `graceMs`) and frees the terminal. */
	async stop(graceMs = 2000): Promise<void> {
		if (!this.exited) {
			try {
				this.pty.kill('SIGTERM');
			} catch {
				// Already gone.
			}

			const deadline = performance.now() + graceMs;
			while (!this.exited && performance.now() < deadline) {
				await sleep(20);
			}

			if (!this.exited) {
				try {
					this.pty.kill('SIGKILL');
				} catch {
					// Already gone.
				}
			}
		}

		this.terminal.dispose();
	}

	private parsed(at: number): void {
		const buffer = this.terminal.buffer.active;
		const lines: string[] = [];
		for (let row = 0; row < this.terminal.rows; row++) {
			lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
		}

		const screen = lines.join('\n');
		if (screen === this.screenText) {
			return;
		}

		this.screenText = screen;
		for (const listener of [...this.listeners]) {
			listener({at, screen});
		}
	}
}

/** The command line's environment, in colour, in a terminal Ink draws to (CI=false: Ink draws nothing under CI=true). */
export function dashboardEnv(configDir: string, smtpPort?: number): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...cliEnv(configDir, smtpPort), CI: 'false', TERM: 'xterm-256color', LANG: 'C.UTF-8'};
	delete env.NO_COLOR;
	return env;
}

/** The dashboard (no command), started in an 80×24 pseudo-terminal; `nodeFlags` go to node (`--cpu-prof`). */
export function startDashboard(env: NodeJS.ProcessEnv, nodeFlags: string[] = []): ScreenSession {
	return new ScreenSession(process.execPath, [...cliNodeFlags(), ...nodeFlags, cliPath], {env, cwd: repoRoot, cols: 80, rows: 24});
}

/** The dashboard's first screen is up: the domain list shows the benchmarks' first domain. */
export const listShown = (screen: string) => screen.includes(domainName(0));
