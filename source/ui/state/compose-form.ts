/**
 * The Send Email and Send Reminder forms as one reducer: which fields show, which has the
 * keyboard, what was typed, and what is wrong with each field once it has been left.
 * Validation is passed in (`composeReducer(validate)`), so the reducer stays a plain function.
 */
import type {RecipientGroup, SendKind} from '../../core/types.js';
import {detectHtml} from '../../core/compose.js';
import {textState, type TextState} from './text-edit.js';
import type {ComposePreset} from './router.js';

export type ToChoice = 'all' | 'domain' | 'admins' | 'primary-admins' | 'user' | 'selected' | 'send';

export const toChoiceLabels: Record<ToChoice, string> = {
	all: 'All Users',
	domain: 'All Users on a Domain',
	admins: 'All Domain Administrators',
	'primary-admins': 'All Primary Domain Administrators',
	user: 'Specific User',
	selected: 'Selected Domains',
	send: 'Recipients of an earlier send',
};

export type TextFieldId = 'from' | 'domain' | 'address' | 'friendlyName' | 'subject' | 'message';
export type FieldId = TextFieldId | 'to' | 'submit';

export const fieldLabels: Record<FieldId, string> = {
	from: 'From',
	to: 'To',
	domain: 'Domain',
	address: 'Address',
	friendlyName: 'Friendly name',
	subject: 'Subject',
	message: 'Message',
	submit: 'Review',
};

export interface ComposeFormState {
	kind: SendKind;
	focus: FieldId;
	to: ToChoice;
	/** The To choices offered (Selected Domains only with marked domains, an earlier send only for a follow-up). */
	choices: ToChoice[];
	/** For `selected`. */
	selectedDomains: string[];
	/** For `send`. */
	sendId?: string;
	followUpOf?: string;
	text: Record<TextFieldId, TextState>;
	/** The message is HTML (detected as typed until switched by hand). */
	html: boolean;
	htmlChosen: boolean;
	errors: Partial<Record<FieldId, string>>;
	/** Something was typed or chosen: Esc asks before throwing it away. */
	dirty: boolean;
}

export type ComposeAction =
	| {type: 'focus-next'}
	| {type: 'focus-previous'}
	| {type: 'focus'; field: FieldId}
	| {type: 'edit'; field: TextFieldId; text: TextState}
	| {type: 'cycle-to'; delta: 1 | -1}
	| {type: 'toggle-html'}
	/** The message came back from $EDITOR. */
	| {type: 'set-message'; value: string}
	/** The result of checking every field (Review): the first field with a problem gets the keyboard. */
	| {type: 'set-errors'; errors: Partial<Record<FieldId, string>>};

/** The problem with one field of the form, or undefined when it is fine. */
export type FieldValidator = (field: FieldId, state: ComposeFormState) => string | undefined;

const baseChoices: ToChoice[] = ['all', 'domain', 'admins', 'primary-admins', 'user'];

/**
 * The form as it opens. `defaults.fromName`: the From of a new email (the settings' sender name);
 * `defaults.followUp`: the From (`Name <address>`) and friendly name of the send a reminder
 * follows up, which it keeps unless changed.
 */
export function initialComposeState(kind: SendKind, preset: ComposePreset = {}, defaults: {fromName: string; followUp?: {from: string; friendlyName: string}}): ComposeFormState {
	const choices = [...baseChoices];
	let to: ToChoice = 'all';
	let selectedDomains: string[] = [];
	let domain = '';
	let address = '';
	let sendId: string | undefined;
	const group: RecipientGroup | undefined = preset.group;
	if (group?.kind === 'domain' && group.domains.length === 1) {
		to = 'domain';
		domain = group.domains[0];
	} else if (group?.kind === 'domain') {
		to = 'selected';
		selectedDomains = [...group.domains];
	} else if (group?.kind === 'user') {
		to = 'user';
		address = group.address;
	} else if (group?.kind === 'send') {
		to = 'send';
		sendId = group.sendId;
	} else if (group) {
		to = group.kind;
	}

	if (selectedDomains.length > 0) {
		choices.push('selected');
	}

	if (sendId !== undefined) {
		choices.push('send');
	}

	const body = preset.body ?? '';
	return {
		kind,
		focus: kind === 'email' ? 'from' : (to === 'all' && group === undefined ? 'to' : 'subject'),
		to,
		choices,
		selectedDomains,
		sendId,
		followUpOf: preset.followUpOf,
		text: {
			from: textState(kind === 'email' ? defaults.fromName : defaults.followUp?.from ?? ''),
			domain: textState(domain),
			address: textState(address),
			friendlyName: textState(defaults.followUp?.friendlyName ?? ''),
			subject: textState(preset.subject ?? ''),
			message: textState(body),
		},
		html: kind === 'email' && detectHtml(body),
		htmlChosen: false,
		errors: {},
		dirty: false,
	};
}

/** True for the forms with a From and a friendly name: an email, and a reminder that follows up a send (it keeps the original's). */
export function hasSenderFields(state: Pick<ComposeFormState, 'kind' | 'followUpOf'>): boolean {
	return state.kind === 'email' || state.followUpOf !== undefined;
}

/** The fields shown, in order: the domain or address field only for the To choices that need it. */
export function visibleFields(state: Pick<ComposeFormState, 'kind' | 'to' | 'followUpOf'>): FieldId[] {
	const fields: FieldId[] = [];
	const sender = hasSenderFields(state);
	if (sender) {
		fields.push('from');
	}

	fields.push('to');
	if (state.to === 'domain') {
		fields.push('domain');
	} else if (state.to === 'user') {
		fields.push('address');
	}

	if (sender) {
		fields.push('friendlyName');
	}

	fields.push('subject', 'message', 'submit');
	return fields;
}

function leave(state: ComposeFormState, next: FieldId, validate: FieldValidator): ComposeFormState {
	if (next === state.focus) {
		return state;
	}

	const left = state.focus;
	const error = left === 'submit' ? undefined : validate(left, state);
	const errors = {...state.errors};
	if (error === undefined) {
		delete errors[left];
	} else {
		errors[left] = error;
	}

	return {...state, focus: next, errors};
}

export function composeReducer(validate: FieldValidator): (state: ComposeFormState, action: ComposeAction) => ComposeFormState {
	return (state, action) => {
		const fields = visibleFields(state);
		const index = Math.max(0, fields.indexOf(state.focus));
		switch (action.type) {
			case 'focus-next': {
				return leave(state, fields[Math.min(fields.length - 1, index + 1)], validate);
			}

			case 'focus-previous': {
				return leave(state, fields[Math.max(0, index - 1)], validate);
			}

			case 'focus': {
				return fields.includes(action.field) ? leave(state, action.field, validate) : state;
			}

			case 'edit': {
				if (action.text.value === state.text[action.field].value && action.text.cursor === state.text[action.field].cursor) {
					return state;
				}

				const errors = {...state.errors};
				// The field is checked again when it is left.
				delete errors[action.field];
				const changed = action.text.value !== state.text[action.field].value;
				const next = {...state, text: {...state.text, [action.field]: action.text}, errors, dirty: state.dirty || changed};
				if (action.field === 'message' && !state.htmlChosen && state.kind === 'email') {
					next.html = detectHtml(action.text.value);
				}

				return next;
			}

			case 'cycle-to': {
				const position = state.choices.indexOf(state.to);
				const to = state.choices[(position + action.delta + state.choices.length) % state.choices.length];
				const errors = {...state.errors};
				delete errors.to;
				delete errors.domain;
				delete errors.address;
				return {...state, to, errors, dirty: true};
			}

			case 'toggle-html': {
				return state.kind === 'email' ? {...state, html: !state.html, htmlChosen: true, dirty: true} : state;
			}

			case 'set-message': {
				const next = {...state, text: {...state.text, message: {value: action.value, cursor: action.value.length}}, dirty: true};
				const errors = {...state.errors};
				delete errors.message;
				next.errors = errors;
				if (!state.htmlChosen && state.kind === 'email') {
					next.html = detectHtml(action.value);
				}

				return next;
			}

			case 'set-errors': {
				const first = fields.find(field => action.errors[field] !== undefined);
				return {...state, errors: {...action.errors}, focus: first ?? state.focus};
			}
		}
	};
}

/** The recipient group the form names now (the domain/address as typed; checked by the validator). */
export function groupOfForm(state: ComposeFormState): RecipientGroup {
	switch (state.to) {
		case 'all':
		case 'admins':
		case 'primary-admins': {
			return {kind: state.to};
		}

		case 'domain': {
			return {kind: 'domain', domains: [state.text.domain.value.trim()]};
		}

		case 'user': {
			return {kind: 'user', address: state.text.address.value.trim()};
		}

		case 'selected': {
			return {kind: 'domain', domains: [...state.selectedDomains]};
		}

		case 'send': {
			return {kind: 'send', sendId: state.sendId ?? ''};
		}
	}
}
