/**
 * Runs the built command line (dist/cli.js, made by `npm run build`, which `npm test` runs
 * first) as a child process, the way a script or cron job would.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {fileURLToPath} from 'node:url';

export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

export interface CliOptions {
	/** MASSMAIL_CONFIG_DIR for this run. */
	configDir: string;
	env?: Record<string, string | undefined>;
	/** Standard input: text, or bytes as they are (a file in another encoding). */
	input?: string | Buffer;
	/** A command that runs the program (given as its arguments), e.g. `unshare -u sh -c '…; exec "$0" "$@"'`. */
	wrapper?: string[];
}

export function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env, MASSMAIL_CONFIG_DIR: options.configDir, NO_COLOR: '1'};
	delete env.MASSMAIL_SMTP_URL;
	delete env.MASSMAIL_SMTP_PASSWORD;
	return {...env, ...options.env};
}

export function spawnCli(args: string[], options: CliOptions): ChildProcess {
	const [command, ...wrapperArgs] = options.wrapper ?? [];
	return command === undefined
		? spawn(process.execPath, [cliPath, ...args], {env: cliEnv(options), stdio: ['pipe', 'pipe', 'pipe']})
		: spawn(command, [...wrapperArgs, process.execPath, cliPath, ...args], {env: cliEnv(options), stdio: ['pipe', 'pipe', 'pipe']});
}

/** A running command line: what it printed so far, and its end. */
export interface RunningCli {
	child: ChildProcess;
	readonly stdout: string;
	readonly stderr: string;
	/** Resolves when it has exited and its output is read. */
	result: Promise<CliResult>;
}

/** Starts the command line and collects its output, for tests that act while it runs (signals, a server that dies). */
export function startCli(args: string[], options: CliOptions): RunningCli {
	const child = spawnCli(args, options);
	let stdout = '';
	let stderr = '';
	child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	child.stdin!.end(options.input ?? '');
	const result = new Promise<CliResult>((resolve, reject) => {
		child.on('error', reject);
		child.on('close', (code, signal) => {
			resolve({code, signal, stdout, stderr});
		});
	});
	return {
		child,
		get stdout() {
			return stdout;
		},
		get stderr() {
			return stderr;
		},
		result,
	};
}

export async function runCli(args: string[], options: CliOptions): Promise<CliResult> {
	return startCli(args, options).result;
}

/** Parses the last non-empty line of stdout as JSON (the final summary of `send --json`). */
export function lastJsonLine(stdout: string): any {
	const lines = stdout.trim().split('\n');
	return JSON.parse(lines.at(-1)!);
}
