/**
 * The log of `run-due` under cron (`… run-due >> DATA/run-due.log 2>&1`, written by
 * `schedule install`): cron appends to it every minute and nothing else would ever trim it, so
 * run-due keeps it to a bounded size itself, as logrotate's `size` rule would, with no second
 * program to install. Under systemd the journal keeps the output and the file never exists.
 */
import fs from 'node:fs';
import path from 'node:path';

export const runDueLogName = 'run-due.log';

/** Past this size the log is moved aside: about a year of a quiet minute's lines, weeks of busy ones. */
export const runDueLogLimitBytes = 1024 * 1024;

/**
 * Moves `run-due.log` in `dataRoot` to `run-due.log.1` (replacing the one before) once it is
 * larger than `limitBytes`. The shell opened the log before this run started: this run's own lines
 * still go to the file it opened, now `.1`, and the next minute's run starts a new `run-due.log`.
 * Returns what it did, or why it could not, for a notice; a log it cannot move never stops a send.
 */
export function rotateRunDueLog(dataRoot: string, limitBytes = runDueLogLimitBytes): {moved: boolean; problem?: string} {
	const log = path.join(dataRoot, runDueLogName);
	try {
		if (fs.statSync(log).size <= limitBytes) {
			return {moved: false};
		}

		fs.renameSync(log, `${log}.1`);
		return {moved: true};
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return code === 'ENOENT' ? {moved: false} : {moved: false, problem: `${log}: cannot move it to ${runDueLogName}.1 (${code ?? (error as Error).message}); it keeps growing`};
	}
}
