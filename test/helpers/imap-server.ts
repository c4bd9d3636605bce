/**
 * A real IMAP server for a test: Dovecot (`dovecot -c CONF`, an instance of its own from a
 * temporary folder) serving existing Maildirs over IMAP on 127.0.0.1 at a free port, without TLS,
 * with a passwd-file of the test's users and passwords (PLAIN and LOGIN). With the `tls` option it
 * also serves IMAPS on a second free port and offers STARTTLS on the first, with a certificate a CA
 * of the instance's own signed (certificates.ts): a client trusts it only when given that CA.
 *
 * It is made to read the Maildirs Postfix's virtual(8) delivers to (test/helpers/postfix-server.ts):
 * Dovecot's mail processes run with the uid/gid virtual writes as (the `nobody` account, as the
 * Postfix harness sets virtual_uid_maps), so both can create and read the same files. A Maildir that
 * does not exist yet is created by Dovecot at the first login; mail Postfix delivers later shows up
 * in it (new/ is scanned on every SELECT, NOOP and IDLE). Folders a client creates are Maildir++
 * folders (`.massmail.processed/`) that Postfix never touches.
 *
 * Needs root (Dovecot's master runs as root; CI runs as root) and Debian's dovecot-core and
 * dovecot-imapd (`bash scripts/test-prerequisites.sh`).
 */
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {freePort, greets} from '../../bench/lib/postfix.js';
import {makeTestCertificates, type TestCertificates} from './certificates.js';
import {endAtExit, forgetAtExit} from './end-at-exit.js';
import {account, dovecotMasterPid, killGroup, processAlive, tailOf} from './processes.js';

export const imapInstallCommand = 'bash scripts/test-prerequisites.sh';
const dovecotBinary = '/usr/sbin/dovecot';
const imapBinary = '/usr/lib/dovecot/imap';

export interface ImapUser {
	/** The login name, e.g. `bounces@example.com`. */
	user: string;
	password: string;
	/** The absolute path of the user's Maildir (the folder holding cur/, new/, tmp/): its INBOX. */
	maildir: string;
}

export interface ImapOptions {
	users: ImapUser[];
	/** The uid/gid Dovecot's mail processes run as. Default: the `nobody` account (Postfix virtual's in the harness). */
	mailUser?: {uid: number; gid: number};
	/** The hierarchy separator the server announces: `'/'` (default, `massmail/processed`) or Maildir++'s `'.'`. */
	separator?: '/' | '.';
	/**
	 * Serve TLS too: IMAPS on a port of its own, STARTTLS on `port` (which still takes a login in
	 * clear, as without TLS). The certificate is for `names` (default localhost, 127.0.0.1).
	 */
	tls?: {names?: string[]};
}

export interface ImapServer {
	host: '127.0.0.1';
	port: number;
	/** With the `tls` option: the IMAPS port (TLS from the first byte) and the PEM file of the CA that signed the server's certificate. */
	tls?: {imapsPort: number; caFile: string};
	/** The instance's temporary folder and its configuration file. */
	folder: string;
	configFile: string;
	/** Dovecot's log (logins, errors), for a failing test's message. */
	logLines: () => string[];
	/** Stops Dovecot and removes its folder (never the Maildirs). Safe to call twice. */
	stop: () => Promise<void>;
}

function checkUser(user: ImapUser): void {
	// passwd-file fields are separated by ':' and the file by lines; the mail location takes no spaces.
	if (!/^[^:\s]+$/.test(user.user) || !/^[^:\r\n]+$/.test(user.password)) {
		throw new Error(`Not a user startImapServer can write to a passwd-file: ${JSON.stringify(user.user)}`);
	}

	if (!path.isAbsolute(user.maildir) || /[:\s]/.test(user.maildir)) {
		throw new Error(`The Maildir must be an absolute path without ':' or spaces: ${user.maildir}`);
	}
}

function passwdFile(users: ImapUser[], homes: string[], mailUser: {uid: number; gid: number}): string {
	// user:password:uid:gid:gecos:home:shell:extra fields. The home is a folder of the instance's
	// (Dovecot keeps some state there); the mail location is the Maildir itself.
	return users.map((user, index) => [
		user.user,
		`{PLAIN}${user.password}`,
		mailUser.uid,
		mailUser.gid,
		'',
		homes[index],
		'',
		`userdb_mail=maildir:${user.maildir}`,
	].join(':') + '\n').join('');
}

function dovecotConf(folder: string, port: number, separator: string, tls?: {imapsPort: number; certificates: TestCertificates}): string {
	const users = path.join(folder, 'users');
	return [
		`base_dir = ${path.join(folder, 'run')}`,
		`state_dir = ${path.join(folder, 'state')}`,
		`log_path = ${path.join(folder, 'dovecot.log')}`,
		'protocols = imap',
		'listen = 127.0.0.1',
		// `<file`: the configuration process (root) reads the file, the login processes never do.
		...(tls ? ['ssl = yes', `ssl_cert = <${tls.certificates.certFile}`, `ssl_key = <${tls.certificates.keyFile}`] : ['ssl = no']),
		// A password in clear on 127.0.0.1 is what a test server takes (with TLS too, on the plain port).
		'disable_plaintext_auth = no',
		'auth_mechanisms = plain login',
		// A wrong password is refused at once (Dovecot waits 2 s by default, per mechanism tried).
		'auth_failure_delay = 0',
		'namespace inbox {',
		'  inbox = yes',
		`  separator = ${separator}`,
		'}',
		'service imap-login {',
		'  inet_listener imap {',
		'    address = 127.0.0.1',
		`    port = ${port}`,
		'  }',
		'  inet_listener imaps {',
		...(tls ? ['    address = 127.0.0.1', `    port = ${tls.imapsPort}`, '    ssl = yes'] : ['    port = 0']),
		'  }',
		'}',
		'passdb {',
		'  driver = passwd-file',
		`  args = scheme=PLAIN username_format=%u ${users}`,
		'}',
		'userdb {',
		'  driver = passwd-file',
		`  args = username_format=%u ${users}`,
		'}',
		'',
	].join('\n');
}

/** Starts a private Dovecot IMAP server; stop it with `stop()` (in `t.teardown` or `test.after.always`). */
export async function startImapServer(options: ImapOptions): Promise<ImapServer> {
	for (const [program, what] of [[dovecotBinary, 'Dovecot'], [imapBinary, 'Dovecot\'s IMAP server (dovecot-imapd)']]) {
		if (!fs.existsSync(program)) {
			throw new Error(`${what} is not installed (${program} not found): install it with \`${imapInstallCommand}\` (as root, or with sudo).`);
		}
	}

	if (process.getuid?.() !== 0) {
		throw new Error('startImapServer needs root: Dovecot\'s master runs as root (CI runs the tests as root).');
	}

	options.users.forEach(checkUser);
	const mailUser = options.mailUser ?? account('nobody');
	if (!mailUser) {
		throw new Error('The nobody account must exist (or pass mailUser).');
	}

	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-imap-'));
	const configFile = path.join(folder, 'dovecot.conf');
	const log = path.join(folder, 'dovecot.log');
	const pid = () => dovecotMasterPid(folder);
	const halt = async () => {
		const id = pid();
		if (id === undefined || !processAlive(id)) {
			return;
		}

		// Nothing of a test instance needs Dovecot's graceful stop (about two seconds).
		killGroup(id);
		for (let wait = 0; wait < 100 && processAlive(id); wait++) {
			await sleep(20);
		}
	};

	let port: number;
	let tls: {imapsPort: number; certificates: TestCertificates} | undefined;
	try {
		// Dovecot's processes run as its own accounts and as mailUser: they must reach their folders.
		fs.chmodSync(folder, 0o755);
		const homes = options.users.map((_user, index) => {
			const home = path.join(folder, 'home', String(index));
			fs.mkdirSync(home, {recursive: true, mode: 0o700});
			fs.chownSync(home, mailUser.uid, mailUser.gid);
			return home;
		});
		fs.writeFileSync(path.join(folder, 'users'), passwdFile(options.users, homes, mailUser), {mode: 0o644});
		const certificates = options.tls ? await makeTestCertificates(folder, {names: options.tls.names ?? ['localhost', '127.0.0.1']}) : undefined;
		endAtExit(folder, () => {
			const id = pid();
			if (id !== undefined) {
				killGroup(id);
			}
		});

		// The ports are free when asked but could be taken before Dovecot binds them: then try others.
		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			if (certificates) {
				let imapsPort = await freePort();
				while (imapsPort === port) {
					imapsPort = await freePort();
				}

				tls = {imapsPort, certificates};
			}

			fs.writeFileSync(configFile, dovecotConf(folder, port, options.separator ?? '/', tls));
			// The master forks into the background keeping the standard output and error it was given:
			// a file, not a pipe (a wait on a pipe would last as long as Dovecot).
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
				throw new Error(`dovecot -c ${configFile} failed to start (${code}): ${tailOf(startLog, 10)}\n${tailOf(log, 10)}`);
			}

			// The master binds its listeners (both, with TLS) before it forks; a port taken meanwhile ends it at once.
			const deadline = Date.now() + 10_000;
			let ready = false;
			while (!ready && Date.now() < deadline) {
				ready = await greets(port, '* OK');
				if (!ready) {
					const id = pid();
					if (id === undefined || !processAlive(id)) {
						break;
					}

					await sleep(20);
				}
			}

			if (ready) {
				break;
			}

			await halt();
			if (attempt < 3 && /address already in use/i.test(tailOf(log, 20))) {
				continue;
			}

			throw new Error(`Dovecot did not answer IMAP on 127.0.0.1:${port} within 10 s. End of its log:\n${tailOf(log, 10)}`);
		}
	} catch (error) {
		await halt();
		forgetAtExit(folder);
		fs.rmSync(folder, {recursive: true, force: true});
		throw error;
	}

	let stopped: Promise<void> | undefined;
	return {
		host: '127.0.0.1',
		port,
		...(tls ? {tls: {imapsPort: tls.imapsPort, caFile: tls.certificates.caFile}} : {}),
		folder,
		configFile,
		logLines() {
			try {
				return fs.readFileSync(log, 'utf8').split('\n').filter(line => line !== '');
			} catch {
				return [];
			}
		},
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
