import path from 'node:path';
import {parseRate} from './rate.js';
import {createRequire} from 'node:module';
import type Conf from 'conf';
import {MassmailError} from './errors.js';
import type {DirectorySourceKind, Settings, TlsMode} from './types.js';
import type {Paths} from './paths.js';
import {hasControlCharacter, normalizeAddress} from './address.js';
import {fileStamp, readJsonFileStamped} from './json-file.js';
import {withFileLock} from './file-lock.js';
import {caCertificates} from './tls.js';
import {isObject} from './values.js';
import {mailHostName, type HostNameSources} from './host-name.js';

/**
 * The mail domain of this machine, as its mail server would use it: its fully qualified name
 * (/etc/mailname, the host name, the resolver's canonical name: host-name.ts); undefined when
 * none has a dot — then there is no default sender address (core/sender.ts says why), rather
 * than one at a domain nobody can answer (`vm.localdomain`).
 */
export function localMailDomain(sources?: HostNameSources): string | undefined {
	return mailHostName(sources).name;
}

/** The settings of a new installation: no SMTP server (mail goes to the local capture server). */
export const defaultSettings = (mailDomain: string | undefined = localMailDomain()): Settings => ({
	smtp: {host: '', port: 587, tls: 'starttls', user: '', passwordCommand: '', allowUnverifiedTls: false, heloName: '', caFile: ''},
	sender: {name: 'System Administrator', address: mailDomain === undefined ? '' : `postmaster@${mailDomain}`},
	delivery: {concurrency: 5, rate: 0, maxAttempts: 5, retryDelayMs: 2000, replyTimeoutMs: 60_000, dataTimeoutMs: 300_000, confirmThreshold: 100},
	directory: {
		source: 'local',
		maxAge: 3600,
		passwordCommand: '',
		sql: {url: '', query: '', caFile: ''},
		ldap: {url: '', caFile: '', bindDn: '', base: '', filter: '(mail=*)', mailAttribute: 'mail', nameAttribute: 'cn', disabledFilter: '', adminFilter: '', primaryFilter: ''},
		dovecot: {command: 'doveadm user \'*\''},
		smartermail: {url: '', user: ''},
	},
});

export const directorySourceKinds: readonly DirectorySourceKind[] = ['local', 'sql', 'ldap', 'dovecot', 'smartermail'];

/** `3600`, `90s`, `30min`, `1h`, `2d` -> seconds. */
export function parseDuration(raw: string): number {
	const match = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$/i.exec(raw);
	if (!match) {
		throw new Error(`must be a duration such as 3600 (seconds), 30min, 1h or 0 (never), found ${JSON.stringify(raw)}`);
	}

	const unit = (match[2] ?? 's').toLowerCase();
	const factor = unit === 'd' ? 86_400 : unit === 'h' ? 3600 : unit === 'm' || unit === 'min' ? 60 : 1;
	return Math.round(Number(match[1]) * factor);
}

// conf (with ajv) costs ~100 ms to import; reading settings does not need it, only writing does.
// Loaded on first write with require(esm), which Node has without a flag since 20.19.
let confClass: typeof Conf | undefined;
function loadConf(): typeof Conf {
	if (!confClass) {
		const required = createRequire(import.meta.url)('conf') as {default: typeof Conf};
		confClass = required.default;
	}

	return confClass;
}

const tlsModes: readonly TlsMode[] = ['implicit', 'starttls', 'opportunistic'];

/** Every setting's dotted key (`smtp.host`, `directory.sql.url`): the leaves of Settings. */
type Leaves<T, Prefix extends string = ''> = {
	[K in keyof T & string]-?: NonNullable<T[K]> extends object ? Leaves<NonNullable<T[K]>, `${Prefix}${K}.`> : `${Prefix}${K}`;
}[keyof T & string];
export type SettingKey = Leaves<Settings>;

/**
 * One setting, defined once: what `config list`, `config --help`, `config set` and the
 * dashboard's Settings screen all read. `parse` then `check` turn what a person typed into the
 * value stored; `show` turns a stored value back into text that `parse` reads as the same value.
 */
export interface SettingSpec {
	key: SettingKey;
	/** What it means, for `config list`, `config --help` and the Settings screen's hint. */
	description: string;
	/** A value it takes, as typed. */
	example: string;
	/** From text (the command line, a form field) to a value. Throws a message. */
	parse: (raw: string) => unknown;
	/** Checks a value (parsed, from update() or the file); returns it, or throws a message. `loading`: from the file. */
	check: (value: unknown, loading: boolean) => unknown;
	/** The stored value as a person would type it: `parse(show(value))` gives the value back. */
	show: (value: unknown) => string;
	/** The directory source that cannot be read without it (`what` it is, for "type …"). */
	needed?: {by: DirectorySourceKind; what: string};
}

/** The most SMTP connections a send may use (the setting and --concurrency). */
export const maximumConcurrency = 100;

class Invalid extends Error {}

const text = (value: unknown): string => {
	if (typeof value !== 'string') {
		throw new Invalid(`must be text, found ${JSON.stringify(value)}`);
	}

	if (hasControlCharacter(value)) {
		throw new Invalid('must be one line without control characters');
	}

	return value;
};

const shownAsIs = (value: unknown): string => String(value);

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => ({
	parse(raw: string): unknown {
		if (!/^\s*\d+\s*$/.test(raw)) {
			throw new Invalid(`must be a whole number from ${min}, found ${JSON.stringify(raw)}`);
		}

		return Number(raw);
	},
	check(value: unknown): unknown {
		if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
			throw new Invalid(`must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, found ${JSON.stringify(value)}`);
		}

		return value;
	},
	show: shownAsIs,
});

const booleanWords: Record<string, boolean> = {true: true, yes: true, on: true, 1: true, false: false, no: false, off: false, 0: false};

const boolean = {
	parse(raw: string): unknown {
		const word = raw.trim().toLowerCase();
		if (!Object.hasOwn(booleanWords, word)) {
			throw new Invalid(`must be true or false (yes/no, on/off, 1/0), found ${JSON.stringify(raw)}`);
		}

		return booleanWords[word];
	},
	check(value: unknown): unknown {
		if (typeof value !== 'boolean') {
			throw new Invalid(`must be true or false, found ${JSON.stringify(value)}`);
		}

		return value;
	},
	show: shownAsIs,
};

const plain = {parse: (raw: string): unknown => raw.trim(), check: (value: unknown): unknown => text(value).trim(), show: shownAsIs};

/** Text that may span lines (an SQL query): tabs and line breaks allowed, other control characters not. */
const multiline = {
	parse: (raw: string): unknown => raw.trim(),
	check(value: unknown): unknown {
		if (typeof value !== 'string') {
			throw new Invalid(`must be text, found ${JSON.stringify(value)}`);
		}

		if (hasControlCharacter(value.replaceAll(/[\t\r\n]/g, ' '))) {
			throw new Invalid('must not hold control characters other than tabs and line breaks');
		}

		return value.trim();
	},
	show: shownAsIs,
};

/** One of a few words. */
const oneOf = <T extends string>(choices: readonly T[]) => ({
	parse: (raw: string): unknown => raw.trim().toLowerCase(),
	check(value: unknown): unknown {
		if (!choices.includes(value as T)) {
			throw new Invalid(`must be one of ${choices.join(', ')}, found ${JSON.stringify(value)}`);
		}

		return value;
	},
	show: shownAsIs,
});

/** Empty, or text starting with one of these schemes (checked when set, not when read from the file). */
const url = (schemes: RegExp, expected: string, extra?: (url: string) => void) => ({
	parse: (raw: string): unknown => raw.trim(),
	check(value: unknown, loading: boolean): unknown {
		const address = text(value).trim();
		if (loading || address === '') {
			return address;
		}

		if (!schemes.test(address) || /\s/.test(address)) {
			// Not repeated: a URL may hold a password.
			throw new Invalid(`must start with ${expected}`);
		}

		extra?.(address);
		return address;
	},
	show: shownAsIs,
});

/**
 * The PEM text of a CA file setting, read when it is used (core/tls.ts: the one CA reader).
 * Kept here too for the importers of the settings.
 */
export {readCaFile} from './tls.js';

/** A file of CA certificates: a relative path is taken from the current folder; checked when set. */
const caFile = {
	parse(raw: string): unknown {
		const file = raw.trim();
		return file === '' ? '' : path.resolve(file);
	},
	check(value: unknown, loading: boolean): unknown {
		const file = text(value).trim();
		const read = !loading && file !== '' ? caCertificates(file) : undefined;
		if (read && 'problem' in read) {
			throw new Invalid(read.problem);
		}

		return file;
	},
	show: shownAsIs,
};

/**
 * A pace in messages a second as a person writes it: the smallest unit in which it is a whole
 * number (a second, bare; `/min`; `/h`), else the number a second.
 * @example showRate(2) // '2'
 * @example showRate(0.5) // '30/min'
 * @example showRate(1000 / 3600) // '1000/h'
 * @example showRate(2.5) // '150/min'
 */
export function showRate(perSecond: number): string {
	const whole = (value: number) => Math.abs(value - Math.round(value)) < 1e-9 * Math.max(1, value);
	if (whole(perSecond)) {
		return String(Math.round(perSecond));
	}

	for (const [unit, seconds] of [['min', 60], ['h', 3600]] as const) {
		if (whole(perSecond * seconds)) {
			return `${Math.round(perSecond * seconds)}/${unit}`;
		}
	}

	return String(perSecond);
}

/** 3600 -> `1h`, 1800 -> `30min`, 90 -> `90`: a duration in seconds as people write it. */
export function showDuration(seconds: number): string {
	if (seconds > 0 && seconds % 3600 === 0) {
		return `${seconds / 3600}h`;
	}

	if (seconds > 0 && seconds % 60 === 0) {
		return `${seconds / 60}min`;
	}

	return String(seconds);
}

const sqlSchemes = 'postgres://, postgresql://, mysql:// or mariadb://';

/** Every setting, in the order `config list` shows them. One entry per leaf of Settings: a new field without one does not compile. */
const specs: {[K in SettingKey]: Omit<SettingSpec, 'key'>} = {
	'smtp.host': {
		description: 'the SMTP server to deliver through; empty: the local capture server (nothing leaves this machine)',
		example: 'mail.example.com',
		parse: raw => raw.trim(),
		check(value) {
			const host = text(value).trim();
			if (/\s/.test(host) || host.includes('/')) {
				throw new Invalid(`must be a host name or IP address, found ${JSON.stringify(value)}`);
			}

			return host;
		},
		show: shownAsIs,
	},
	'smtp.port': {description: 'the SMTP port: 587 for STARTTLS, 465 for TLS from the start, 25 for a local relay', example: '587', ...integer(1, 65_535)},
	'smtp.tls': {description: `the TLS mode: ${tlsModes.join(', ')} (STARTTLS when offered: loopback only with a login)`, example: 'starttls', ...oneOf(tlsModes)},
	'smtp.user': {description: 'the SMTP login name; empty: no login', example: 'postmaster@example.com', ...plain},
	'smtp.passwordCommand': {description: 'a command that prints the SMTP password, as in mutt (the password itself is never stored; else MASSMAIL_SMTP_PASSWORD)', example: 'pass show mail/smtp', ...plain},
	'smtp.allowUnverifiedTls': {description: 'accept a server certificate that does not verify (self-signed)', example: 'false', ...boolean},
	'smtp.caFile': {description: 'a PEM file of the CAs to trust for the SMTP server\'s certificate (a private CA); empty: Node\'s own list', example: '/etc/ssl/private-ca.pem', ...caFile},
	'smtp.heloName': {
		description: 'the name this client greets the server with (EHLO); empty: this machine\'s fully qualified name',
		example: 'mail.example.com',
		parse: raw => raw.trim(),
		check(value) {
			const name = text(value).trim();
			// A domain name or an address literal ([192.0.2.1], [IPv6:…]), as RFC 5321 §4.1.1.1 allows.
			if (name !== '' && !/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[^\s[\]]+\])$/.test(name)) {
				throw new Invalid(`must be a host name (mail.example.com) or an address literal ([192.0.2.1]), found ${JSON.stringify(value)}`);
			}

			return name;
		},
		show: shownAsIs,
	},
	'sender.name': {description: 'the From name of every send (a send may change it for itself); empty: the address alone', example: 'System Administrator', ...plain},
	'sender.address': {
		description: 'the From address of every send; empty: postmaster@ this machine\'s fully qualified name',
		example: 'postmaster@example.com',
		parse: raw => raw.trim(),
		check(value, loading) {
			const address = text(value).trim();
			if (loading || address === '') {
				// '' is the default again (postmaster@ this machine's name, core/sender.ts); a stored
				// address is checked when mail is composed.
				return address;
			}

			try {
				return normalizeAddress(address);
			} catch (error) {
				throw new Invalid((error as Error).message);
			}
		},
		show: shownAsIs,
	},
	'delivery.concurrency': {description: `SMTP connections used at once, 1 to ${maximumConcurrency} (fewer when the server limits them)`, example: '5', ...integer(1, maximumConcurrency)},
	'delivery.rate': {
		description: 'the pace at most: messages a second (0.5), a minute (30/min) or an hour (1000/h); 0: no limit',
		example: '30/min',
		parse(raw) {
			try {
				return parseRate(raw);
			} catch (error) {
				throw new Invalid((error as Error).message.replace(/^rate /, ''));
			}
		},
		check(value) {
			if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
				throw new Invalid(`must be a number of messages a second from 0 (no limit), found ${JSON.stringify(value)}`);
			}

			return value;
		},
		show: value => showRate(value as number),
	},
	'delivery.maxAttempts': {description: 'attempts per recipient when the server says "try later", the first included (1 to 100)', example: '5', ...integer(1, 100)},
	'delivery.retryDelayMs': {description: 'the wait before the first retry in milliseconds; it doubles with each attempt', example: '2000', ...integer(0)},
	'delivery.replyTimeoutMs': {description: 'deadline in milliseconds for the whole opening of a connection and for each whole reply', example: '60000', ...integer(1000)},
	'delivery.dataTimeoutMs': {description: 'deadline in milliseconds for sending a message and the whole reply to it (RFC 5321 allows 10 minutes)', example: '300000', ...integer(1000)},
	'delivery.confirmThreshold': {description: 'above this many recipients, sending asks a second time with the count', example: '100', ...integer(0)},
	'directory.source': {
		description: `where the mailboxes come from: ${directorySourceKinds.join(', ')} (local: CSV import and local edits; the others: massmail sync reads the mail server's user database)`,
		example: 'ldap',
		...oneOf(directorySourceKinds),
	},
	'directory.maxAge': {
		description: 'a send syncs first when the directory was synced longer ago than this (seconds, or 30min, 1h); 0: never',
		example: '1h',
		...integer(0),
		parse(raw) {
			try {
				return parseDuration(raw);
			} catch (error) {
				throw new Invalid((error as Error).message);
			}
		},
		show: value => showDuration(value as number),
	},
	'directory.passwordCommand': {description: 'a command that prints the source\'s password (never stored); empty: MASSMAIL_DIRECTORY_PASSWORD', example: 'pass show mail/ldap', ...plain},
	'directory.sql.url': {
		description: 'postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB (no password here)',
		example: 'postgres://mailreader@127.0.0.1:5432/postfix',
		...url(/^(?:postgres|postgresql|mysql|mariadb):\/\//i, sqlSchemes, address => {
			if (/^[a-z]+:\/\/[^@/]*:[^@/]*@/i.test(address)) {
				throw new Invalid('must hold no password: it comes from MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand');
			}
		}),
		needed: {by: 'sql', what: 'the database\'s address: postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB'},
	},
	'directory.sql.query': {
		description: 'one SELECT giving the columns email, name, role, disabled (massmail config shows ready ones for PostfixAdmin and iRedMail)',
		example: 'SELECT username AS email, name, \'user\' AS role, active = 0 AS disabled FROM mailbox',
		...multiline,
		needed: {by: 'sql', what: 'one SELECT giving email, name, role, disabled (massmail config shows ready ones)'},
	},
	'directory.sql.caFile': {description: 'a PEM file of the CAs to trust for the database\'s TLS certificate; empty: Node\'s own list', example: '/etc/ssl/private-ca.pem', ...caFile},
	'directory.ldap.url': {
		description: 'ldap://HOST:PORT (StartTLS when offered, required for a password off loopback) or ldaps://HOST:PORT',
		example: 'ldap://ldap.example.com',
		...url(/^ldaps?:\/\//i, 'ldap:// or ldaps://'),
		needed: {by: 'ldap', what: 'the server\'s address: ldap://HOST:PORT or ldaps://HOST:PORT'},
	},
	'directory.ldap.caFile': {description: 'a PEM file of the CAs to trust for the LDAP server\'s certificate; empty: the system\'s', example: '/etc/ssl/private-ca.pem', ...caFile},
	'directory.ldap.bindDn': {description: 'the DN to bind as; empty: an anonymous bind', example: 'cn=reader,dc=example,dc=com', ...plain},
	'directory.ldap.base': {
		description: 'where the mailboxes are searched (the search base)',
		example: 'o=domains,dc=example,dc=com',
		...plain,
		needed: {by: 'ldap', what: 'the DN under which the mailboxes are: o=domains,dc=example,dc=com'},
	},
	'directory.ldap.filter': {description: 'the entries that are mailboxes', example: '(&(objectClass=mailUser)(mail=*))', ...plain},
	'directory.ldap.mailAttribute': {description: 'the attribute holding the address', example: 'mail', ...plain},
	'directory.ldap.nameAttribute': {description: 'the attribute holding the display name', example: 'cn', ...plain},
	'directory.ldap.disabledFilter': {description: 'entries matching base + (&FILTER this) are disabled; empty: the source does not say (local flags kept)', example: '(!(accountStatus=active))', ...plain},
	'directory.ldap.adminFilter': {description: 'entries matching base + (&FILTER this) are domain administrators; with neither this nor primaryFilter the roles are local', example: '(domainGlobalAdmin=yes)', ...plain},
	'directory.ldap.primaryFilter': {description: 'entries matching base + (&FILTER this) are primary administrators (wins over admin)', example: '(title=primary)', ...plain},
	'directory.dovecot.command': {
		description: 'a command printing one user per line',
		example: 'doveadm user \'*\'',
		...plain,
		needed: {by: 'dovecot', what: 'the command that lists the users: doveadm user \'*\''},
	},
	'directory.smartermail.url': {
		description: 'the SmarterMail web address (https://, or http:// to this machine)',
		example: 'https://mail.example.com',
		...url(/^https?:\/\//i, 'https:// (or http:// to this machine)'),
		needed: {by: 'smartermail', what: 'the web address: https://mail.example.com'},
	},
	'directory.smartermail.user': {
		description: 'a SmarterMail system administrator',
		example: 'admin',
		...plain,
		needed: {by: 'smartermail', what: 'the system administrator\'s user name'},
	},
};

const keySpecs: SettingSpec[] = Object.entries(specs).map(([key, spec]) => ({key: key as SettingKey, ...spec}));

const specByKey = new Map(keySpecs.map(spec => [spec.key.toLowerCase(), spec]));
const sections = ['smtp', 'sender', 'delivery', 'directory'] as const;

const passwordRefusal = (key: string) => /^\s*directory\./i.test(key)
	? new MassmailError('usage', 'massmail never writes the directory source\'s password to its settings file', {
		hint: 'set MASSMAIL_DIRECTORY_PASSWORD in the environment, or directory.passwordCommand to a command that prints it (e.g. massmail config set directory.passwordCommand "pass show mail/ldap")',
	})
	: new MassmailError('usage', 'massmail never writes the SMTP password to its settings file', {
		hint: 'set MASSMAIL_SMTP_PASSWORD in the environment, or smtp.passwordCommand to a command that prints it (e.g. massmail config set smtp.passwordCommand "pass show mail/smtp")',
	});

type DeepPartial<T> = {[K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K]};
/** Some settings, nested as in Settings: what SettingsStore.update takes. */
export type SettingsPatch = DeepPartial<Settings>;

/** The definition of one setting. */
export function settingSpec(key: SettingKey): SettingSpec {
	return specByKey.get(key.toLowerCase())!;
}

/**
 * What a person typed for a setting, read as `config set` reads it: the value, or the problem
 * (`must be a whole number from 1 to 65535, found 70000`). The Settings screen reads its fields
 * through this too, so both take the same values.
 * @example readSetting('delivery.rate', '30/min') // {value: 0.5}
 */
export function readSetting(key: SettingKey, raw: string): {value: unknown} | {problem: string} {
	const spec = settingSpec(key);
	try {
		return {value: spec.check(spec.parse(raw), false)};
	} catch (error) {
		if (error instanceof Invalid || error instanceof MassmailError) {
			return {problem: error.message};
		}

		throw error;
	}
}

/** A stored value as the person would type it. @example showSetting('delivery.rate', 0.5) // '30/min' */
export function showSetting(key: SettingKey, value: unknown): string {
	return settingSpec(key).show(value);
}

/** One value of the settings by its key (`smtp.port` -> settings.smtp.port). */
export function settingValue(settings: Settings, key: SettingKey): unknown {
	return parentOf(settings as unknown as Record<string, unknown>, key).parent?.[key.split('.').at(-1)!];
}

/** The settings with one value changed (a copy; the object given is left as it is). */
export function withSetting(settings: Settings, key: SettingKey, value: unknown): Settings {
	const copy = structuredClone(settings);
	const {parent, name} = parentOf(copy as unknown as Record<string, unknown>, key);
	parent![name] = value;
	return copy;
}

/** Only the values that differ, as SettingsStore.update takes them (an unchanged value is not checked again). */
export function changedSettings(next: Settings, current: Settings): SettingsPatch {
	const patch: Record<string, Record<string, unknown>> = {};
	for (const {key} of keySpecs) {
		const value = settingValue(next, key);
		if (value !== undefined && value !== settingValue(current, key)) {
			const parts = key.split('.');
			let node: Record<string, unknown> = patch;
			for (const part of parts.slice(0, -1)) {
				node[part] ??= {};
				node = node[part] as Record<string, unknown>;
			}

			node[parts.at(-1)!] = value;
		}
	}

	return patch as SettingsPatch;
}

/** The object holding a dotted key's last part (`directory.sql.url` -> settings.directory.sql), if it is there. */
function parentOf(root: unknown, key: string): {parent: Record<string, unknown> | undefined; name: string} {
	const parts = key.split('.');
	let node: unknown = root;
	for (const part of parts.slice(0, -1)) {
		node = isObject(node) ? node[part] : undefined;
	}

	return {parent: isObject(node) ? node : undefined, name: parts.at(-1)!};
}

/** A patch's set values as dotted keys: {sql: {url: 'x'}} under `directory` -> ['directory.sql.url', 'x']. */
function flatten(prefix: string, group: Record<string, unknown>): Array<[string, unknown]> {
	const entries: Array<[string, unknown]> = [];
	for (const [name, value] of Object.entries(group)) {
		if (isObject(value)) {
			entries.push(...flatten(`${prefix}.${name}`, value));
		} else if (value !== undefined) {
			entries.push([`${prefix}.${name}`, value]);
		}
	}

	return entries;
}

/**
 * The settings, in conf's file (mode 0600). The result of reading the file is cached
 * (conf re-reads and re-parses its file on every get) and read again when the file changed
 * (a stat per get): another process's `config set` is seen by a running dashboard.
 * Every change is made under the file's lock on its latest content. A file that is not valid JSON, or
 * holds a value of the wrong kind, is a MassmailError('store') naming the file and
 * the key, and is never overwritten.
 */
export class SettingsStore {
	/** Every key `config get|set` knows, with what it means and an example value. */
	static keys(): Array<{key: SettingKey; description: string; example: string}> {
		return keySpecs.map(({key, description, example}) => ({key, description, example}));
	}

	readonly file: string;
	#paths: Paths;
	#env?: NodeJS.ProcessEnv;
	#cache?: {settings: Settings; stamp: string | undefined; stored: unknown};
	#conf?: Conf<Record<string, unknown>>;

	/** `env`: where MASSMAIL_LOCK_WAIT_MS and MASSMAIL_LOCK_STALE_MS are read (process.env by default). */
	constructor(paths: Paths, env?: NodeJS.ProcessEnv) {
		this.#paths = paths;
		this.#env = env;
		this.file = paths.settingsFile;
	}

	/** The settings, defaults filled in: the same object while the file is unchanged. Treat it as read-only. */
	get(): Settings {
		if (this.#cache && fileStamp(this.file) === this.#cache.stamp) {
			return this.#cache.settings;
		}

		const {data: stored, stamp} = readJsonFileStamped(this.file);
		const settings = defaultSettings();
		if (stored !== undefined) {
			if (!isObject(stored)) {
				throw this.#corrupt('not a settings object (expected {"smtp": …, "sender": …, "delivery": …})');
			}

			for (const section of sections) {
				if (stored[section] !== undefined && !isObject(stored[section])) {
					throw this.#corrupt(`"${section}" must be an object`);
				}
			}

			for (const spec of keySpecs) {
				const {parent: group, name} = parentOf(stored, spec.key);
				if (group && Object.hasOwn(group, name)) {
					try {
						parentOf(settings as unknown as Record<string, unknown>, spec.key).parent![name] = spec.check(group[name], true);
					} catch (error) {
						throw this.#corrupt(`${spec.key} ${(error as Error).message}`);
					}
				}
			}
		}

		this.#cache = {settings, stamp, stored};
		return settings;
	}

	/** Whether the settings file holds a value for this key (else the default is in force). */
	isSet(key: string): boolean {
		this.get();
		const {parent, name} = parentOf(this.#cache?.stored, key);
		return parent !== undefined && Object.hasOwn(parent, name);
	}

	/** One value by dotted key (`smtp.host`) or a whole section (`smtp`). */
	getKey(key: string): unknown {
		const settings = this.get();
		const spec = specByKey.get(key.trim().toLowerCase());
		if (spec) {
			const {parent, name} = parentOf(settings as unknown as Record<string, unknown>, spec.key);
			return parent![name];
		}

		const section = sections.find(name => name === key.trim().toLowerCase());
		if (section) {
			return settings[section];
		}

		throw this.#unknownKey(key);
	}

	/** Sets one key from its text form (`config set smtp.port 465`), checked first. */
	setKey(key: string, raw: string): void {
		const spec = this.#spec(key);
		const read = readSetting(spec.key, raw);
		if ('problem' in read) {
			throw new MassmailError('validation', `${spec.key} ${read.problem}`, {hint: `for example: massmail config set ${spec.key} ${shellWord(spec.example)}`});
		}

		this.#write({[spec.key]: read.value});
	}

	/** Changes several values at once (the dashboard's Settings screen); all are checked before any is written. */
	update(patch: SettingsPatch): void {
		const values: Record<string, unknown> = {};
		for (const [section, group] of Object.entries(patch)) {
			if (group === undefined) {
				continue;
			}

			for (const [key, value] of flatten(section, group as Record<string, unknown>)) {
				const spec = this.#spec(key);
				try {
					values[spec.key] = spec.check(value, false);
				} catch (error) {
					throw new MassmailError('validation', `${spec.key} ${(error as Error).message}`);
				}
			}
		}

		this.#write(values);
	}

	/** Lock, check the latest file, let conf merge the values into it (it re-reads it) and write it atomically, unlock. */
	#write(values: Record<string, unknown>): void {
		withFileLock(this.file, {what: 'the settings', env: this.#env}, () => {
			// The file as it is now, checked: one broken meanwhile is reported, never overwritten.
			this.get();
			const conf = this.#open();
			try {
				// conf re-reads the file before writing; a file broken meanwhile makes it throw, not clear.
				conf.set(values);
			} catch (error) {
				throw this.#corrupt(`cannot be updated: ${(error as Error).message}`);
			}

			// Read back under the lock: the cache is then what is in the file, other processes' values included.
			this.#cache = undefined;
			this.get();
		});
	}

	#open(): Conf<Record<string, unknown>> {
		if (!this.#conf) {
			try {
				const ConfClass = loadConf();
				// get() has checked the file, so conf neither chokes on it nor rewrites it beyond adding defaults.
				this.#conf = new ConfClass<Record<string, unknown>>({
					cwd: path.dirname(this.file),
					configName: path.basename(this.file, '.json'),
					configFileMode: 0o600,
					projectName: 'massmail',
					// Never let conf replace a file it cannot read (its default, restated).
					clearInvalidConfig: false,
					// No defaults: conf would write them into the file, and a default (the sender's
					// domain from the host name) would then pass for a value someone set.
					defaults: {},
				});
			} catch (error) {
				if (error instanceof MassmailError) {
					throw error;
				}

				throw this.#corrupt(`cannot be opened: ${(error as Error).message}`);
			}
		}

		return this.#conf;
	}

	#spec(key: string): SettingSpec {
		if (/password/i.test(key) && !/^(?:smtp|directory)\.passwordcommand$/i.test(key.trim())) {
			throw passwordRefusal(key);
		}

		const spec = specByKey.get(key.trim().toLowerCase());
		if (!spec) {
			throw this.#unknownKey(key);
		}

		return spec;
	}

	#unknownKey(key: string): MassmailError {
		return new MassmailError('usage', `unknown setting ${JSON.stringify(key)}`, {
			hint: `the settings are: ${keySpecs.map(spec => spec.key).join(', ')}`,
		});
	}

	#corrupt(what: string): MassmailError {
		return new MassmailError('store', `${this.file}: ${what}`, {hint: 'Fix or move the file away; massmail never overwrites it.'});
	}

	/** For messages: where the settings live. */
	get paths(): Paths {
		return this.#paths;
	}
}

/** A word as a POSIX shell reads it: as it is when it can be, else in single quotes. */
export function shellWord(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll('\'', '\'\\\'\'')}'`;
}
