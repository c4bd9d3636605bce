/** What the server helpers ask of the system about processes and accounts. */
import fs from 'node:fs';
import path from 'node:path';

/** True while the process runs: a zombie is dead (a daemon's parent, PID 1 here, may reap it a second later). */
export function processAlive(pid: number): boolean {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
	} catch {
		return false;
	}
}

/** uid and gid of a system account, from /etc/passwd. */
export function account(name: string): {uid: number; gid: number} | undefined {
	for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
		const fields = line.split(':');
		if (fields[0] === name) {
			return {uid: Number(fields[2]), gid: Number(fields[3])};
		}
	}

	return undefined;
}

/** The PID a Dovecot instance of a test wrote into its base folder (`run/master.pid`), if it is there. */
export function dovecotMasterPid(folder: string): number | undefined {
	try {
		const pid = Number(fs.readFileSync(path.join(folder, 'run', 'master.pid'), 'utf8').trim());
		return Number.isInteger(pid) && pid > 0 ? pid : undefined;
	} catch {
		return undefined;
	}
}

/** Ends a daemon's master and its children (they share its process group). */
export function killGroup(pid: number): void {
	try {
		process.kill(-pid, 'SIGKILL');
	} catch {
		// Gone.
	}
}

/** The last lines of a log, for an error message. */
export function tailOf(file: string, lines: number): string {
	try {
		return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
	} catch {
		return '(no log)';
	}
}
