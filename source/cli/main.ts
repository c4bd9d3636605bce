/**
 * The command line: finds the command in argv, parses its flags, runs it, and turns every
 * MassmailError into a message and an exit status (never a stack trace).
 * With no command, it opens the dashboard (loaded lazily: ink costs ~0.5 s to import, which
 * the scripted commands need not pay).
 */
import {createInterface} from 'node:readline';
import {readFileSync} from 'node:fs';
import {MassmailError, exitCodes, exitStatusHelp, isMassmailError, usageError} from '../core/errors.js';
import {printable} from '../core/format.js';
import {openStore, type Store} from '../core/store.js';
import {helpOf, parseCommandArgs, type Command} from './command.js';
import {configCommands, configHelp} from './config-commands.js';
import {directoryCommands} from './directory-commands.js';
import {historyCommands} from './history-commands.js';
import {formatError, type Output} from './output.js';
import {scheduleTimerCommands} from './schedule-timer-commands.js';
import {scheduleCommands} from './schedule-commands.js';
import {sendCommands} from './send-commands.js';
import {syncCommands} from './sync-commands.js';
import {trackCommands} from './track-commands.js';

export const commands: Command[] = [...directoryCommands, ...syncCommands, ...sendCommands, ...scheduleCommands, ...trackCommands, ...historyCommands, ...scheduleTimerCommands, ...configCommands];

export function generalHelp(): string {
	const width = Math.max(...commands.map(c => `${c.name} ${c.args ?? ''}`.length));
	const list = commands.map(c => `  massmail ${`${c.name} ${c.args ?? ''}`.padEnd(width)}  ${c.summary.split('. ')[0]!.replace(/\.$/, '')}`);
	return [
		'massmail: send mass email and reminders to groups of mailboxes.',
		'',
		'Usage:',
		'  massmail                 open the dashboard (keyboard only; ? shows the keys)',
		'  massmail --demo          the dashboard on a separate demo profile: sample directory, local capture',
		...list,
		'',
		'Groups (--to): all | domain:NAME[,NAME…] | admins | primary-admins | user:ADDRESS | send:ID',
		'Every command takes --help. --demo before a command runs it on the demo profile.',
		'',
		'Environment:',
		'  MASSMAIL_CONFIG_DIR      keep settings, directory and send records in this folder',
		'  MASSMAIL_SMTP_URL        smtp://user@host:587 or smtps://host:465, overrides the SMTP settings',
		'  MASSMAIL_SMTP_PASSWORD   the SMTP password (or set smtp.passwordCommand); never stored',
		'  MASSMAIL_DIRECTORY_PASSWORD  the directory source\'s password (or directory.passwordCommand); never stored',
		'  MASSMAIL_TRACKING_PASSWORD   the bounce mailbox\'s IMAP password (or tracking.imap.passwordCommand); never stored',
		'',
		'Exit status:',
		...exitStatusHelp.split('\n').map(line => `  ${line}`),
	].join('\n');
}

function findCommand(words: string[]): {command: Command; rest: string[]} | undefined {
	// The longest name wins: `domain add` before a hypothetical `domain`.
	const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
	for (const command of sorted) {
		const parts = command.name.split(' ');
		if (parts.every((part, index) => words[index] === part)) {
			return {command, rest: words.slice(parts.length)};
		}
	}

	return undefined;
}

export function processOutput(): Output {
	// `massmail send --json | head -1`: once the reader is gone, writing throws EPIPE. Stop
	// writing, and let a running send end cleanly (resumable) rather than crash mid-way.
	const closed = new AbortController();
	process.stdout.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code !== 'EPIPE') {
			throw error;
		}

		closed.abort();
	});
	// A dropped SSH session can fail stderr too; the journal, not the screen, is the record.
	process.stderr.on('error', () => undefined);
	// The last guard of the terminal: whatever a command prints, a control character in it (a
	// server's reply, a name from a source) is shown, not obeyed. The commands make the text they
	// quote visible themselves (one-line fields show `\n` too); this catches what they did not.
	const shown = (text: string) => printable(text, {lines: true});
	return {
		outputClosed: closed.signal,
		out(text) {
			if (!closed.signal.aborted) {
				process.stdout.write(`${shown(text)}\n`);
			}
		},
		err(text, options) {
			// `\r` and erase to the end of the line: the progress line drawn before is replaced.
			process.stderr.write(`${options?.overwrite ? '\r\u001B[K' : ''}${shown(text)}${options?.newline === false ? '' : '\n'}`);
		},
		errIsTty: Boolean(process.stderr.isTTY),
		canAsk: Boolean(process.stdin.isTTY),
		ask: async question => askOnTerminal(shown(question)),
	};
}

/**
 * One question on the terminal. Ctrl+C there is an interruption (exit 130) and Ctrl+D (end of
 * input) an answer that is not yes (exit 2): both say that nothing was changed or sent.
 */
async function askOnTerminal(question: string): Promise<string> {
	const prompt = createInterface({input: process.stdin, output: process.stderr});
	return new Promise<string>((resolve, reject) => {
		let answered = false;
		prompt.on('SIGINT', () => {
			answered = true;
			process.stderr.write('\n');
			prompt.close();
			reject(new MassmailError('interrupted', 'interrupted at the question: nothing was changed or sent'));
		});
		prompt.on('close', () => {
			if (!answered) {
				process.stderr.write('\n');
				reject(new MassmailError('usage', 'no answer (end of input): nothing was changed or sent', {hint: 'answer y to go on, or add --yes'}));
			}
		});
		prompt.question(question, answer => {
			answered = true;
			prompt.close();
			resolve(answer);
		});
	});
}

function version(): string {
	// dist/cli.js when built (one bundled file), source/cli/main.ts when run from source,
	// dist/source/cli/main.js as tsc emits it.
	for (const candidate of ['../package.json', '../../package.json', '../../../package.json']) {
		try {
			const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {name?: string; version: string};
			if (pkg.name === 'massmail') {
				return pkg.version;
			}
		} catch {
			// Not this one; try the next.
		}
	}

	return 'unknown';
}

export async function runCli(argv: string[], io: Output = processOutput(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
	try {
		let words = argv;
		let demo = false;
		while (words[0] === '--demo') {
			demo = true;
			words = words.slice(1);
		}

		if (demo && env.MASSMAIL_SMTP_URL !== undefined) {
			// The demo delivers to the local capture server only: a relay exported for real work
			// must not be handed the sample directory's addresses.
			const {MASSMAIL_SMTP_URL: _ignored, ...others} = env;
			env = others;
		}

		if (words[0] === '--help' || words[0] === '-h' || words[0] === 'help') {
			io.out(generalHelp());
			return 0;
		}

		if (words[0] === '--version' || words[0] === '-v') {
			io.out(version());
			return 0;
		}

		let store: Store | undefined;
		const openOnce = () => {
			store ??= openStore({demo, env});
			return store;
		};

		if (words.length === 0) {
			// React's development build checks and logs on every render: ~3x the CPU per frame,
			// which a send's progress screen pays at 10 frames a second. It reads NODE_ENV when
			// first imported, so this must come before the dashboard's import.
			process.env.NODE_ENV ??= 'production';
			const {runDashboard} = await import('../ui/run-dashboard.js');
			return await runDashboard({store: openOnce(), demo, env});
		}

		if (words[0] === 'config' && (words.length === 1 || words[1]?.startsWith('-'))) {
			words = ['config', 'list', ...words.slice(1)];
		}

		const found = findCommand(words);
		// `massmail user`, `massmail domain --help`: the commands of that name, as git does.
		const family = found ? [] : commands.filter(command => command.name.startsWith(`${words[0]} `));
		if (!found && family.length > 0 && words.length <= 2) {
			const list = family.map(command => `  massmail ${command.name}${command.args ? ` ${command.args}` : ''}`).join('\n');
			if (words[1] === '--help' || words[1] === '-h') {
				io.out(`${list}\n\nEach takes --help.`);
				return 0;
			}

			throw usageError(`"${words.join(' ')}" needs one of its commands:\n${list}`, `massmail ${family[0]!.name} --help says more`);
		}

		if (!found) {
			throw usageError(`unknown command "${words.join(' ')}"`, 'Run massmail --help for the commands.');
		}

		if (found.rest.includes('--help') || found.rest.includes('-h')) {
			// The config commands share one help: the subcommands and every key.
			io.out(found.command.name.startsWith('config ') ? configHelp() : helpOf(found.command));
			return 0;
		}

		// `config set KEY VALUE` takes no options: a VALUE that starts with a dash (-1, "-Admin-") is the
		// value, not an option for the parser to refuse, so that the setting's own check says what is wrong.
		const rest = found.command.name === 'config set' && found.rest.length === 2 && found.rest[1]!.startsWith('-') && found.rest[1] !== '--'
			? [found.rest[0]!, '--', found.rest[1]!]
			: found.rest;
		const {args, options} = parseCommandArgs(found.command, rest);
		return await found.command.run({args, options, io, env, store: openOnce});
	} catch (error) {
		if (isMassmailError(error)) {
			io.err(formatError(error));
			return error.exitCode;
		}

		// A bug, not a user error: say so plainly, with the stack for the report.
		io.err(`massmail: internal error: ${(error as Error)?.stack ?? String(error)}`);
		return exitCodes.internal;
	}
}
