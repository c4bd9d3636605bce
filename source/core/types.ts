/**
 * The shapes shared by the core, the command line and the dashboard.
 * Implementations live beside this file; nothing here imports ink or react.
 */

import type {SourceKind, SourceSettingsByKind} from './sources/index.js';

// ---------------------------------------------------------------- directory

export type Role = 'user' | 'admin' | 'primary';

export interface Mailbox {
	/** Local part as typed, domain in its stored (lower-case ASCII/punycode) form. */
	address: string;
	name: string;
	role: Role;
	disabled: boolean;
}

/** One row of `massmail domains --json`. */
export interface DomainSummary {
	name: string;
	/** Every mailbox, disabled ones too. */
	users: number;
	/** Every administrator, the primary included. */
	admins: number;
	primary: string | null;
}

// ---------------------------------------------------------------- recipient groups

export type RecipientGroup =
	| {kind: 'all'}
	| {kind: 'domain'; domains: string[]} // one domain, or the selected-domains form
	| {kind: 'admins'}
	| {kind: 'primary-admins'}
	| {kind: 'user'; address: string}
	| {kind: 'send'; sendId: string}; // the recipients of an earlier send (reminders)

export interface Recipient {
	address: string;
	/** Display name from the directory ('' for an external address). */
	name: string;
}

/**
 * not-delivered: a reminder's follow-up audience leaves out those the original never reached;
 * removed: and those whose mailbox was removed from the directory since (its domain still there).
 */
export type SkipReason = 'disabled' | 'duplicate' | 'invalid' | 'not-delivered' | 'removed';

export interface Resolution {
	recipients: Recipient[];
	skipped: Array<{address: string; reason: SkipReason}>;
}

// ---------------------------------------------------------------- messages

export type SendKind = 'email' | 'reminder';

export interface Sender {
	name: string;
	address: string;
}

/** What the user composed; placeholders ({{name}}, {{address}}, {{domain}}) still unfilled. */
export interface MessageDraft {
	kind: SendKind;
	from: Sender;
	/** To Friendly Name: shown before each recipient's address in To; '' for the bare address. */
	friendlyName: string;
	subject: string;
	body: string;
	/** true: body is HTML and a plain-text alternative is made from it. */
	html: boolean;
}

// ---------------------------------------------------------------- settings

export type TlsMode = 'implicit' | 'starttls' | 'opportunistic';

export interface SmtpSettings {
	/** '' means: no server configured, deliver to the local capture server. */
	host: string;
	port: number;
	tls: TlsMode;
	user: string;
	/** A shell command whose standard output is the password (as mutt/aerc). Never the password itself. */
	passwordCommand: string;
	/** Accept a certificate that does not verify (self-signed server). Off by default. */
	allowUnverifiedTls: boolean;
	/** The name this client greets the server with (EHLO); '' or absent: this machine's fully qualified name. */
	heloName?: string;
	/** A PEM file of the CAs to trust for the server's certificate (a private CA); '' or absent: Node's own list. */
	caFile?: string;
}

/** Where the mailboxes come from: `local` is CSV import and local edits; the others (sources/index.ts) read the mail server's own user database. */
export type DirectorySourceKind = 'local' | SourceKind;

/** The directory's settings; each source's own under its kind (`sql: {url, query, caFile}`), as its file defines them. */
export interface DirectorySettings extends SourceSettingsByKind {
	source: DirectorySourceKind;
	/** Seconds: a send whose directory was synced longer ago syncs first; 0 = never. */
	maxAge: number;
	/** A command that prints the source's password (else MASSMAIL_DIRECTORY_PASSWORD). Never the password. */
	passwordCommand: string;
}

/** Delivery reports (core/tracking): where they are asked to go and the mailbox they are read from. */
export interface TrackingSettings {
	/** The envelope sender of every message, where the reports come back (`bounces@example.com`); '' : the From address. */
	returnPath: string;
	/** Each message's envelope sender is the return path with `DELIMITER SEND_ID.INDEX` (VERP): a report without an envelope id still names its recipient. */
	verp: boolean;
	/** The mail server's recipient delimiter (Postfix's recipient_delimiter), for VERP. */
	delimiter: string;
	/** What the mail system reports: failures and delays, or successes too (NOTIFY). */
	notify: 'failure,delay' | 'success,failure,delay';
	/** The bounce mailbox over IMAP; the password from MASSMAIL_TRACKING_PASSWORD or passwordCommand, never stored. */
	imap: {host: string; port: number; tls: 'implicit' | 'starttls' | 'none'; user: string; passwordCommand: string; caFile: string; allowUnverifiedTls: boolean};
}

/** What `massmail run-due` checks before it sends a scheduled send (the administrator is not there to confirm). */
export interface ScheduleSettings {
	/** Percent: an audience that changed by more than this since it was scheduled is not sent. */
	maxChange: number;
	/** Seconds: a send whose time passed longer ago than this (the machine was down) is marked missed, not sent. */
	grace: number;
}

export interface Settings {
	smtp: SmtpSettings;
	sender: Sender;
	/** Absent only in send records written before directory sources. */
	directory: DirectorySettings;
	/** Delivery reports: the bounce address, VERP, NOTIFY, the bounce mailbox over IMAP. */
	tracking: TrackingSettings;
	/** Scheduled sends (core/schedule): when run-due refuses or gives up on one. */
	schedule: ScheduleSettings;
	delivery: {
		concurrency: number;
		/** Messages per second; 0 = unlimited. */
		rate: number;
		/** Attempts per recipient for temporary failures (first try included). */
		maxAttempts: number;
		/** First retry delay in ms; doubles on each attempt. */
		retryDelayMs: number;
		/** Deadline for the whole opening of a connection and for each whole reply, in ms (absent in records older than the setting). */
		replyTimeoutMs?: number;
		/** Deadline for sending a message and the whole reply to its final dot, in ms (likewise). */
		dataTimeoutMs?: number;
		/** Above this many recipients, the dashboard asks a second time with the count. */
		confirmThreshold: number;
	};
}

// ---------------------------------------------------------------- send records

export type RecipientStatus = 'sent' | 'failed' | 'pending';
export type SendStatus = 'running' | 'finished' | 'interrupted' | 'cancelled';

/** One row of `history --json`. */
export interface SendSummary {
	id: string;
	kind: SendKind;
	subject: string;
	createdAt: string;
	total: number;
	sent: number;
	failed: number;
	status: SendStatus;
	/** The group as typed (`domain:example.com`) or `send:ID` for a follow-up. */
	audience: string;
	/** true when mail went to the local capture server. */
	captured: boolean;
	/** Set on a reminder that threads under an earlier send. */
	followUpOf?: string;
	/** Who started it; null in a record written before massmail kept it. */
	operator: Operator | null;
}

/** Who started a send: the login name, the SSH client's address (null when none), this machine's name. */
export interface Operator {
	user: string;
	from: string | null;
	host: string;
}

/** One recipient in `show ID --json`. */
export interface RecipientReport {
	address: string;
	status: RecipientStatus;
	attempts: number;
	/** The server's last reply (or the error), null before any attempt. */
	response: string | null;
	/** The Message-ID this recipient was (or will be) sent, with angle brackets. */
	messageId: string;
}

// ---------------------------------------------------------------- delivery events

/** What the engine reports, after the outcome is on disk. */
export type DeliveryEvent =
	| {type: 'outcome'; address: string; status: 'sent' | 'failed' | 'deferred'; attempts: number; response: string}
	| {type: 'progress'; progress: DeliveryProgress}
	/** `cancelling`, `stopping`: a cancel, or an interrupt (or the server, network or disk giving out), waits for the messages in flight. */
	| {type: 'state'; state: 'running' | 'paused' | 'cancelling' | 'stopping'}
	/** The server limits this client (or stopped limiting it): connections and pace now, and one line for people. */
	| {type: 'limiting'; limiting: Limiting; text: string}
	/** Said once per run: the server does not offer DSN (RFC 3461), so no delivery report is asked for. */
	| {type: 'no-dsn'; text: string}
	/**
	 * One of several relays was left (it could not be reached, refused the login or TLS, or its
	 * connections failed too many times in a row): `remaining` recipients of this run, not sent
	 * yet, go to the `relays` still used.
	 */
	| {type: 'relay-left'; relay: string; reason: string; remaining: number; relays: string[]};

/** What the server's limits look like from here, for progress displays. */
export interface Limiting {
	/** Connections the send uses now. */
	connections: number;
	/** The pace learned from the server (messages a minute), or null while not known yet. */
	perMinute: number | null;
	/** True while no message may go but a probe. */
	holding: boolean;
	/**
	 * The server's window, once learnt: it takes `messages` per `ms`, and its next window begins
	 * in `nextInMs` (0 while the current one still takes messages).
	 */
	window?: {messages: number; ms: number; nextInMs: number};
	/**
	 * The server's last reply that limited this run, on one line without control characters
	 * (`450 4.7.1 Error: too much mail from 192.0.2.1`); absent when it gave none.
	 */
	reply?: string;
}

export interface DeliveryProgress {
	total: number;
	sent: number;
	failed: number;
	/** Recipients waiting for a retry after a temporary failure. */
	deferred: number;
	remaining: number;
	/**
	 * Messages per second over the last minute, or since the start when shorter: long enough to
	 * span a limiting server's bursts, so it does not read 0 while the server holds the send.
	 */
	rate: number;
	elapsedMs: number;
	/** null while unknown. */
	etaMs: number | null;
	/**
	 * What the ETA was worked out from: the measured rate, or the pace learned from a limiting
	 * server while the rate is not measured over a whole minute yet. Absent while there is no ETA.
	 */
	etaFrom?: 'rate' | 'pace';
	/** Set once the server limits this run. */
	limiting?: Limiting;
}

export interface DeliveryResult {
	id: string;
	/** The whole send's counts (not only this run's). */
	total: number;
	sent: number;
	failed: number;
	status: SendStatus;
	/** Messages the server accepted in this run. */
	runSent: number;
	/**
	 * Why the run stopped before its end when neither a person nor a signal stopped it: the
	 * server, the network or the disk. Its `kind` says which (connection, auth, store).
	 */
	stopped?: {kind: 'connection' | 'auth' | 'store'; message: string; hint?: string};
	/** A send over several relays: how many (the record then names each outcome's relay). */
	relays?: number;
}
