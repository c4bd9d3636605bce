/**
 * The command line run in this process (source/cli/main.ts's runCli) with its output captured:
 * for tests of what a command prints and stores, without a child process (test/helpers/cli.ts
 * runs the built program).
 */
import {runCli} from '../../source/cli/main.js';
import type {Output} from '../../source/cli/output.js';

/** An Output that keeps what is written (no terminal, nothing asked). */
export function capturedOutput(): Output & {stdout: string; stderr: string} {
	const io = {
		stdout: '',
		stderr: '',
		out(text: string) {
			io.stdout += `${text}\n`;
		},
		err(text: string) {
			io.stderr += `${text}\n`;
		},
		errIsTty: false,
		canAsk: false,
		async ask() {
			return '';
		},
	};
	return io;
}

/** Runs `massmail ARGS…` in this process: its exit status and what it printed. */
export async function runCommand(args: string[], env: NodeJS.ProcessEnv): Promise<{code: number; stdout: string; stderr: string}> {
	const io = capturedOutput();
	const code = await runCli(args, io, env);
	return {code, stdout: io.stdout, stderr: io.stderr};
}
