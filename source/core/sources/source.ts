/**
 * A directory source: where the mailboxes come from when the mail server holds them
 * (`directory.source` other than `local`). A source only reads; `core/sync.ts` compares what it
 * read with the directory and applies the difference under the store's lock.
 */
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
