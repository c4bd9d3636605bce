/**
 * A real PostgreSQL 15 for a test file: a private cluster (`initdb` + `pg_ctl`) in a temporary
 * folder, listening only on 127.0.0.1 at a free port, run by the unprivileged `postgres` account
 * when the tests run as root (`runuser -u postgres --`). It never touches the system's clusters.
 *
 * The folder holds `data/` (the cluster), the Unix socket (the superuser's way in: `local all
 * postgres trust`, reachable only by root and postgres) and `log`. Over TCP every login is
 * scram-sha-256: the `reader` role has a password of its own (fresh each start) and reads every
 * table of every database (pg_read_all_data), so a wrong password is a real refused login.
 *
 * Start once per test file (test.before) and stop in test.after.always; a process that exits
 * without stopping ends the instance (pg_ctl stop -m immediate) and removes the folder.
 * Needs Debian's postgresql package (`bash scripts/test-prerequisites.sh`).
 */
import {execFile, execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import pg from 'pg';
import {freePort} from '../../bench/lib/postfix.js';

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

function account(name: string): {uid: number; gid: number} | undefined {
	for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
		const fields = line.split(':');
		if (fields[0] === name) {
			return {uid: Number(fields[2]), gid: Number(fields[3])};
		}
	}

	return undefined;
}

/** The command as the postgres account when we are root (initdb and postgres refuse root). */
function asPostgres(program: string, args: string[]): [string, string[]] {
	return process.getuid?.() === 0 ? ['/usr/sbin/runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

const running = new Map<string, string>();
let exitHookInstalled = false;
function installExitHook(): void {
	if (exitHookInstalled) {
		return;
	}

	exitHookInstalled = true;
	process.once('exit', () => {
		for (const folder of running.keys()) {
			try {
				const [command, args] = asPostgres(path.join(bin, 'pg_ctl'), ['-D', path.join(folder, 'data'), '-m', 'immediate', '-w', 'stop']);
				execFileSync(command, args, {stdio: 'ignore', timeout: 10_000});
			} catch {
				// Not running.
			}

			fs.rmSync(folder, {recursive: true, force: true});
		}
	});
}

function tail(file: string, lines: number): string {
	try {
		return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
	} catch {
		return '(no log)';
	}
}

/** SQL string literal. */
const literal = (text: string) => `'${text.replaceAll('\'', '\'\'')}'`;

/** Start a private PostgreSQL 15; stop it with `stop()`. */
export async function startPostgres(): Promise<SqlTestServer> {
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
	const pgCtl = async (args: string[], timeout = 30_000) => {
		const [command, commandArgs] = asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, ...args]);
		return run(command, commandArgs, {timeout});
	};

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
		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			const settings = {
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
			try {
				await pgCtl(['-l', log, '-w', '-t', '30', 'start']);
				break;
			} catch (error) {
				if (attempt < 3 && /address already in use/i.test(tail(log, 20))) {
					continue;
				}

				throw new Error(`pg_ctl start failed: ${(error as Error).message.trim()}\n${tail(log, 15)}`, {cause: error});
			}
		}
	} catch (error) {
		try {
			await pgCtl(['-m', 'immediate', '-w', 'stop'], 10_000);
		} catch {
			// Not started.
		}

		fs.rmSync(folder, {recursive: true, force: true});
		throw error;
	}

	running.set(folder, data);
	installExitHook();

	const sql = async (text: string, database = 'postgres'): Promise<Array<Record<string, unknown>>> => {
		const client = new pg.Client({host: folder, port, user: 'postgres', database});
		await client.connect();
		try {
			const result = await client.query(text) as pg.QueryResult | pg.QueryResult[];
			const last = Array.isArray(result) ? result.at(-1) : result;
			return (last?.rows ?? []) as Array<Record<string, unknown>>;
		} finally {
			await client.end();
		}
	};

	let stopped: Promise<void> | undefined;
	const server: SqlTestServer = {
		kind: 'postgres',
		host: '127.0.0.1',
		port,
		folder,
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
		async stop() {
			stopped ??= (async () => {
				try {
					await pgCtl(['-m', 'fast', '-w', 'stop'], 30_000);
				} catch {
					try {
						await pgCtl(['-m', 'immediate', '-w', 'stop'], 10_000);
					} catch {
						// Not running any more.
					}
				}

				running.delete(folder);
				fs.rmSync(folder, {recursive: true, force: true});
			})();
			return stopped;
		},
	};

	try {
		await sql(`CREATE ROLE ${reader.user} LOGIN PASSWORD ${literal(reader.password)}; GRANT pg_read_all_data TO ${reader.user}`);
	} catch (error) {
		await server.stop();
		throw error;
	}

	return server;
}
