/**
 * The directory sources: where the mailboxes come from when the mail server holds them
 * (`directory.source` other than `local`). Each only reads; core/sync.ts compares and applies.
 *
 * source.ts         what a source is (read within a deadline; errors connection | auth | validation)
 *                   and what describes one (SourceDescriptor: its settings, form fields, label, open)
 * plumbing.ts       the read's deadline and cancel, worded once for every source
 * sql.ts            PostgreSQL, MySQL, MariaDB: the descriptor; sql-read.ts the reader (URL, TLS,
 *                   errors), sql-drivers.ts pg and mysql2, sql-rows.ts rows to mailboxes,
 *                   sql-queries.ts the ready queries (PostfixAdmin, iRedMail)
 * ldap.ts           LDAP: the descriptor; ldap-read.ts the reader (ldapts: StartTLS, paged search, filters)
 * dovecot.ts        Dovecot's userdb through `doveadm user '*'`: descriptor and reader in one file
 * smartermail.ts    SmarterMail's web API: the descriptor; smartermail-read.ts the calls,
 *                   smartermail-http.ts the requests and where the password may go
 *
 * A source's descriptor is light: it loads its reader (and its client library) only in open().
 *
 * To add a source: write its file exporting `defineSource({kind, title, settings, fields, label,
 * open})` (dovecot.ts is the smallest), and add it to `registered` below. Its settings
 * (`directory.<kind>.<name>`, in settings.json as `{"directory": {"<kind>": {…}}}`), their check,
 * defaults and place in `config`, `directory.source`'s choices, the Settings form's fields, README's
 * table of settings (npm run docs) and the sync all follow from that entry.
 */
import {dovecotSource} from './dovecot.js';
import {ldapSource} from './ldap.js';
import type {SourceDescriptor} from './source.js';
import {smartermailSource} from './smartermail.js';
import {sqlSource} from './sql.js';

/** The one list of sources: a source's entry here is all the rest of massmail needs. */
const registered = [sqlSource, ldapSource, dovecotSource, smartermailSource] as const;

type Registered = typeof registered[number];

/** Every directory source, in the order `directory.source`, `config` and the Settings form give them. */
export const directorySources: readonly SourceDescriptor[] = registered;

/** A registered source's kind: `sql`, `ldap`… */
export type SourceKind = Registered['kind'];

/** Each source's settings under its kind, as settings.json holds them: `{sql: {url, query, caFile}, …}`. */
export type SourceSettingsByKind = {[D in Registered as D['kind']]: {[N in keyof D['settings']]: string}};

/** A source's setting's key: `directory.sql.url`. */
export type SourceSettingKey = Registered extends infer D ? D extends {kind: infer K extends string; settings: infer S} ? `directory.${K}.${keyof S & string}` : never : never;

/** The source of this kind; undefined for `local` (or a kind no source has). */
export function directorySource(kind: string): SourceDescriptor | undefined {
	return directorySources.find(source => source.kind === kind);
}
