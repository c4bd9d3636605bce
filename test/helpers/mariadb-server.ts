/**
 * A real MariaDB for a test file: `mariadb-install-db` into a temporary folder, then `mariadbd`
 * (a child of this process) on 127.0.0.1 at a free port, run as the unprivileged `mysql` account
 * when the tests run as root. `--no-defaults` first: it never reads /etc/mysql or touches the
 * system's server. Networking stays on (a TCP listener on loopback only).
 *
 * The folder holds `data/`, the Unix socket `sock` (the superuser's way in: root@localhost with no
 * password, which only a client on the socket matches; the install's root@127.0.0.1 and the like
 * are dropped), and `error.log`. Over TCP the `reader` user logs in with a password of its own
 * (fresh each start) and may SELECT every table. With `tls`, the server also offers TLS, with a
 * certificate from a CA of the test's own (`caFile`).
 *
 * mariadbd runs under a small shell tied to this process (spawnTied in postgres-server.ts), so
 * it ends with the test process however that ends (SIGKILL and ava's timeout included).
 * Start once per test file (test.before) and stop in test.after.always.
 * Needs Debian's mariadb-server package (`bash scripts/test-prerequisites.sh`).
 */
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import mysql from 'mysql2/promise';
import {freePort} from '../../bench/lib/postfix.js';
import {
	makeTestCertificates, ready, spawnTied, sqlServersInstallCommand, type SqlServerOptions, type SqlTestServer, type TiedServer,
} from './postgres-server.js';
import {account} from './processes.js';

const run = promisify(execFile);
const installDb = '/usr/bin/mariadb-install-db';
const mariadbd = '/usr/sbin/mariadbd';

function tail(file: string, lines: number): string {
	try {
		return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
	} catch {
		return '(no log)';
	}
}

const literal = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll('\'', '\'\'')}'`;

/** Start a private MariaDB; stop it with `stop()`. */
export async function startMariadb(options: SqlServerOptions = {}): Promise<SqlTestServer> {
	for (const program of [installDb, mariadbd]) {
		if (!fs.existsSync(program)) {
			throw new Error(`MariaDB is not installed (${program} not found): install it with \`${sqlServersInstallCommand}\` (as root, or with sudo).`);
		}
	}

	const root = process.getuid?.() === 0;
	const owner = account('mysql');
	if (root && !owner) {
		throw new Error(`Running as root needs the mysql account: reinstall MariaDB with \`${sqlServersInstallCommand}\`.`);
	}

	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-mariadb-'));
	const data = path.join(folder, 'data');
	const socketPath = path.join(folder, 'sock');
	const log = path.join(folder, 'error.log');
	const reader = {user: 'reader', password: randomBytes(12).toString('hex')};
	const asUser = root ? ['--user=mysql'] : [];
	let tied: TiedServer | undefined;
	let port = 0;
	let caFile: string | undefined;
	const tls: string[] = [];

	const superuser = async (database?: string) => mysql.createConnection({socketPath, user: 'root', database, multipleStatements: true});
	const sql = async (text: string, database?: string): Promise<Array<Record<string, unknown>>> => {
		const connection = await superuser(database);
		try {
			const [result, fields] = await connection.query(text);
			// Several statements answer with one result (and one list of fields, or none) each.
			const several = Array.isArray(fields) && (fields as unknown[]).some(field => field === undefined || Array.isArray(field));
			const last: unknown = several && Array.isArray(result) ? result.at(-1) : result;
			return Array.isArray(last) ? last as Array<Record<string, unknown>> : [];
		} finally {
			await connection.end();
		}
	};

	try {
		if (root && owner) {
			fs.chownSync(folder, owner.uid, owner.gid);
		}

		if (options.tls) {
			const files = await makeTestCertificates(folder, root ? owner : undefined);
			caFile = files.caFile;
			tls.push(`--ssl-cert=${files.certFile}`, `--ssl-key=${files.keyFile}`, `--ssl-ca=${files.caFile}`);
		}

		await run(installDb, ['--no-defaults', `--datadir=${data}`, ...asUser, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], {timeout: 60_000});
		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			fs.rmSync(log, {force: true});
			tied = spawnTied(mariadbd, [
				'--no-defaults',
				`--datadir=${data}`,
				`--port=${port}`,
				'--bind-address=127.0.0.1',
				`--socket=${socketPath}`,
				`--pid-file=${path.join(folder, 'pid')}`,
				`--log-error=${log}`,
				`--tmpdir=${folder}`,
				...asUser,
				'--skip-name-resolve',
				'--character-set-server=utf8mb4',
				// A test server: nothing here must survive a crash.
				'--innodb-buffer-pool-size=64M',
				'--innodb-flush-log-at-trx-commit=0',
				'--innodb-doublewrite=0',
				'--max-connections=40',
				...tls,
			], {folder, log: path.join(folder, 'output.log'), signal: 'TERM'});
			const connection = () => {
				let opened: mysql.Connection | undefined;
				return {
					async connect() {
						opened = await superuser();
					},
					end: async () => opened?.end(),
				};
			};

			if (await ready(tied, connection)) {
				break;
			}

			if (attempt < 3 && /address already in use|bind on tcp\/ip port/i.test(tail(log, 20))) {
				continue;
			}

			throw new Error(`mariadbd did not start on port ${port}:\n${tail(log, 15)}`);
		}

		await sql([
			'DELETE FROM mysql.global_priv WHERE User = \'root\' AND Host <> \'localhost\'',
			'DELETE FROM mysql.global_priv WHERE User = \'\'',
			'FLUSH PRIVILEGES',
			`CREATE USER ${literal(reader.user)}@'%' IDENTIFIED BY ${literal(reader.password)}`,
			`GRANT SELECT ON *.* TO ${literal(reader.user)}@'%'`,
		].join(';\n'));
	} catch (error) {
		await tied?.stop();
		fs.rmSync(folder, {recursive: true, force: true});
		throw error;
	}

	return {
		kind: 'mariadb',
		host: '127.0.0.1',
		port,
		folder,
		caFile,
		reader,
		url: database => `mysql://${reader.user}@127.0.0.1:${port}/${database}`,
		sql,
		async createDatabase(name) {
			await sql(`CREATE DATABASE IF NOT EXISTS \`${name.replaceAll('`', '``')}\` CHARACTER SET utf8mb4`);
		},
		logTail: (lines = 20) => tail(log, lines),
		stop: async () => tied?.stop(),
	};
}
