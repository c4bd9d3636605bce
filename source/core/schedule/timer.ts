/**
 * The system's own timer that runs `massmail run-due` every minute: a systemd service and timer
 * where systemd runs, otherwise a line in the user's crontab. massmail keeps no daemon of its own.
 *
 * What is written is planned as data first ({@link planInstall}, {@link planUninstall}), so the
 * command line can show it exactly, ask, and only then write it ({@link applyInstall},
 * {@link applyUninstall}).
 *
 * The unit or line runs with the settings and data of the user who installed it: their
 * `MASSMAIL_CONFIG_DIR`, or the XDG folders in use, written in. A password never is: a timer's
 * sends take it from `smtp.passwordCommand`, or from an EnvironmentFile of the administrator's own.
 *
 * For tests (so that they never touch the real system), four environment variables stand in for
 * what the machine has: `MASSMAIL_TEST_TIMER` (`systemd` or `cron`: which one is taken, instead of
 * looking for /run/systemd/system), `MASSMAIL_TEST_UNIT_DIR` (the folder the units go to),
 * `MASSMAIL_TEST_SYSTEMCTL` and `MASSMAIL_TEST_CRONTAB` (the programs run as systemctl and crontab).
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {MassmailError} from '../errors.js';
import {resolvePaths} from '../paths.js';
import {writeAtomicSync} from '../storage/index.js';
import {runDueLogName} from './cron-log.js';

export const serviceName = 'massmail-run-due.service';
export const timerName = 'massmail-run-due.timer';

/** The comment line above ours in a crontab: uninstall removes it and the line after it, nothing else. */
export const cronMarker = '# massmail: runs scheduled sends every minute (massmail schedule uninstall removes this line and the next)';

/** The first line of both unit files. */
const unitHeader = '# Written by `massmail schedule install`; `massmail schedule uninstall` removes it.';

/** systemctl and crontab answer at once; one that hangs (a stuck D-Bus) must not hang the command. */
const commandDeadlineMs = 30_000;

/** Where and how a timer is installed on this machine. */
export interface TimerSystem {
	kind: 'systemd' | 'cron';
	/** systemd: system units for root, user units otherwise. */
	scope: 'system' | 'user';
	/** systemd: the folder the unit files go to. */
	unitDir: string;
	/** The program run as systemctl. */
	systemctl: string;
	/** The program run as crontab. */
	crontab: string;
}

/** The program the timer runs: an absolute node and the absolute path of this massmail's dist/cli.js. */
export interface Program {
	node: string;
	/** Flags given to node, as cli.js's first line gives them. */
	nodeOptions: string[];
	script: string;
}

export interface UnitFile {
	path: string;
	content: string;
}

/** What `schedule install` would do, and how it compares with what is there. */
export type InstallPlan = {
	/** `same`: already installed as planned, nothing to do; `different`: an older one is replaced. */
	state: 'absent' | 'same' | 'different';
	/** Said before the question: what is in the environment but not written (a password, the SMTP URL). */
	notes: string[];
} & ({
	kind: 'systemd';
	scope: 'system' | 'user';
	files: UnitFile[];
	/** Run after the files are written, in order. */
	commands: string[][];
} | {
	kind: 'cron';
	crontab: string;
	/** The two lines added: the marker and the schedule. */
	lines: [string, string];
	/** The crontab as it is and as it will be, byte for byte (latin1 strings: one char per byte). */
	before: string;
	after: string;
	/** Where the line's output goes. */
	log: string;
});

export type UninstallPlan = {
	kind: 'systemd';
	scope: 'system' | 'user';
	files: string[];
	commands: string[][];
} | {
	kind: 'cron';
	crontab: string;
	removed: string[];
	after: string;
};

export interface InstalledTimer {
	kind: 'systemd' | 'cron';
	/** The timer unit's file, or `the crontab of USER`. */
	where: string;
}

/** The timer this machine takes: systemd when it runs (/run/systemd/system exists), else cron. */
export function timerSystem(env: NodeJS.ProcessEnv = process.env): TimerSystem {
	const forced = env.MASSMAIL_TEST_TIMER;
	const kind = forced === 'systemd' || forced === 'cron' ? forced : (fs.existsSync('/run/systemd/system') ? 'systemd' : 'cron');
	const scope = process.getuid?.() === 0 ? 'system' : 'user';
	const home = env.HOME && env.HOME !== '' ? env.HOME : os.homedir();
	const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
	const defaultUnitDir = scope === 'system' ? '/etc/systemd/system' : path.join(configHome, 'systemd', 'user');
	return {
		kind,
		scope,
		unitDir: nonEmpty(env.MASSMAIL_TEST_UNIT_DIR) ?? defaultUnitDir,
		systemctl: nonEmpty(env.MASSMAIL_TEST_SYSTEMCTL) ?? 'systemctl',
		crontab: nonEmpty(env.MASSMAIL_TEST_CRONTAB) ?? 'crontab',
	};
}

/**
 * The environment written into the unit or line so that `run-due` reads the same settings and
 * data as the user installing it: `MASSMAIL_CONFIG_DIR` when set, else the XDG folders in use
 * (on macOS, HOME). Nothing else: no password, no SMTP URL.
 */
export function timerEnvironment(env: NodeJS.ProcessEnv): Array<[string, string]> {
	const single = env.MASSMAIL_CONFIG_DIR;
	if (single !== undefined && single !== '') {
		return [['MASSMAIL_CONFIG_DIR', path.resolve(single)]];
	}

	const paths = resolvePaths({env});
	if (process.platform !== 'linux') {
		return [['HOME', env.HOME && env.HOME !== '' ? env.HOME : os.homedir()]];
	}

	// resolvePaths gives <XDG_CONFIG_HOME>/massmail and <XDG_DATA_HOME>/massmail.
	return [
		['XDG_CONFIG_HOME', path.dirname(path.dirname(paths.settingsFile))],
		['XDG_DATA_HOME', path.dirname(paths.root)],
	];
}

/**
 * What `schedule install` would write here, compared with what is installed. `showOnly` (for
 * `--print`): a crontab that cannot be read (cron not installed yet) is a note, not an error, so
 * that the lines can be seen before cron is installed; the plan is then not to be applied.
 */
export function planInstall(options: {system: TimerSystem; program: Program; env: NodeJS.ProcessEnv; showOnly?: boolean}): InstallPlan {
	const {system, program, env} = options;
	const environment = timerEnvironment(env);
	const words = [program.node, ...program.nodeOptions, program.script, 'run-due'];
	for (const value of [...words, ...environment.map(([, value]) => value), system.unitDir]) {
		refuseControlCharacters(value);
	}

	const notes = environmentNotes(env, system);
	if (system.kind === 'systemd') {
		const files: UnitFile[] = [
			{path: path.join(system.unitDir, serviceName), content: serviceUnit(words, environment, system.scope)},
			{path: path.join(system.unitDir, timerName), content: timerUnit()},
		];
		const existing = files.map(file => readOrUndefined(file.path));
		const state = existing.every(content => content === undefined)
			? 'absent'
			: (existing.every((content, index) => content === files[index]!.content) ? 'same' : 'different');
		if (system.scope === 'user' && !lingering()) {
			notes.push(`A user timer runs only while ${userName()} is logged in: \`loginctl enable-linger ${userName()}\` (as root) keeps it running.`);
		}

		return {kind: 'systemd', scope: system.scope, files, commands: [systemctl(system, 'daemon-reload'), systemctl(system, 'enable', '--now', timerName)], state, notes};
	}

	const log = path.join(resolvePaths({env}).root, runDueLogName);
	refuseControlCharacters(log);
	const line = `* * * * * ${cronCommand(environment, words, log)}`;
	let before = '';
	try {
		before = readCrontab(system);
	} catch (error) {
		if (!options.showOnly || !(error instanceof MassmailError)) {
			throw error;
		}

		notes.push(`Here, install would stop: ${error.message.replace(/; nothing was changed$/, '')}.${error.hint ? ` ${error.hint}` : ''}`);
	}

	const found = findCronBlock(before);
	const state = found === undefined ? 'absent' : (found.line === line ? 'same' : 'different');
	const kept = found === undefined ? before : found.without;
	const after = `${kept}${kept === '' || kept.endsWith('\n') ? '' : '\n'}${cronMarker}\n${line}\n`;
	return {kind: 'cron', crontab: system.crontab, lines: [cronMarker, line], before, after, log, state, notes};
}

/** What `schedule uninstall` would remove; undefined when nothing of ours is installed. */
export function planUninstall(system: TimerSystem): UninstallPlan | undefined {
	if (system.kind === 'systemd') {
		const files = [serviceName, timerName].map(name => path.join(system.unitDir, name)).filter(file => fs.existsSync(file));
		if (files.length === 0) {
			return undefined;
		}

		return {kind: 'systemd', scope: system.scope, files, commands: [systemctl(system, 'disable', '--now', timerName), systemctl(system, 'daemon-reload')]};
	}

	const before = readCrontab(system);
	const found = findCronBlock(before);
	if (found === undefined) {
		return undefined;
	}

	return {kind: 'cron', crontab: system.crontab, removed: [cronMarker, found.line], after: found.without};
}

/** Writes the plan's files or crontab and runs its commands. */
export function applyInstall(plan: InstallPlan): void {
	if (plan.kind === 'systemd') {
		for (const file of plan.files) {
			try {
				fs.mkdirSync(path.dirname(file.path), {recursive: true});
				writeAtomicSync(file.path, file.content, 0o644);
			} catch (error) {
				throw new MassmailError('store', `${file.path}: cannot write the unit: ${(error as Error).message}`, {
					cause: error,
					hint: plan.scope === 'system' ? undefined : 'Is the folder yours? A system timer is installed by running this as root.',
				});
			}
		}

		for (const command of plan.commands) {
			run(command, {after: 'the unit files are written; `massmail schedule uninstall` removes them'});
		}

		return;
	}

	run([plan.crontab, '-'], {input: Buffer.from(plan.after, 'latin1'), after: 'the crontab is unchanged'});
}

export function applyUninstall(plan: UninstallPlan): void {
	if (plan.kind === 'systemd') {
		// Stopped and disabled first: a timer whose files are gone would linger in systemd until the reload.
		run(plan.commands[0]!, {after: 'nothing was removed', allowFailure: true});
		for (const file of plan.files) {
			fs.rmSync(file, {force: true});
		}

		run(plan.commands[1]!, {after: 'the unit files are removed'});
		return;
	}

	run([plan.crontab, '-'], {input: Buffer.from(plan.after, 'latin1'), after: 'the crontab is unchanged'});
}

/**
 * Every massmail timer installed for this user: the unit files in the unit folder, ours in the
 * crontab (both are looked for: a crontab line may predate systemd). Reads no more than that:
 * a unit disabled by hand still counts as installed.
 */
export function installedTimers(env: NodeJS.ProcessEnv = process.env): InstalledTimer[] {
	const system = timerSystem(env);
	const found: InstalledTimer[] = [];
	const timerFile = path.join(system.unitDir, timerName);
	if (fs.existsSync(timerFile)) {
		found.push({kind: 'systemd', where: timerFile});
	}

	try {
		if (findCronBlock(readCrontab(system)) !== undefined) {
			found.push({kind: 'cron', where: `the crontab of ${userName()}`});
		}
	} catch {
		// No crontab program, or one that fails: no cron line of ours to count.
	}

	return found;
}

/** The timer that runs `run-due`, if one is installed (for `massmail scheduled` and the dashboard's header). */
export function timerInstalled(env: NodeJS.ProcessEnv = process.env): InstalledTimer | undefined {
	return installedTimers(env)[0];
}

/**
 * The warning shown beside scheduled sends when nothing will run them; undefined when a timer is
 * installed or nothing is scheduled. The demo profile's are never run by a timer (schedule install
 * refuses it): the warning says how they are run.
 */
export function missingTimerWarning(scheduledCount: number, env: NodeJS.ProcessEnv = process.env, demo = false): string | undefined {
	if (scheduledCount === 0 || (!demo && timerInstalled(env) !== undefined)) {
		return undefined;
	}

	const what = scheduledCount === 1 ? '1 send is scheduled' : `${scheduledCount.toLocaleString('en-US')} sends are scheduled`;
	if (demo) {
		return `${what} on the demo profile, which no timer runs: run \`massmail --demo run-due\` at the time.`;
	}

	return `${what} but no timer runs them: \`massmail schedule install\` installs one (or run \`massmail run-due\` at the time yourself).`;
}

function environmentNotes(env: NodeJS.ProcessEnv, system: TimerSystem): string[] {
	const notes: string[] = [];
	const where = system.kind === 'systemd'
		? `an EnvironmentFile= of your own (\`systemctl${system.scope === 'user' ? ' --user' : ''} edit ${serviceName}\`)`
		: 'a variable line of your own in the crontab';
	const passwords = [
		['MASSMAIL_SMTP_PASSWORD', 'smtp.passwordCommand'],
		['MASSMAIL_DIRECTORY_PASSWORD', 'directory.passwordCommand'],
		['MASSMAIL_TRACKING_PASSWORD', 'tracking.imap.passwordCommand'],
	] as const;
	for (const [name, setting] of passwords) {
		if (nonEmpty(env[name]) !== undefined) {
			notes.push(`${name} is set here but is not written: the timer needs ${setting}, or ${name} in ${where}.`);
		}
	}

	if (nonEmpty(env.MASSMAIL_SMTP_URL) !== undefined) {
		notes.push(`MASSMAIL_SMTP_URL is set here but is not written: the timer's sends use the SMTP settings (massmail config set smtp.host …), or MASSMAIL_SMTP_URL in ${where}.`);
	}

	return notes;
}

function serviceUnit(words: string[], environment: Array<[string, string]>, scope: 'system' | 'user'): string {
	return [
		unitHeader,
		'# No password is written here: the sends take it from smtp.passwordCommand, or from',
		`# MASSMAIL_SMTP_PASSWORD in an EnvironmentFile= of your own (systemctl${scope === 'user' ? ' --user' : ''} edit ${serviceName}).`,
		'[Unit]',
		'Description=massmail: send the scheduled sends whose time has come',
		// A user manager has no network-online.target; a system timer firing at boot waits for the network.
		...(scope === 'system' ? ['Wants=network-online.target', 'After=network-online.target'] : []),
		'',
		'[Service]',
		'Type=oneshot',
		...environment.map(([name, value]) => `Environment=${systemdQuoted(`${name}=${value}`, {dollar: false})}`),
		`ExecStart=${words.map(word => systemdWord(word)).join(' ')}`,
		'',
	].join('\n');
}

function timerUnit(): string {
	return [
		unitHeader,
		'[Unit]',
		'Description=massmail: run the scheduled sends every minute',
		'',
		'[Timer]',
		'OnCalendar=minutely',
		// A minute missed while the machine was off runs at boot; run-due's grace decides what is sent.
		'Persistent=true',
		'AccuracySec=1s',
		'',
		'[Install]',
		'WantedBy=timers.target',
		'',
	].join('\n');
}

/** A word of ExecStart: `%` is a specifier and `$` a variable to systemd, so both are doubled. */
function systemdWord(word: string): string {
	return /^[\w@+=:,./-]+$/.test(word) ? word : systemdQuoted(word, {dollar: true});
}

function systemdQuoted(value: string, options: {dollar: boolean}): string {
	let escaped = value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%');
	if (options.dollar) {
		escaped = escaped.replaceAll('$', '$$$$');
	}

	return `"${escaped}"`;
}

/** The command of the crontab line: sh words, and `%` escaped (cron turns a bare one into a newline). */
function cronCommand(environment: Array<[string, string]>, words: string[], log: string): string {
	const assignments = environment.map(([name, value]) => `${name}=${shellWord(value)}`);
	const command = [...assignments, ...words.map(word => shellWord(word)), '>>', shellWord(log), '2>&1'].join(' ');
	return command.replaceAll('%', '\\%');
}

function shellWord(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll('\'', '\'\\\'\'')}'`;
}

function refuseControlCharacters(value: string): void {
	if (/[\u0000-\u001F\u007F]/.test(value)) {
		throw new MassmailError('usage', `${JSON.stringify(value)}: a path with a control character cannot be written into a unit file or a crontab line`, {
			hint: 'Move massmail, node or MASSMAIL_CONFIG_DIR to a folder whose name has none.',
		});
	}
}

function findCronBlock(crontab: string): {line: string; without: string} | undefined {
	const lines = crontab.split('\n');
	const index = lines.indexOf(cronMarker);
	if (index === -1) {
		return undefined;
	}

	const line = lines[index + 1] ?? '';
	// The marker and the line after it, if that is ours; a line edited away leaves the marker alone to remove.
	const count = line.includes(' run-due') ? 2 : 1;
	return {line, without: [...lines.slice(0, index), ...lines.slice(index + count)].join('\n')};
}

/** The user's crontab as a latin1 string (one char per byte, so it is written back byte for byte); '' when there is none. */
function readCrontab(system: TimerSystem): string {
	const result = spawn([system.crontab, '-l']);
	if (result.status === 0) {
		return result.stdout.toString('latin1');
	}

	const said = result.stderr.toString('utf8').trim();
	if (/no crontab/i.test(said)) {
		return '';
	}

	throw commandFailed([system.crontab, '-l'], result, 'nothing was changed');
}

function run(command: string[], options: {input?: Buffer; after: string; allowFailure?: boolean}): void {
	const result = spawn(command, options.input);
	if (result.status !== 0 && !options.allowFailure) {
		throw commandFailed(command, result, options.after);
	}
}

interface Spawned {
	status: number | null;
	stdout: Buffer;
	stderr: Buffer;
	error?: NodeJS.ErrnoException;
}

function spawn(command: string[], input?: Buffer): Spawned {
	const [program, ...args] = command;
	const result = spawnSync(program!, args, {input, timeout: commandDeadlineMs, maxBuffer: 16 * 1024 * 1024});
	return {status: result.status, stdout: result.stdout ?? Buffer.alloc(0), stderr: result.stderr ?? Buffer.alloc(0), error: result.error as NodeJS.ErrnoException | undefined};
}

function commandFailed(command: string[], result: Spawned, after: string): MassmailError {
	const shown = command.join(' ');
	if (result.error?.code === 'ENOENT') {
		const hint = path.basename(command[0]!) === 'crontab' ? 'Install cron (apt-get install cron), or run `massmail run-due` every minute another way.' : undefined;
		return new MassmailError('usage', `${command[0]} is not installed: cannot run \`${shown}\`; ${after}`, {hint});
	}

	const why = result.error?.code === 'ETIMEDOUT'
		? `gave no answer within ${commandDeadlineMs / 1000} s`
		: `failed (exit ${result.status ?? 'by a signal'})${result.stderr.length > 0 ? `: ${result.stderr.toString('utf8').trim()}` : ''}`;
	return new MassmailError('usage', `\`${shown}\` ${why}; ${after}`);
}

function systemctl(system: TimerSystem, ...args: string[]): string[] {
	return [system.systemctl, ...(system.scope === 'user' ? ['--user'] : []), ...args];
}

function readOrUndefined(file: string): string | undefined {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch {
		return undefined;
	}
}

function lingering(): boolean {
	return fs.existsSync(path.join('/var/lib/systemd/linger', userName()));
}

/** The login name the crontab and a user timer belong to. */
export function userName(): string {
	try {
		return os.userInfo().username;
	} catch {
		return String(process.getuid?.() ?? 'this user');
	}
}

function nonEmpty(value: string | undefined): string | undefined {
	return value === undefined || value === '' ? undefined : value;
}
