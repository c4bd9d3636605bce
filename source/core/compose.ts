/**
 * The message: From, the per-recipient To with its friendly name, placeholders, the HTML
 * alternative and the headers every mass message carries.
 *
 * A send renders the same message for many recipients, so {@link MessageTemplate} encodes the
 * MIME body once and only prefixes the per-recipient header lines (To, Message-ID, threading).
 */
import {randomBytes} from 'node:crypto';
import {convert as htmlToText} from 'html-to-text';
import MimeNode from 'nodemailer/lib/mime-node';
import {foldLines} from 'nodemailer/lib/mime-funcs';
import {encode as qpEncode, wrap as qpWrap} from 'nodemailer/lib/qp';
import {MassmailError} from './errors.js';
import type {MessageDraft, Recipient, Sender} from './types.js';

const controlCharacters = /[\u0000-\u001F\u007F]/;
const placeholderPattern = /\{\{\s*(name|address|domain)\s*\}\}/gi;
const hasPlaceholder = (text: string) => /\{\{\s*(name|address|domain)\s*\}\}/i.test(text);
const simpleAddress = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$|^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:".]+$/;

/** Refuses a header value with CR, LF or another control character (header injection). */
function assertHeaderText(field: string, value: string): void {
	if (controlCharacters.test(value)) {
		throw new MassmailError('validation', `${field} contains a line break or control character`, {
			details: [`${field}: ${JSON.stringify(value)}`],
		});
	}
}

function domainPart(address: string): string {
	return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Reads the From field as typed: `Name`, `Name <address>` or a bare `address`.
 * Missing parts come from `defaults` (the sender in settings).
 *
 * @example parseSender('IT Team <it@example.com>', defaults) // {name: 'IT Team', address: 'it@example.com'}
 */
export function parseSender(text: string, defaults: Sender): Sender {
	assertHeaderText('From', text);
	const trimmed = text.trim();
	if (trimmed === '') {
		return {...defaults};
	}

	let name: string;
	let address: string;
	const angle = /^(.*?)\s*<([^<>]*)>$/.exec(trimmed);
	if (angle) {
		name = angle[1].trim();
		address = angle[2].trim();
	} else if (!trimmed.includes(' ') && trimmed.includes('@')) {
		name = defaults.name;
		address = trimmed;
	} else {
		name = trimmed;
		address = defaults.address;
	}

	if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) {
		name = name.slice(1, -1).replaceAll(/\\(.)/g, '$1');
	}

	if (!simpleAddress.test(address)) {
		throw new MassmailError('validation', `From address is not a valid address: ${JSON.stringify(address)}`);
	}

	return {name, address};
}

/** True when the message looks like HTML (a document or common markup tags). */
export function detectHtml(body: string): boolean {
	return /<!doctype\s+html|<(html|head|body|p|br|div|span|a|b|i|u|strong|em|table|tr|td|ul|ol|li|h[1-6]|img|hr|blockquote|pre|font|center)\b[^>]*>/i.test(body);
}

/** Refuses a draft that cannot be sent: empty subject or message, control characters in a header. */
export function validateDraft(draft: MessageDraft): void {
	assertHeaderText('Subject', draft.subject);
	assertHeaderText('From name', draft.from.name);
	assertHeaderText('From address', draft.from.address);
	assertHeaderText('To Friendly Name', draft.friendlyName);
	if (draft.subject.trim() === '') {
		throw new MassmailError('validation', 'Subject is empty');
	}

	if (draft.body.trim() === '') {
		throw new MassmailError('validation', 'Message is empty');
	}

	if (!simpleAddress.test(draft.from.address)) {
		throw new MassmailError('validation', `From address is not a valid address: ${JSON.stringify(draft.from.address)}`);
	}
}

/**
 * The Message-ID of recipient number `index` of a send: deterministic, so a reminder can thread
 * under it and a resumed message keeps its id, without storing one id per recipient.
 *
 * @example messageIdFor('20260101-120000-ab12', 7, 'postmaster@example.com') // '<20260101-120000-ab12.7@example.com>'
 */
export function messageIdFor(sendId: string, index: number, senderAddress: string): string {
	return '<' + sendId + '.' + index + '@' + domainPart(senderAddress) + '>';
}

/** The values a placeholder can take for one recipient. */
function placeholderValues(recipient: Recipient): Record<string, string> {
	return {name: recipient.name, address: recipient.address, domain: domainPart(recipient.address)};
}

function fill(text: string, values: Record<string, string>, escape?: (s: string) => string): string {
	return text.replace(placeholderPattern, (_match, key: string) => {
		// Header values must stay on one line whatever the directory holds.
		const value = values[key.toLowerCase()].replaceAll(/[\u0000-\u001F\u007F]/g, ' ');
		return escape ? escape(value) : value;
	});
}

function escapeHtml(text: string): string {
	return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const headerEncoder = new MimeNode();

function encodeAddress(name: string, address: string): string {
	if (name === '') {
		return address;
	}

	if (/^[\u0020-\u007E]*$/.test(name)) {
		return '"' + name.replaceAll(/(["\\])/g, '\\$1') + '" <' + address + '>';
	}

	return headerEncoder.encodeHeaderValue('To', {name, address});
}

function quotedPrintable(text: string): string {
	return qpWrap(qpEncode(text.replaceAll(/\r?\n|\r/g, '\r\n')), 76);
}

function textPart(contentType: 'text/plain' | 'text/html', text: string): string {
	return 'Content-Type: ' + contentType + '; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + quotedPrintable(text);
}

/** A rendered message for one recipient. */
export interface RenderedMessage {
	envelope: {from: string; to: string};
	raw: Buffer;
	messageId: string;
}

/**
 * The message of one send, built once. `render()` gives each recipient its own message: the
 * encoded body is shared, only the To, Message-ID and threading lines are made per recipient —
 * unless the subject or message hold placeholders, which need per-recipient text.
 *
 * @example
 * const template = new MessageTemplate(draft, {sendId});
 * const {envelope, raw} = template.render({address: 'ann@example.com', name: 'Ann'}, 0);
 */
export class MessageTemplate {
	readonly draft: MessageDraft;
	readonly sendId: string;
	readonly date: Date;
	/** True when subject or message change per recipient (the slow path). */
	readonly personalised: boolean;
	private readonly boundary: string;
	private readonly fromHeader: string;
	private readonly dateHeader: string;
	private readonly friendlyHasPlaceholder: boolean;
	/** The plain-text alternative of an HTML message, made once (placeholders kept, filled per recipient). */
	private readonly plainTemplate?: string;
	/** Everything after the per-recipient lines, for the shared (no placeholder) case. */
	private readonly shared?: Buffer;

	constructor(draft: MessageDraft, options: {sendId: string; date?: Date}) {
		validateDraft(draft);
		this.draft = draft;
		this.sendId = options.sendId;
		this.date = options.date ?? new Date();
		this.boundary = '--_massmail_' + randomBytes(12).toString('hex');
		this.fromHeader = foldLines('From: ' + headerEncoder.encodeHeaderValue('From', {name: draft.from.name, address: draft.from.address}), 76);
		this.dateHeader = 'Date: ' + this.date.toUTCString().replace(/GMT/, '+0000');
		this.friendlyHasPlaceholder = hasPlaceholder(draft.friendlyName);
		this.personalised = hasPlaceholder(draft.subject) || hasPlaceholder(draft.body);
		if (draft.html) {
			// html-to-text is slow: convert once. Placeholders are normalised first so that wrapping
			// cannot split one, and matched case-insensitively (headings come out upper-case).
			this.plainTemplate = htmlToText(draft.body.replace(placeholderPattern, (_match, key: string) => '{{' + key.toLowerCase() + '}}'), {wordwrap: 76});
		}

		if (!this.personalised) {
			this.shared = Buffer.from(this.buildShared(draft.subject, draft.body, this.plainTemplate ?? ''));
		}
	}

	/** The To line as the review screen shows it: `"Example.com User - ann@example.com" <ann@example.com>`. */
	toHeader(recipient: Recipient): string {
		const name = this.friendlyName(recipient);
		return name === '' ? recipient.address : '"' + name.replaceAll(/(["\\])/g, '\\$1') + '" <' + recipient.address + '>';
	}

	/** The subject as `recipient` receives it. */
	subjectFor(recipient: Recipient): string {
		return this.personalised ? fill(this.draft.subject, placeholderValues(recipient)) : this.draft.subject;
	}

	/**
	 * The message for recipient number `index` of the send.
	 * With `thread`, the message carries In-Reply-To and References to that Message-ID.
	 */
	render(recipient: Recipient, index: number, thread?: {inReplyTo: string}): RenderedMessage {
		const messageId = messageIdFor(this.sendId, index, this.draft.from.address);
		const head = Buffer.from(this.headLines(recipient, messageId, thread));
		return {
			envelope: {from: this.draft.from.address, to: recipient.address},
			raw: Buffer.concat([head, this.bodyFor(recipient)]),
			messageId,
		};
	}

	/** The per-recipient header lines, ending in CRLF. Used with {@link bodyFor} by the engine to avoid a copy. */
	headLines(recipient: Recipient, messageId: string, thread?: {inReplyTo: string}): string {
		let head = 'To: ' + encodeAddress(this.friendlyName(recipient), recipient.address) + '\r\nMessage-ID: ' + messageId + '\r\n';
		if (thread) {
			head += 'In-Reply-To: ' + thread.inReplyTo + '\r\nReferences: ' + thread.inReplyTo + '\r\n';
		}

		return head;
	}

	/** Everything after the per-recipient lines: the shared buffer unless the text is personalised. */
	bodyFor(recipient: Recipient): Buffer {
		if (this.shared) {
			return this.shared;
		}

		const values = placeholderValues(recipient);
		return this.draft.html
			? Buffer.from(this.buildShared(fill(this.draft.subject, values), fill(this.draft.body, values, escapeHtml), fill(this.plainTemplate ?? '', values)))
			: Buffer.from(this.buildShared(fill(this.draft.subject, values), fill(this.draft.body, values), ''));
	}

	private friendlyName(recipient: Recipient): string {
		const friendly = this.friendlyHasPlaceholder ? fill(this.draft.friendlyName, placeholderValues(recipient)) : this.draft.friendlyName;
		return friendly === '' ? '' : friendly + recipient.address;
	}

	private buildShared(subject: string, body: string, plain: string): string {
		const headers = [
			this.fromHeader,
			foldLines('Subject: ' + headerEncoder.encodeHeaderValue('Subject', subject), 76),
			this.dateHeader,
			'MIME-Version: 1.0',
			'Auto-Submitted: auto-generated',
			'Precedence: bulk',
			'X-Auto-Response-Suppress: All',
		].join('\r\n') + '\r\n';
		if (!this.draft.html) {
			return headers + textPart('text/plain', body) + '\r\n';
		}

		return headers
			+ 'Content-Type: multipart/alternative; boundary="' + this.boundary + '"\r\n\r\n'
			+ '--' + this.boundary + '\r\n' + textPart('text/plain', plain) + '\r\n'
			+ '--' + this.boundary + '\r\n' + textPart('text/html', body) + '\r\n'
			+ '--' + this.boundary + '--\r\n';
	}
}
