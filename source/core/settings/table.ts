/**
 * The one table of settings: every key of Settings with what it means, a value it takes, how it
 * is read, checked and shown (spec.ts), and the defaults of a new installation. `config
 * list|get|set|--help`, the Settings form, the check of settings.json (store.ts) and README's
 * table of settings are all made from it.
 */
import {normalizeAddress} from '../address.js';
import {MassmailError} from '../errors.js';
import {mailHostName, type HostNameSources} from '../host-name.js';
import {parseRate} from '../rate.js';
import {directorySources, type SourceSettingKey, type SourceSettingsByKind} from '../sources/index.js';
import type {DirectorySourceKind, Settings, TlsMode, TrackingSettings} from '../types.js';
import {isObject} from '../values.js';
import {boolean, caFile, duration, integer, Invalid, oneOf, plain, showRate, shownAsIs, text, type FieldSpec} from './spec.js';
import {parseHostList} from './host-list.js';

/**
 * The mail domain of this machine, as its mail server would use it: its fully qualified name
 * (/etc/mailname, the host name, the resolver's canonical name: host-name.ts); undefined when
 * none has a dot — then there is no default sender address (core/sender.ts says why), rather
 * than one at a domain nobody can answer (`vm.localdomain`).
 */
export function localMailDomain(sources?: HostNameSources): string | undefined {
	return mailHostName(sources).name;
}

/**
 * The settings of a new installation: no SMTP server (mail goes to the local capture server).
 * `mailDomain` null: not looked for, and no default sender address — for settings whose file
 * sets the address (finding the machine's name may start `hostname --fqdn`: host-name.ts).
 */
export const defaultSettings = (mailDomain: string | undefined | null = localMailDomain()): Settings => ({
	smtp: {host: '', port: 587, tls: 'starttls', user: '', passwordCommand: '', allowUnverifiedTls: false, heloName: '', caFile: ''},
	sender: {name: 'System Administrator', address: typeof mailDomain === 'string' ? `postmaster@${mailDomain}` : ''},
	delivery: {concurrency: 5, rate: 0, maxAttempts: 5, retryDelayMs: 2000, replyTimeoutMs: 60_000, dataTimeoutMs: 300_000, confirmThreshold: 100},
	directory: {
		source: 'local',
		maxAge: 3600,
		passwordCommand: '',
		// Each source's, from its file: {sql: {url: '', query: '', caFile: ''}, …}.
		...Object.fromEntries(directorySources.map(source => [source.kind, Object.fromEntries(Object.entries(source.settings).map(([name, spec]) => [name, spec.default]))])) as SourceSettingsByKind,
	},
	tracking: defaultTracking(),
	schedule: {maxChange: 10, grace: 3600},
});

/** The delivery reports' settings of a new installation: no bounce address, no bounce mailbox to read. */
export function defaultTracking(): TrackingSettings {
	return {
		returnPath: '',
		verp: false,
		delimiter: '+',
		notify: 'failure,delay',
		imap: {host: '', port: 993, tls: 'implicit', user: '', passwordCommand: '', caFile: '', allowUnverifiedTls: false},
	};
}

/** `directory.source`'s values: `local`, then every source (sources/index.ts). */
export const directorySourceKinds: readonly DirectorySourceKind[] = ['local', ...directorySources.map(source => source.kind as DirectorySourceKind)];

const tlsModes: readonly TlsMode[] = ['implicit', 'starttls', 'opportunistic'];
const imapTlsModes: ReadonlyArray<TrackingSettings['imap']['tls']> = ['implicit', 'starttls', 'none'];
const notifyChoices: ReadonlyArray<TrackingSettings['notify']> = ['failure,delay', 'success,failure,delay'];

/**
 * A server's host name or IP address (`smtp.host`, `tracking.imap.host`). A value with an `@` or
 * a `/` (a URL, or `user:password@host`) is refused without being repeated: it may hold a password.
 * `user`: the setting of the login name; `password`: where the password comes from.
 */
const hostName = (user: string, password: string, several = false) => ({
	parse: (raw: string): unknown => raw.trim(),
	check(value: unknown, loading: boolean): unknown {
		// Several relays (smtp.host): `mx1.example.com, mx2.example.com:2525` is kept without the spaces.
		const host = several ? text(value).trim().replaceAll(/\s*,\s*/g, ',') : text(value).trim();
		// One written into the file before is read (and said to be wrong: storedProblem), as before.
		if (host.includes('@') && !loading) {
			throw new Invalid(`must be a host name or IP address, without a user or password before @: the user goes in ${user}, the password in ${password}`);
		}

		if (host.includes('/')) {
			throw new Invalid('must be a host name or IP address, not a URL (mail.example.com)');
		}

		if (/\s/.test(host)) {
			throw new Invalid(`must be a host name or IP address, found ${JSON.stringify(value)}`);
		}

		// A user or password before @ read from the file is said by storedProblem, not misread as a port.
		const list = several && !host.includes('@') ? parseHostList(host, 25) : [];
		if ('problem' in list) {
			throw new Invalid(`must be one server or several separated by commas (mx1.example.com,mx2.example.com:2525): ${list.problem}`);
		}

		return host;
	},
	// One written into the file by hand: what precedes the @ is not shown.
	show: (value: unknown): string => String(value).replace(/^.*@/s, '***@'),
	storedProblem: (value: unknown): string | undefined => (typeof value === 'string' && value.includes('@')
		? `holds a user or password before @: remove it; the user goes in ${user}, the password in ${password}`
		: undefined),
});

/** An address: its normal form when set; '' allowed; a stored one is taken as it is (checked where it is used). */
const address = {
	parse: (raw: string): unknown => raw.trim(),
	check(value: unknown, loading: boolean): unknown {
		const typed = text(value).trim();
		if (loading || typed === '') {
			return typed;
		}

		try {
			return normalizeAddress(typed);
		} catch (error) {
			throw new Invalid((error as Error).message);
		}
	},
	show: shownAsIs,
};

/** Every setting's dotted key (`smtp.host`, `directory.sql.url`): the leaves of Settings. */
type Leaves<T, Prefix extends string = ''> = {
	[K in keyof T & string]-?: NonNullable<T[K]> extends object ? Leaves<NonNullable<T[K]>, `${Prefix}${K}.`> : `${Prefix}${K}`;
}[keyof T & string];
export type SettingKey = Leaves<Settings>;
/** The delivery reports' keys (`tracking.returnPath`, `tracking.imap.host`). */
type TrackingKey = Extract<SettingKey, `tracking.${string}`>;
/** The scheduled sends' keys (`schedule.grace`). */
type ScheduleKey = Extract<SettingKey, `schedule.${string}`>;

/**
 * One setting, defined once: what `config list`, `config --help`, `config set`, the check of the
 * settings file and the dashboard's Settings screen all read. `parse` then `check` turn what a
 * person typed into the value stored; `show` turns a stored value back into text that `parse`
 * reads as the same value.
 */
export interface SettingSpec extends FieldSpec {
	key: SettingKey;
	/** The directory source that cannot be read without it (`what` it is, for "type …"). */
	needed?: {by: DirectorySourceKind; what: string};
}

/** The most SMTP connections a send may use (the setting and --concurrency). */
export const maximumConcurrency = 100;

/**
 * Every setting but the sources' own, in the order `config list` shows them. One entry per leaf of
 * Settings: a new field without one does not compile. The sources' settings follow, from their files.
 */
const specs: {[K in Exclude<SettingKey, SourceSettingKey | TrackingKey | ScheduleKey>]: Omit<SettingSpec, 'key'>} = {
	'smtp.host': {
		description: 'the SMTP server to deliver through; empty: the local capture server (nothing leaves this machine)',
		example: 'mail.example.com',
		label: 'SMTP host',
		note: 'several relays: names separated by commas (`mx1.example.com,mx2.example.com:2525`); an entry without a port takes smtp.port, and all share the TLS mode, user and password; one send is spread over them',
		...hostName('smtp.user', 'MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand', true),
	},
	'smtp.port': {description: 'the SMTP port: 587 for STARTTLS, 465 for TLS from the start, 25 for a local relay', example: '587', ...integer(1, 65_535), label: 'Port'},
	'smtp.tls': {description: `the TLS mode: ${tlsModes.join(', ')} (STARTTLS when offered: loopback only with a login)`, example: 'starttls', ...oneOf(tlsModes), label: 'TLS'},
	'smtp.user': {description: 'the SMTP login name; empty: no login', example: 'postmaster@example.com', ...plain, label: 'User'},
	'smtp.passwordCommand': {description: 'a command that prints the SMTP password, as in mutt, run when MASSMAIL_SMTP_PASSWORD is not set (the password itself is never stored)', example: 'pass show mail/smtp', ...plain, label: 'Password command'},
	'smtp.allowUnverifiedTls': {description: 'accept a server certificate that does not verify (self-signed)', example: 'false', ...boolean},
	'smtp.caFile': {description: 'a PEM file of the CAs to trust for the SMTP server\'s certificate (a private CA); empty: Node\'s own list', example: '/etc/ssl/private-ca.pem', ...caFile, label: 'CA file'},
	'smtp.heloName': {
		description: 'the name this client greets the server with (EHLO); empty: this machine\'s fully qualified name',
		example: 'mail.example.com',
		note: 'without one, the address literal of this end of the connection (`[192.0.2.1]`): never a name without a dot',
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
	'sender.name': {description: 'the From name of every send (a send may change it for itself); empty: the address alone', example: 'System Administrator', ...plain, label: 'Sender name'},
	'sender.address': {
		description: 'the From address of every send; empty: postmaster@ this machine\'s fully qualified name',
		example: 'postmaster@example.com',
		note: '`<host>` is this machine\'s fully qualified name (`/etc/mailname`, else the host name, else the resolver\'s canonical name: the first with a dot), which Message-IDs end in too. '
			+ 'A machine with none (host name `vm`) has **no default address**: a send to an SMTP server is refused (exit 2) until `sender.address` is set, and mail to the local capture server goes from `postmaster@localhost`. '
			+ '`config`, Settings, Review and `--dry-run` say where the address comes from',
		label: 'Sender address',
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
	'delivery.concurrency': {description: `SMTP connections used at once, 1 to ${maximumConcurrency} (fewer when the server limits them)`, example: '5', ...integer(1, maximumConcurrency), label: 'Connections'},
	'delivery.rate': {
		description: 'the pace at most: messages a second (0.5), a minute (30/min) or an hour (1000/h); 0: no limit',
		example: '30/min',
		note: 'kept a second, shown in the smallest unit that makes it whole (0.5 → `30/min`)',
		label: 'Rate',
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
	'delivery.maxAttempts': {description: 'attempts per recipient when the server says "try later", the first included (1 to 100)', example: '5', ...integer(1, 100), label: 'Attempts'},
	// At most retry-queue.ts's maximumRetryDelayMs: no wait is longer, so a larger value would not be what it says.
	'delivery.retryDelayMs': {description: 'the wait before the first retry in milliseconds (0 to 900000); it doubles with each attempt, up to 15 minutes', example: '2000', ...integer(0, 900_000), label: 'First retry (ms)'},
	'delivery.replyTimeoutMs': {description: 'deadline in milliseconds for the whole opening of a connection and for each whole reply', example: '60000', ...integer(1000), note: 'the opening: greeting, EHLO, TLS, login'},
	'delivery.dataTimeoutMs': {description: 'deadline in milliseconds for sending a message and the whole reply to it (RFC 5321 allows 10 minutes)', example: '300000', ...integer(1000)},
	'delivery.confirmThreshold': {description: 'above this many recipients, sending asks a second time with the count', example: '100', ...integer(0), label: 'Confirm above'},
	'directory.source': {
		description: `where the mailboxes come from: ${directorySourceKinds.join(', ')} (local: CSV import and local edits; the others: massmail sync reads the mail server's user database)`,
		example: 'ldap',
		note: 'each source\'s settings follow (`directory.<source>.*`); see "The directory from the mail server"',
		label: 'Source',
		...oneOf(directorySourceKinds),
	},
	'directory.maxAge': {
		description: 'a send syncs first when the directory was synced longer ago than this (seconds, or 30min, 1h); 0: never',
		example: '1h',
		label: 'Sync if older than',
		...duration,
	},
	'directory.passwordCommand': {description: 'a command that prints the source\'s password (never stored), run when MASSMAIL_DIRECTORY_PASSWORD is not set', example: 'pass show mail/ldap', ...plain, label: 'Password command'},
};

/** The delivery reports' settings (core/tracking): after the directory sources' in `config list`. */
const trackingSpecs: {[K in TrackingKey]: Omit<SettingSpec, 'key'>} = {
	'tracking.returnPath': {
		description: 'the bounce address every message is sent from (the envelope sender; the From header is unchanged), where the delivery reports come back; empty: the From address',
		example: 'bounces@example.com',
		note: 'massmail track reads the reports from its mailbox (tracking.imap.*); it may not hold the recipient delimiter already',
		label: 'Bounce address',
		...address,
	},
	'tracking.verp': {
		description: 'send each message from the bounce address with its send and recipient after the delimiter (bounces+ID.N@example.com, VERP): a bounce without a report still names its recipient; the mail server must deliver those addresses to the bounce mailbox',
		example: 'true',
		note: 'Postfix: `recipient_delimiter = +`',
		label: 'VERP',
		...boolean,
	},
	'tracking.delimiter': {
		description: 'the mail server\'s recipient delimiter, for VERP (Postfix\'s recipient_delimiter)',
		example: '+',
		label: 'Recipient delimiter',
		parse: raw => raw.trim(),
		check(value) {
			const delimiter = text(value).trim();
			if ([...delimiter].length !== 1 || /[\s@<>"\\,;]/.test(delimiter)) {
				throw new Invalid(`must be one character such as + or -, found ${JSON.stringify(value)}`);
			}

			return delimiter;
		},
		show: shownAsIs,
	},
	'tracking.notify': {
		description: `what the mail system reports (DSN NOTIFY): ${notifyChoices.join(' or ')} (then a delivery is proven, not assumed)`,
		example: 'success,failure,delay',
		label: 'Reports asked for',
		parse: raw => raw.toLowerCase().replaceAll(/\s+/g, ''),
		check(value) {
			const words = typeof value === 'string' ? new Set(value.split(',')) : new Set<string>();
			const chosen = notifyChoices.find(choice => choice.split(',').length === words.size && choice.split(',').every(word => words.has(word)));
			if (chosen === undefined) {
				throw new Invalid(`must be one of ${notifyChoices.join(', ')}, found ${JSON.stringify(value)}`);
			}

			return chosen;
		},
		show: shownAsIs,
	},
	'tracking.imap.host': {description: 'the IMAP server of the bounce mailbox, for massmail track; empty: reports are not read', example: 'mail.example.com', label: 'IMAP host', ...hostName('tracking.imap.user', 'MASSMAIL_TRACKING_PASSWORD or tracking.imap.passwordCommand')},
	'tracking.imap.port': {description: 'the IMAP port: 993 for TLS from the start, 143 for STARTTLS', example: '993', ...integer(1, 65_535), label: 'IMAP port'},
	'tracking.imap.tls': {description: `the IMAP TLS mode: ${imapTlsModes.join(', ')} (none: a loopback address only)`, example: 'implicit', ...oneOf(imapTlsModes), label: 'IMAP TLS'},
	'tracking.imap.user': {description: 'the IMAP login of the bounce mailbox', example: 'bounces@example.com', ...plain, label: 'IMAP user'},
	'tracking.imap.passwordCommand': {description: 'a command that prints the bounce mailbox\'s password (never stored), run when MASSMAIL_TRACKING_PASSWORD is not set', example: 'pass show mail/bounces', ...plain, label: 'Password command'},
	'tracking.imap.caFile': {description: 'a PEM file of the CAs to trust for the IMAP server\'s certificate (a private CA); empty: Node\'s own list', example: '/etc/ssl/private-ca.pem', ...caFile, label: 'CA file'},
	'tracking.imap.allowUnverifiedTls': {description: 'accept an IMAP server certificate that does not verify (self-signed)', example: 'false', ...boolean, label: 'IMAP certificate'},
};

/** What massmail run-due checks before it sends a scheduled send (core/schedule): after the delivery reports' in `config list`. */
const scheduleSpecs: {[K in ScheduleKey]: Omit<SettingSpec, 'key'>} = {
	'schedule.maxChange': {
		description: 'massmail run-due sends nothing of a scheduled send whose audience grew or shrank by more than this since it was scheduled (percent); the record says why',
		example: '10%',
		...integer(0, 1000),
		parse(raw) {
			const match = /^\s*(\d+)\s*%?\s*$/.exec(raw);
			if (!match) {
				throw new Invalid(`must be a percentage such as 10%, found ${JSON.stringify(raw)}`);
			}

			return Number(match[1]);
		},
		show: value => `${String(value)}%`,
	},
	'schedule.grace': {
		description: 'a scheduled send whose time passed longer ago than this (the machine was down) is marked missed by massmail run-due, not sent (seconds, or 30min, 1h; 0: never missed, sent however late)',
		example: '1h',
		...duration,
	},
};

/** Every setting's definition, in the order `config list` shows them. */
export const settingSpecs: readonly SettingSpec[] = [
	...Object.entries(specs).map(([key, spec]) => ({key: key as SettingKey, ...spec})),
	...directorySources.flatMap(source => Object.entries(source.settings).map(([name, {default: _default, needed, ...spec}]): SettingSpec => ({
		key: `directory.${source.kind}.${name}` as SettingKey,
		...spec,
		...(needed === undefined ? {} : {needed: {by: source.kind as DirectorySourceKind, what: needed}}),
	}))),
	...Object.entries(trackingSpecs).map(([key, spec]) => ({key: key as SettingKey, ...spec})),
	...Object.entries(scheduleSpecs).map(([key, spec]) => ({key: key as SettingKey, ...spec})),
];

const specByKey = new Map(settingSpecs.map(spec => [spec.key.toLowerCase(), spec]));
/** The sections of Settings, as `config get SECTION` names them. */
export const settingSections = ['smtp', 'sender', 'delivery', 'directory', 'tracking', 'schedule'] as const;

/**
 * What is wrong with settings taken together, for the keys being changed (`changed`): a rule
 * between two settings that each read alone. Now one: the bounce address may not hold the
 * recipient delimiter (the server would cut its VERP addresses there, and deliver the reports to
 * another mailbox). Each problem names the key it is said on.
 *
 * @example settingsProblems(withSetting(settings, 'tracking.returnPath', 'bounces+x@example.com'), ['tracking.returnPath'])
 * // [{key: 'tracking.returnPath', problem: 'must not hold the recipient delimiter "+" (tracking.delimiter) …'}]
 */
export function settingsProblems(settings: Settings, changed: readonly string[]): Array<{key: SettingKey; problem: string}> {
	const problems: Array<{key: SettingKey; problem: string}> = [];
	const {returnPath, delimiter} = settings.tracking;
	const local = returnPath.slice(0, Math.max(0, returnPath.lastIndexOf('@')));
	if (delimiter !== '' && local.includes(delimiter)) {
		const lower = new Set(changed.map(key => key.trim().toLowerCase()));
		if (lower.has('tracking.returnpath')) {
			problems.push({key: 'tracking.returnPath', problem: `must not hold the recipient delimiter ${JSON.stringify(delimiter)} (tracking.delimiter): the server would cut its VERP addresses there, found ${JSON.stringify(returnPath)}`});
		} else if (lower.has('tracking.delimiter')) {
			problems.push({key: 'tracking.delimiter', problem: `must not be a character of the bounce address ${JSON.stringify(returnPath)} (tracking.returnPath), found ${JSON.stringify(delimiter)}`});
		}
	}

	return problems;
}

/**
 * The values read from the file that must not be shown as they are, with what is wrong with each:
 * a URL holding a password (written by hand, or by an old version), an SMTP host holding a user
 * and password. `config list|get` and the Settings form say these; the values are shown through
 * their definition's `show`, which leaves the secret out.
 * @example storedSettingProblems(settings) // [{key: 'directory.sql.url', problem: 'holds a password after the user name (user:PASSWORD@), …'}]
 */
export function storedSettingProblems(settings: Settings): Array<{key: SettingKey; problem: string}> {
	return settingSpecs.flatMap(spec => {
		const problem = spec.storedProblem?.(settingValue(settings, spec.key));
		return problem === undefined ? [] : [{key: spec.key, problem}];
	});
}

/** The settings with each value storedSettingProblems names as it may be shown (its secret left out): for a section printed whole. */
export function withoutStoredSecrets(settings: Settings): Settings {
	let shown = settings;
	for (const {key} of storedSettingProblems(settings)) {
		shown = withSetting(shown, key, showSetting(key, settingValue(settings, key)));
	}

	return shown;
}

/** The definition of a key as a person typed it (any case, spaces around), or undefined. */
export function findSettingSpec(key: string): SettingSpec | undefined {
	return specByKey.get(key.trim().toLowerCase());
}

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
	for (const {key} of settingSpecs) {
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
export function parentOf(root: unknown, key: string): {parent: Record<string, unknown> | undefined; name: string} {
	const parts = key.split('.');
	let node: unknown = root;
	for (const part of parts.slice(0, -1)) {
		node = isObject(node) ? node[part] : undefined;
	}

	return {parent: isObject(node) ? node : undefined, name: parts.at(-1)!};
}
