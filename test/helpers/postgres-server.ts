/**
 * A real PostgreSQL 15 for a test file: a private cluster (`initdb` + `pg_ctl`) in a temporary
 * folder, listening only on 127.0.0.1 at a free port, run by the unprivileged `postgres` account
 * when the tests run as root (`runuser -u postgres --`). It never touches the system's clusters.
 *
 * The folder holds `data/` (the cluster), the Unix socket (the superuser's way in: `local all
 * postgres trust`, reachable only by root and postgres) and `log`. Over TCP every login is
 * scram-sha-256: the `reader` role has a password of its own (fresh each start) and reads every
 * table of every database (pg_read_all_data), so a wrong password is a real refused login.
 * With `tls`, the server also offers TLS, with a certificate from a CA of the test's own (`caFile`).
 *
 * The server is no daemon: `postgres` runs under a small shell tied to this process (spawnTied),
 * so it ends with the test process however that ends (SIGKILL and ava's timeout included).
 * Start once per test file (test.before) and stop in test.after.always.
 * Needs Debian's postgresql package (`bash scripts/test-prerequisites.sh`).
 */
import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {promisify} from 'node:util';
import pg from 'pg';
import {freePort} from '../../bench/lib/postfix.js';
import {account} from './processes.js';

const run = promisify(execFile);
const bin = '/usr/lib/postgresql/15/bin';
export const sqlServersInstallCommand = 'bash scripts/test-prerequisites.sh';

/** What a test needs of a database server, PostgreSQL or MariaDB alike. */
export interface SqlTestServer {
	kind: 'postgres' | 'mariadb';
	host: '127.0.0.1';
	port: number;
	/** The temporary folder holding the data, the socket and the log. */
	folder: string;
	/**
	 * With `tls`: the PEM file of the test's own CA, which signed the server's certificate for
	 * localhost, 127.0.0.1 and 0.0.0.0 (no public CA vouches for it).
	 */
	caFile?: string;
	/** A login with a password that may read every table. */
	reader: {user: string; password: string};
	/** The reader's URL for a database, without the password (as directory.sql.url takes it). */
	url: (database: string) => string;
	/**
	 * Runs SQL as the superuser over the Unix socket: several statements separated by `;` are
	 * allowed. Resolves with the rows of the last one. `database` defaults to the server's own.
	 */
	sql: (text: string, database?: string) => Promise<Array<Record<string, unknown>>>;
	/** Creates an empty database (a no-op when it exists). */
	createDatabase: (name: string) => Promise<void>;
	/** The end of the server's log, for a failure message. */
	logTail: (lines?: number) => string;
	/** Stops the server and removes the folder. Safe to call twice. */
	stop: () => Promise<void>;
}

/** The command as the postgres account when we are root (initdb and postgres refuse root). */
function asPostgres(program: string, args: string[]): [string, string[]] {
	return process.getuid?.() === 0 ? ['/usr/sbin/runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

// The shell between us and a server. Its standard input is our pipe: the loop reads end-of-file
// once we close it (stop) or are gone, however we ended. Then it marks the folder as stopping,
// signals the server, waits for it and removes the folder. A server that ends on its own (a port
// already taken) leaves the folder for another try.
const tiedScript = `
folder=$1 signal=$2
shift 2
exec 3<&0
"$@" </dev/null 3<&- &
server=$!
(while read -r _; do :; done; : >"$folder/.stopping"; kill -s "$signal" "$server" 2>/dev/null) <&3 &
watcher=$!
exec 3<&-
wait "$server"
status=$?
if [ -e "$folder/.stopping" ]; then rm -rf "$folder"; else kill "$watcher" 2>/dev/null; fi
exit $status
`;

export interface TiedServer {
	child: ChildProcess;
	/** Resolves with the exit code when the server (and its shell) ended. */
	exited: Promise<number | null>;
	/** Stops the server with its signal, waits for it and removes the folder. Safe to call twice. */
	stop: () => Promise<void>;
}

/**
 * Runs a server program (never a daemon: it must stay in the foreground) that cannot outlive this
 * process: see tiedScript. `runAs` runs the shell and the server as that account (root only).
 * Output goes to `log`.
 */
export function spawnTied(program: string, args: string[], options: {folder: string; log: string; signal: 'INT' | 'TERM'; runAs?: string}): TiedServer {
	const shell = ['/bin/sh', '-c', tiedScript, 'sh', options.folder, options.signal, program, ...args];
	const [command, commandArgs] = options.runAs ? ['/usr/sbin/runuser', ['-u', options.runAs, '--', ...shell]] : [shell[0], shell.slice(1)];
	const output = fs.openSync(options.log, 'a');
	const child = spawn(command, commandArgs, {stdio: ['pipe', output, output]});
	fs.closeSync(output);
	const exited = new Promise<number | null>(resolve => {
		child.once('exit', code => resolve(code));
	});
	// The shell, not this process, decides when the server ends; do not keep this process alive for it.
	child.unref();
	(child.stdin as unknown as {unref?: () => void}).unref?.();
	let stopped: Promise<void> | undefined;
	return {
		child,
		exited,
		async stop() {
			stopped ??= (async () => {
				// Wait for it, now.
				child.ref();
				child.stdin?.end();
				const ended = await Promise.race([exited.then(() => true), sleep(20_000, undefined, {ref: false}).then(() => false)]);
				if (!ended) {
					child.kill('SIGKILL');
				}

				fs.rmSync(options.folder, {recursive: true, force: true});
			})();
			return stopped;
		},
	};
}

function tail(file: string, lines: number): string {
	try {
		return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
	} catch {
		return '(no log)';
	}
}

export interface SqlServerOptions {
	/** Offer TLS with a certificate signed by a CA of the test's own (`caFile`). */
	tls?: boolean;
}

const opensslBinary = '/usr/bin/openssl';

/**
 * A CA and a server certificate signed by it (EC keys: fast), for localhost, 127.0.0.1 and
 * 0.0.0.0 (an address that reaches this machine's listeners but is not loopback). The key is
 * given to `owner`, readable by it alone (PostgreSQL insists).
 */
export async function makeTestCertificates(folder: string, owner?: {uid: number; gid: number}): Promise<{caFile: string; certFile: string; keyFile: string}> {
	if (!fs.existsSync(opensslBinary)) {
		throw new Error(`openssl is not installed (${opensslBinary} not found): install it with \`${sqlServersInstallCommand}\`.`);
	}

	const file = (name: string) => path.join(folder, name);
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	await run(opensslBinary, ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=massmail test CA'], {timeout: 20_000});
	await run(opensslBinary, ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost'], {timeout: 20_000});
	fs.writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:0.0.0.0\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
	await run(opensslBinary, ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext')], {timeout: 20_000});
	fs.chmodSync(file('server.key'), 0o600);
	if (owner) {
		fs.chownSync(file('server.key'), owner.uid, owner.gid);
	}

	return {caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key')};
}

/**
 * Waits until the server takes a login (true), or has ended (false: its log says why), for at
 * most 30 s; a server still starting then is stopped.
 */
export async function ready(tied: TiedServer, client: () => {connect: () => Promise<unknown>; end: () => Promise<unknown>}): Promise<boolean> {
	let ended = false;
	void tied.exited.then(() => {
		ended = true;
	});
	for (const deadline = Date.now() + 30_000; Date.now() < deadline && !ended;) {
		const attempt = client();
		try {
			await attempt.connect();
			await attempt.end();
			return true;
		} catch {
			await attempt.end().catch(() => undefined);
			await sleep(50);
		}
	}

	if (!ended) {
		await tied.stop();
		throw new Error('the server did not take a login within 30 s');
	}

	return false;
}

/** SQL string literal. */
const literal = (text: string) => `'${text.replaceAll('\'', '\'\'')}'`;

/** Start a private PostgreSQL 15; stop it with `stop()`. */
export async function startPostgres(options: SqlServerOptions = {}): Promise<SqlTestServer> {
	for (const program of ['initdb', 'pg_ctl', 'postgres']) {
		if (!fs.existsSync(path.join(bin, program))) {
			throw new Error(`PostgreSQL 15 is not installed (${path.join(bin, program)} not found): install it with \`${sqlServersInstallCommand}\` (as root, or with sudo).`);
		}
	}

	const root = process.getuid?.() === 0;
	const owner = account('postgres');
	if (root && (!owner || !fs.existsSync('/usr/sbin/runuser'))) {
		throw new Error(`Running as root needs the postgres account and runuser: reinstall PostgreSQL with \`${sqlServersInstallCommand}\`.`);
	}

	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-postgres-'));
	const data = path.join(folder, 'data');
	const log = path.join(folder, 'log');
	const reader = {user: 'reader', password: randomBytes(12).toString('hex')};
	let port = 0;
	let caFile: string | undefined;
	let tied: TiedServer | undefined;
	const superuser = (database = 'postgres') => new pg.Client({host: folder, port, user: 'postgres', database});

	try {
		if (root && owner) {
			fs.chownSync(folder, owner.uid, owner.gid);
		}

		const [command, args] = asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
		await run(command, args, {timeout: 60_000});
		fs.writeFileSync(path.join(data, 'pg_hba.conf'), [
			'# The superuser only through the socket in the test folder; everyone else with a password.',
			'local all postgres trust',
			'host all all 127.0.0.1/32 scram-sha-256',
			'',
		].join('\n'));
		const tls: Record<string, string> = {};
		if (options.tls) {
			const files = await makeTestCertificates(folder, root ? owner : undefined);
			caFile = files.caFile;
			Object.assign(tls, {ssl: 'on', ssl_cert_file: literal(files.certFile), ssl_key_file: literal(files.keyFile)});
		}

		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			const settings = {
				...tls,
				port: String(port),
				listen_addresses: literal('127.0.0.1'),
				unix_socket_directories: literal(folder),
				// A test cluster: nothing here must survive a crash.
				fsync: 'off',
				synchronous_commit: 'off',
				full_page_writes: 'off',
				max_connections: '40',
				password_encryption: literal('scram-sha-256'),
			};
			fs.writeFileSync(path.join(data, 'postgresql.auto.conf'), Object.entries(settings).map(([name, value]) => `${name} = ${value}\n`).join(''));
			// SIGINT: PostgreSQL's fast shutdown.
			tied = spawnTied(path.join(bin, 'postgres'), ['-D', data], {folder, log, signal: 'INT', runAs: root ? 'postgres' : undefined});
			if (await ready(tied, superuser)) {
				break;
			}

			if (attempt < 3 && /address already in use/i.test(tail(log, 20))) {
				continue;
			}

			throw new Error(`postgres did not start on port ${port}:\n${tail(log, 15)}`);
		}
	} catch (error) {
		await tied?.stop();
		fs.rmSync(folder, {recursive: true, force: true});
		throw error;
	}

	const sql = async (text: string, database = 'postgres'): Promise<Array<Record<string, unknown>>> => {
		const client = superuser(database);
		await client.connect();
		try {
			const result = await client.query(text) as pg.QueryResult | pg.QueryResult[];
			const last = Array.isArray(result) ? result.at(-1) : result;
			return (last?.rows ?? []) as Array<Record<string, unknown>>;
		} finally {
			await client.end();
		}
	};

	const server: SqlTestServer = {
		kind: 'postgres',
		host: '127.0.0.1',
		port,
		folder,
		caFile,
		reader,
		url: database => `postgres://${reader.user}@127.0.0.1:${port}/${database}`,
		sql,
		async createDatabase(name) {
			const exists = await sql(`SELECT 1 FROM pg_database WHERE datname = ${literal(name)}`);
			if (exists.length === 0) {
				await sql(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
			}
		},
		logTail: (lines = 20) => tail(log, lines),
		stop: async () => tied?.stop(),
	};

	try {
		await sql(`CREATE ROLE ${reader.user} LOGIN PASSWORD ${literal(reader.password)}; GRANT pg_read_all_data TO ${reader.user}`);
	} catch (error) {
		await server.stop();
		throw error;
	}

	return server;
}
