/**
 * A real Dovecot for a test: `dovecot -c CONF` from a temporary folder, with no protocols (so no
 * IMAP/POP3/LMTP and no TCP listener at all), base_dir, state_dir and the log in the folder, and a
 * passwd-file userdb of the test's users. Only its auth service matters: `doveadm user '*'` asks it
 * to iterate the userdb, so doveadm fails to reach its socket while Dovecot is not running.
 *
 * `command` is what a test gives the source as directory.dovecot.command: `doveadm -c CONF user '*'`.
 * Needs root (Dovecot's master runs as root and drops to the dovecot account; CI runs as root) and
 * Debian's dovecot-core (`bash scripts/test-prerequisites.sh`).
 */
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {endAtExit, forgetAtExit} from './end-at-exit.js';
import {dovecotMasterPid, killGroup, processAlive, tailOf} from './processes.js';

export const dovecotInstallCommand = 'bash scripts/test-prerequisites.sh';
const dovecotBinary = '/usr/sbin/dovecot';
const doveadmBinary = '/usr/bin/doveadm';

export interface DovecotOptions {
	/** The userdb's users, one passwd-file line each (`ann@a.test`, or `carl` for a user without a domain). */
	users: string[];
	/** false: write the config but do not start Dovecot (doveadm then finds no auth socket). Default true. */
	start?: boolean;
}

export interface DovecotServer {
	folder: string;
	configFile: string;
	/** directory.dovecot.command for this instance: `doveadm -c 'CONF' user '*'`. */
	command: string;
	/** Replaces the userdb's users (passwd-file is re-read when it changes). */
	setUsers: (users: string[]) => void;
	/** Stops Dovecot and keeps the folder: doveadm then meets a socket nobody listens on. */
	halt: () => Promise<void>;
	/** Stops Dovecot and removes the folder. Safe to call twice. */
	stop: () => Promise<void>;
}

function passwdFile(users: string[]): string {
	// user:password:uid:gid:gecos:home:shell — only the name matters to a listing.
	return users.map(user => `${user}:{PLAIN}not-used:65534:65534::/nonexistent::\n`).join('');
}

function dovecotConf(folder: string): string {
	const users = path.join(folder, 'users');
	return [
		`base_dir = ${path.join(folder, 'run')}`,
		`state_dir = ${path.join(folder, 'state')}`,
		`log_path = ${path.join(folder, 'dovecot.log')}`,
		'protocols =',
		'ssl = no',
		'passdb {',
		'  driver = passwd-file',
		`  args = ${users}`,
		'}',
		'userdb {',
		'  driver = passwd-file',
		`  args = ${users}`,
		'}',
		'',
	].join('\n');
}

/** Starts a private Dovecot; stop it with `stop()` (in `t.teardown` or `test.after.always`). */
export async function startDovecot(options: DovecotOptions): Promise<DovecotServer> {
	for (const program of [dovecotBinary, doveadmBinary]) {
		if (!fs.existsSync(program)) {
			throw new Error(`Dovecot is not installed (${program} not found): install it with \`${dovecotInstallCommand}\` (as root, or with sudo).`);
		}
	}

	if (process.getuid?.() !== 0) {
		throw new Error('startDovecot needs root: Dovecot\'s master runs as root (CI runs the tests as root).');
	}

	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-dovecot-'));
	const configFile = path.join(folder, 'dovecot.conf');
	const pid = () => dovecotMasterPid(folder);
	const halt = async () => {
		const id = pid();
		if (id === undefined || !processAlive(id)) {
			return;
		}

		// Nothing of a test instance needs a graceful stop (which takes Dovecot about two seconds):
		// the master and its children share its process group.
		killGroup(id);
		for (let wait = 0; wait < 100 && processAlive(id); wait++) {
			await sleep(20);
		}
	};

	try {
		// Dovecot's processes run as its own accounts and must reach their folders.
		fs.chmodSync(folder, 0o755);
		fs.writeFileSync(path.join(folder, 'users'), passwdFile(options.users), {mode: 0o644});
		fs.writeFileSync(configFile, dovecotConf(folder));
		if (options.start !== false) {
			endAtExit(folder, () => {
				const id = pid();
				if (id !== undefined) {
					killGroup(id);
				}
			});
			// The master forks into the background keeping the standard output and error it was given:
			// a file, not a pipe (a pipe would stay open, and a wait on it last as long as Dovecot).
			const startLog = path.join(folder, 'start.log');
			const output = fs.openSync(startLog, 'w');
			const started = spawn(dovecotBinary, ['-c', configFile], {stdio: ['ignore', output, output]});
			fs.closeSync(output);
			const gaveUp = new AbortController();
			const [code] = await Promise.race([
				once(started, 'exit'),
				sleep(30_000, ['timed out'], {signal: gaveUp.signal}),
			]) as [number | string | null];
			gaveUp.abort();
			if (code !== 0) {
				throw new Error(`dovecot -c ${configFile} failed to start (${code}): ${tailOf(startLog, 10)}\n${tailOf(path.join(folder, 'dovecot.log'), 10)}`);
			}

			const socket = path.join(folder, 'run', 'auth-userdb');
			const deadline = Date.now() + 10_000;
			while (!fs.existsSync(socket)) {
				if (Date.now() > deadline) {
					throw new Error(`Dovecot did not create ${socket} within 10 s. End of its log:\n${tailOf(path.join(folder, 'dovecot.log'), 10)}`);
				}

				await sleep(20);
			}
		}
	} catch (error) {
		await halt();
		forgetAtExit(folder);
		fs.rmSync(folder, {recursive: true, force: true});
		throw error;
	}

	let stopped: Promise<void> | undefined;
	return {
		folder,
		configFile,
		command: `${doveadmBinary} -c '${configFile}' user '*'`,
		setUsers(users) {
			fs.writeFileSync(path.join(folder, 'users'), passwdFile(users));
		},
		halt,
		async stop() {
			stopped ??= (async () => {
				await halt();
				forgetAtExit(folder);
				fs.rmSync(folder, {recursive: true, force: true});
			})();
			return stopped;
		},
	};
}
