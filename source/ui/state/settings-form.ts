/**
 * The Settings form as a reducer: fields, focus, what was typed, and what is wrong with each
 * field once it has been left. The SMTP password is not a field: only where it comes from
 * (the environment, or a password command) — it never appears on screen or on disk.
 */
import {normalizeAddress} from '../../core/address.js';
import {resolveSmtpTarget} from '../../core/smtp-config.js';
import type {Settings, TlsMode} from '../../core/types.js';
import type {Key} from 'ink';
import {editWithKey, textState, type TextState} from './text-edit.js';

export type PasswordSource = 'none' | 'environment' | 'command';

export type SettingsTextField =
	| 'host' | 'port' | 'user' | 'passwordCommand' | 'senderName' | 'senderAddress'
	| 'concurrency' | 'rate' | 'maxAttempts' | 'retryDelayMs' | 'confirmThreshold';
export type SettingsChoiceField = 'tls' | 'allowUnverifiedTls' | 'passwordSource';
export type SettingsFieldId = SettingsTextField | SettingsChoiceField | 'save' | 'test';

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
	save: 'Enter or Ctrl+S: check and save.',
	test: 'Enter or Ctrl+T: connect (and log in) with the saved settings.',
};

export const tlsChoices: readonly TlsMode[] = ['starttls', 'implicit', 'opportunistic'];
export const tlsLabels: Record<TlsMode, string> = {
	starttls: 'STARTTLS',
	implicit: 'TLS from the start',
	opportunistic: 'STARTTLS when offered',
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
	errors: Partial<Record<SettingsFieldId, string>>;
	/** Changed since the last save: Esc asks before throwing it away. */
	dirty: boolean;
	/** The stored sender address: kept as it is even when the stricter check of a typed one would refuse it. */
	storedSenderAddress: string;
}

export type SettingsFormAction =
	| {type: 'focus-next'}
	| {type: 'focus-previous'}
	| {type: 'edit'; field: SettingsTextField; text: TextState}
	/** A key typed into the focused text field, applied to the state as it is then (keys may come faster than renders). */
	| {type: 'edit-key'; input: string; key: Key}
	| {type: 'cycle'; delta: 1 | -1}
	| {type: 'set-errors'; errors: Partial<Record<SettingsFieldId, string>>}
	/** Saved: the form shows what was stored. */
	| {type: 'saved'; settings: Settings};

const allFields: readonly SettingsFieldId[] = [
	'host', 'port', 'tls', 'allowUnverifiedTls', 'user', 'passwordSource', 'passwordCommand',
	'senderName', 'senderAddress', 'concurrency', 'rate', 'maxAttempts', 'retryDelayMs', 'confirmThreshold', 'save', 'test',
];

export function isTextField(field: SettingsFieldId): field is SettingsTextField {
	return field !== 'save' && field !== 'test' && field !== 'tls' && field !== 'allowUnverifiedTls' && field !== 'passwordSource';
}

/** The fields shown now: the password command only when the password comes from one. */
export function visibleFields(state: Pick<SettingsFormState, 'passwordSource'>): SettingsFieldId[] {
	return allFields.filter(field => field !== 'passwordCommand' || state.passwordSource === 'command');
}

export function initialSettingsForm(settings: Settings, env: NodeJS.ProcessEnv = {}): SettingsFormState {
	const {smtp, sender, delivery} = settings;
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
		},
		tls: smtp.tls,
		allowUnverifiedTls: smtp.allowUnverifiedTls,
		passwordSource,
		errors: {},
		dirty: false,
		storedSenderAddress: sender.address,
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
		directory: current.directory,
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
			return {...fresh, passwordSource: state.passwordSource, focus: state.focus};
		}
	}
}
