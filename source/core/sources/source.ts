/**
 * A directory source: where the mailboxes come from when the mail server holds them
 * (`directory.source` other than `local`). A source only reads; `core/sync.ts` compares what it
 * read with the directory and applies the difference under the store's lock. Each source's file
 * exports its SourceDescriptor (below), and index.ts lists them.
 */
import type {FieldSpec} from '../settings/spec.js';
import type {Role} from '../types.js';

/** One mailbox as a source holds it. */
export interface SourceMailbox {
	/** Where it came from, for an error that names the row: `row 12`, a DN, `line 3`, `example.com/ann`. */
	key: string;
	/** As the source spells it; checked and normalised by the sync, not here. */
	email: string;
	/** Absent when the source has no names (Dovecot): the directory's own name is kept. */
	name?: string;
	/** Absent when the source has no roles (Dovecot): the directory's own role is kept. */
	role?: Role;
	/** Absent when the source cannot say: the directory's own flag is kept. */
	disabled?: boolean;
}

export interface ReadOptions {
	/** The whole read ends by then: connecting, logging in and every page. */
	timeoutMs: number;
	signal?: AbortSignal;
}

export interface DirectorySource {
	/**
	 * For people and the directory's record of where it came from, never holding a password:
	 * `postgres://mail@127.0.0.1:5432/postfix`, `ldap://127.0.0.1:3890`, `doveadm user '*'`.
	 */
	readonly label: string;
	/**
	 * Reads every mailbox. Fails with a MassmailError: `connection` when the source cannot be
	 * reached (or the deadline passed), `auth` when it refused the login, `validation` when it
	 * answered but the query, filter or reply is wrong (the source's exact words in the message).
	 */
	read(options: ReadOptions): Promise<SourceMailbox[]>;
}

/** A setting of one source, `directory.<kind>.<name>`: its definition (settings/spec.ts) and its default. */
export interface SourceSettingSpec extends FieldSpec {
	/** Its label in the Settings form, which shows every setting of the chosen source. */
	label: string;
	/** The value of a new installation. */
	default: string;
	/** What it is, when the source cannot be read without it: the Settings form says "type …", the sync "… is not set". */
	needed?: string;
}

/** The settings every source shares, shown among a source's fields where it puts them. */
export type SharedSourceField = 'directory.passwordCommand' | 'directory.maxAge';

/** What opening a source may ask for beyond its own settings. */
export interface OpenContext {
	/**
	 * The source's password: MASSMAIL_DIRECTORY_PASSWORD, else what directory.passwordCommand
	 * prints; undefined when neither is set. It may run a command: ask only when it is needed.
	 */
	password(): Promise<string | undefined>;
}

/**
 * A directory source, described once: all that the settings (`directory.<kind>.*`, their check
 * and defaults), `config`, the Settings form, README's table of settings and the sync know of it.
 * Listed in index.ts; `Name` is its settings' names.
 *
 * @example
 * export const dovecotSource = defineSource({
 *   kind: 'dovecot',
 *   title: 'Dovecot\'s userdb (doveadm user)',
 *   settings: {command: {description: 'a command printing one user per line', example: 'doveadm user \'*\'', ...plain, label: 'Command', default: 'doveadm user \'*\'', needed: 'the command that lists the users'}},
 *   fields: ['command', 'directory.maxAge'],
 *   label: values => values.command,
 *   open: async values => openDovecotSource({command: values.command}),
 * });
 */
export interface SourceDescriptor<Kind extends string = string, Name extends string = string> {
	/** `directory.source`'s value for it; its settings are `directory.<kind>.<name>`. */
	readonly kind: Kind;
	/** How the Settings form's Source choice names it: `LDAP directory`. */
	readonly title: string;
	/** Its settings by name, in the order `config` lists them. */
	readonly settings: Readonly<Record<Name, SourceSettingSpec>>;
	/** The Settings form's fields while it is chosen, in order: its settings by name, and the shared ones. */
	readonly fields: ReadonlyArray<NoInfer<Name> | SharedSourceField>;
	/** Where it reads from, for people, before it is opened (never a password): `ldap://127.0.0.1:3890`. */
	label(values: Readonly<Record<NoInfer<Name>, string>>): string;
	/**
	 * The source, ready to read; its client library is loaded now, not before. `values` are its
	 * settings, trimmed, the needed ones set (the sync checks them first).
	 */
	open(values: Readonly<Record<NoInfer<Name>, string>>, context: OpenContext): Promise<DirectorySource>;
}

/** A descriptor, its kind and settings' names inferred: what a source's file exports. */
export function defineSource<Kind extends string, Name extends string>(descriptor: SourceDescriptor<Kind, Name>): SourceDescriptor<Kind, Name> {
	return descriptor;
}

/** A setting left empty as absent: what the readers' options take. */
export function unlessEmpty(value: string): string | undefined {
	return value === '' ? undefined : value;
}
