/**
 * Checking the compose form with the core's own rules (addresses, headers, the directory),
 * and turning a valid form into the plan the Review screen shows. Plain functions: no screen.
 */
import type {Directory} from '../../core/directory.js';
import type {MessageDraft, Recipient, Resolution, Sender} from '../../core/types.js';
import {assertHeaderValue, normalizeAddress, normalizeDomain, displayDomain} from '../../core/address.js';
import {MessageTemplate, parseSender, validateDraft} from '../../core/compose.js';
import {withSenderStandIn} from '../../core/sender.js';
import {foldedHeader, mailboxText, unstructuredText} from '../../core/mime-header.js';
import {formatGroup, resolveGroup} from '../../core/groups.js';
import {fieldLabels, groupOfForm, visibleFields, type ComposeFormState, type FieldId} from './compose-form.js';
import type {SendPlan} from './router.js';

export interface ComposeContext {
	directory: Directory;
	/** The default sender from settings: From's missing parts, and a reminder's From. */
	sender: Sender;
	/** The recipients of an earlier send (for a reminder that follows it up). */
	/** Who a follow-up of that send reaches (core/follow-up.ts: the same rule as the command line). */
	audienceOfSend?: (sendId: string) => Resolution;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** Domains of the directory that start with what was typed (Unicode or stored form), in name order. */
export function completeDomain(directory: Directory, typed: string, limit = 5): string[] {
	const prefix = typed.trim().toLowerCase();
	if (prefix === '') {
		return [];
	}

	const found: string[] = [];
	for (const name of directory.domainNames()) {
		const shown = displayDomain(name);
		if (shown.toLowerCase().startsWith(prefix) || name.startsWith(prefix)) {
			found.push(shown);
			if (found.length >= limit) {
				break;
			}
		}
	}

	return found;
}

export function validateComposeField(field: FieldId, state: ComposeFormState, context: ComposeContext): string | undefined {
	const value = field === 'to' || field === 'submit' ? '' : state.text[field].value;
	try {
		switch (field) {
			case 'from': {
				const from = parseSender(value, context.sender);
				foldedHeader('From', mailboxText(from.name, from.address), 'From name');
				return undefined;
			}

			case 'to': {
				if (state.to === 'selected' && state.selectedDomains.length === 0) {
					return 'No domain is marked';
				}

				return undefined;
			}

			case 'domain': {
				if (value.trim() === '') {
					return 'Type a domain of the directory (Tab completes)';
				}

				normalizeDomain(value);
				return context.directory.hasDomain(value) ? undefined : `There is no domain ${JSON.stringify(value.trim())} in the directory`;
			}

			case 'address': {
				if (value.trim() === '') {
					return 'Type the address of a mailbox';
				}

				const address = normalizeAddress(value);
				return context.directory.find(address) ? undefined : `${value.trim()} is not a mailbox of the directory`;
			}

			case 'friendlyName': {
				assertHeaderValue(fieldLabels.friendlyName, value);
				foldedHeader('To', mailboxText(value === '' ? '' : value + 'a@b.c', 'a@b.c'), fieldLabels.friendlyName);
				return undefined;
			}

			case 'subject': {
				if (value.trim() === '') {
					return 'The subject is empty';
				}

				assertHeaderValue('Subject', value);
				foldedHeader('Subject', unstructuredText(value), 'Subject');
				return undefined;
			}

			case 'message': {
				return value.trim() === '' ? 'The message is empty' : undefined;
			}

			case 'submit': {
				return undefined;
			}
		}
	} catch (error) {
		return messageOf(error);
	}
}

/**
 * The first recipient the form's group reaches now, for the To line's preview; undefined while
 * the group reaches nobody (a domain being typed, an empty group).
 */
export function firstRecipientOf(state: ComposeFormState, context: ComposeContext): Recipient | undefined {
	const group = groupOfForm(state);
	try {
		if (group.kind === 'send') {
			return context.audienceOfSend?.(group.sendId).recipients[0];
		}

		if (group.kind === 'domain' && group.domains.some(name => !context.directory.hasDomain(name))) {
			return undefined;
		}

		return resolveGroup(context.directory, group).recipients[0];
	} catch {
		return undefined;
	}
}

/** The form field a header's error names (`To Friendly Name …`, `Subject …`), where the form shows it. */
function fieldOfHeaderError(message: string, state: ComposeFormState): FieldId {
	const field: FieldId = message.startsWith('To Friendly Name') ? 'friendlyName' : message.startsWith('Subject') ? 'subject' : message.startsWith('From') ? 'from' : 'submit';
	return visibleFields(state).includes(field) ? field : 'submit';
}

/** Every problem of the form, by field; empty when it can be reviewed. */
export function validateComposeForm(state: ComposeFormState, context: ComposeContext): Partial<Record<FieldId, string>> {
	const errors: Partial<Record<FieldId, string>> = {};
	for (const field of visibleFields(state)) {
		const error = validateComposeField(field, state, context);
		if (error !== undefined) {
			errors[field] = error;
		}
	}

	return errors;
}

/** The draft the form describes (call once the form is valid). */
export function draftOfForm(state: ComposeFormState, context: ComposeContext): MessageDraft {
	if (state.kind === 'reminder' && state.followUpOf !== undefined) {
		// A follow-up keeps the original's From and friendly name, as the form shows them (changeable).
		return {
			kind: 'reminder',
			from: parseSender(state.text.from.value, context.sender),
			friendlyName: state.text.friendlyName.value,
			subject: state.text.subject.value.trim(),
			body: state.text.message.value,
			html: false,
		};
	}

	if (state.kind === 'reminder') {
		return {
			kind: 'reminder',
			from: {...context.sender},
			friendlyName: '',
			subject: state.text.subject.value.trim(),
			body: state.text.message.value,
			html: false,
		};
	}

	return {
		kind: 'email',
		from: parseSender(state.text.from.value, context.sender),
		friendlyName: state.text.friendlyName.value,
		subject: state.text.subject.value.trim(),
		body: state.text.message.value,
		html: state.html,
	};
}

/**
 * The form as a send plan: the draft, the group and who it reaches. With problems,
 * `errors` names them by field and there is no plan.
 */
export function planOfForm(state: ComposeFormState, context: ComposeContext): {plan?: SendPlan; errors: Partial<Record<FieldId, string>>} {
	const errors = validateComposeForm(state, context);
	if (Object.keys(errors).length > 0) {
		return {errors};
	}

	const group = groupOfForm(state);
	let draft: MessageDraft;
	// No sender address (sender.address unset, no fully qualified name): the plan keeps it empty, and
	// Review says which From the send takes (postmaster@localhost to the capture server) or why a
	// server is refused; the rest of the draft is checked with that address standing in.
	let checked: MessageDraft;
	let resolution: Resolution;
	try {
		draft = draftOfForm(state, context);
		checked = withSenderStandIn(draft);
		validateDraft(checked);
	} catch (error) {
		return {errors: {[fieldOfHeaderError(messageOf(error), state)]: messageOf(error)}};
	}

	try {
		if (group.kind === 'send') {
			if (!context.audienceOfSend) {
				return {errors: {to: 'The recipients of the earlier send are not available'}};
			}

			resolution = context.audienceOfSend(group.sendId);
		} else {
			resolution = resolveGroup(context.directory, group);
		}
	} catch (error) {
		const field: FieldId = state.to === 'domain' ? 'domain' : state.to === 'user' ? 'address' : 'to';
		return {errors: {[field]: messageOf(error)}};
	}

	try {
		// A recipient's own To or Subject line may be too long to fold (a long address, a filled-in name).
		new MessageTemplate(checked, {sendId: 'review'}).checkRecipients(resolution.recipients);
	} catch (error) {
		return {errors: {[fieldOfHeaderError(messageOf(error), state)]: messageOf(error)}};
	}

	return {
		errors: {},
		plan: {
			kind: state.kind,
			draft,
			group,
			audience: formatGroup(group),
			resolution,
			followUpOf: state.followUpOf,
		},
	};
}
