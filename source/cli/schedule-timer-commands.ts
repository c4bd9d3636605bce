/**
 * `massmail schedule install|uninstall|status`: the system's own timer (systemd, else cron) that
 * runs `massmail run-due` every minute. What is written is decided in core/schedule/timer.ts;
 * here it is shown, asked about and reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import {MassmailError} from '../core/errors.js';
import {
	applyInstall, applyUninstall, installedTimers, planInstall, planUninstall, serviceName, timerName, timerSystem, userName,
	type InstallPlan, type Program, type TimerSystem, type UninstallPlan,
} from '../core/schedule/timer.js';
import type {Command, CommandContext} from './command.js';
import {confirmOrRefuse} from './directory-commands.js';

/**
 * This massmail as the timer will start it: the absolute node running now and the real path of
 * dist/cli.js, rather than the `massmail` bin — its `#!/usr/bin/env node` looks node up in PATH,
 * which under cron (/usr/bin:/bin) or systemd often lacks the node this was installed with (nvm,
 * /usr/local). After moving massmail or upgrading node, install again.
 */
function thisProgram(): Program {
	const started = process.argv[1];
	const script = started === undefined ? undefined : realPath(started);
	if (script === undefined || !script.endsWith('.js')) {
		throw new MassmailError('usage', `the timer must run the built massmail, not ${started ?? 'this program'}`, {hint: 'Build it (npm run build) and run `massmail schedule install` from dist/cli.js or the installed massmail.'});
	}

	// The flags cli.js's first line gives node: the same memory as a send started by hand.
	return {node: process.execPath, nodeOptions: ['--max-semi-space-size=4', '--no-allocation-site-pretenuring'], script};
}

function realPath(file: string): string | undefined {
	try {
		return fs.realpathSync(path.resolve(file));
	} catch {
		return undefined;
	}
}

/** The plan as shown before the question and by `--print`: every path and every byte written. */
function describeInstall(plan: InstallPlan): string {
	if (plan.kind === 'systemd') {
		const scope = plan.scope === 'system' ? 'a system timer' : `a user timer of ${userName()}`;
		return [
			`massmail schedule install writes ${scope} that runs \`massmail run-due\` every minute:`,
			'',
			...plan.files.flatMap(file => [`# ${file.path}`, file.content]),
			'Then it runs:',
			...plan.commands.map(command => `  ${command.join(' ')}`),
			...notesBlock(plan.notes),
		].join('\n');
	}

	return [
		`massmail schedule install adds these lines to the crontab of ${userName()} (through \`${plan.crontab} -l\` and \`${plan.crontab} -\`), keeping its other lines as they are:`,
		'',
		...plan.lines,
		'',
		`Its output goes to ${plan.log}.`,
		...notesBlock(plan.notes),
	].join('\n');
}

function describeUninstall(plan: UninstallPlan): string {
	if (plan.kind === 'systemd') {
		return [
			'massmail schedule uninstall runs and removes:',
			`  ${plan.commands[0]!.join(' ')}`,
			...plan.files.map(file => `  rm ${file}`),
			`  ${plan.commands[1]!.join(' ')}`,
		].join('\n');
	}

	return [`massmail schedule uninstall removes these lines from the crontab of ${userName()}, keeping its other lines as they are:`, '', ...plan.removed].join('\n');
}

function notesBlock(notes: string[]): string[] {
	return notes.length === 0 ? [] : ['', ...notes];
}

function refuseDemo(context: CommandContext): void {
	if (context.store().paths.demo) {
		throw new MassmailError('usage', 'the demo profile\'s scheduled sends are not run by a timer', {hint: 'Run `massmail --demo run-due` to send the ones whose time has come.'});
	}
}

function howToWatch(system: TimerSystem): string {
	const user = system.scope === 'user' ? ' --user' : '';
	return `\`systemctl${user} list-timers ${timerName}\` shows when it runs next; its output: \`journalctl${user} -u ${serviceName}\`.`;
}

const installCommand: Command = {
	name: 'schedule install',
	arity: [0, 0],
	summary: 'Install the system\'s timer that runs `massmail run-due` every minute: a systemd timer (system units as root, user units otherwise), or a crontab line where systemd is not running. Shows exactly what it writes and asks first.',
	options: {
		print: {type: 'boolean', description: 'show what would be written, write nothing'},
		yes: {type: 'boolean', description: 'do not ask (needed without a terminal)'},
	},
	async run(context) {
		refuseDemo(context);
		const system = timerSystem(context.env);
		const plan = planInstall({system, program: thisProgram(), env: context.env, showOnly: Boolean(context.options.print)});
		if (context.options.print) {
			context.io.out(describeInstall(plan));
			return 0;
		}

		if (plan.state === 'same') {
			context.io.out(`Already installed as it would be written (${alreadyWhere(plan)}); nothing changed.`);
			return 0;
		}

		context.io.out(describeInstall(plan));
		if (plan.state === 'different') {
			context.io.out('');
			context.io.out(`It replaces what was installed before (${alreadyWhere(plan)}: another program path or folder).`);
		}

		if (!context.options.yes) {
			await confirmOrRefuse(context.io, plan.kind === 'systemd' ? 'Write these files and enable the timer? [y/N] ' : 'Add these lines to the crontab? [y/N] ');
		}

		applyInstall(plan);
		context.io.out(plan.kind === 'systemd'
			? `Installed: ${timerName} runs massmail run-due every minute. ${howToWatch(system)}`
			: `Installed: the crontab runs massmail run-due every minute; its output goes to ${plan.log}.`);
		return 0;
	},
};

function alreadyWhere(plan: InstallPlan): string {
	return plan.kind === 'systemd' ? plan.files.map(file => file.path).join(', ') : 'the crontab line';
}

const uninstallCommand: Command = {
	name: 'schedule uninstall',
	arity: [0, 0],
	summary: 'Remove the timer `massmail schedule install` wrote (its unit files, or its crontab line: nothing else). Asks first.',
	options: {
		yes: {type: 'boolean', description: 'do not ask (needed without a terminal)'},
	},
	async run(context) {
		const system = timerSystem(context.env);
		const plan = planUninstall(system);
		if (plan === undefined) {
			context.io.out(system.kind === 'systemd'
				? `No massmail timer is installed in ${system.unitDir}; nothing to remove.`
				: 'No massmail line is in the crontab; nothing to remove.');
			return 0;
		}

		context.io.out(describeUninstall(plan));
		if (!context.options.yes) {
			await confirmOrRefuse(context.io, 'Remove it? [y/N] ');
		}

		applyUninstall(plan);
		context.io.out(plan.kind === 'systemd' ? `Removed: ${plan.files.join(', ')}.` : 'Removed the massmail line from the crontab.');
		return 0;
	},
};

const statusCommand: Command = {
	name: 'schedule status',
	arity: [0, 0],
	summary: 'Say whether a timer runs the scheduled sends (massmail run-due), and where it is.',
	run: showStatus,
};

/** `massmail schedule` alone: the status, as `schedule status`. */
const scheduleAloneCommand: Command = {
	name: 'schedule',
	arity: [0, 0],
	summary: 'The timer of the scheduled sends: `schedule install`, `schedule uninstall`; alone, whether one is installed (as `schedule status`).',
	run: showStatus,
};

async function showStatus(context: CommandContext): Promise<number> {
	const installed = installedTimers(context.env);
	if (installed.length === 0) {
		context.io.out('No timer runs the scheduled sends: `massmail schedule install` installs one.');
		return 0;
	}

	for (const timer of installed) {
		context.io.out(timer.kind === 'systemd'
			? `Installed: a systemd timer, ${timer.where}. ${howToWatch(timerSystem(context.env))}`
			: `Installed: a line in ${timer.where}.`);
	}

	return 0;
}

export const scheduleTimerCommands: Command[] = [scheduleAloneCommand, installCommand, uninstallCommand, statusCommand];
