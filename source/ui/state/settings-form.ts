/**
 * The Settings form as a reducer: fields, focus, what was typed, and what is wrong with each
 * field once it has been left.
 *
 * Each text field is one setting, named by its key (`delivery.rate`): its label, what it means
 * (the hint), how its text is read and checked, and how a stored value is shown are the core's
 * definition (core/settings/table.ts), the same that `massmail config set` uses, so both take the
 * same values. Each directory source's fields, their order and the source's name in the choice
 * come from its own file (core/sources/index.ts lists them). This file keeps the layout only: the
 * order of the other fields, and the choices that stand for several settings (where the password
 * comes from, how the certificate is checked).
 *
 * The SMTP password is not a field: only where it comes from (the environment, or a password
 * command) — it never appears on screen or on disk. The same holds for the directory source's
 * password and the bounce mailbox's. The Directory source section shows the fields of the chosen
 * source only; the Delivery reports section (tracking.*) the rest of a bounce address or mailbox once one is typed.
 */
import {
	changedSettings, directorySourceKinds, readSetting, settingSpec, settingsProblems, settingValue, showSetting, storedSettingProblems, withSetting, type SettingKey, type SettingsPatch,
} from '../../core/settings.js';
import {resolveSmtpTarget} from '../../core/smtp-config.js';
import {directorySource, directorySources, type SourceSettingKey} from '../../core/sources/index.js';
import type {DirectorySourceKind, Settings, TlsMode, TrackingSettings} from '../../core/types.js';
import type {KeyPress} from '../keypress.js';
import {editWithKey, textState, type TextState} from './text-edit.js';

export type PasswordSource = 'none' | 'environment' | 'command';
/** How the server's certificate is checked: against Node's CAs, against `smtp.caFile`, or not at all (`smtp.allowUnverifiedTls`). */
export type CertificateCheck = 'verify' | 'caFile' | 'any';

/** The SMTP section's text fields, in the order shown (the password command and CA file only when chosen). */
const smtpTextFields = [
	'smtp.host', 'smtp.port', 'smtp.caFile', 'smtp.user', 'smtp.passwordCommand',
	'sender.name', 'sender.address',
	'delivery.concurrency', 'delivery.rate', 'delivery.maxAttempts', 'delivery.retryDelayMs', 'delivery.confirmThreshold',
] as const satisfies readonly SettingKey[];

/** The Directory source section's text fields: every source's settings, and the ones they share. */
export type DirectoryTextField = SourceSettingKey | 'directory.passwordCommand' | 'directory.maxAge';

/** A source's field as the form names it: its setting's key. */
const fieldKey = (kind: string, field: string): DirectoryTextField => (field.startsWith('directory.') ? field : `directory.${kind}.${field}`) as DirectoryTextField;

const directoryTextFields: readonly DirectoryTextField[] = [
	...directorySources.flatMap(source => Object.keys(source.settings).map(name => fieldKey(source.kind, name))),
	'directory.passwordCommand', 'directory.maxAge',
];

/** The Delivery reports section's text fields. */
const trackingTextFields = [
	'tracking.returnPath', 'tracking.delimiter', 'tracking.imap.host', 'tracking.imap.port', 'tracking.imap.user', 'tracking.imap.passwordCommand', 'tracking.imap.caFile',
] as const satisfies readonly SettingKey[];

/** The Delivery reports section's choices: each is that setting. */
export type TrackingChoiceField = 'tracking.verp' | 'tracking.notify' | 'tracking.imap.tls' | 'tracking.imap.allowUnverifiedTls';

/** A text field: the setting of that key. */
export type SettingsTextField = typeof smtpTextFields[number] | DirectoryTextField | typeof trackingTextFields[number];
/** A choice: `smtp.tls`, `directory.source` and the tracking ones are those settings; `certificate` and `passwordSource` stand for several. */
export type SettingsChoiceField = 'smtp.tls' | 'certificate' | 'passwordSource' | 'directory.source' | TrackingChoiceField;
export type SettingsButton = 'save' | 'test' | 'testSource';
export type SettingsFieldId = SettingsTextField | SettingsChoiceField | SettingsButton;

const textFields: readonly SettingsTextField[] = [...smtpTextFields, ...directoryTextFields, ...trackingTextFields];

const trackingChoiceFields: readonly TrackingChoiceField[] = ['tracking.verp', 'tracking.notify', 'tracking.imap.tls', 'tracking.imap.allowUnverifiedTls'];

/** Whether the field belongs to the Delivery reports section. */
export function isTrackingField(field: SettingsFieldId): field is TrackingChoiceField | typeof trackingTextFields[number] {
	return field.startsWith('tracking.');
}

/** The fields of a source, in the order shown under the source choice (its file says which and in what order); none for local. */
export function sourceFields(kind: DirectorySourceKind): readonly DirectoryTextField[] {
	const source = directorySource(kind);
	return source ? source.fields.map(field => fieldKey(kind, field)) : [];
}

/** Whether the field belongs to the Directory source section. */
export function isDirectoryField(field: SettingsFieldId): boolean {
	return field === 'directory.source' || field === 'testSource' || (directoryTextFields as readonly string[]).includes(field);
}

/** The labels of the fields that are not one setting (a setting's label is its definition's). */
const layoutLabels: Record<Exclude<SettingsChoiceField, 'smtp.tls' | 'directory.source' | TrackingChoiceField> | SettingsButton, string> = {
	certificate: 'Certificate',
	passwordSource: 'Password from',
	testSource: 'Test source',
	save: 'Save',
	test: 'Test connection',
};

/** A field's label: a setting's is its definition's (`Database URL`). */
export function settingsFieldLabel(field: SettingsFieldId): string {
	if (field === 'smtp.tls' || field === 'directory.source' || isTrackingField(field) || isTextField(field)) {
		return settingSpec(field).label ?? field;
	}

	return layoutLabels[field];
}

/** The hints of the fields that are not one setting's text (a text field's hint is its setting's description). */
const layoutHints: Record<SettingsChoiceField | SettingsButton, string> = {
	'smtp.tls': '←/→ or Space: STARTTLS, TLS from the start, or STARTTLS when offered (loopback only with a login).',
	certificate: '←/→ or Space: verified by default; a private CA needs its PEM file, a self-signed server "accept any".',
	passwordSource: '←/→ or Space: MASSMAIL_SMTP_PASSWORD in the environment, or a command that prints it.',
	'directory.source': '←/→ or Space: where the mailboxes come from; local: CSV import and edits here.',
	'tracking.verp': '←/→ or Space: each message from bounces+ID.N@… (VERP), so that a bounce without a report still names its recipient.',
	'tracking.notify': '←/→ or Space: the reports asked for: failures and delays, or successes too (a delivery proven, not assumed).',
	'tracking.imap.tls': '←/→ or Space: TLS from the start (993), STARTTLS (143), or none (this machine only).',
	'tracking.imap.allowUnverifiedTls': '←/→ or Space: verify the IMAP server\'s certificate, or accept any (self-signed).',
	testSource: 'Enter or Ctrl+T: read the saved source and count its mailboxes.',
	save: 'Enter or Ctrl+S: check and save.',
	test: 'Enter or Ctrl+T: connect (and log in) with the saved settings.',
};

/** One line under the form about the focused field: a text field's is what its setting means. */
export function settingsFieldHint(field: SettingsFieldId): string {
	if (isTextField(field)) {
		const {description} = settingSpec(field);
		return `${description.charAt(0).toUpperCase()}${description.slice(1)}.`;
	}

	return layoutHints[field];
}

export const tlsChoices: readonly TlsMode[] = ['starttls', 'implicit', 'opportunistic'];
export const tlsLabels: Record<TlsMode, string> = {
	starttls: 'STARTTLS',
	implicit: 'TLS from the start',
	opportunistic: 'STARTTLS when offered',
};
export const certificateChecks: readonly CertificateCheck[] = ['verify', 'caFile', 'any'];
export const certificateLabels: Record<CertificateCheck, string> = {
	verify: 'verify the certificate',
	caFile: 'verify against a CA file',
	any: 'accept any certificate (self-signed)',
};
/** How the Source choice names a source (its file's title). */
export function directorySourceTitle(kind: DirectorySourceKind): string {
	return directorySource(kind)?.title ?? 'local (CSV import and edits here)';
}
/** How each tracking choice shows its values. */
export const trackingChoiceLabels = {
	'tracking.verp': {true: 'yes: bounces+ID.N@… (VERP)', false: 'no: the bounce address as it is'},
	'tracking.notify': {'failure,delay': 'failures and delays', 'success,failure,delay': 'successes, failures and delays'},
	'tracking.imap.tls': {implicit: 'TLS from the start', starttls: 'STARTTLS', none: 'none (this machine only)'},
	'tracking.imap.allowUnverifiedTls': {false: 'verify the certificate', true: 'accept any certificate (self-signed)'},
} as const satisfies Record<TrackingChoiceField, Record<string, string>>;

/** The tracking choices' values, in the order ←/→ goes through them. */
const trackingChoices: {[K in TrackingChoiceField]: ReadonlyArray<TrackingChoices[K]>} = {
	'tracking.verp': [false, true],
	'tracking.notify': ['failure,delay', 'success,failure,delay'],
	'tracking.imap.tls': ['implicit', 'starttls', 'none'],
	'tracking.imap.allowUnverifiedTls': [false, true],
};

/** The value of each tracking choice. */
export interface TrackingChoices {
	'tracking.verp': boolean;
	'tracking.notify': TrackingSettings['notify'];
	'tracking.imap.tls': TrackingSettings['imap']['tls'];
	'tracking.imap.allowUnverifiedTls': boolean;
}

/** A tracking choice as the form shows it. */
export function trackingChoiceText(field: TrackingChoiceField, state: Pick<SettingsFormState, 'tracking'>): string {
	return (trackingChoiceLabels[field] as Record<string, string>)[String(state.tracking[field])] ?? '';
}

export const passwordSources: readonly PasswordSource[] = ['none', 'environment', 'command'];
export const passwordSourceLabels: Record<PasswordSource, string> = {
	none: 'no password',
	environment: 'the environment',
	command: 'a password command',
};

export interface SettingsFormState {
	focus: SettingsFieldId;
	text: Record<SettingsTextField, TextState>;
	/**
	 * The text each field showed for the stored value. A field left so keeps the stored value as
	 * it is, unchecked: the default sender postmaster@<host> may lack a dot, a stored query may
	 * span lines, a stored file may be written relative.
	 */
	shown: Record<SettingsTextField, string>;
	/**
	 * What is wrong with a stored value that must be changed (a URL holding a password, written
	 * into the file by hand or by an old version): its field shows it without the password and
	 * says this until it is changed; the form is not saved with it.
	 */
	storedProblems: Partial<Record<SettingsTextField, string>>;
	tls: TlsMode;
	certificate: CertificateCheck;
	passwordSource: PasswordSource;
	directorySource: DirectorySourceKind;
	/** The Delivery reports section's choices. */
	tracking: TrackingChoices;
	errors: Partial<Record<SettingsFieldId, string>>;
	/** Changed since the last save: Esc asks before throwing it away. */
	dirty: boolean;
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

const choicesAndButtons = new Set<SettingsFieldId>(['save', 'test', 'testSource', 'smtp.tls', 'certificate', 'passwordSource', 'directory.source', ...trackingChoiceFields]);

export function isTextField(field: SettingsFieldId): field is SettingsTextField {
	return !choicesAndButtons.has(field);
}

export function isButton(field: SettingsFieldId): field is SettingsButton {
	return field === 'save' || field === 'test' || field === 'testSource';
}

/**
 * The Delivery reports section: the bounce address, then what goes with it (VERP, the delimiter
 * with VERP, the reports asked for) once one is typed; the bounce mailbox's host, then the rest of
 * its login once one is typed. Unset, the section takes two rows.
 */
function trackingFields(state: Partial<Pick<SettingsFormState, 'tracking' | 'text'>>): SettingsFieldId[] {
	const typed = (field: SettingsTextField) => (state.text?.[field].value.trim() ?? '') !== '';
	return [
		'tracking.returnPath',
		...(typed('tracking.returnPath') ? ['tracking.verp' as const, ...(state.tracking?.['tracking.verp'] ? ['tracking.delimiter' as const] : []), 'tracking.notify' as const] : []),
		'tracking.imap.host',
		...(typed('tracking.imap.host')
			? ['tracking.imap.port', 'tracking.imap.tls', 'tracking.imap.user', 'tracking.imap.passwordCommand', 'tracking.imap.caFile', 'tracking.imap.allowUnverifiedTls'] as const
			: []),
	];
}

/**
 * The fields shown now, in order: the SMTP server, sender and pace; the Directory source
 * section (the chosen source's fields, and Test source unless it is local); Save and Test
 * connection; the Delivery reports section. The CA file only when the certificate is verified
 * against one, the password command only when the password comes from one, the tracking fields
 * as trackingFields says.
 */
export function visibleFields(state: Pick<SettingsFormState, 'passwordSource' | 'directorySource' | 'certificate'> & Partial<Pick<SettingsFormState, 'tracking' | 'text'>>): SettingsFieldId[] {
	const source = state.directorySource;
	return [
		'smtp.host', 'smtp.port', 'smtp.tls', 'certificate',
		...(state.certificate === 'caFile' ? ['smtp.caFile' as const] : []),
		'smtp.user', 'passwordSource',
		...(state.passwordSource === 'command' ? ['smtp.passwordCommand' as const] : []),
		'sender.name', 'sender.address',
		'delivery.concurrency', 'delivery.rate', 'delivery.maxAttempts', 'delivery.retryDelayMs', 'delivery.confirmThreshold',
		'directory.source',
		...sourceFields(source),
		...(source === 'local' ? [] : ['testSource' as const]),
		'save',
		'test',
		// Below the buttons: at 80×24 the form above fits whole, Save in view; Ctrl+S saves from anywhere.
		...trackingFields(state),
	];
}

/** A query of several lines, on the one line of its field. */
const oneLine = (text: string) => text.replaceAll(/\r?\n/g, ' ');

export function initialSettingsForm(settings: Settings, env: NodeJS.ProcessEnv = {}): SettingsFormState {
	const {smtp, directory, tracking} = settings;
	const shown = Object.fromEntries(textFields.map(field => [field, oneLine(showSetting(field, settingValue(settings, field) ?? ''))])) as Record<SettingsTextField, string>;
	const passwordSource: PasswordSource = smtp.passwordCommand === ''
		? (smtp.user === '' && !env.MASSMAIL_SMTP_PASSWORD ? 'none' : 'environment')
		: 'command';
	const certificate: CertificateCheck = smtp.allowUnverifiedTls ? 'any' : (smtp.caFile ?? '') === '' ? 'verify' : 'caFile';
	const storedProblems = Object.fromEntries(storedSettingProblems(settings)
		.filter(({key}) => (textFields as readonly string[]).includes(key))
		.map(({key, problem}) => [key, problem])) as Partial<Record<SettingsTextField, string>>;
	return {
		focus: 'smtp.host',
		text: Object.fromEntries(textFields.map(field => [field, textState(shown[field])])) as Record<SettingsTextField, TextState>,
		shown,
		storedProblems,
		tls: smtp.tls,
		certificate,
		passwordSource,
		directorySource: directory.source,
		tracking: {
			'tracking.verp': tracking.verp,
			'tracking.notify': tracking.notify,
			'tracking.imap.tls': tracking.imap.tls,
			'tracking.imap.allowUnverifiedTls': tracking.imap.allowUnverifiedTls,
		},
		// Said from the start, on the field: the password has to be removed.
		errors: {...storedProblems},
		dirty: false,
	};
}

/** The problem with one field, or undefined. */
export function checkSettingsField(field: SettingsFieldId, state: SettingsFormState): string | undefined {
	if (!isTextField(field)) {
		return undefined;
	}

	const typed = state.text[field].value;
	const empty = typed.trim() === '';
	// Fields that a choice of this form makes necessary.
	if (field === 'smtp.passwordCommand' && state.passwordSource === 'command' && empty) {
		return 'type the command that prints the password';
	}

	if (field === 'smtp.caFile' && state.certificate === 'caFile' && empty) {
		return `type the PEM file of the CA that signed the server's certificate: ${settingSpec(field).example}`;
	}

	// A field the chosen source cannot be read without, as the sync says it.
	const {needed} = settingSpec(field);
	if (needed?.by === state.directorySource && empty) {
		return `type ${needed.what}`;
	}

	if (typed === state.shown[field]) {
		return state.storedProblems[field];
	}

	const read = readSetting(field, typed);
	return 'problem' in read ? read.problem : undefined;
}

/**
 * The settings the form holds. A field left as it showed keeps the stored value; a field that
 * does not read (only one hidden now: a shown one is checked before saving) keeps it too.
 */
export function formSettings(state: SettingsFormState, current: Settings): Settings {
	let settings = current;
	for (const field of textFields) {
		const typed = state.text[field].value;
		if (typed !== state.shown[field]) {
			const read = readSetting(field, typed);
			if ('value' in read) {
				settings = withSetting(settings, field, read.value);
			}
		}
	}

	settings = withSetting(settings, 'smtp.tls', state.tls);
	settings = withSetting(settings, 'smtp.allowUnverifiedTls', state.certificate === 'any');
	if (state.certificate !== 'caFile') {
		settings = withSetting(settings, 'smtp.caFile', '');
	}

	if (state.passwordSource !== 'command') {
		settings = withSetting(settings, 'smtp.passwordCommand', '');
	}

	for (const field of trackingChoiceFields) {
		settings = withSetting(settings, field, state.tracking[field]);
	}

	return withSetting(settings, 'directory.source', state.directorySource);
}

/**
 * Every field's problem, and the combination rules (a password that could travel
 * unencrypted, a CA file that cannot be read); empty when the form can be saved.
 */
export function checkSettingsForm(state: SettingsFormState, current: Settings, env: NodeJS.ProcessEnv = {}): Partial<Record<SettingsFieldId, string>> {
	const errors: Partial<Record<SettingsFieldId, string>> = {};
	for (const field of visibleFields(state)) {
		const problem = checkSettingsField(field, state);
		if (problem) {
			errors[field] = problem;
		}
	}

	if (Object.keys(errors).length === 0) {
		// The rules between fields (the bounce address may not hold the recipient delimiter).
		for (const {key, problem} of settingsProblems(formSettings(state, current), ['tracking.returnPath', 'tracking.delimiter'])) {
			errors[key as SettingsFieldId] = problem;
		}
	}

	if (Object.keys(errors).length === 0) {
		try {
			// Without the URL override: this checks the fields themselves.
			resolveSmtpTarget(formSettings(state, current), {...env, MASSMAIL_SMTP_URL: ''});
		} catch (error) {
			const message = (error as Error).message;
			// A stored CA file that is gone now is said on its field.
			if (message.startsWith('smtp.caFile: ')) {
				errors['smtp.caFile'] = message.slice('smtp.caFile: '.length);
			} else {
				errors['smtp.tls'] = message;
			}
		}
	}

	return errors;
}

/** Only what changed, as SettingsStore.update takes it (an unchanged value is not checked again). */
export function settingsPatch(next: Settings, current: Settings): SettingsPatch {
	return changedSettings(next, current);
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
				case 'smtp.tls': {
					return {...state, tls: cycle(tlsChoices, state.tls, action.delta), dirty: true, errors: {...state.errors, 'smtp.tls': undefined}};
				}

				case 'certificate': {
					return {...state, certificate: cycle(certificateChecks, state.certificate, action.delta), dirty: true, errors: {...state.errors, 'smtp.caFile': undefined}};
				}

				case 'passwordSource': {
					return {...state, passwordSource: cycle(passwordSources, state.passwordSource, action.delta), dirty: true, errors: {...state.errors, 'smtp.passwordCommand': undefined}};
				}

				case 'tracking.verp':
				case 'tracking.notify':
				case 'tracking.imap.tls':
				case 'tracking.imap.allowUnverifiedTls': {
					const field = state.focus;
					const tracking = {...state.tracking, [field]: cycle<unknown>(trackingChoices[field], state.tracking[field], action.delta)};
					return {...state, tracking, dirty: true, errors: {...state.errors, [field]: undefined, ...(field === 'tracking.verp' ? {'tracking.delimiter': undefined} : {})}};
				}

				case 'directory.source': {
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
			const kept = {...fresh, passwordSource: state.passwordSource};
			return {...kept, focus: visibleFields(kept).includes(state.focus) ? state.focus : 'save'};
		}
	}
}
