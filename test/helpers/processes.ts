/** What the server helpers ask of the system about processes and accounts. */
import fs from 'node:fs';

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
