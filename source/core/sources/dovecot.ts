/**
 * The Dovecot directory source (`directory.source = dovecot`): a command that prints one user per
 * line, by default `doveadm user '*'`, which iterates any userdb Dovecot can iterate (passwd-file,
 * SQL, LDAP) through Dovecot's auth service. Dovecot knows no names, roles or disabled accounts:
 * those stay the directory's own (local edits survive every sync).
 *
 * The command runs with /bin/sh -c in a process group of its own, so that a deadline or an abort
 * ends it and anything it started.
 *
 * The whole source is this file: its descriptor (dovecotSource) and its reader, which needs no
 * client library.
 */
import {spawn} from 'node:child_process';
import {MassmailError} from '../errors.js';
import {plain} from '../settings/spec.js';
import {withDeadline} from './plumbing.js';
import {defineSource, type DirectorySource, type ReadOptions, type SourceMailbox} from './source.js';

export const defaultDovecotCommand = 'doveadm user \'*\'';

export const dovecotSource = defineSource({
	kind: 'dovecot',
	title: 'Dovecot\'s userdb (doveadm user)',
	settings: {
		command: {
			description: 'a command printing one user per line',
			example: defaultDovecotCommand,
			...plain,
			label: 'Command',
			default: defaultDovecotCommand,
			needed: `the command that lists the users: ${defaultDovecotCommand}`,
		},
	},
	fields: ['command', 'directory.maxAge'],
	label: values => values.command,
	open: async values => openDovecotSource({command: values.command}),
});

export interface DovecotSourceOptions {
	/** A shell command printing one user (an address) per line. Default `doveadm user '*'`. */
	command?: string;
}

// doveadm's words when it cannot talk to the auth service: the socket is missing, refused or forbidden
// ("auth-master: userdb list: connect(/run/dovecot/auth-userdb) failed: No such file or directory").
const unreachableAuth = /auth-master|auth-userdb|connect(_unix)?\([^)]*\) failed/i;
// One address: a local part, one @, a domain; no spaces. The sync checks and normalises it further.
const address = /^[^@\s]+@[^@\s]+$/;

/** Reads the users listed on standard output: `key` is `line N`, `email` the line. */
export function parseUserList(output: string, command: string): SourceMailbox[] {
	const mailboxes: SourceMailbox[] = [];
	const bad: string[] = [];
	const lines = output.split('\n');
	for (const [index, raw] of lines.entries()) {
		const user = raw.trim();
		if (user === '') {
			continue;
		}

		const key = `line ${index + 1}`;
		if (address.test(user)) {
			mailboxes.push({key, email: user});
		} else {
			bad.push(`${key}: ${JSON.stringify(user)} is not an address${user.includes('@') ? '' : ' (a user without a domain)'}`);
		}
	}

	if (bad.length > 0) {
		throw new MassmailError('validation', `${command} listed ${bad.length === 1 ? 'a user that is not an address' : `${bad.length} users that are not addresses`}: ${bad[0]}${bad.length > 1 ? ' …' : ''}`, {
			hint: 'massmail needs users named by their whole address (Dovecot\'s auth_username_format %u, user@domain)',
			details: bad,
		});
	}

	return mailboxes;
}

/**
 * A Dovecot directory source; nothing runs until `read`.
 * @example
 * const source = openDovecotSource({command: "doveadm user '*@example.com'"});
 * const mailboxes = await source.read({timeoutMs: 30_000}); // [{key: 'line 1', email: 'ann@example.com'}, …]
 */
export function openDovecotSource(options: DovecotSourceOptions = {}): DirectorySource {
	const command = options.command === undefined || options.command.trim() === '' ? defaultDovecotCommand : options.command;
	return {
		label: command,
		async read({timeoutMs, signal}: ReadOptions): Promise<SourceMailbox[]> {
			const {code, signalName, stdout, stderr} = await withDeadline(command, timeoutMs, signal, async stop => runCommand(command, stop), {
				hint: 'run the command yourself to see where it waits (directory.dovecot.command)',
			});

			if (code !== 0) {
				const said = stderr.split('\n').map(line => line.trim()).find(line => line !== '')?.slice(0, 300);
				if (said !== undefined && unreachableAuth.test(said)) {
					throw new MassmailError('connection', `${command} cannot reach Dovecot's auth service: ${said}`, {
						hint: 'is Dovecot running? doveadm asks its auth service for the users (systemctl status dovecot)',
					});
				}

				const status = code === null ? `killed by ${signalName ?? 'a signal'}` : `exit status ${code}`;
				throw new MassmailError('validation', `${command} failed (${status})${said === undefined ? '' : `: ${said}`}`, {
					hint: 'run the command yourself to see why (directory.dovecot.command)',
				});
			}

			return parseUserList(stdout, command);
		},
	};
}

interface Ran {
	code: number | null;
	signalName: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

/** Runs the command in a process group of its own (detached), killed whole when `stop` aborts. */
async function runCommand(command: string, stop: AbortSignal): Promise<Ran> {
	return new Promise<Ran>((resolve, reject) => {
		const child = spawn('/bin/sh', ['-c', command], {detached: true, stdio: ['ignore', 'pipe', 'pipe']});
		const killGroup = () => {
			try {
				process.kill(-child.pid!, 'SIGKILL');
			} catch {
				// Already gone.
			}
		};

		stop.addEventListener('abort', killGroup, {once: true});
		const out: Buffer[] = [];
		let err = '';
		child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			// The first lines are the ones that say what went wrong.
			if (err.length < 64 * 1024) {
				err += chunk;
			}
		});
		child.on('error', error => {
			stop.removeEventListener('abort', killGroup);
			reject(new MassmailError('validation', `${command} could not be run: ${error.message}`));
		});
		child.on('close', (exitCode, exitSignal) => {
			stop.removeEventListener('abort', killGroup);
			resolve({code: exitCode, signalName: exitSignal, stdout: Buffer.concat(out).toString('utf8'), stderr: err});
		});
	});
}
