import net from 'node:net';
import test, {type ExecutionContext} from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import type {SourceMailbox} from '../../source/core/sources/source.js';
import {needsVerifiedTls, openSqlSource} from '../../source/core/sources/sql-read.js';
import {parseSqlUrl} from '../../source/core/sources/sql-url.js';
import {mailboxesFromRows} from '../../source/core/sources/sql-rows.js';
import {readyQueries} from '../../source/core/sources/sql-queries.js';
import {createMailSchema, fillPostfixAdmin} from '../../bench/lib/sql-directory.js';
import {freePort} from '../../bench/lib/postfix.js';
import {startMariadb} from '../helpers/mariadb-server.js';
import {startPostgres, type SqlTestServer} from '../helpers/postgres-server.js';

// One PostgreSQL and one MariaDB for the whole file, each with a PostfixAdmin database and an
// iRedMail one; every server test runs against both.
const servers: Partial<Record<'postgres' | 'mariadb', SqlTestServer>> = {};

test.before(async () => {
	const [postgres, mariadb] = await Promise.allSettled([startPostgres({tls: true}), startMariadb({tls: true})]);
	for (const started of [postgres, mariadb]) {
		if (started.status === 'fulfilled') {
			servers[started.value.kind] = started.value;
		}
	}

	for (const started of [postgres, mariadb]) {
		if (started.status === 'rejected') {
			throw started.reason;
		}
	}

	for (const server of Object.values(servers)) {
		await createMailSchema(server, 'postfixadmin', 'postfix');
		await server.sql(postfixAdminRows, 'postfix');
		await createMailSchema(server, 'iredmail', 'vmail');
		await server.sql(iredmailRows, 'vmail');
	}
});

test.after.always(async () => {
	await Promise.all(Object.values(servers).map(async server => server.stop()));
});

// Booleans as TRUE/FALSE: PostgreSQL's booleans, MySQL's tinyint(1) (TRUE is 1 there).
const postfixAdminRows = `
INSERT INTO domain (domain, description, active) VALUES ('example.com', 'Example', TRUE), ('other.org', 'Other', FALSE);
INSERT INTO mailbox (username, name, maildir, local_part, domain, active) VALUES
	('ann@example.com', 'Ann Admin', 'example.com/ann/', 'ann', 'example.com', TRUE),
	('bob@example.com', 'Bób Ünicode', 'example.com/bob/', 'bob', 'example.com', TRUE),
	('cat@example.com', 'Cat Gone', 'example.com/cat/', 'cat', 'example.com', FALSE),
	('dan@example.com', 'Dan Former', 'example.com/dan/', 'dan', 'example.com', TRUE),
	('fay@example.com', 'Fay Elsewhere', 'example.com/fay/', 'fay', 'example.com', TRUE),
	('sue@example.com', 'Sue Super', 'example.com/sue/', 'sue', 'example.com', TRUE),
	('eve@other.org', 'Eve Other', 'other.org/eve/', 'eve', 'other.org', TRUE);
INSERT INTO domain_admins (username, domain, active) VALUES
	('ann@example.com', 'example.com', TRUE),
	('dan@example.com', 'example.com', FALSE),
	('fay@example.com', 'other.org', TRUE),
	('sue@example.com', 'ALL', TRUE),
	('noone@example.com', 'example.com', TRUE)`;

const postfixAdminExpected: Array<Omit<SourceMailbox, 'key'>> = [
	{email: 'ann@example.com', name: 'Ann Admin', role: 'admin', disabled: false},
	{email: 'bob@example.com', name: 'Bób Ünicode', role: 'user', disabled: false},
	{email: 'cat@example.com', name: 'Cat Gone', role: 'user', disabled: true},
	// An inactive domain_admins row makes no admin, nor does being an admin of another domain.
	{email: 'dan@example.com', name: 'Dan Former', role: 'user', disabled: false},
	{email: 'fay@example.com', name: 'Fay Elsewhere', role: 'user', disabled: false},
	{email: 'sue@example.com', name: 'Sue Super', role: 'admin', disabled: false},
	// The domain is inactive: Postfix delivers nothing to its mailboxes.
	{email: 'eve@other.org', name: 'Eve Other', role: 'user', disabled: true},
];

const iredmailRows = `
INSERT INTO domain (domain, description, active) VALUES ('ired.example', 'iRedMail', 1), ('off.example', 'Off', 0);
INSERT INTO mailbox (username, name, maildir, domain, isadmin, isglobaladmin, active) VALUES
	('boss@ired.example', 'Domain Boss', 'ired.example/b/o/s/boss/', 'ired.example', 1, 0, 1),
	('glob@ired.example', 'Global Admin', 'ired.example/g/l/o/glob/', 'ired.example', 0, 1, 1),
	('joe@ired.example', 'Joe Ordinary', 'ired.example/j/o/e/joe/', 'ired.example', 0, 0, 1),
	('old@ired.example', 'Old Account', 'ired.example/o/l/d/old/', 'ired.example', 0, 0, 0),
	('zed@off.example', 'Zed Off', 'off.example/z/e/d/zed/', 'off.example', 1, 0, 1);
INSERT INTO domain_admins (username, domain) VALUES ('boss@ired.example', 'ired.example'), ('glob@ired.example', 'ALL')`;

const iredmailExpected: Array<Omit<SourceMailbox, 'key'>> = [
	{email: 'boss@ired.example', name: 'Domain Boss', role: 'admin', disabled: false},
	{email: 'glob@ired.example', name: 'Global Admin', role: 'admin', disabled: false},
	{email: 'joe@ired.example', name: 'Joe Ordinary', role: 'user', disabled: false},
	{email: 'old@ired.example', name: 'Old Account', role: 'user', disabled: true},
	{email: 'zed@off.example', name: 'Zed Off', role: 'admin', disabled: true},
];

type Kind = 'postgres' | 'mariadb';
const kinds: Kind[] = ['postgres', 'mariadb'];

function server(kind: Kind): SqlTestServer {
	const found = servers[kind];
	if (!found) {
		throw new Error(`the ${kind} server did not start`);
	}

	return found;
}

const dialect = (kind: Kind) => kind === 'postgres' ? 'postgres' as const : 'mysql' as const;

async function read(kind: Kind, query: string, options: {database?: string; password?: string | null; timeoutMs?: number; url?: string; signal?: AbortSignal} = {}) {
	const sql = server(kind);
	const source = openSqlSource({
		url: options.url ?? sql.url(options.database ?? 'postfix'),
		query,
		password: options.password === null ? undefined : options.password ?? sql.reader.password,
	});
	return source.read({timeoutMs: options.timeoutMs ?? 10_000, signal: options.signal});
}

async function failure(t: ExecutionContext, promise: Promise<unknown>): Promise<MassmailError> {
	const error = await t.throwsAsync(promise);
	if (!(error instanceof MassmailError)) {
		throw new Error(`expected a MassmailError, got ${String(error)}`, {cause: error});
	}

	return error;
}

const withoutKeys = (mailboxes: SourceMailbox[]) => mailboxes.map(({key: _key, ...rest}) => rest);

for (const kind of kinds) {
	test(`${kind}: the PostfixAdmin ready query reads names, admins from domain_admins (ALL too), inactive mailboxes and domains as disabled`, async t => {
		const mailboxes = await read(kind, readyQueries.postfixadmin[dialect(kind)]);
		t.deepEqual(withoutKeys(mailboxes), postfixAdminExpected);
		t.deepEqual(mailboxes.map(mailbox => mailbox.key), postfixAdminExpected.map((_row, index) => `row ${index + 1}`));
	});

	test(`${kind}: the iRedMail ready query reads isadmin and isglobaladmin as admin, inactive mailboxes and domains as disabled`, async t => {
		t.deepEqual(withoutKeys(await read(kind, readyQueries.iredmail[dialect(kind)], {database: 'vmail'})), iredmailExpected);
	});

	test(`${kind}: the label is the URL, with no password`, t => {
		const sql = server(kind);
		const source = openSqlSource({url: sql.url('postfix'), query: 'SELECT 1', password: sql.reader.password});
		t.is(source.label, `${kind === 'postgres' ? 'postgres' : 'mysql'}://reader@127.0.0.1:${sql.port}/postfix`);
	});

	test(`${kind}: columns other than email may be absent, and are then left out`, async t => {
		t.deepEqual(await read(kind, 'SELECT username AS email FROM mailbox WHERE domain = \'other.org\''), [{key: 'row 1', email: 'eve@other.org'}]);
		t.deepEqual(await read(kind, 'SELECT username AS Email, NOT active AS Disabled FROM mailbox WHERE domain = \'other.org\''), [{key: 'row 1', email: 'eve@other.org', disabled: false}]);
	});

	test(`${kind}: disabled may be a boolean, 0/1, 't'/'f', 'true'/'false' or NULL (false); a NULL role is user and a NULL name empty`, async t => {
		const rows = [
			['a@x.org', '1'], ['b@x.org', '0'], ['c@x.org', 't'], ['d@x.org', 'f'], ['e@x.org', 'true'], ['f@x.org', 'FALSE'], ['g@x.org', 'NULL'],
		];
		const asNumber = (value: string) => ({t: '1', f: '0', true: '1', false: '0'} as Record<string, string>)[value.toLowerCase()] ?? value;
		const union = (cast: (value: string) => string) => rows.map(([email, value]) => `SELECT '${email}' AS email, ${cast(value)} AS disabled, NULL AS role, NULL AS name`).join(' UNION ALL ');
		const expected = [true, false, true, false, true, false, false];
		const text = await read(kind, union(value => value === 'NULL' ? 'NULL' : `'${value}'`));
		t.deepEqual(text.map(mailbox => mailbox.disabled), expected);
		t.deepEqual(text.map(mailbox => [mailbox.role, mailbox.name]), rows.map(() => ['user', '']));
		const numbers = await read(kind, union(value => asNumber(value)));
		t.deepEqual(numbers.map(mailbox => mailbox.disabled), expected);
		if (kind === 'postgres') {
			const booleans = await read(kind, union(value => value === 'NULL' ? 'NULL::boolean' : `'${value}'::boolean`));
			t.deepEqual(booleans.map(mailbox => mailbox.disabled), expected);
		} else {
			// b'1' is a binary string: mysql2 gives a Buffer, as for a BIT(1) column.
			const bits = await read(kind, union(value => value === 'NULL' ? 'NULL' : `b'${asNumber(value)}'`));
			t.deepEqual(bits.map(mailbox => mailbox.disabled), expected);
		}
	});

	test(`${kind}: a row with an unknown role is refused, naming the row, its address and the rule`, async t => {
		const error = await failure(t, read(kind, 'SELECT username AS email, CASE WHEN username = \'bob@example.com\' THEN \'boss\' ELSE \'user\' END AS role FROM mailbox ORDER BY username'));
		t.is(error.kind, 'validation');
		t.is(error.message, 'the directory query returns a bad row: row 2 (bob@example.com): unknown role "boss" (use user, admin, primary, or empty or NULL for user)');
	});

	test(`${kind}: a disabled value that is no boolean is refused, every bad row listed`, async t => {
		const error = await failure(t, read(kind, 'SELECT username AS email, CASE WHEN active THEN \'maybe\' ELSE \'2\' END AS disabled FROM mailbox WHERE domain = \'example.com\' ORDER BY username'));
		t.is(error.kind, 'validation');
		t.regex(error.message, /^the directory query returns a bad row: row 1 \(ann@example\.com\): disabled must be a boolean, 0\/1, t\/f or true\/false \(NULL for false\), found "maybe" \(and 5 more bad rows\)$/);
		t.is(error.details.length, 6);
		t.is(error.details[2], 'row 3 (cat@example.com): disabled must be a boolean, 0/1, t/f or true/false (NULL for false), found "2"');
	});

	test(`${kind}: a result without an email column is refused, naming the columns found`, async t => {
		const error = await failure(t, read(kind, 'SELECT username, name FROM mailbox'));
		t.is(error.kind, 'validation');
		t.is(error.message, 'the directory query returns no email column (columns found: "username", "name")');
	});

	test(`${kind}: a misspelt column is refused rather than ignored`, async t => {
		const error = await failure(t, read(kind, 'SELECT username AS email, active AS disable FROM mailbox'));
		t.is(error.kind, 'validation');
		t.is(error.message, 'the directory query returns unknown column "disable" (columns found: "email", "disable")');
	});

	test(`${kind}: a query the server refuses is a validation error with the server's own words`, async t => {
		const missing = await failure(t, read(kind, 'SELECT username AS email FROM no_such_table'));
		t.is(missing.kind, 'validation');
		const words = kind === 'postgres' ? 'relation "no_such_table" does not exist' : 'Table \'postfix.no_such_table\' doesn\'t exist';
		t.is(missing.message, `${server(kind).url('postfix')} refused the directory query: ${words}`);
		const syntax = await failure(t, read(kind, 'SELEKT username AS email FROM mailbox'));
		t.is(syntax.kind, 'validation');
		t.regex(syntax.message, kind === 'postgres' ? /refused the directory query: syntax error at or near "SELEKT"$/ : /refused the directory query: You have an error in your SQL syntax; .* near 'SELEKT username AS email FROM mailbox' at line 1$/);
	});

	test(`${kind}: the query runs read-only and alone, even for a login that may write`, async t => {
		const sql = server(kind);
		const password = 'writer-secret-1';
		await (kind === 'postgres'
			? sql.sql(`CREATE ROLE writer LOGIN PASSWORD '${password}'; GRANT ALL ON ALL TABLES IN SCHEMA public TO writer`, 'postfix')
			: sql.sql(`CREATE USER 'writer'@'%' IDENTIFIED BY '${password}'; GRANT ALL ON postfix.* TO 'writer'@'%'`));
		const url = sql.url('postfix').replace('reader@', 'writer@');
		const insert = kind === 'postgres'
			? 'INSERT INTO domain (domain) VALUES (\'evil.example\') RETURNING domain AS email'
			: 'INSERT INTO domain (domain) VALUES (\'evil.example\')';
		const written = await failure(t, read(kind, insert, {url, password}));
		t.is(written.kind, 'validation');
		t.regex(written.message, kind === 'postgres' ? /cannot execute INSERT in a read-only transaction$/ : /Cannot execute statement in a READ ONLY transaction/);
		const second = await failure(t, read(kind, 'SELECT username AS email FROM mailbox; DELETE FROM mailbox', {url, password}));
		t.is(second.kind, 'validation');
		t.deepEqual(await sql.sql('SELECT COUNT(*) AS n FROM domain WHERE domain = \'evil.example\'', 'postfix'), [{n: kind === 'postgres' ? '0' : 0}]);
		t.is((await sql.sql('SELECT COUNT(*) AS n FROM mailbox', 'postfix'))[0].n, kind === 'postgres' ? '7' : 7);
	});

	test(`${kind}: a wrong password is a refused login ('auth'), and the message holds no password`, async t => {
		const wrong = 'Wr0ng-pass-Zq9';
		const error = await failure(t, read(kind, 'SELECT username AS email FROM mailbox', {password: wrong}));
		t.is(error.kind, 'auth');
		t.true(error.message.startsWith(`${server(kind).url('postfix')} refused the login of "reader": `), error.message);
		t.regex(error.message, kind === 'postgres' ? /password authentication failed for user "reader"$/ : /Access denied for user 'reader'@'127\.0\.0\.1' \(using password: YES\)$/);
		t.false(`${error.message} ${error.hint}`.includes(wrong));
		t.false(`${error.message} ${error.hint}`.includes(server(kind).reader.password));
	});

	test(`${kind}: no password where the server asks for one is a refused login ('auth')`, async t => {
		const error = await failure(t, read(kind, 'SELECT username AS email FROM mailbox', {password: null}));
		t.is(error.kind, 'auth');
		t.regex(error.hint ?? '', /MASSMAIL_DIRECTORY_PASSWORD or directory\.passwordCommand/);
	});

	test(`${kind}: a database that does not exist is named`, async t => {
		const error = await failure(t, read(kind, 'SELECT 1 AS email', {database: 'nowhere'}));
		t.is(error.kind, 'validation');
		t.regex(error.message, kind === 'postgres' ? /: database "nowhere" does not exist$/ : /: Unknown database 'nowhere'$/);
	});

	test(`${kind}: a port where nothing listens is 'connection'`, async t => {
		const port = await freePort();
		const url = `${kind === 'postgres' ? 'postgres' : 'mysql'}://reader@127.0.0.1:${port}/postfix`;
		const error = await failure(t, read(kind, 'SELECT 1 AS email', {url}));
		t.is(error.kind, 'connection');
		t.is(error.message, `cannot reach ${url} (connecting and logging in): connect ECONNREFUSED 127.0.0.1:${port}`);
	});

	test(`${kind}: a host name that does not resolve is 'connection'`, async t => {
		const error = await failure(t, read(kind, 'SELECT 1 AS email', {url: `${kind === 'postgres' ? 'postgresql' : 'mariadb'}://reader@no-such-host.invalid/postfix`}));
		t.is(error.kind, 'connection');
		t.regex(error.message, /the host name "no-such-host\.invalid" does not resolve/);
	});

	test.serial(`${kind}: a query that sleeps past the deadline ends at the deadline as 'connection', and its connection is closed`, async t => {
		const sleep = kind === 'postgres' ? 'SELECT pg_sleep(30)::text AS email' : 'SELECT SLEEP(30) AS email';
		const startedAt = Date.now();
		const error = await failure(t, read(kind, sleep, {timeoutMs: 1500}));
		const took = Date.now() - startedAt;
		t.is(error.kind, 'connection');
		t.regex(error.message, /did not finish within 1\.5 s \(still running the query\)$/);
		// It ended by our deadline, long before the query would have.
		t.true(took < 20_000, `took ${took} ms`);
		await waitForNoReaderSessions(t, kind);
	});

	test.serial(`${kind}: a successful read leaves no connection open`, async t => {
		await read(kind, 'SELECT username AS email FROM mailbox');
		await waitForNoReaderSessions(t, kind);
	});

	test(`${kind}: a server that accepts and never answers ends at the deadline as 'connection'`, async t => {
		const silent = net.createServer(() => {
			// Accept, say nothing.
		});
		const sockets = new Set<net.Socket>();
		silent.on('connection', socket => {
			// Read what the client says, so that its closing is seen.
			socket.resume();
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
		});
		await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
		t.teardown(() => {
			silent.close();
		});
		const {port} = silent.address() as net.AddressInfo;
		const error = await failure(t, read(kind, 'SELECT 1 AS email', {url: `${kind === 'postgres' ? 'postgres' : 'mysql'}://reader@127.0.0.1:${port}/postfix`, timeoutMs: 800}));
		t.is(error.kind, 'connection');
		t.regex(error.message, /did not (finish within 0\.8 s \(still connecting and logging in\)|answer in time)/);
		// The socket was closed by us, not left to linger.
		for (let wait = 0; wait < 40 && sockets.size > 0; wait++) {
			await new Promise(resolve => setTimeout(resolve, 25));
		}

		t.is(sockets.size, 0);
	});

	test.serial(`${kind}: an abort signal ends the read as 'interrupted'`, async t => {
		const controller = new AbortController();
		const sleep = kind === 'postgres' ? 'SELECT pg_sleep(30)::text AS email' : 'SELECT SLEEP(30) AS email';
		// PostgreSQL's query is cancelled at once (a CancelRequest). MariaDB notices a gone client
		// within seconds, and max_statement_time (the deadline and a second) ends it by then anyway.
		const reading = read(kind, sleep, {signal: controller.signal, timeoutMs: kind === 'postgres' ? 30_000 : 3000});
		setTimeout(() => controller.abort(), 300);
		const error = await failure(t, reading);
		t.is(error.kind, 'interrupted');
		t.regex(error.message, /^reading the directory from (postgres|mysql):\/\/\S+ was cancelled$/);
		await waitForNoReaderSessions(t, kind);
	});

	// 0.0.0.0 reaches this machine's own listeners (Linux), but it is no loopback address: it stands
	// in for a server elsewhere. These servers offer TLS with a certificate from the test's own CA.
	test(`${kind}: at a loopback address the read is plain; off it, TLS with the certificate verified`, async t => {
		const sql = server(kind);
		const session = kind === 'postgres'
			? 'SELECT CASE WHEN ssl THEN \'tls@x.org\' ELSE \'plain@x.org\' END AS email FROM pg_stat_ssl WHERE pid = pg_backend_pid()'
			: 'SELECT CASE WHEN VARIABLE_VALUE <> \'\' THEN \'tls@x.org\' ELSE \'plain@x.org\' END AS email FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = \'SSL_CIPHER\'';
		t.deepEqual(await read(kind, session), [{key: 'row 1', email: 'plain@x.org'}]);
		const url = sql.url('postfix').replace('127.0.0.1', '0.0.0.0');
		const source = openSqlSource({url, query: session, password: sql.reader.password, caFile: sql.caFile});
		t.deepEqual(await source.read({timeoutMs: 10_000}), [{key: 'row 1', email: 'tls@x.org'}]);
	});

	test(`${kind}: off the loopback address a certificate no trusted CA signed is refused: 'connection', nothing read`, async t => {
		const url = server(kind).url('postfix').replace('127.0.0.1', '0.0.0.0');
		const error = await failure(t, read(kind, 'SELECT username AS email FROM mailbox', {url}));
		t.is(error.kind, 'connection');
		// PostgreSQL sends its certificate alone, MariaDB with the CA's (given --ssl-ca).
		t.true(error.message.endsWith(`no verified TLS connection: ${kind === 'postgres' ? 'unable to verify the first certificate' : 'self-signed certificate in certificate chain'}`), error.message);
		t.regex(error.hint ?? '', /off the loopback interface the directory is read only over TLS/);
	});
}

// PostgreSQL asks for TLS first (SSLRequest) and the server answers 'N' when it has none: the read
// must stop there, never go on in clear.
test('postgres: off the loopback address a server without TLS is refused: \'connection\', no login sent', async t => {
	const received: Buffer[] = [];
	const plain = net.createServer(socket => {
		socket.on('data', chunk => {
			received.push(chunk);
			socket.write('N');
		});
	});
	await new Promise<void>(resolve => plain.listen(0, '127.0.0.1', resolve));
	t.teardown(() => {
		plain.close();
	});
	const {port} = plain.address() as net.AddressInfo;
	const error = await failure(t, openSqlSource({url: `postgres://reader@0.0.0.0:${port}/postfix`, query: 'SELECT 1 AS email', password: 'Secret-never-sent'}).read({timeoutMs: 5000}));
	t.is(error.kind, 'connection');
	t.regex(error.message, /no verified TLS connection: The server does not support SSL connections$/);
	// Only the SSLRequest (length 8, code 80877103) went out.
	t.deepEqual(Buffer.concat(received), Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
});

test('an unreadable CA file is refused when the source is opened', t => {
	const error = t.throws(() => openSqlSource({url: 'postgres://mail@db.example/postfix', query: 'SELECT 1', caFile: '/nonexistent/ca.pem'}), {instanceOf: MassmailError});
	t.is(error?.kind, 'validation');
	t.is(error?.message, 'directory.sql.caFile: /nonexistent/ca.pem cannot be read: ENOENT: no such file or directory');
});

async function waitForNoReaderSessions(t: ExecutionContext, kind: Kind): Promise<void> {
	const sql = server(kind);
	const count = async () => Number((await sql.sql(kind === 'postgres'
		? 'SELECT COUNT(*) AS n FROM pg_stat_activity WHERE usename = \'reader\''
		: 'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = \'reader\''))[0].n);
	let open = await count();
	// The server sees a closed connection a moment later; a query still running ends by the
	// server's own limit (a second past the read's deadline) at the latest.
	for (const deadline = Date.now() + 10_000; open > 0 && Date.now() < deadline;) {
		await new Promise(resolve => setTimeout(resolve, 50));
		open = await count();
	}

	t.is(open, 0, `${kind} still has ${open} session(s) of the reader`);
}

test('100,000 mailboxes in 5,000 domains (PostfixAdmin, PostgreSQL) are read whole: every domain, admin and disabled mailbox', async t => {
	const sql = server('postgres');
	const filled = await fillPostfixAdmin(sql, {database: 'bench'});
	const mailboxes = await openSqlSource({url: sql.url('bench'), query: filled.query, password: sql.reader.password}).read({timeoutMs: 60_000});
	t.is(mailboxes.length, 100_000);
	t.is(new Set(mailboxes.map(mailbox => mailbox.email.slice(mailbox.email.indexOf('@')))).size, 5000);
	t.is(mailboxes.filter(mailbox => mailbox.role === 'admin').length, filled.admins);
	t.is(mailboxes.filter(mailbox => mailbox.disabled).length, filled.disabled);
	// How fast is the benchmark's question (npm run bench sync), not a test's.
});

// ------------------------------------------------------------------ no server needed

test('a password in the URL is refused, and never repeated', t => {
	// A password with a / (the URL parser would take its start for a port), with a bad port after it too.
	for (const url of [
		'postgres://reader:S3cr3t-pw@db.example:5432/postfix', 'mysql://reader:S3cr3t-pw@127.0.0.1/postfix', 'mariadb://reader:S3cr3t-pw@[::1]:3306/vmail',
		'postgres://reader:1234/S3cr3t@db.example/postfix', 'postgres://reader:S3cr3t-pw@db.example:99999/postfix',
	]) {
		const error = t.throws(() => openSqlSource({url, query: 'SELECT 1'}), {instanceOf: MassmailError});
		t.is(error?.kind, 'validation');
		t.is(error?.message, 'directory.sql.url holds a password: a password never goes in the URL, which is shown and stored', url);
		t.is(error?.hint, 'remove it from the URL and put the password in MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand');
	}

	const parameter = t.throws(() => openSqlSource({url: 'mysql://reader@127.0.0.1/postfix?password=S3cr3t', query: 'SELECT 1'}), {instanceOf: MassmailError});
	t.is(parameter?.message, 'directory.sql.url holds a password (in a parameter): a password never goes in the URL, which is shown and stored');
});

test('a malformed URL is refused, saying what is wrong without repeating it', t => {
	const cases: Array<[string, string]> = [
		['http://reader@db.example/postfix', 'directory.sql.url must start with postgres://, postgresql://, mysql:// or mariadb://'],
		['reader@db.example/postfix', 'directory.sql.url must start with postgres://, postgresql://, mysql:// or mariadb://'],
		['postgres://reader@db.example:99999/postfix', 'directory.sql.url is not a URL: its port is above 65535'],
		['postgres://reader@db.example:5432x/postfix', 'directory.sql.url is not a URL: its port (after the host and ":") is not a number'],
		['postgres://db.example/postfix', 'directory.sql.url names no user (the part before @)'],
		['postgres://reader@db.example', 'directory.sql.url must name one database after the host: …/database'],
		['mysql://reader@db.example/a/b', 'directory.sql.url must name one database after the host: …/database'],
		['postgres://reader@db.example/postfix?sslmode=disable', 'directory.sql.url takes no parameters (?… or #…): TLS is chosen by the address, the password comes from elsewhere'],
	];
	for (const [url, message] of cases) {
		const error = t.throws(() => parseSqlUrl(url), {instanceOf: MassmailError});
		t.is(error?.kind, 'validation', url);
		t.is(error?.message, message, url);
		t.false(`${error?.message} ${error?.hint}`.includes('S3cr3t'));
	}
});

test('URL forms: postgres, postgresql, mysql and mariadb, default ports, IPv6, escapes', t => {
	t.deepEqual(parseSqlUrl('postgresql://mail@db.example/postfix'), {dialect: 'postgres', user: 'mail', host: 'db.example', port: 5432, database: 'postfix', label: 'postgresql://mail@db.example/postfix'});
	t.deepEqual(parseSqlUrl('mariadb://v%40mail@[::1]:3307/vmail'), {dialect: 'mysql', user: 'v@mail', host: '::1', port: 3307, database: 'vmail', label: 'mariadb://v%40mail@[::1]:3307/vmail'});
	t.is(parseSqlUrl('mysql://mail@127.0.0.1/postfix').port, 3306);
	t.throws(() => openSqlSource({url: 'postgres://mail@db.example/postfix', query: '  '}), {instanceOf: MassmailError, message: 'directory.sql.query is empty'});
});

test('TLS is required unless every resolved address is loopback', t => {
	t.false(needsVerifiedTls(['127.0.0.1']));
	t.false(needsVerifiedTls(['127.3.4.5', '::1']));
	t.false(needsVerifiedTls(['::ffff:127.0.0.1']));
	t.true(needsVerifiedTls(['10.0.0.5']));
	t.true(needsVerifiedTls(['127.0.0.1', '192.0.2.7']), 'a name with one address off loopback');
	t.true(needsVerifiedTls(['::2']));
	t.true(needsVerifiedTls(['0.0.0.0']));
	t.true(needsVerifiedTls([]), 'nothing resolved: nothing known to be local');
});

test('row values: NULL and wrong types are named per row', t => {
	t.deepEqual(mailboxesFromRows(['EMAIL', ' Role '], [[Buffer.from('a@x.org'), 'ADMIN'], ['b@x.org', ' primary ']]), [
		{key: 'row 1', email: 'a@x.org', role: 'admin'},
		{key: 'row 2', email: 'b@x.org', role: 'primary'},
	]);
	t.deepEqual(mailboxesFromRows(['email', 'disabled'], [['a@x.org', 1n], ['b@x.org', Buffer.from([0])], ['c@x.org', ' Yes ']]).map(mailbox => mailbox.disabled), [true, false, true]);
	const error = t.throws(() => mailboxesFromRows(['email', 'name'], [[null, 'A'], ['', 'B'], ['c@x.org', new Date(0)]]), {instanceOf: MassmailError});
	t.deepEqual(error?.details, ['row 1: email is NULL', 'row 2: email is empty', `row 3 (c@x.org): name is not text (${String(new Date(0))})`]);
	t.is(t.throws(() => mailboxesFromRows(['email', 'email'], []))?.message, 'the directory query returns column email given twice (columns found: "email", "email")');
});
