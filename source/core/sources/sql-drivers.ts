/**
 * The `sql` source's two drivers, each running the one query on a connection already decided
 * (sql-read.ts: the addresses, TLS, the deadline): PostgreSQL through `pg`, MySQL and MariaDB
 * through `mysql2`. Both connect only to the addresses checked, run the query read-only and
 * alone, and have the server stop it a second after the read's deadline.
 */
import net from 'node:net';
import type {Duplex} from 'node:stream';
import mysql from 'mysql2';
import pg from 'pg';
import type {SqlTarget} from './sql-url.js';

/** Where a read is: what its deadline's message says it was still doing. */
export type Phase = 'resolving' | 'connecting' | 'querying';

/** What pg and mysql2 throw, as far as the messages read it. */
export interface DriverError {
	message?: string;
	code?: string;
	errno?: number;
	/** pg's DatabaseError. */
	severity?: string;
	errors?: DriverError[];
}

/** A socket that connects to the addresses already checked, not to a second DNS answer. */
function pinnedSocket(addresses: readonly string[]): net.Socket {
	const entries = addresses.map(address => ({address, family: net.isIPv6(address) ? 6 : 4}));
	const lookup: net.LookupFunction = (_hostname, options, callback) => {
		if (options.all) {
			callback(null, entries);
		} else {
			callback(null, entries[0].address, entries[0].family);
		}
	};

	const socket = new net.Socket();
	const connect = socket.connect.bind(socket) as (options: net.TcpSocketConnectOpts) => net.Socket;
	// pg calls connect(port, host) on the socket it is given; this one keeps the host (for TLS) but
	// connects only to the checked addresses.
	(socket as unknown as {connect: (port: number, host: string) => net.Socket}).connect = (port, host) => connect({port, host, lookup});
	return socket;
}

export interface Result {
	columns: string[];
	rows: unknown[][];
}

export interface Connection {
	target: SqlTarget;
	query: string;
	password: string | undefined;
	addresses: string[];
	tls: boolean;
	/** The CAs to trust instead of Node's own list (directory.sql.caFile), as PEM text. */
	ca: string | undefined;
	/** Until the deadline, for the drivers' own timers (connect, statement). */
	remainingMs: () => number;
	setPhase: (phase: Phase) => void;
	/** Registers what ends the connection at once when the read is stopped (the deadline, the signal). */
	onDestroy: (destroy: () => void) => void;
}

/** ER_UNKNOWN_SYSTEM_VARIABLE */
const unknownVariable = 1193;

/**
 * For the server's own limits (statement_timeout, max_statement_time): a second past the read's
 * deadline, so the read's timer speaks first and the server stops the work of a read already given up.
 */
function serverLimitMs(connection: Connection): number {
	return Math.max(1, Math.ceil(connection.remainingMs())) + 1000;
}

/**
 * PostgreSQL's CancelRequest: 16 bytes on a new connection naming the backend and its key. Sent in
 * clear, as libpq does (it lets the reader stop that one query, nothing else).
 */
function cancelPostgres(connection: Connection, processID: number, secretKey: number): void {
	const message = Buffer.alloc(16);
	message.writeInt32BE(16, 0);
	message.writeInt32BE(80_877_102, 4);
	message.writeInt32BE(processID, 8);
	message.writeInt32BE(secretKey, 12);
	const socket = pinnedSocket(connection.addresses);
	socket.on('error', () => {
		// The query ends by statement_timeout anyway.
	});
	socket.setTimeout(2000, () => socket.destroy());
	socket.once('connect', () => socket.end(message));
	socket.connect(connection.target.port, connection.target.host);
}

export async function readPostgres(connection: Connection): Promise<Result> {
	const {target} = connection;
	const socket = pinnedSocket(connection.addresses);
	const client = new pg.Client({
		host: target.host,
		port: target.port,
		user: target.user,
		database: target.database,
		password: connection.password,
		ssl: connection.tls ? {rejectUnauthorized: true, ca: connection.ca} : false,
		stream: () => socket as Duplex,
		// The read's own timer ends the read; this ends the query on the server too.
		statement_timeout: serverLimitMs(connection),
		application_name: 'massmail',
		options: '-c default_transaction_read_only=on',
	});
	client.on('error', () => {
		// A late error after the read settled; the read reports its own.
	});
	let querying = false;
	connection.onDestroy(() => {
		socket.destroy();
		// A backend notices its client is gone only when it next writes: ask it to stop now.
		const {processID, secretKey} = client as unknown as {processID: number | null; secretKey: number | null};
		if (querying && processID !== null && secretKey !== null) {
			cancelPostgres(connection, processID, secretKey);
		}
	});
	try {
		connection.setPhase('connecting');
		await client.connect();
		connection.setPhase('querying');
		querying = true;
		// The extended protocol takes one statement only.
		const result = await client.query({text: connection.query, rowMode: 'array', queryMode: 'extended'} as pg.QueryArrayConfig);
		return {columns: result.fields.map(field => field.name), rows: result.rows};
	} finally {
		client.end().catch(() => {
			// Closed already.
		});
		setTimeout(() => socket.destroy(), 2000).unref();
	}
}

export async function readMysql(connection: Connection): Promise<Result> {
	const {target} = connection;
	const socket = pinnedSocket(connection.addresses);
	socket.setNoDelay(true);
	socket.connect(target.port, target.host);
	const client = mysql.createConnection({
		host: target.host,
		port: target.port,
		user: target.user,
		database: target.database,
		password: connection.password,
		// verifyIdentity: without it mysql2 checks the chain but not the host name.
		ssl: connection.tls ? {rejectUnauthorized: true, verifyIdentity: true, ca: connection.ca} : undefined,
		stream: () => socket,
		// The read's own timer ends the read; mysql2's default 10 s must not end it sooner.
		connectTimeout: serverLimitMs(connection),
		rowsAsArray: true,
		multipleStatements: false,
	});
	client.on('error', () => {
		// A late error after the read settled; the read reports its own.
	});
	connection.onDestroy(() => {
		client.destroy();
		socket.destroy();
	});
	const run = async (sql: string) => new Promise<Result>((resolve, reject) => {
		client.query({sql, rowsAsArray: true}, (error, rows, fields) => {
			if (error) {
				reject(error);
			} else {
				resolve({columns: (fields ?? []).map(field => field.name), rows: Array.isArray(rows) ? rows as unknown[][] : []});
			}
		});
	});

	try {
		connection.setPhase('connecting');
		await new Promise<void>((resolve, reject) => {
			client.connect(error => {
				if (error) {
					reject(error);
				} else {
					resolve();
				}
			});
		});
		connection.setPhase('querying');
		await run('SET SESSION TRANSACTION READ ONLY');
		// The read's own timer ends the read; this ends the query on the server too (a server
		// notices a closed connection only when it next writes to it).
		const limitMs = serverLimitMs(connection);
		try {
			await run(`SET SESSION max_statement_time = ${(limitMs / 1000).toFixed(3)}`); // MariaDB
		} catch (error) {
			if ((error as DriverError).errno !== unknownVariable) {
				throw error;
			}

			await run(`SET SESSION max_execution_time = ${limitMs}`).catch((mysqlError: unknown) => {
				// MySQL older than 5.7.8 knows neither: the read's own timer still ends the read.
				if ((mysqlError as DriverError).errno !== unknownVariable) {
					throw mysqlError;
				}
			});
		}

		return await run(connection.query);
	} finally {
		client.end(() => {
			// Closed, or closed already.
		});
		setTimeout(() => {
			client.destroy();
			socket.destroy();
		}, 2000).unref();
	}
}
