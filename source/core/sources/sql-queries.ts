/**
 * Ready-made `directory.sql.query` values for the mail servers' own schemas, shown by
 * `massmail config`, the README and tested against those schemas' tables
 * (test/core/source-sql.test.ts, in both PostgreSQL and MariaDB).
 *
 * Each produces the CSV import's columns `email, name, role, disabled`:
 *
 * - **PostfixAdmin** (`mailbox`, `domain`, `domain_admins`): a mailbox is `admin` when
 *   `domain_admins` has an active row for its address and its own domain, or for `ALL` (a
 *   superadmin); it is `disabled` when the mailbox or its domain is not active (Postfix then
 *   delivers no mail to it). PostgreSQL's PostfixAdmin stores `active` as a boolean, MySQL's as
 *   tinyint(1): the two differ there.
 * - **iRedMail** (`vmail.mailbox`, `vmail.domain`): `isadmin` (an administrator of its domain) or
 *   `isglobaladmin` makes `admin`; `disabled` as above. iRedMail stores its flags as small integers
 *   in both databases, so one text serves both.
 *
 * Neither schema knows a primary administrator: these queries never give `primary`. Name one with
 * a CASE of your own, e.g. `WHEN m.username = 'postmaster@example.com' THEN 'primary'`.
 */

export type SqlDialect = 'postgres' | 'mysql';

export interface ReadyQuery {
	/** For people: where the query fits. */
	description: string;
	/** The text for each dialect (MySQL's also serves MariaDB). */
	postgres: string;
	mysql: string;
}

const postfixAdminColumns = (adminActive: string, disabled: string) => `SELECT m.username AS email,
       m.name AS name,
       CASE WHEN EXISTS (SELECT 1 FROM domain_admins a
                         WHERE a.username = m.username AND a.domain IN (m.domain, 'ALL') AND ${adminActive})
            THEN 'admin' ELSE 'user' END AS role,
       ${disabled} AS disabled
FROM mailbox m
JOIN domain d ON d.domain = m.domain
ORDER BY m.domain, m.username`;

const iredmail = `SELECT m.username AS email,
       m.name AS name,
       CASE WHEN m.isadmin = 1 OR m.isglobaladmin = 1 THEN 'admin' ELSE 'user' END AS role,
       CASE WHEN m.active = 1 AND d.active = 1 THEN 0 ELSE 1 END AS disabled
FROM mailbox m
JOIN domain d ON d.domain = m.domain
ORDER BY m.domain, m.username`;

export const readyQueries = {
	postfixadmin: {
		description: 'PostfixAdmin (database "postfix"): domain_admins rows make admins; an inactive mailbox or domain is disabled',
		postgres: postfixAdminColumns('a.active', 'NOT (m.active AND d.active)'),
		mysql: postfixAdminColumns('a.active = 1', '(m.active = 0 OR d.active = 0)'),
	},
	iredmail: {
		description: 'iRedMail (database "vmail"): isadmin or isglobaladmin makes admins; an inactive mailbox or domain is disabled',
		postgres: iredmail,
		mysql: iredmail,
	},
} as const satisfies Record<string, ReadyQuery>;

export type ReadyQueryName = keyof typeof readyQueries;
