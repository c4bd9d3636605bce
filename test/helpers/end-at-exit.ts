/**
 * Servers a test process started, ended synchronously if it exits without stopping them (a test
 * that failed before its teardown, a run cut short): no daemon or temporary folder outlives it.
 * One `exit` listener for every helper (Postfix, slapd, Dovecot).
 */
import fs from 'node:fs';

const endings = new Map<string, () => void>();
let listening = false;

/** Until `forgetAtExit(folder)`: at exit, `end()` (errors ignored), then the folder is removed. */
export function endAtExit(folder: string, end: () => void): void {
	endings.set(folder, end);
	if (!listening) {
		listening = true;
		process.once('exit', () => {
			for (const [each, ending] of endings) {
				try {
					ending();
				} catch {
					// Gone already.
				}

				fs.rmSync(each, {recursive: true, force: true});
			}
		});
	}
}

/** The server was stopped the ordinary way. */
export function forgetAtExit(folder: string): void {
	endings.delete(folder);
}
