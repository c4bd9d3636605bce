/**
 * The `sql` directory source: one SELECT against the mail server's own database, PostgreSQL
 * (`pg`) or MySQL/MariaDB (`mysql2`), whose result has the CSV import's columns
 * `email, name, role, disabled` (ready queries for PostfixAdmin and iRedMail: sql-queries.ts).
 *
 * ```ts
 * const source = openSqlSource({url: 'postgres://mail@127.0.0.1:5432/postfix', query, password});
 * const mailboxes = await source.read({timeoutMs: 30_000});
 * ```
 *
 * - The password never comes from the URL (it is refused there) and never appears in a message.
 * - Off the loopback interface the connection is TLS with a verified certificate (Node's CAs, or
 *   those of `caFile`), decided from every address the host name resolves to; the connection goes
 *   to exactly those addresses.
 * - The whole read ends by `timeoutMs`: resolving, connecting, logging in, the query and the
 *   reading of its rows; then (or on `signal`) the connection is destroyed. The server stops the
 *   query too: PostgreSQL is sent a CancelRequest, and statement_timeout (PostgreSQL) or
 *   max_statement_time / max_execution_time (MariaDB / MySQL) end it a second after the deadline.
 * - The query runs read-only (PostgreSQL: default_transaction_read_only; MySQL: a read-only
 *   session) and alone (no second statement).
 */
import dns from 'node:dns';
import net from 'node:net';
import type {Duplex} from 'node:stream';
import mysql from 'mysql2';
import pg from 'pg';
import {MassmailError} from '../errors.js';
import {isRole, roles} from '../directory.js';
import {csvColumns} from '../import.js';
import type {Role} from '../types.js';
import {isLoopbackAddress, readCaFile, tlsProblem, withoutSecret} from '../tls.js';
import {withDeadline} from './plumbing.js';
import type {DirectorySource, ReadOptions, SourceMailbox} from './source.js';
import type {SqlDialect} from './sql-queries.js';

export interface SqlTarget {
	dialect: SqlDialect;
	user: string;
	/** As written in the URL, without IPv6 brackets. */
	host: string;
	port: number;
	database: string;
	/** The URL without any password, for people and the directory's record. */
	label: string;
}

const schemes: Record<string, SqlDialect> = {
	'postgres:': 'postgres',
	'postgresql:': 'postgres',
	'mysql:': 'mysql',
	'mariadb:': 'mysql',
};

const defaultPorts: Record<SqlDialect, number> = {postgres: 5432, mysql: 3306};
const urlForm = 'postgres://user@host:port/database or mysql://user@host:port/database';
const passwordHint = 'put the password in MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand';

function badUrl(problem: string): MassmailError {
	return new MassmailError('validation', `directory.sql.url ${problem}`, {hint: `write it as ${urlForm}`});
}

/**
 * Reads a `directory.sql.url`. Refuses a password in it, and never repeats the URL in an error
 * (it may hold one).
 */
export function parseSqlUrl(text: string): SqlTarget {
	const trimmed = text.trim();
	const scheme = /^([a-z][a-z\d+.-]*):\/\//i.exec(trimmed)?.[1].toLowerCase();
	if (scheme === undefined || schemes[`${scheme}:`] === undefined) {
		throw badUrl('must start with postgres://, postgresql://, mysql:// or mariadb://');
	}

	let url: URL;
	try {
		url = new URL(trimmed);
	} catch {
		throw badUrl('is not a valid URL (check the host and the port)');
	}

	if (url.password !== '') {
		throw new MassmailError('validation', 'directory.sql.url holds a password: a password never goes in the URL, which is shown and stored', {
			hint: `remove it from the URL and ${passwordHint}`,
		});
	}

	const dialect = schemes[url.protocol];
	let user: string;
	let database: string;
	try {
		user = decodeURIComponent(url.username);
		database = decodeURIComponent(url.pathname.replace(/^\//, ''));
	} catch {
		throw badUrl('has a bad %-escape in the user or the database');
	}

	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (host === '') {
		throw badUrl('names no host');
	}

	if (user === '') {
		throw badUrl('names no user (the part before @)');
	}

	if (database === '' || database.includes('/')) {
		throw badUrl('must name one database after the host: …/database');
	}

	if (url.search !== '' || url.hash !== '') {
		throw badUrl('takes no parameters (?… or #…): TLS is chosen by the address, the password comes from elsewhere');
	}

	const port = url.port === '' ? defaultPorts[dialect] : Number(url.port);
	if (port < 1) {
		throw badUrl('has port 0');
	}

	return {
		dialect,
		user,
		host,
		port,
		database,
		label: `${url.protocol}//${url.username}@${url.host}${url.pathname}`,
	};
}

/**
 * Whether a connection must be TLS with a verified certificate: unless every address the host
 * resolved to is on the loopback interface (the resolved addresses, never the name: a name can
 * point anywhere). Off loopback it is TLS with or without a password, since an answer that can be
 * read or forged on the way is a list of addresses massmail would write to.
 */
export function needsVerifiedTls(addresses: readonly string[]): boolean {
	return addresses.length === 0 || !addresses.every(address => isLoopbackAddress(address));
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

async function resolve(host: string): Promise<string[]> {
	if (net.isIP(host) !== 0) {
		return [host];
	}

	const found = await dns.promises.lookup(host, {all: true, verbatim: true});
	return found.map(entry => entry.address);
}

// ------------------------------------------------------------------ rows to mailboxes

function textOf(value: unknown): string | undefined {
	if (typeof value === 'string') {
		return value;
	}

	if (Buffer.isBuffer(value)) {
		return value.toString('utf8');
	}

	if (typeof value === 'number' || typeof value === 'bigint') {
		return String(value);
	}

	return undefined;
}

function shown(value: unknown): string {
	if (Buffer.isBuffer(value)) {
		return `0x${value.toString('hex')}`;
	}

	return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const disabledWords: Record<string, boolean> = {
	'': false, f: false, false: false, no: false, 0: false, t: true, true: true, yes: true, 1: true,
};

function disabledOf(value: unknown): boolean | undefined {
	if (value === null || value === undefined) {
		return false;
	}

	if (typeof value === 'boolean') {
		return value;
	}

	if (typeof value === 'number' || typeof value === 'bigint') {
		return value === 1 || value === 1n ? true : value === 0 || value === 0n ? false : undefined;
	}

	if (Buffer.isBuffer(value)) {
		// A MySQL BIT(1).
		return value.length === 1 && value[0] <= 1 ? value[0] === 1 : undefined;
	}

	if (typeof value === 'string') {
		const word = value.trim().toLowerCase();
		return Object.hasOwn(disabledWords, word) ? disabledWords[word] : undefined;
	}

	return undefined;
}

/**
 * The mailboxes of a query's result (`columns` as the server named them, `rows` as arrays in that
 * order). `name`, `role` and `disabled` may be absent: those fields are then left out. A NULL name is
 * '', a NULL or empty role is user, a NULL disabled is false.
 *
 * Fails with a MassmailError('validation') naming every bad row (`row 3 (ann@example.com): …`), or the
 * columns found when they are not the CSV import's.
 */
export function mailboxesFromRows(columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>): SourceMailbox[] {
	const names = columns.map(name => name.trim().toLowerCase());
	const found = columns.length === 0 ? 'none' : columns.map(name => JSON.stringify(name)).join(', ');
	const hint = `name the columns ${csvColumns.join(', ')} (e.g. SELECT username AS email, …)`;
	const unknown = names.filter(name => !(csvColumns as readonly string[]).includes(name));
	const twice = names.filter((name, index) => names.indexOf(name) !== index);
	if (!names.includes('email')) {
		throw new MassmailError('validation', `the directory query returns no email column (columns found: ${found})`, {hint});
	}

	if (unknown.length > 0 || twice.length > 0) {
		const parts = [
			...(unknown.length > 0 ? [`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map(name => JSON.stringify(name)).join(', ')}`] : []),
			...(twice.length > 0 ? [`column${twice.length > 1 ? 's' : ''} ${[...new Set(twice)].join(', ')} given twice`] : []),
		];
		throw new MassmailError('validation', `the directory query returns ${parts.join(' and ')} (columns found: ${found})`, {hint});
	}

	const email = names.indexOf('email');
	const name = names.indexOf('name');
	const role = names.indexOf('role');
	const disabled = names.indexOf('disabled');
	const problems: string[] = [];
	const mailboxes: SourceMailbox[] = [];
	for (let index = 0; index < rows.length; index++) {
		const row = rows[index];
		const key = `row ${index + 1}`;
		const address = textOf(row[email]);
		const reasons: string[] = [];
		if (address === undefined) {
			reasons.push(row[email] === null || row[email] === undefined ? 'email is NULL' : `email is not text (${shown(row[email])})`);
		} else if (address.trim() === '') {
			reasons.push('email is empty');
		}

		const mailbox: SourceMailbox = {key, email: address ?? ''};
		if (name !== -1) {
			const value = row[name];
			const text = value === null || value === undefined ? '' : textOf(value);
			if (text === undefined) {
				reasons.push(`name is not text (${shown(value)})`);
			} else {
				mailbox.name = text;
			}
		}

		if (role !== -1) {
			const value = row[role];
			const text = value === null || value === undefined ? '' : textOf(value)?.trim().toLowerCase();
			const given = text === '' ? 'user' : text;
			if (isRole(given)) {
				mailbox.role = given as Role;
			} else {
				reasons.push(`unknown role ${shown(value)} (use ${roles.join(', ')}, or empty or NULL for user)`);
			}
		}

		if (disabled !== -1) {
			const value = disabledOf(row[disabled]);
			if (value === undefined) {
				reasons.push(`disabled must be a boolean, 0/1, t/f or true/false (NULL for false), found ${shown(row[disabled])}`);
			} else {
				mailbox.disabled = value;
			}
		}

		if (reasons.length > 0) {
			problems.push(`${address === undefined || address.trim() === '' ? key : `${key} (${address})`}: ${reasons.join('; ')}`);
			continue;
		}

		mailboxes.push(mailbox);
	}

	if (problems.length > 0) {
		const more = problems.length > 1 ? ` (and ${problems.length - 1} more bad ${problems.length === 2 ? 'row' : 'rows'})` : '';
		throw new MassmailError('validation', `the directory query returns a bad row: ${problems[0]}${more}`, {details: problems});
	}

	return mailboxes;
}

// ------------------------------------------------------------------ errors

type Phase = 'resolving' | 'connecting' | 'querying';

const phaseWords: Record<Phase, string> = {
	resolving: 'resolving the host name',
	connecting: 'connecting and logging in',
	querying: 'running the query',
};

interface DriverError {
	message?: string;
	code?: string;
	errno?: number;
	/** pg's DatabaseError. */
	severity?: string;
	errors?: DriverError[];
}

/** A driver's failure as the MassmailError the user sees. */
function failure(error: unknown, target: SqlTarget, phase: Phase, secret: string | undefined): MassmailError {
	if (error instanceof MassmailError) {
		return error;
	}

	const cause = (error ?? {}) as DriverError;
	// Node's happy-eyeballs connect fails with every address's error.
	const first = cause.errors?.[0] ?? cause;
	const code = cause.code ?? first.code ?? '';
	const words = withoutSecret(cause.message || first.message || String(error), secret);
	const where = target.label;
	const loginHint = `check the user in directory.sql.url and the password (MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand)`;
	const connection = (message: string, hint = 'check directory.sql.url, and that the server runs and listens there') =>
		new MassmailError('connection', message, {hint, cause: error});

	if (target.dialect === 'postgres' && cause.severity !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
		if (code.startsWith('28')) {
			return new MassmailError('auth', `${where} refused the login of ${JSON.stringify(target.user)}: ${words}`, {hint: loginHint, cause: error});
		}

		if (code === '3D000') {
			return new MassmailError('validation', `${where}: ${words}`, {hint: 'check the database in directory.sql.url', cause: error});
		}

		if (code === '57014') {
			return connection(`${where} did not finish the query in time: ${words}`, 'raise the deadline, or make the query faster');
		}

		if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) {
			return connection(`${where} could not serve the read: ${words}`);
		}

		return new MassmailError('validation', `${where} refused the directory query: ${words}`, {hint: 'check directory.sql.query: one SELECT giving email, name, role, disabled', cause: error});
	}

	if (target.dialect === 'mysql' && typeof cause.errno === 'number' && cause.errno >= 1000 && cause.errno < 5000) {
		// ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR, ER_HOST_NOT_PRIVILEGED, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
		if ([1044, 1045, 1130, 1698].includes(cause.errno)) {
			return new MassmailError('auth', `${where} refused the login of ${JSON.stringify(target.user)}: ${words}`, {hint: loginHint, cause: error});
		}

		// ER_BAD_DB_ERROR
		if (cause.errno === 1049) {
			return new MassmailError('validation', `${where}: ${words}`, {hint: 'check the database in directory.sql.url', cause: error});
		}

		// ER_CON_COUNT_ERROR, ER_SERVER_SHUTDOWN, ER_STATEMENT_TIMEOUT (MariaDB), ER_QUERY_TIMEOUT (MySQL)
		if ([1040, 1053, 1969, 3024].includes(cause.errno)) {
			return connection(`${where} could not serve the read: ${words}`);
		}

		return new MassmailError('validation', `${where} refused the directory query: ${words}`, {hint: 'check directory.sql.query: one SELECT giving email, name, role, disabled', cause: error});
	}

	if (/client password must be a string|password authentication|no password supplied/i.test(words)) {
		return new MassmailError('auth', `${where} asks for a password and none is set`, {hint: passwordHint, cause: error});
	}

	if (tlsProblem(error) !== undefined) {
		return connection(
			`${where}: no verified TLS connection: ${words}`,
			'off the loopback interface the directory is read only over TLS, with a certificate for the host in the URL from a CA Node.js trusts (or the one in directory.sql.caFile)',
		);
	}

	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
		return connection(`cannot reach ${where}: the host name ${JSON.stringify(target.host)} does not resolve (${code})`);
	}

	if (code === 'PROTOCOL_SEQUENCE_TIMEOUT' || code === 'ETIMEDOUT' || /timeout/i.test(words)) {
		return connection(`${where} did not answer in time while ${phaseWords[phase]}: ${words}`);
	}

	return connection(`cannot reach ${where} (${phaseWords[phase]}): ${words}`);
}

// ------------------------------------------------------------------ drivers

interface Result {
	columns: string[];
	rows: unknown[][];
}

interface Connection {
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

async function readPostgres(connection: Connection): Promise<Result> {
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

async function readMysql(connection: Connection): Promise<Result> {
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

// ------------------------------------------------------------------ the source

/**
 * The `sql` source: `url` is `postgres://user@host:port/db` (or postgresql://) or
 * `mysql://user@host:port/db` (or mariadb://), `query` one SELECT giving `email, name, role,
 * disabled`, `password` from MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand, `caFile`
 * a PEM file of the CAs to trust (instead of Node's own list) when the connection is TLS.
 *
 * Throws a MassmailError('validation') at once for a bad URL, an empty query or an unreadable
 * CA file; `read` fails with `connection`, `auth` or `validation` as DirectorySource says.
 */
export function openSqlSource(options: {url: string; query: string; password?: string; caFile?: string}): DirectorySource {
	const target = parseSqlUrl(options.url);
	const ca = options.caFile === undefined || options.caFile === '' ? undefined : readCaFile(options.caFile, 'directory.sql.caFile');

	const query = options.query.trim();
	if (query === '') {
		throw new MassmailError('validation', 'directory.sql.query is empty', {hint: 'give one SELECT returning email, name, role, disabled (see the ready queries in the README)'});
	}

	const password = options.password === '' ? undefined : options.password;
	return {
		label: target.label,
		async read({timeoutMs, signal}: ReadOptions): Promise<SourceMailbox[]> {
			const result = await readWithin({target, query, password, ca}, timeoutMs, signal);
			return mailboxesFromRows(result.columns, result.rows);
		},
	};
}

async function readWithin(
	{target, query, password, ca}: {target: SqlTarget; query: string; password: string | undefined; ca: string | undefined},
	timeoutMs: number,
	signal: AbortSignal | undefined,
): Promise<Result> {
	const startedAt = Date.now();
	let phase: Phase = 'resolving';
	return withDeadline(target.label, timeoutMs, signal, async stop => {
		try {
			const addresses = await resolve(target.host);
			stop.throwIfAborted();
			const connection: Connection = {
				target,
				query,
				password,
				addresses,
				tls: needsVerifiedTls(addresses),
				ca,
				remainingMs: () => timeoutMs - (Date.now() - startedAt),
				setPhase(next) {
					phase = next;
				},
				onDestroy(destroy) {
					stop.addEventListener('abort', destroy, {once: true});
				},
			};
			return await (target.dialect === 'postgres' ? readPostgres(connection) : readMysql(connection));
		} catch (error) {
			throw failure(error, target, phase, password);
		}
	}, {
		during: () => `still ${phaseWords[phase]}`,
		hint: 'check that the server answers, or give the read more time',
	});
}
