/**
 * `massmail schedule install|uninstall|status` through the built program (npm run build first).
 *
 * The real system is never touched: the documented seams of core/schedule/timer.ts point the
 * units at a folder of the test (MASSMAIL_TEST_UNIT_DIR), choose systemd or cron
 * (MASSMAIL_TEST_TIMER: CI's container runs no systemd, and has no crontab program), and name the
 * programs run as systemctl and crontab. Those are small shell scripts of the test's own — real
 * programs the command starts: the systemctl one writes down its arguments, the crontab one keeps
 * `crontab -` 's input in a file and gives it back to `crontab -l`, as crontab does with its spool.
 * Debian's crontab cannot be pointed at another spool, so it is not used.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {cliPath, runCli} from '../helpers/cli.js';
import {spawnTerminal} from '../helpers/terminal.js';
import {tempFolder} from '../helpers/temp-dir.js';

const script = fs.realpathSync(cliPath);
const marker = '# massmail: runs scheduled sends every minute (massmail schedule uninstall removes this line and the next)';

interface Machine {
	/** MASSMAIL_CONFIG_DIR of the runs. */
	configDir: string;
	unitDir: string;
	/** What the stand-in systemctl was asked, one line per run. */
	systemctlCalls(): string[];
	/** The stand-in crontab's spool file. */
	crontabFile: string;
	env: Record<string, string>;
}

function machine(t: ExecutionContext, kind: 'systemd' | 'cron', options: {configName?: string} = {}): Machine {
	const root = tempFolder(t, 'massmail-timer-');
	const configDir = path.join(root, options.configName ?? 'config');
	fs.mkdirSync(configDir);
	const unitDir = path.join(root, 'units');
	const calls = path.join(root, 'systemctl-calls');
	const crontabFile = path.join(root, 'crontab');
	const systemctl = path.join(root, 'systemctl');
	fs.writeFileSync(systemctl, `#!/bin/sh\necho "$*" >> '${calls}'\n`, {mode: 0o755});
	const crontab = path.join(root, 'crontab-program');
	fs.writeFileSync(crontab, [
		'#!/bin/sh',
		`spool='${crontabFile}'`,
		'case "$1" in',
		'-l) if [ -f "$spool" ]; then cat "$spool"; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;',
		'-) cat > "$spool" ;;',
		'*) echo "usage: crontab -l | -" >&2; exit 1 ;;',
		'esac',
		'',
	].join('\n'), {mode: 0o755});
	return {
		configDir,
		unitDir,
		crontabFile,
		systemctlCalls: () => fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [],
		env: {
			MASSMAIL_CONFIG_DIR: configDir,
			MASSMAIL_TEST_TIMER: kind,
			MASSMAIL_TEST_UNIT_DIR: unitDir,
			MASSMAIL_TEST_SYSTEMCTL: systemctl,
			MASSMAIL_TEST_CRONTAB: crontab,
		},
	};
}

async function massmail(m: Machine, args: string[], env: Record<string, string> = {}) {
	return runCli(args, {configDir: m.configDir, env: {...m.env, ...env}});
}

const expectedService = (environmentLines: string[]) => [
	'# Written by `massmail schedule install`; `massmail schedule uninstall` removes it.',
	'# No password is written here: the sends take it from smtp.passwordCommand, or from',
	'# MASSMAIL_SMTP_PASSWORD in an EnvironmentFile= of your own (systemctl edit massmail-run-due.service).',
	'[Unit]',
	'Description=massmail: send the scheduled sends whose time has come',
	'Wants=network-online.target',
	'After=network-online.target',
	'',
	'[Service]',
	'Type=oneshot',
	...environmentLines,
	`ExecStart=${process.execPath} --max-semi-space-size=4 --no-allocation-site-pretenuring ${script} run-due`,
	'',
].join('\n');

const expectedTimer = [
	'# Written by `massmail schedule install`; `massmail schedule uninstall` removes it.',
	'[Unit]',
	'Description=massmail: run the scheduled sends every minute',
	'',
	'[Timer]',
	'OnCalendar=minutely',
	'Persistent=true',
	'AccuracySec=1s',
	'',
	'[Install]',
	'WantedBy=timers.target',
	'',
].join('\n');

const unitFiles = (m: Machine) => fs.existsSync(m.unitDir) ? fs.readdirSync(m.unitDir).sort() : [];

test('schedule install --print shows both units, with this node and cli.js and MASSMAIL_CONFIG_DIR, and writes nothing', async t => {
	const m = machine(t, 'systemd');
	const result = await massmail(m, ['schedule', 'install', '--print']);
	t.is(result.code, 0, result.stderr);
	t.is(result.stdout, [
		'massmail schedule install writes a system timer that runs `massmail run-due` every minute:',
		'',
		`# ${m.unitDir}/massmail-run-due.service`,
		expectedService([`Environment="MASSMAIL_CONFIG_DIR=${m.configDir}"`]),
		`# ${m.unitDir}/massmail-run-due.timer`,
		expectedTimer,
		'Then it runs:',
		`  ${m.env.MASSMAIL_TEST_SYSTEMCTL} daemon-reload`,
		`  ${m.env.MASSMAIL_TEST_SYSTEMCTL} enable --now massmail-run-due.timer`,
		'',
	].join('\n'));
	t.deepEqual(unitFiles(m), [], 'nothing written');
	t.deepEqual(m.systemctlCalls(), [], 'systemctl not run');
});

test('without MASSMAIL_CONFIG_DIR the unit names the XDG folders in use, so run-due reads the same settings and data', async t => {
	const m = machine(t, 'systemd');
	const home = tempFolder(t, 'massmail-home-');
	const dataHome = path.join(home, 'data');
	const result = await massmail(m, ['schedule', 'install', '--print'], {MASSMAIL_CONFIG_DIR: '', HOME: home, XDG_CONFIG_HOME: '', XDG_DATA_HOME: dataHome});
	t.is(result.code, 0, result.stderr);
	t.true(result.stdout.includes([
		'Type=oneshot',
		`Environment="XDG_CONFIG_HOME=${home}/.config"`,
		`Environment="XDG_DATA_HOME=${dataHome}"`,
		`ExecStart=${process.execPath} --max-semi-space-size=4 --no-allocation-site-pretenuring ${script} run-due`,
	].join('\n')), result.stdout);
});

test('schedule install asks on a terminal: n writes nothing (exit 2), y writes the units shown and enables the timer', async t => {
	const m = machine(t, 'systemd');
	const ask = async (answer: string) => {
		const term = spawnTerminal(['schedule', 'install'], {env: {...m.env, NO_COLOR: '1'}, columns: 200, rows: 50});
		t.teardown(() => {
			term.kill();
		});
		await term.waitFor('Write these files and enable the timer? [y/N]');
		term.type(`${answer}\r`);
		return {exit: await term.waitForExit(), output: term.output()};
	};

	const refused = await ask('n');
	t.is(refused.exit.exitCode, 2);
	t.true(refused.output.includes('not confirmed: nothing was changed or sent'), refused.output);
	t.deepEqual(unitFiles(m), []);
	t.deepEqual(m.systemctlCalls(), []);

	const accepted = await ask('y');
	t.is(accepted.exit.exitCode, 0, accepted.output);
	t.true(accepted.output.includes('Installed: massmail-run-due.timer runs massmail run-due every minute.'), accepted.output);
	t.deepEqual(unitFiles(m), ['massmail-run-due.service', 'massmail-run-due.timer']);
	t.is(fs.readFileSync(path.join(m.unitDir, 'massmail-run-due.service'), 'utf8'), expectedService([`Environment="MASSMAIL_CONFIG_DIR=${m.configDir}"`]));
	t.is(fs.readFileSync(path.join(m.unitDir, 'massmail-run-due.timer'), 'utf8'), expectedTimer);
	t.deepEqual(m.systemctlCalls(), ['daemon-reload', 'enable --now massmail-run-due.timer']);
});

test('schedule install without a terminal refuses (exit 2) unless --yes; a second install changes nothing; status says where it is', async t => {
	const m = machine(t, 'systemd');
	const refused = await massmail(m, ['schedule', 'install']);
	t.is(refused.code, 2);
	t.regex(refused.stderr, /refusing without a confirmation: there is no terminal to ask/);
	t.deepEqual(unitFiles(m), []);
	t.is((await massmail(m, ['schedule', 'status'])).stdout, 'No timer runs the scheduled sends: `massmail schedule install` installs one.\n');

	const confirmed = await massmail(m, ['schedule', 'install', '--yes']);
	t.is(confirmed.code, 0, confirmed.stderr);
	t.deepEqual(unitFiles(m), ['massmail-run-due.service', 'massmail-run-due.timer']);
	t.deepEqual(m.systemctlCalls(), ['daemon-reload', 'enable --now massmail-run-due.timer']);

	const again = await massmail(m, ['schedule', 'install', '--yes']);
	t.is(again.code, 0);
	t.is(again.stdout, `Already installed as it would be written (${m.unitDir}/massmail-run-due.service, ${m.unitDir}/massmail-run-due.timer); nothing changed.\n`);
	t.is(m.systemctlCalls().length, 2, 'systemctl not run again');
	const status = await massmail(m, ['schedule', 'status']);
	t.true(status.stdout.startsWith(`Installed: a systemd timer, ${m.unitDir}/massmail-run-due.timer.`), status.stdout);
});

test('schedule uninstall removes our two units and nothing else of the folder; a second one has nothing to remove', async t => {
	const m = machine(t, 'systemd');
	fs.mkdirSync(m.unitDir);
	fs.writeFileSync(path.join(m.unitDir, 'backup.timer'), '[Timer]\nOnCalendar=daily\n');
	fs.mkdirSync(path.join(m.unitDir, 'massmail-run-due.service.d'));
	fs.writeFileSync(path.join(m.unitDir, 'massmail-run-due.service.d', 'password.conf'), '[Service]\nEnvironmentFile=/etc/massmail/smtp.env\n');
	t.is((await massmail(m, ['schedule', 'install', '--yes'])).code, 0);

	const refused = await massmail(m, ['schedule', 'uninstall']);
	t.is(refused.code, 2);
	t.deepEqual(unitFiles(m), ['backup.timer', 'massmail-run-due.service', 'massmail-run-due.service.d', 'massmail-run-due.timer']);

	const removed = await massmail(m, ['schedule', 'uninstall', '--yes']);
	t.is(removed.code, 0, removed.stderr);
	t.deepEqual(unitFiles(m), ['backup.timer', 'massmail-run-due.service.d'], 'the administrator\'s drop-in and other units stay');
	t.deepEqual(m.systemctlCalls().slice(2), ['disable --now massmail-run-due.timer', 'daemon-reload']);

	const again = await massmail(m, ['schedule', 'uninstall', '--yes']);
	t.is(again.code, 0);
	t.is(again.stdout, `No massmail timer is installed in ${m.unitDir}; nothing to remove.\n`);
	t.is(m.systemctlCalls().length, 4);
});

test('the units pass systemd-analyze verify, with a folder name that needs quoting (a space, % and $)', async t => {
	const m = machine(t, 'systemd', {configName: 'mail data %h $HOME'});
	t.is((await massmail(m, ['schedule', 'install', '--yes'])).code, 0);
	const service = fs.readFileSync(path.join(m.unitDir, 'massmail-run-due.service'), 'utf8');
	t.true(service.includes(`Environment="MASSMAIL_CONFIG_DIR=${path.dirname(m.configDir)}/mail data %%h $HOME"\n`), service);
	const verify = spawnSync('systemd-analyze', ['verify', path.join(m.unitDir, 'massmail-run-due.service'), path.join(m.unitDir, 'massmail-run-due.timer')], {encoding: 'utf8'});
	t.is(verify.error, undefined, 'systemd-analyze is installed (scripts/test-prerequisites.sh installs the systemd package)');
	t.is(verify.status, 0, verify.stderr);
	t.is(verify.stderr, '');
});

test('cron: the crontab keeps its other lines byte for byte, install adds ours after a marker, uninstall removes only those', async t => {
	const m = machine(t, 'cron');
	// Latin-1 bytes, a CR, a % of another job, and no newline at the end.
	const before = Buffer.concat([
		Buffer.from('MAILTO=root\n# m h dom mon dow command\n0 3 * * * /usr/local/bin/backup --label='),
		Buffer.from([0xE9, 0x74, 0xE9]),
		Buffer.from(' --date=\\%Y\r\n\n@reboot echo up'),
	]);
	fs.writeFileSync(m.crontabFile, before);

	const print = await massmail(m, ['schedule', 'install', '--print']);
	t.is(print.code, 0, print.stderr);
	const line = `* * * * * MASSMAIL_CONFIG_DIR=${m.configDir} ${process.execPath} --max-semi-space-size=4 --no-allocation-site-pretenuring ${script} run-due >> ${m.configDir}/run-due.log 2>&1`;
	t.true(print.stdout.includes(`\n${marker}\n${line}\n`), print.stdout);
	t.deepEqual(fs.readFileSync(m.crontabFile), before, '--print changes nothing');

	t.is((await massmail(m, ['schedule', 'install'])).code, 2, 'no terminal, no --yes');
	t.deepEqual(fs.readFileSync(m.crontabFile), before);

	const installed = await massmail(m, ['schedule', 'install', '--yes']);
	t.is(installed.code, 0, installed.stderr);
	// The one byte added to the old lines: the newline cron needs at the end of the last one.
	t.deepEqual(fs.readFileSync(m.crontabFile), Buffer.concat([before, Buffer.from(`\n${marker}\n${line}\n`)]));
	t.is((await massmail(m, ['schedule', 'status'])).stdout.split(' ').slice(0, 5).join(' '), 'Installed: a line in the');
	t.is((await massmail(m, ['schedule', 'install', '--yes'])).stdout, 'Already installed as it would be written (the crontab line); nothing changed.\n');

	const removed = await massmail(m, ['schedule', 'uninstall', '--yes']);
	t.is(removed.code, 0, removed.stderr);
	t.deepEqual(fs.readFileSync(m.crontabFile), Buffer.concat([before, Buffer.from('\n')]));
	t.is((await massmail(m, ['schedule', 'uninstall', '--yes'])).stdout, 'No massmail line is in the crontab; nothing to remove.\n');
});

test('cron: an empty crontab ("no crontab for …") gets just our two lines', async t => {
	const m = machine(t, 'cron');
	t.is((await massmail(m, ['schedule', 'install', '--yes'])).code, 0);
	const lines = fs.readFileSync(m.crontabFile, 'utf8').split('\n');
	t.deepEqual(lines.slice(0, 1), [marker]);
	t.is(lines.length, 3);
	t.is(lines[2], '');
});

test('cron not installed yet: --print still shows the two lines (exit 0) and says install would stop; install itself refuses and names the fix', async t => {
	const m = machine(t, 'cron');
	// A crontab the machine does not have (Debian without the cron package).
	const env = {MASSMAIL_TEST_CRONTAB: path.join(m.unitDir, 'no-such-folder', 'crontab')};
	const print = await massmail(m, ['schedule', 'install', '--print'], env);
	t.is(print.code, 0, print.stderr);
	const line = `* * * * * MASSMAIL_CONFIG_DIR=${m.configDir} ${process.execPath} --max-semi-space-size=4 --no-allocation-site-pretenuring ${script} run-due >> ${m.configDir}/run-due.log 2>&1`;
	t.true(print.stdout.includes(`\n${marker}\n${line}\n`), print.stdout);
	t.true(print.stdout.endsWith(`\nHere, install would stop: ${env.MASSMAIL_TEST_CRONTAB} is not installed: cannot run \`${env.MASSMAIL_TEST_CRONTAB} -l\`. Install cron (apt-get install cron), or run \`massmail run-due\` every minute another way.\n`), print.stdout);

	const install = await massmail(m, ['schedule', 'install', '--yes'], env);
	t.is(install.code, 2);
	t.is(install.stdout, '');
	t.regex(install.stderr, /is not installed: cannot run .* -l`; nothing was changed\nInstall cron \(apt-get install cron\)/);
	t.false(fs.existsSync(m.crontabFile));
});

/** What cron runs of our crontab line: a bare % ends the command (the rest is its input), \\% is a %. */
function cronCommand(m: Machine): string {
	const line = fs.readFileSync(m.crontabFile, 'utf8').split('\n').find(text => text.startsWith('* * * * * '))!;
	return line.replace(/^(\S+\s+){5}/, '').split(/(?<!\\)%/)[0]!.replaceAll('\\%', '%');
}

/** Our crontab line's command, run by sh with cron's bare environment, as cron runs it each minute. */
function runCronLine(m: Machine, env: Record<string, string> = {}) {
	return spawnSync('/bin/sh', ['-c', cronCommand(m)], {env: {PATH: '/usr/bin:/bin', HOME: '/nonexistent', SHELL: '/bin/sh', LOGNAME: 'root', ...env}, encoding: 'utf8'});
}

test('cron: run-due moves a run-due.log grown past 1 MB to run-due.log.1, and the next minute starts a new one; a smaller one is left as it is', async t => {
	const m = machine(t, 'cron');
	t.is((await massmail(m, ['schedule', 'install', '--yes'])).code, 0);
	const log = path.join(m.configDir, 'run-due.log');
	const small = 'a minute\'s line\n'.repeat(1000);
	fs.writeFileSync(log, small);
	t.is(runCronLine(m).status, 0);
	t.is(fs.readFileSync(log, 'utf8'), small, 'under 1 MB: untouched');
	t.false(fs.existsSync(`${log}.1`));

	const large = `${'x'.repeat(99)}\n`.repeat(11_000);
	fs.writeFileSync(log, large);
	fs.writeFileSync(`${log}.1`, 'the one before\n');
	t.is(runCronLine(m).status, 0);
	// This run's own lines (none: nothing was due) went to the file the shell had opened, now .1.
	t.is(fs.readFileSync(`${log}.1`, 'utf8'), large);
	t.false(fs.existsSync(log));
	t.is(runCronLine(m).status, 0);
	t.is(fs.readFileSync(log, 'utf8'), '', 'the next minute\'s run writes to a new log');
	t.is(fs.readFileSync(`${log}.1`, 'utf8'), large);
});

test('no password reaches a unit or the crontab, even with MASSMAIL_SMTP_PASSWORD set; the note says where it goes instead', async t => {
	const password = 'pw-Schedule-7f3a';
	for (const kind of ['systemd', 'cron'] as const) {
		const m = machine(t, kind);
		const result = await massmail(m, ['schedule', 'install', '--yes'], {MASSMAIL_SMTP_PASSWORD: password, MASSMAIL_SMTP_URL: 'smtp://ann@mail.example.com:587'});
		t.is(result.code, 0, result.stderr);
		const written = kind === 'systemd'
			? unitFiles(m).map(name => fs.readFileSync(path.join(m.unitDir, name), 'utf8')).join('')
			: fs.readFileSync(m.crontabFile, 'utf8');
		t.true(written.includes('run-due'), written);
		t.false(written.includes(password), kind);
		t.false(written.includes('MASSMAIL_SMTP'.concat('_URL')), kind);
		t.false(result.stdout.includes(password));
		t.true(result.stdout.includes('MASSMAIL_SMTP_PASSWORD is set here but is not written'), result.stdout);
	}
});

test('cron: the line, run by sh -c as cron runs it (its % unescaped, cron\'s bare environment), runs run-due on the installing user\'s folders', async t => {
	const home = tempFolder(t, 'massmail-home-');
	const layouts = [
		{name: 'MASSMAIL_CONFIG_DIR', env: (m: Machine) => ({MASSMAIL_CONFIG_DIR: m.configDir}), settings: (m: Machine) => m.configDir, log: (m: Machine) => m.configDir},
		{
			name: 'XDG folders',
			env: () => ({MASSMAIL_CONFIG_DIR: '', HOME: home, XDG_CONFIG_HOME: path.join(home, 'conf %d'), XDG_DATA_HOME: path.join(home, 'data')}),
			settings: () => path.join(home, 'conf %d', 'massmail'),
			log: () => path.join(home, 'data', 'massmail'),
		},
	];
	for (const layout of layouts) {
		const m = machine(t, 'cron', {configName: 'data %d'});
		const env = layout.env(m);
		fs.mkdirSync(layout.settings(m), {recursive: true});
		// A grace of a minute: a run-due that read other settings (the default hour) would send.
		fs.writeFileSync(path.join(layout.settings(m), 'settings.json'), JSON.stringify({sender: {address: 'postmaster@mail.example.net'}, schedule: {grace: 60}}));
		// A send scheduled for 10:00 (the clock is the tests' seam), then run-due at 10:30: missed,
		// which only a run-due reading this user's settings and sends can say.
		const scheduled = await massmail(m, ['send', '--to', 'user:ann@example.com', '--allow-external', '--subject', 'Maintenance at noon', '--message', 'hi', '--at', '2030-01-01T10:00Z', '--yes'], {...env, MASSMAIL_NOW: '2030-01-01T09:00:00Z'});
		t.is(scheduled.code, 0, scheduled.stderr);
		t.is((await massmail(m, ['schedule', 'install', '--yes'], env)).code, 0);
		const ran = runCronLine(m, {MASSMAIL_NOW: '2030-01-01T10:30:00Z'});
		t.is(ran.status, 2, `${layout.name}: ${ran.stderr}`);
		const log = fs.readFileSync(path.join(layout.log(m), 'run-due.log'), 'utf8');
		t.regex(log, /^\d{8}-\d{6}-[\da-f]+ "Maintenance at noon" \(Tue 1 Jan 2030 10:00 UTC\): missed: .*schedule\.grace \(1min\)/, layout.name);
	}
});
