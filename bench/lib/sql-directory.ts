/**
 * Mail-server schemas for the SQL directory source, and a quick way to fill one with a large
 * directory: PostfixAdmin-like and iRedMail-like tables (their real table and column names and
 * types, less the columns massmail never reads) for PostgreSQL and MariaDB/MySQL. Used by
 * test/core/source-sql.test.ts and by the benchmark.
 *
 * The rows are made by the server itself (generate_series in PostgreSQL, the SEQUENCE engine's
 * seq_1_to_N in MariaDB): 100,000 mailboxes in 5,000 domains take about a second.
 */
import {readyQueries} from '../../source/core/sources/sql-queries.js';

/** A server the tables go into: the test harness (test/helpers/postgres-server.ts) fits. */
export interface SqlServerLike {
	kind: 'postgres' | 'mariadb';
	/** Runs SQL as a user that may create tables (several statements allowed). */
	sql: (text: string, database?: string) => Promise<unknown>;
	createDatabase: (name: string) => Promise<void>;
}

/** CREATE TABLE statements, one text per schema and dialect (MySQL's also serves MariaDB). */
export const mailSchemas = {
	postfixadmin: {
		// PostfixAdmin's PostgreSQL schema: booleans; domain_admins.domain references domain, so the
		// superadmins' 'ALL' is a row of domain (PostfixAdmin adds it too).
		postgres: `
CREATE TABLE domain (
	domain varchar(255) NOT NULL PRIMARY KEY,
	description varchar(255) NOT NULL DEFAULT '',
	aliases integer NOT NULL DEFAULT 0,
	mailboxes integer NOT NULL DEFAULT 0,
	maxquota bigint NOT NULL DEFAULT 0,
	quota bigint NOT NULL DEFAULT 0,
	transport varchar(255) DEFAULT NULL,
	backupmx boolean NOT NULL DEFAULT false,
	created timestamp with time zone DEFAULT now(),
	modified timestamp with time zone DEFAULT now(),
	active boolean NOT NULL DEFAULT true
);
CREATE TABLE admin (
	username varchar(255) NOT NULL PRIMARY KEY,
	password varchar(255) NOT NULL DEFAULT '',
	superadmin boolean NOT NULL DEFAULT false,
	created timestamp with time zone DEFAULT now(),
	modified timestamp with time zone DEFAULT now(),
	active boolean NOT NULL DEFAULT true
);
CREATE TABLE domain_admins (
	username varchar(255) NOT NULL,
	domain varchar(255) NOT NULL REFERENCES domain,
	created timestamp with time zone DEFAULT now(),
	active boolean NOT NULL DEFAULT true
);
CREATE INDEX domain_admins_username_idx ON domain_admins (username);
CREATE TABLE mailbox (
	username varchar(255) NOT NULL PRIMARY KEY,
	password varchar(255) NOT NULL DEFAULT '',
	name varchar(255) NOT NULL DEFAULT '',
	maildir varchar(255) NOT NULL DEFAULT '',
	quota bigint NOT NULL DEFAULT 0,
	local_part varchar(255) NOT NULL,
	domain varchar(255) NOT NULL REFERENCES domain,
	created timestamp with time zone DEFAULT now(),
	modified timestamp with time zone DEFAULT now(),
	active boolean NOT NULL DEFAULT true
);
CREATE INDEX mailbox_domain_idx ON mailbox (domain);
INSERT INTO domain (domain, description) VALUES ('ALL', 'superadmins');`,
		// PostfixAdmin's MySQL schema: tinyint(1) flags, no foreign keys.
		mysql: `
CREATE TABLE domain (
	domain varchar(255) NOT NULL,
	description varchar(255) NOT NULL DEFAULT '',
	aliases int(10) NOT NULL DEFAULT 0,
	mailboxes int(10) NOT NULL DEFAULT 0,
	maxquota bigint(20) NOT NULL DEFAULT 0,
	quota bigint(20) NOT NULL DEFAULT 0,
	transport varchar(255) DEFAULT NULL,
	backupmx tinyint(1) NOT NULL DEFAULT 0,
	created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
	modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
	active tinyint(1) NOT NULL DEFAULT 1,
	PRIMARY KEY (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Postfix Admin - Virtual Domains';
CREATE TABLE admin (
	username varchar(255) NOT NULL,
	password varchar(255) NOT NULL DEFAULT '',
	superadmin tinyint(1) NOT NULL DEFAULT 0,
	created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
	modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
	active tinyint(1) NOT NULL DEFAULT 1,
	PRIMARY KEY (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Postfix Admin - Virtual Admins';
CREATE TABLE domain_admins (
	username varchar(255) NOT NULL,
	domain varchar(255) NOT NULL,
	created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
	active tinyint(1) NOT NULL DEFAULT 1,
	KEY username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Postfix Admin - Domain Admins';
CREATE TABLE mailbox (
	username varchar(255) NOT NULL,
	password varchar(255) NOT NULL DEFAULT '',
	name varchar(255) NOT NULL DEFAULT '',
	maildir varchar(255) NOT NULL DEFAULT '',
	quota bigint(20) NOT NULL DEFAULT 0,
	local_part varchar(255) NOT NULL,
	domain varchar(255) NOT NULL,
	created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
	modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
	active tinyint(1) NOT NULL DEFAULT 1,
	PRIMARY KEY (username),
	KEY domain (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Postfix Admin - Virtual Mailboxes';`,
	},
	iredmail: {
		// iRedMail's vmail database: flags are INT2 in PostgreSQL and tinyint(1) in MySQL.
		postgres: `
CREATE TABLE domain (
	domain VARCHAR(255) NOT NULL PRIMARY KEY,
	description TEXT,
	disclaimer TEXT,
	aliases INT8 NOT NULL DEFAULT 0,
	mailboxes INT8 NOT NULL DEFAULT 0,
	maxquota INT8 NOT NULL DEFAULT 0,
	quota INT8 NOT NULL DEFAULT 0,
	transport VARCHAR(255) NOT NULL DEFAULT 'dovecot',
	backupmx INT2 NOT NULL DEFAULT 0,
	settings TEXT,
	created TIMESTAMP NOT NULL DEFAULT NOW(),
	modified TIMESTAMP NOT NULL DEFAULT '1970-01-01 01:01:01',
	expired TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00',
	active INT2 NOT NULL DEFAULT 1
);
CREATE TABLE mailbox (
	username VARCHAR(255) NOT NULL PRIMARY KEY,
	password VARCHAR(255) NOT NULL DEFAULT '',
	name VARCHAR(255) NOT NULL DEFAULT '',
	language VARCHAR(5) NOT NULL DEFAULT '',
	storagebasedirectory VARCHAR(255) NOT NULL DEFAULT '/var/vmail',
	storagenode VARCHAR(255) NOT NULL DEFAULT 'vmail1',
	maildir VARCHAR(255) NOT NULL DEFAULT '',
	quota INT8 NOT NULL DEFAULT 0,
	domain VARCHAR(255) NOT NULL DEFAULT '',
	transport VARCHAR(255) NOT NULL DEFAULT '',
	department VARCHAR(255) NOT NULL DEFAULT '',
	rank VARCHAR(255) NOT NULL DEFAULT 'normal',
	employeeid VARCHAR(255) DEFAULT '',
	isadmin INT2 NOT NULL DEFAULT 0,
	isglobaladmin INT2 NOT NULL DEFAULT 0,
	enablesmtp INT2 NOT NULL DEFAULT 1,
	enablepop3 INT2 NOT NULL DEFAULT 1,
	enableimap INT2 NOT NULL DEFAULT 1,
	enabledeliver INT2 NOT NULL DEFAULT 1,
	passwordlastchange TIMESTAMP NOT NULL DEFAULT '1970-01-01 01:01:01',
	created TIMESTAMP NOT NULL DEFAULT NOW(),
	modified TIMESTAMP NOT NULL DEFAULT '1970-01-01 01:01:01',
	expired TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00',
	active INT2 NOT NULL DEFAULT 1
);
CREATE INDEX idx_mailbox_domain ON mailbox (domain);
CREATE INDEX idx_mailbox_isadmin ON mailbox (isadmin);
CREATE TABLE domain_admins (
	username VARCHAR(255) NOT NULL DEFAULT '',
	domain VARCHAR(255) NOT NULL DEFAULT '',
	created TIMESTAMP NOT NULL DEFAULT NOW(),
	modified TIMESTAMP NOT NULL DEFAULT '1970-01-01 01:01:01',
	expired TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00',
	active INT2 NOT NULL DEFAULT 1,
	PRIMARY KEY (username, domain)
);`,
		mysql: `
CREATE TABLE domain (
	domain varchar(255) NOT NULL DEFAULT '',
	description text DEFAULT NULL,
	disclaimer text DEFAULT NULL,
	aliases int(10) NOT NULL DEFAULT 0,
	mailboxes int(10) NOT NULL DEFAULT 0,
	maxquota bigint(20) NOT NULL DEFAULT 0,
	quota bigint(20) NOT NULL DEFAULT 0,
	transport varchar(255) NOT NULL DEFAULT 'dovecot',
	backupmx tinyint(1) NOT NULL DEFAULT 0,
	settings text DEFAULT NULL,
	created datetime NOT NULL DEFAULT '1970-01-01 01:01:01',
	modified datetime NOT NULL DEFAULT '1970-01-01 01:01:01',
	expired datetime NOT NULL DEFAULT '9999-12-31 00:00:00',
	active tinyint(1) NOT NULL DEFAULT 1,
	PRIMARY KEY (domain),
	KEY active (active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE mailbox (
	username varchar(255) NOT NULL DEFAULT '',
	password varchar(255) NOT NULL DEFAULT '',
	name varchar(255) NOT NULL DEFAULT '',
	language varchar(5) NOT NULL DEFAULT '',
	storagebasedirectory varchar(255) NOT NULL DEFAULT '/var/vmail',
	storagenode varchar(255) NOT NULL DEFAULT 'vmail1',
	maildir varchar(255) NOT NULL DEFAULT '',
	quota bigint(20) NOT NULL DEFAULT 0,
	domain varchar(255) NOT NULL DEFAULT '',
	transport varchar(255) NOT NULL DEFAULT '',
	department varchar(255) NOT NULL DEFAULT '',
	\`rank\` varchar(255) NOT NULL DEFAULT 'normal',
	employeeid varchar(255) DEFAULT '',
	isadmin tinyint(1) NOT NULL DEFAULT 0,
	isglobaladmin tinyint(1) NOT NULL DEFAULT 0,
	enablesmtp tinyint(1) NOT NULL DEFAULT 1,
	enablepop3 tinyint(1) NOT NULL DEFAULT 1,
	enableimap tinyint(1) NOT NULL DEFAULT 1,
	enabledeliver tinyint(1) NOT NULL DEFAULT 1,
	passwordlastchange datetime NOT NULL DEFAULT '1970-01-01 01:01:01',
	created datetime NOT NULL DEFAULT '1970-01-01 01:01:01',
	modified datetime NOT NULL DEFAULT '1970-01-01 01:01:01',
	expired datetime NOT NULL DEFAULT '9999-12-31 00:00:00',
	active tinyint(1) NOT NULL DEFAULT 1,
	PRIMARY KEY (username),
	KEY domain (domain),
	KEY isadmin (isadmin),
	KEY active (active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE domain_admins (
	username varchar(255) CHARACTER SET ascii NOT NULL DEFAULT '',
	domain varchar(255) CHARACTER SET ascii NOT NULL DEFAULT '',
	created datetime NOT NULL DEFAULT '1970-01-01 01:01:01',
	modified datetime NOT NULL DEFAULT '1970-01-01 01:01:01',
	expired datetime NOT NULL DEFAULT '9999-12-31 00:00:00',
	active tinyint(1) NOT NULL DEFAULT 1,
	PRIMARY KEY (username, domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;`,
	},
} as const;

export type MailSchema = keyof typeof mailSchemas;

/** Creates a schema's tables in a database (created when missing). */
export async function createMailSchema(server: SqlServerLike, schema: MailSchema, database: string): Promise<void> {
	await server.createDatabase(database);
	await server.sql(mailSchemas[schema][server.kind === 'postgres' ? 'postgres' : 'mysql'], database);
}

export interface FilledDirectory {
	database: string;
	domains: number;
	mailboxes: number;
	/** One per domain: its first mailbox, a row of domain_admins. */
	admins: number;
	/** Every hundredth mailbox is inactive. */
	disabled: number;
	/** The ready query that reads it back, in the server's dialect. */
	query: string;
}

/** The address of mailbox `n` (1-based) of a filled directory: `user7@d8.example`. */
export function filledAddress(n: number, domains: number): string {
	return `user${n}@d${(n % domains) + 1}.example`;
}

/**
 * Fills a server with a PostfixAdmin directory: `mailboxes` mailboxes spread over `domains`
 * domains (mailbox n in domain `d{n % domains + 1}.example`, named `User n`), the first mailbox of
 * each domain its admin, every hundredth mailbox inactive. Default: 100,000 in 5,000 domains, in a
 * new database `postfix`.
 */
export async function fillPostfixAdmin(server: SqlServerLike, options: {database?: string; domains?: number; mailboxes?: number} = {}): Promise<FilledDirectory> {
	const database = options.database ?? 'postfix';
	const domains = options.domains ?? 5000;
	const mailboxes = options.mailboxes ?? 100_000;
	if (!Number.isSafeInteger(domains) || !Number.isSafeInteger(mailboxes) || domains < 1 || mailboxes < domains) {
		throw new Error(`fillPostfixAdmin: need 1 ≤ domains ≤ mailboxes, got ${domains} and ${mailboxes}`);
	}

	await createMailSchema(server, 'postfixadmin', database);
	const domainOf = (n: string) => server.kind === 'postgres' ? `'d' || (${n} % ${domains} + 1) || '.example'` : `CONCAT('d', ${n} % ${domains} + 1, '.example')`;
	const cat = (...parts: string[]) => server.kind === 'postgres' ? parts.join(' || ') : `CONCAT(${parts.join(', ')})`;
	const series = (count: number, column: string) => server.kind === 'postgres'
		? `generate_series(1, ${count}) AS s(${column})`
		: `seq_1_to_${count} AS s`;
	const n = server.kind === 'postgres' ? 's.n' : 's.seq';
	const active = server.kind === 'postgres' ? `${n} % 100 <> 0` : `IF(${n} % 100 = 0, 0, 1)`;
	await server.sql([
		`INSERT INTO domain (domain, description) SELECT ${cat('\'d\'', n, '\'.example\'')}, ${cat('\'Domain \'', n)} FROM ${series(domains, 'n')}`,
		`INSERT INTO mailbox (username, password, name, maildir, local_part, domain, active)
		 SELECT ${cat('\'user\'', n, '\'@\'', domainOf(n))}, '{BLF-CRYPT}x', ${cat('\'User \'', n)},
		        ${cat(domainOf(n), '\'/user\'', n, '\'/\'')}, ${cat('\'user\'', n)}, ${domainOf(n)}, ${active}
		 FROM ${series(mailboxes, 'n')}`,
		`INSERT INTO domain_admins (username, domain) SELECT ${cat('\'user\'', n, '\'@\'', domainOf(n))}, ${domainOf(n)} FROM ${series(domains, 'n')}`,
		server.kind === 'postgres' ? 'ANALYZE' : 'ANALYZE TABLE domain, mailbox, domain_admins',
	].join(';\n'), database);
	return {
		database,
		domains,
		mailboxes,
		admins: domains,
		disabled: Math.floor(mailboxes / 100),
		query: readyQueries.postfixadmin[server.kind === 'postgres' ? 'postgres' : 'mysql'],
	};
}
