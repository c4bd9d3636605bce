/**
 * The `sql` directory source's reader: one SELECT against the mail server's own database,
 * PostgreSQL (`pg`) or MySQL/MariaDB (`mysql2`: both in sql-drivers.ts), whose result has the CSV
 * import's columns `email, name, role, disabled` (sql-rows.ts; ready queries for PostfixAdmin and
 * iRedMail: sql-queries.ts). Loaded only when the source is opened (sql.ts).
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
import {MassmailError} from '../errors.js';
import {isLoopbackAddress, readCaFile, tlsProblem, withoutSecret} from '../tls.js';
import {withDeadline} from './plumbing.js';
import type {DirectorySource, ReadOptions, SourceMailbox} from './source.js';
import {readMysql, readPostgres, type Connection, type DriverError, type Phase, type Result} from './sql-drivers.js';
import {parseSqlUrl, passwordHint, type SqlTarget} from './sql-url.js';
import {mailboxesFromRows} from './sql-rows.js';

/**
 * Whether a connection must be TLS with a verified certificate: unless every address the host
 * resolved to is on the loopback interface (the resolved addresses, never the name: a name can
 * point anywhere). Off loopback it is TLS with or without a password, since an answer that can be
 * read or forged on the way is a list of addresses massmail would write to.
 */
export function needsVerifiedTls(addresses: readonly string[]): boolean {
	return addresses.length === 0 || !addresses.every(address => isLoopbackAddress(address));
}

async function resolve(host: string): Promise<string[]> {
	if (net.isIP(host) !== 0) {
		return [host];
	}

	const found = await dns.promises.lookup(host, {all: true, verbatim: true});
	return found.map(entry => entry.address);
}

// ------------------------------------------------------------------ errors

const phaseWords: Record<Phase, string> = {
	resolving: 'resolving the host name',
	connecting: 'connecting and logging in',
	querying: 'running the query',
};

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
