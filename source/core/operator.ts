/**
 * Who started a send, for its record: on a server with several administrators, History and
 * `show` must say who sent the notice to everyone, from where, on which host.
 */
import {execFileSync} from 'node:child_process';
import os from 'node:os';
import {mailHostName} from './host-name.js';
import type {Operator} from './types.js';

/** The client address of an SSH session (`SSH_CONNECTION`: client port server port; `SSH_CLIENT`: client port port). */
function sshClient(env: NodeJS.ProcessEnv): string | undefined {
	for (const name of ['SSH_CONNECTION', 'SSH_CLIENT'] as const) {
		const client = env[name]?.trim().split(/\s+/)[0];
		if (client) {
			return client;
		}
	}

	return undefined;
}

/**
 * Where this terminal's login came from, as `who -m` tells it from utmp (`(192.0.2.9)`): the
 * SSH variables are gone under sudo, the login record is not. Undefined off a terminal, for a
 * local login, or when `who` does not answer within a second.
 */
function loginOrigin(): string | undefined {
	if (!process.stdin.isTTY) {
		return undefined;
	}

	try {
		const line = execFileSync('who', ['-m'], {encoding: 'utf8', timeout: 1000, stdio: ['inherit', 'pipe', 'ignore']});
		const origin = /\(([^()\s]+)\)\s*$/.exec(line.trim())?.[1];
		// A local X display (`:0`) or a tmux/screen label is not a place the login came from.
		return origin && !origin.startsWith(':') && !origin.includes(':S.') && !/^tmux/i.test(origin) ? origin : undefined;
	} catch {
		return undefined;
	}
}

/**
 * The person starting a send now: the login name (the one behind sudo when run through it), the
 * SSH client's address when there is one (else null), and this machine's name.
 *
 * @example currentOperator(process.env) // {user: 'ann', from: '192.0.2.9', host: 'mail.example.org'}
 */
export function currentOperator(env: NodeJS.ProcessEnv): Operator {
	let user = env.SUDO_USER?.trim();
	if (!user) {
		try {
			user = os.userInfo().username;
		} catch {
			// No passwd entry for this uid (a container): the uid is all there is.
			user = String(process.getuid?.() ?? 'unknown');
		}
	}

	return {user, from: sshClient(env) ?? loginOrigin() ?? null, host: mailHostName().name ?? os.hostname()};
}

/** One line for people: `ann from 192.0.2.9 on mail.example.org`. */
export function describeOperator(operator: Operator | null | undefined): string {
	if (!operator) {
		return 'not recorded (a send from before massmail kept it)';
	}

	return `${operator.user}${operator.from ? ` from ${operator.from}` : ''} on ${operator.host}`;
}
