/**
 * The Settings form as a reducer: fields, focus, what was typed, and what is wrong with each
 * field once it has been left. The SMTP password is not a field: only where it comes from
 * (the environment, or a password command) — it never appears on screen or on disk. The same
 * holds for the directory source's password. The Directory source section shows the fields of
 * the chosen source only.
 */
import {normalizeAddress} from '../../core/address.js';
import {directorySourceKinds, parseDuration} from '../../core/settings.js';
import {resolveSmtpTarget} from '../../core/smtp-config.js';
import type {DirectorySettings, DirectorySourceKind, Settings, TlsMode} from '../../core/types.js';
import type {KeyPress} from '../keypress.js';
import {editWithKey, textState, type TextState} from './text-edit.js';

export type PasswordSource = 'none' | 'environment' | 'command';

/** The directory source's text fields (the Directory source section). */
export type DirectoryTextField =
	| 'sqlUrl' | 'sqlQuery' | 'sqlCaFile'
	| 'ldapUrl' | 'ldapBindDn' | 'ldapBase' | 'ldapFilter' | 'ldapMailAttribute' | 'ldapNameAttribute'
	| 'ldapDisabledFilter' | 'ldapAdminFilter' | 'ldapPrimaryFilter' | 'ldapCaFile'
	| 'dovecotCommand' | 'smartermailUrl' | 'smartermailUser'
	| 'directoryPasswordCommand' | 'directoryMaxAge';

export type SettingsTextField =
	| 'host' | 'port' | 'user' | 'passwordCommand' | 'senderName' | 'senderAddress'
	| 'concurrency' | 'rate' | 'maxAttempts' | 'retryDelayMs' | 'confirmThreshold'
	| DirectoryTextField;
export type SettingsChoiceField = 'tls' | 'allowUnverifiedTls' | 'passwordSource' | 'directorySource';
export type SettingsButton = 'save' | 'test' | 'testSource';
export type SettingsFieldId = SettingsTextField | SettingsChoiceField | SettingsButton;

/** Where each directory field is stored: directory.KEY or directory.GROUP.KEY (maxAge, a number, is read and written apart). */
const directoryFieldKeys: Record<Exclude<DirectoryTextField, 'directoryMaxAge'>, [group: 'sql' | 'ldap' | 'dovecot' | 'smartermail' | undefined, key: string]> = {
	sqlUrl: ['sql', 'url'],
	sqlQuery: ['sql', 'query'],
	sqlCaFile: ['sql', 'caFile'],
	ldapUrl: ['ldap', 'url'],
	ldapBindDn: ['ldap', 'bindDn'],
	ldapBase: ['ldap', 'base'],
	ldapFilter: ['ldap', 'filter'],
	ldapMailAttribute: ['ldap', 'mailAttribute'],
	ldapNameAttribute: ['ldap', 'nameAttribute'],
	ldapDisabledFilter: ['ldap', 'disabledFilter'],
	ldapAdminFilter: ['ldap', 'adminFilter'],
	ldapPrimaryFilter: ['ldap', 'primaryFilter'],
	ldapCaFile: ['ldap', 'caFile'],
	dovecotCommand: ['dovecot', 'command'],
	smartermailUrl: ['smartermail', 'url'],
	smartermailUser: ['smartermail', 'user'],
	directoryPasswordCommand: [undefined, 'passwordCommand'],
};

/** The fields of each source, in the order shown under the source choice. */
export const sourceFields: Record<DirectorySourceKind, readonly DirectoryTextField[]> = {
	local: [],
	sql: ['sqlUrl', 'sqlQuery', 'sqlCaFile', 'directoryPasswordCommand', 'directoryMaxAge'],
	ldap: ['ldapUrl', 'ldapBindDn', 'directoryPasswordCommand', 'ldapBase', 'ldapFilter', 'ldapMailAttribute', 'ldapNameAttribute', 'ldapDisabledFilter', 'ldapAdminFilter', 'ldapPrimaryFilter', 'ldapCaFile', 'directoryMaxAge'],
	dovecot: ['dovecotCommand', 'directoryMaxAge'],
	smartermail: ['smartermailUrl', 'smartermailUser', 'directoryPasswordCommand', 'directoryMaxAge'],
};

/** Whether the field belongs to the Directory source section. */
export function isDirectoryField(field: SettingsFieldId): boolean {
	return field === 'directorySource' || field === 'testSource' || field in directoryFieldKeys || field === 'directoryMaxAge';
}

export const settingsFieldLabels: Record<SettingsFieldId, string> = {
	host: 'SMTP host',
	port: 'Port',
	tls: 'TLS',
	allowUnverifiedTls: 'Certificate',
	user: 'User',
	passwordSource: 'Password from',
	passwordCommand: 'Password command',
	senderName: 'Sender name',
	senderAddress: 'Sender address',
	concurrency: 'Connections',
	rate: 'Rate (msg/s)',
	maxAttempts: 'Attempts',
	retryDelayMs: 'First retry (ms)',
	confirmThreshold: 'Confirm above',
	directorySource: 'Source',
	sqlUrl: 'Database URL',
	sqlQuery: 'Query',
	sqlCaFile: 'CA file',
	ldapUrl: 'LDAP URL',
	ldapBindDn: 'Bind DN',
	ldapBase: 'Search base',
	ldapFilter: 'Filter',
	ldapMailAttribute: 'Mail attribute',
	ldapNameAttribute: 'Name attribute',
	ldapDisabledFilter: 'Disabled filter',
	ldapAdminFilter: 'Admin filter',
	ldapPrimaryFilter: 'Primary filter',
	ldapCaFile: 'CA file',
	dovecotCommand: 'Command',
	smartermailUrl: 'SmarterMail URL',
	smartermailUser: 'Admin user',
	directoryPasswordCommand: 'Password command',
	directoryMaxAge: 'Sync if older than',
	testSource: 'Test source',
	save: 'Save',
	test: 'Test connection',
};

/** One line under the form about the focused field. */
export const settingsFieldHints: Record<SettingsFieldId, string> = {
	host: 'Empty: the local capture server (nothing leaves this machine).',
	port: '587 for STARTTLS, 465 for TLS from the start, 25 for a local relay.',
	tls: '←/→ or Space: STARTTLS, TLS from the start, or STARTTLS when offered (loopback only with a login).',
	allowUnverifiedTls: '←/→ or Space: a self-signed server needs "accept any"; verified by default.',
	user: 'The login name; empty: no login.',
	passwordSource: '←/→ or Space: MASSMAIL_SMTP_PASSWORD in the environment, or a command that prints it.',
	passwordCommand: 'A command that prints the password, as in mutt: pass show mail/smtp',
	senderName: 'The From name of every send (a form may change it for one send).',
	senderAddress: 'The From address of every send.',
	concurrency: 'SMTP connections used at once, 1 to 100.',
	rate: 'Messages per second at most; 0: no limit.',
	maxAttempts: 'Attempts per recipient when the server says "try later", the first included (1 to 100).',
	retryDelayMs: 'Wait before the first retry; it doubles with each attempt.',
	confirmThreshold: 'Above this many recipients, sending asks a second time with the count.',
	directorySource: '←/→ or Space: where the mailboxes come from; local: CSV import and edits here.',
	sqlUrl: 'postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB (no password here).',
	sqlQuery: 'One SELECT giving email, name, role, disabled (README: PostfixAdmin, iRedMail); on one line.',
	sqlCaFile: 'A PEM file of the CAs for the database\'s TLS certificate; empty: the system\'s.',
	ldapUrl: 'ldap://HOST:PORT (StartTLS when offered) or ldaps://HOST:PORT.',
	ldapBindDn: 'The DN to bind as; empty: an anonymous bind.',
	ldapBase: 'Where the mailboxes are searched: o=domains,dc=example,dc=com',
	ldapFilter: 'The entries that are mailboxes: (mail=*)',
	ldapMailAttribute: 'The attribute holding the address: mail',
	ldapNameAttribute: 'The attribute holding the display name: cn',
	ldapDisabledFilter: 'Entries matching (&FILTER this) are disabled; empty: the flags set here stay.',
	ldapAdminFilter: 'Entries matching (&FILTER this) are domain administrators; empty: roles set here.',
	ldapPrimaryFilter: 'Entries matching (&FILTER this) are primary administrators.',
	ldapCaFile: 'A PEM file of the CAs for the LDAP server\'s certificate; empty: the system\'s.',
	dovecotCommand: 'A command printing one user per line: doveadm user \'*\'',
	smartermailUrl: 'The SmarterMail web address: https://mail.example.com',
	smartermailUser: 'A SmarterMail system administrator.',
	directoryPasswordCommand: 'A command that prints the source\'s password; empty: MASSMAIL_DIRECTORY_PASSWORD.',
	directoryMaxAge: 'A send syncs first when the directory is older: 1h, 30min, 3600; 0: never.',
	testSource: 'Enter or Ctrl+T: read the saved source and count its mailboxes.',
	save: 'Enter or Ctrl+S: check and save.',
	test: 'Enter or Ctrl+T: connect (and log in) with the saved settings.',
};

export const tlsChoices: readonly TlsMode[] = ['starttls', 'implicit', 'opportunistic'];
export const tlsLabels: Record<TlsMode, string> = {
	starttls: 'STARTTLS',
	implicit: 'TLS from the start',
	opportunistic: 'STARTTLS when offered',
};
export const directorySourceLabels: Record<DirectorySourceKind, string> = {
	local: 'local (CSV import and edits here)',
	sql: 'SQL database (PostgreSQL, MariaDB, MySQL)',
	ldap: 'LDAP directory',
	dovecot: 'Dovecot\'s userdb (doveadm user)',
	smartermail: 'SmarterMail (web API)',
};
export const passwordSources: readonly PasswordSource[] = ['none', 'environment', 'command'];
export const passwordSourceLabels: Record<PasswordSource, string> = {
	none: 'no password',
	environment: 'the environment',
	command: 'a password command',
};

export interface SettingsFormState {
	focus: SettingsFieldId;
	text: Record<SettingsTextField, TextState>;
	tls: TlsMode;
	allowUnverifiedTls: boolean;
	passwordSource: PasswordSource;
	directorySource: DirectorySourceKind;
	errors: Partial<Record<SettingsFieldId, string>>;
	/** Changed since the last save: Esc asks before throwing it away. */
	dirty: boolean;
	/** The stored sender address: kept as it is even when the stricter check of a typed one would refuse it. */
	storedSenderAddress: string;
	/** The stored SQL query, which may span lines: kept as it is unless its one-line form was edited. */
	storedSqlQuery: string;
}

export type SettingsFormAction =
	| {type: 'focus-next'}
	| {type: 'focus-previous'}
	| {type: 'edit'; field: SettingsTextField; text: TextState}
	/** A key typed into the focused text field, applied to the state as it is then (keys may come faster than renders). */
	| {type: 'edit-key'; input: string; key: KeyPress}
	| {type: 'cycle'; delta: 1 | -1}
	| {type: 'set-errors'; errors: Partial<Record<SettingsFieldId, string>>}
	/** Saved: the form shows what was stored. */
	| {type: 'saved'; settings: Settings};

const smtpFields: readonly SettingsFieldId[] = [
	'host', 'port', 'tls', 'allowUnverifiedTls', 'user', 'passwordSource', 'passwordCommand',
	'senderName', 'senderAddress', 'concurrency', 'rate', 'maxAttempts', 'retryDelayMs', 'confirmThreshold',
];

const buttonsAndChoices = new Set<SettingsFieldId>(['save', 'test', 'testSource', 'tls', 'allowUnverifiedTls', 'passwordSource', 'directorySource']);

export function isTextField(field: SettingsFieldId): field is SettingsTextField {
	return !buttonsAndChoices.has(field);
}

export function isButton(field: SettingsFieldId): field is SettingsButton {
	return field === 'save' || field === 'test' || field === 'testSource';
}

/**
 * The fields shown now, in order: the SMTP server, sender and pace; the Directory source
 * section (the chosen source's fields, and Test source unless it is local); Save and Test
 * connection. The password command only when the password comes from one.
 */
export function visibleFields(state: Pick<SettingsFormState, 'passwordSource' | 'directorySource'>): SettingsFieldId[] {
	const source = state.directorySource;
	return [
		...smtpFields.filter(field => field !== 'passwordCommand' || state.passwordSource === 'command'),
		'directorySource',
		...sourceFields[source],
		...(source === 'local' ? [] : ['testSource' as const]),
		'save',
		'test',
	];
}

/** 3600 -> `1h`, 1800 -> `30min`, 90 -> `90`: directory.maxAge as people write it. */
export function formatMaxAge(seconds: number): string {
	if (seconds > 0 && seconds % 3600 === 0) {
		return `${seconds / 3600}h`;
	}

	if (seconds > 0 && seconds % 60 === 0) {
		return `${seconds / 60}min`;
	}

	return String(seconds);
}

/** A query of several lines, on the one line of its field. */
const oneLine = (text: string) => text.replaceAll(/\r?\n/g, ' ');

function directoryValue(directory: DirectorySettings, field: Exclude<DirectoryTextField, 'directoryMaxAge'>): string {
	const [group, key] = directoryFieldKeys[field];
	const holder = (group === undefined ? directory : directory[group]) as unknown as Record<string, string>;
	return holder[key] ?? '';
}

export function initialSettingsForm(settings: Settings, env: NodeJS.ProcessEnv = {}): SettingsFormState {
	const {smtp, sender, delivery, directory} = settings;
	const directoryText = Object.fromEntries((Object.keys(directoryFieldKeys) as Array<keyof typeof directoryFieldKeys>).map(field => [
		field,
		textState(field === 'sqlQuery' ? oneLine(directory.sql.query) : directoryValue(directory, field)),
	])) as Record<Exclude<DirectoryTextField, 'directoryMaxAge'>, TextState>;
	const passwordSource: PasswordSource = smtp.passwordCommand === ''
		? (smtp.user === '' && !env.MASSMAIL_SMTP_PASSWORD ? 'none' : 'environment')
		: 'command';
	return {
		focus: 'host',
		text: {
			host: textState(smtp.host),
			port: textState(String(smtp.port)),
			user: textState(smtp.user),
			passwordCommand: textState(smtp.passwordCommand),
			senderName: textState(sender.name),
			senderAddress: textState(sender.address),
			concurrency: textState(String(delivery.concurrency)),
			rate: textState(String(delivery.rate)),
			maxAttempts: textState(String(delivery.maxAttempts)),
			retryDelayMs: textState(String(delivery.retryDelayMs)),
			confirmThreshold: textState(String(delivery.confirmThreshold)),
			...directoryText,
			directoryMaxAge: textState(formatMaxAge(directory.maxAge)),
		},
		tls: smtp.tls,
		allowUnverifiedTls: smtp.allowUnverifiedTls,
		passwordSource,
		directorySource: directory.source,
		errors: {},
		dirty: false,
		storedSenderAddress: sender.address,
		storedSqlQuery: directory.sql.query,
	};
}

const whole = (min: number, max: number) => (text: string): string | undefined => {
	if (!/^\d+$/.test(text.trim())) {
		return `a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`;
	}

	const value = Number(text.trim());
	return value < min || value > max ? `from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}` : undefined;
};

const textChecks: Partial<Record<SettingsTextField, (text: string, state: SettingsFormState) => string | undefined>> = {
	host(text) {
		return /\s/.test(text.trim()) || text.includes('/') ? 'a host name or IP address, no spaces or slashes' : undefined;
	},
	port: whole(1, 65_535),
	passwordCommand(text, state) {
		return state.passwordSource === 'command' && text.trim() === '' ? 'type the command that prints the password' : undefined;
	},
	senderName(text) {
		return text.trim() === '' ? 'a name is needed (System Administrator)' : undefined;
	},
	senderAddress(text, state) {
		if (text.trim() === state.storedSenderAddress) {
			return undefined;
		}

		try {
			normalizeAddress(text.trim());
			return undefined;
		} catch (error) {
			return (error as Error).message;
		}
	},
	concurrency: whole(1, 100),
	rate(text) {
		return /^\d+(\.\d+)?$/.test(text.trim()) ? undefined : 'a number from 0 (no limit)';
	},
	maxAttempts: whole(1, 100),
	retryDelayMs: whole(0, Number.MAX_SAFE_INTEGER),
	confirmThreshold: whole(0, Number.MAX_SAFE_INTEGER),
	directoryMaxAge(text) {
		try {
			parseDuration(text);
			return undefined;
		} catch (error) {
			return (error as Error).message;
		}
	},
	sqlUrl(text) {
		if (text.trim() === '') {
			return 'type the database\'s address: postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB';
		}

		if (!/^(postgres|postgresql|mysql|mariadb):\/\//i.test(text.trim())) {
			return 'must start with postgres://, postgresql://, mysql:// or mariadb://';
		}

		return /^[a-z]+:\/\/[^@/]*:[^@/]*@/i.test(text.trim()) ? 'no password here: it comes from MASSMAIL_DIRECTORY_PASSWORD or a password command' : undefined;
	},
	sqlQuery: text => text.trim() === '' ? 'type one SELECT giving email, name, role, disabled' : undefined,
	ldapUrl(text) {
		if (text.trim() === '') {
			return 'type the server\'s address: ldap://HOST:PORT or ldaps://HOST:PORT';
		}

		return /^ldaps?:\/\/[^\s]+$/i.test(text.trim()) ? undefined : 'must start with ldap:// or ldaps://';
	},
	ldapBase: text => text.trim() === '' ? 'type the DN under which the mailboxes are: o=domains,dc=example,dc=com' : undefined,
	dovecotCommand: text => text.trim() === '' ? 'type the command that lists the users: doveadm user \'*\'' : undefined,
	smartermailUrl(text) {
		if (text.trim() === '') {
			return 'type the web address: https://mail.example.com';
		}

		return /^https?:\/\/[^\s]+$/i.test(text.trim()) ? undefined : 'must start with https:// (or http:// to this machine)';
	},
	smartermailUser: text => text.trim() === '' ? 'type the system administrator\'s user name' : undefined,
};

/** The problem with one field, or undefined. */
export function checkSettingsField(field: SettingsFieldId, state: SettingsFormState): string | undefined {
	if (!isTextField(field)) {
		return undefined;
	}

	return textChecks[field]?.(state.text[field].value, state);
}

/** The settings the form holds (only call when every field checks). */
export function formSettings(state: SettingsFormState, current: Settings): Settings {
	const value = (field: SettingsTextField) => state.text[field].value.trim();
	return {
		smtp: {
			host: value('host'),
			port: Number(value('port')),
			tls: state.tls,
			user: value('user'),
			passwordCommand: state.passwordSource === 'command' ? value('passwordCommand') : '',
			allowUnverifiedTls: state.allowUnverifiedTls,
		},
		sender: {
			name: value('senderName'),
			// The stored address stays as it is (the default postmaster@<host> may lack a dot); a typed one is normalized.
			address: value('senderAddress') === current.sender.address ? current.sender.address : normalizeAddress(value('senderAddress')),
		},
		delivery: {
			...current.delivery,
			concurrency: Number(value('concurrency')),
			rate: Number(value('rate')),
			maxAttempts: Number(value('maxAttempts')),
			retryDelayMs: Number(value('retryDelayMs')),
			confirmThreshold: Number(value('confirmThreshold')),
		},
		directory: formDirectory(state, current.directory),
	};
}

/** The directory settings the form holds: the chosen source, and what is typed in every source's fields. */
function formDirectory(state: SettingsFormState, current: DirectorySettings): DirectorySettings {
	const value = (field: Exclude<DirectoryTextField, 'directoryMaxAge'>) => state.text[field].value.trim();
	const typedQuery = state.text.sqlQuery.value;
	return {
		source: state.directorySource,
		// A bad duration is refused by the check before this is called; keep the stored one if not.
		maxAge: (() => {
			try {
				return parseDuration(state.text.directoryMaxAge.value);
			} catch {
				return current.maxAge;
			}
		})(),
		passwordCommand: value('directoryPasswordCommand'),
		sql: {
			url: value('sqlUrl'),
			query: typedQuery === oneLine(state.storedSqlQuery) ? state.storedSqlQuery : typedQuery.trim(),
			caFile: value('sqlCaFile'),
		},
		ldap: {
			url: value('ldapUrl'),
			caFile: value('ldapCaFile'),
			bindDn: value('ldapBindDn'),
			base: value('ldapBase'),
			filter: value('ldapFilter'),
			mailAttribute: value('ldapMailAttribute'),
			nameAttribute: value('ldapNameAttribute'),
			disabledFilter: value('ldapDisabledFilter'),
			adminFilter: value('ldapAdminFilter'),
			primaryFilter: value('ldapPrimaryFilter'),
		},
		dovecot: {command: value('dovecotCommand')},
		smartermail: {url: value('smartermailUrl'), user: value('smartermailUser')},
	};
}

/**
 * Every field's problem, and the combination rules (a password that could travel
 * unencrypted); empty when the form can be saved.
 */
export function checkSettingsForm(state: SettingsFormState, current: Settings, env: NodeJS.ProcessEnv = {}): Partial<Record<SettingsFieldId, string>> {
	const errors: Partial<Record<SettingsFieldId, string>> = {};
	for (const field of visibleFields(state)) {
		if (field === 'senderAddress' && state.text.senderAddress.value.trim() === current.sender.address) {
			continue;
		}

		const problem = checkSettingsField(field, state);
		if (problem) {
			errors[field] = problem;
		}
	}

	if (Object.keys(errors).length === 0) {
		try {
			// Without the URL override: this checks the fields themselves.
			resolveSmtpTarget(formSettings(state, current), {...env, MASSMAIL_SMTP_URL: ''});
		} catch (error) {
			errors.tls = (error as Error).message;
		}
	}

	return errors;
}

/** Only what changed, as SettingsStore.update takes it (an unchanged value is not checked again). */
export function settingsPatch(next: Settings, current: Settings): {[K in keyof Settings]?: Partial<Settings[K]>} {
	const patch: Record<string, Record<string, unknown>> = {};
	for (const section of ['smtp', 'sender', 'delivery'] as const) {
		for (const [key, value] of Object.entries(next[section])) {
			if ((current[section] as unknown as Record<string, unknown>)[key] !== value) {
				patch[section] ??= {};
				patch[section][key] = value;
			}
		}
	}

	// The directory's settings nest one level more (directory.sql.url).
	for (const [key, value] of Object.entries(next.directory)) {
		const before = (current.directory as unknown as Record<string, unknown>)[key];
		if (typeof value === 'object' && value !== null) {
			for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
				if ((before as Record<string, unknown>)[name] !== inner) {
					patch.directory ??= {};
					patch.directory[key] ??= {};
					(patch.directory[key] as Record<string, unknown>)[name] = inner;
				}
			}
		} else if (before !== value) {
			patch.directory ??= {};
			patch.directory[key] = value;
		}
	}

	return patch as {[K in keyof Settings]?: Partial<Settings[K]>};
}

function move(state: SettingsFormState, delta: 1 | -1): SettingsFormState {
	const fields = visibleFields(state);
	const index = fields.indexOf(state.focus);
	const next = fields[(index + delta + fields.length) % fields.length];
	const problem = checkSettingsField(state.focus, state);
	const errors = {...state.errors};
	if (problem) {
		errors[state.focus] = problem;
	} else {
		delete errors[state.focus];
	}

	return {...state, focus: next, errors};
}

function cycle<T>(choices: readonly T[], current: T, delta: 1 | -1): T {
	const index = choices.indexOf(current);
	return choices[(index + delta + choices.length) % choices.length];
}

export function settingsFormReducer(state: SettingsFormState, action: SettingsFormAction): SettingsFormState {
	switch (action.type) {
		case 'focus-next': {
			return move(state, 1);
		}

		case 'focus-previous': {
			return move(state, -1);
		}

		case 'edit': {
			if (action.text.value === state.text[action.field].value && action.text.cursor === state.text[action.field].cursor) {
				return state;
			}

			const errors = {...state.errors};
			// A fixed field stops complaining as soon as it is right.
			if (errors[action.field] && !checkSettingsField(action.field, {...state, text: {...state.text, [action.field]: action.text}})) {
				delete errors[action.field];
			}

			return {
				...state,
				text: {...state.text, [action.field]: action.text},
				errors,
				dirty: state.dirty || action.text.value !== state.text[action.field].value,
			};
		}

		case 'edit-key': {
			if (!isTextField(state.focus)) {
				return state;
			}

			const text = editWithKey(state.text[state.focus], action.input, action.key, false);
			return text ? settingsFormReducer(state, {type: 'edit', field: state.focus, text}) : state;
		}

		case 'cycle': {
			switch (state.focus) {
				case 'tls': {
					return {...state, tls: cycle(tlsChoices, state.tls, action.delta), dirty: true, errors: {...state.errors, tls: undefined}};
				}

				case 'allowUnverifiedTls': {
					return {...state, allowUnverifiedTls: !state.allowUnverifiedTls, dirty: true};
				}

				case 'passwordSource': {
					return {...state, passwordSource: cycle(passwordSources, state.passwordSource, action.delta), dirty: true, errors: {...state.errors, passwordCommand: undefined}};
				}

				case 'directorySource': {
					// The fields of the source left are no longer shown: nor are their problems.
					const errors = Object.fromEntries(Object.entries(state.errors).filter(([field]) => !isDirectoryField(field as SettingsFieldId)));
					return {...state, directorySource: cycle(directorySourceKinds, state.directorySource, action.delta), dirty: true, errors};
				}

				default: {
					return state;
				}
			}
		}

		case 'set-errors': {
			const fields = visibleFields(state);
			const first = fields.find(field => action.errors[field]);
			return {...state, errors: action.errors, focus: first ?? state.focus};
		}

		case 'saved': {
			const fresh = initialSettingsForm(action.settings);
			return {...fresh, passwordSource: state.passwordSource, focus: visibleFields({...fresh, passwordSource: state.passwordSource}).includes(state.focus) ? state.focus : 'save'};
		}
	}
}
