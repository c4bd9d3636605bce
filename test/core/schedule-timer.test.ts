/**
 * timerInstalled() and missingTimerWarning(): what `massmail scheduled` and the dashboard's header
 * ask before warning that nothing runs the scheduled sends. The machine is the test's own through
 * the documented seams (MASSMAIL_TEST_*): a unit folder of the test, and a crontab stand-in — a
 * shell script that prints the test's spool file for `crontab -l`, as crontab prints its spool.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {cronMarker, missingTimerWarning, timerInstalled} from '../../source/core/schedule/timer.js';
import {tempFolder} from '../helpers/temp-dir.js';

function machine(t: ExecutionContext) {
	const root = tempFolder(t, 'massmail-timer-');
	const spool = path.join(root, 'crontab');
	const crontab = path.join(root, 'crontab-program');
	fs.writeFileSync(crontab, `#!/bin/sh\n[ "$1" = -l ] && [ -f '${spool}' ] && exec cat '${spool}'\necho "no crontab for $(id -un)" >&2\nexit 1\n`, {mode: 0o755});
	const unitDir = path.join(root, 'units');
	const env = {...process.env, MASSMAIL_CONFIG_DIR: root, MASSMAIL_TEST_TIMER: 'systemd', MASSMAIL_TEST_UNIT_DIR: unitDir, MASSMAIL_TEST_CRONTAB: crontab};
	return {env, unitDir, spool};
}

test('nothing installed: two scheduled sends get the warning, none gets none', t => {
	const {env} = machine(t);
	t.is(timerInstalled(env), undefined);
	t.is(missingTimerWarning(2, env), '2 sends are scheduled but no timer runs them: `massmail schedule install` installs one (or run `massmail run-due` at the time yourself).');
	t.is(missingTimerWarning(1, env)?.startsWith('1 send is scheduled but'), true);
	t.is(missingTimerWarning(0, env), undefined);
});

test('the systemd timer unit in the unit folder counts as installed; the service alone does not', t => {
	const {env, unitDir} = machine(t);
	fs.mkdirSync(unitDir);
	fs.writeFileSync(path.join(unitDir, 'massmail-run-due.service'), '[Service]\n');
	t.is(timerInstalled(env), undefined);
	fs.writeFileSync(path.join(unitDir, 'massmail-run-due.timer'), '[Timer]\n');
	t.deepEqual(timerInstalled(env), {kind: 'systemd', where: path.join(unitDir, 'massmail-run-due.timer')});
	t.is(missingTimerWarning(3, env), undefined);
	// No timer runs the demo profile's (schedule install refuses it): its warning says the command that does.
	t.is(missingTimerWarning(1, env, true), '1 send is scheduled on the demo profile, which no timer runs: run `massmail --demo run-due` at the time.');
	t.is(missingTimerWarning(0, env, true), undefined);
});

test('our marked line in the crontab counts as installed, even where systemd runs; a line of someone else\'s does not', t => {
	const {env, spool} = machine(t);
	fs.writeFileSync(spool, '* * * * * /usr/bin/node /opt/massmail/dist/cli.js run-due\n');
	t.is(timerInstalled(env), undefined, 'not marked as ours');
	fs.writeFileSync(spool, `MAILTO=root\n${cronMarker}\n* * * * * /usr/bin/node /opt/massmail/dist/cli.js run-due >> /x/run-due.log 2>&1\n`);
	t.is(timerInstalled(env)?.kind, 'cron');
	t.is(missingTimerWarning(1, env), undefined);
});

test('no crontab program at all is no timer, not an error', t => {
	const {env} = machine(t);
	t.is(timerInstalled({...env, MASSMAIL_TEST_CRONTAB: path.join(env.MASSMAIL_TEST_UNIT_DIR, 'no-such-crontab')}), undefined);
});
