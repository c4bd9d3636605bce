/**
 * The message: From, the per-recipient To with its friendly name, placeholders, the HTML
 * alternative and the headers every mass message carries.
 *
 * A send renders the same message for many recipients, so {@link MessageTemplate} encodes the
 * MIME body once and only prefixes the per-recipient header lines (To, Message-ID, threading).
 */
import {randomBytes} from 'node:crypto';
import {domainToASCII} from 'node:url';
import {convert as htmlToText, type HtmlToTextOptions} from 'html-to-text';
import {displayAddress, displayDomain, domainOf, needsSmtpUtf8, wireAddress} from './address.js';
import {MassmailError} from './errors.js';
import {foldedHeader, mailboxText, maximumLineLength, unstructuredText} from './mime-header.js';
import {quotedPrintableBlocks} from './quoted-printable.js';
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

/** The last address domainPart was asked about, and its answer: a send asks for its sender's once per message. */
let lastDomainPart = {address: '', domain: ''};

/** The domain of an address in ASCII, lower case: the right-hand side of every Message-ID. */
function domainPart(address: string): string {
	if (address !== lastDomainPart.address) {
		const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
		lastDomainPart = {address, domain: domainToASCII(domain) || domain};
	}

	return lastDomainPart.domain;
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

	if (address === '' && defaults.address === '') {
		// No default address (a machine without a fully qualified name): core/sender.ts decides.
		return {name, address};
	}

	if (!simpleAddress.test(address)) {
		throw new MassmailError('validation', `From address is not a valid address: ${JSON.stringify(address)}`);
	}

	// The domain as the settings store it (punycode): a From typed in Unicode needs no SMTPUTF8.
	const at = address.lastIndexOf('@');
	return {name, address: address.slice(0, at + 1) + (domainToASCII(address.slice(at + 1)) || address.slice(at + 1))};
}

/**
 * True when the message looks like HTML (a document or common markup tags): the one rule of the
 * command line and the dashboard, whichever way the text came (typed, a file, $EDITOR).
 */
export function detectHtml(body: string): boolean {
	return /<!doctype\s+html|<(html|head|body|title|meta|style|p|br|div|span|section|article|header|footer|main|nav|a|b|i|u|s|strong|em|small|sup|sub|code|mark|table|thead|tbody|tfoot|caption|tr|th|td|ul|ol|li|dl|dt|dd|h[1-6]|img|hr|blockquote|pre|font|center)\b[^>]*>/i.test(body);
}

/** Refuses a draft that cannot be sent: empty subject or message, control characters in a header, a header word too long to fold. */
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

	foldedHeader('From', mailboxText(draft.from.name, wireAddress(draft.from.address)), 'From name');
	foldedHeader('Subject', unstructuredText(draft.subject), 'Subject');
	// With the shortest address; each recipient's own is checked by MessageTemplate.checkRecipients.
	foldedHeader('To', mailboxText(draft.friendlyName === '' ? '' : draft.friendlyName + 'a@b.c', 'a@b.c'), 'To Friendly Name');
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

/** The values a placeholder can take for one recipient: as people read them (an IDN in Unicode). */
function placeholderValues(recipient: Recipient): Record<string, string> {
	return {name: recipient.name, address: displayAddress(recipient.address), domain: displayDomain(domainOf(recipient.address))};
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

/**
 * How the plain-text part reads the HTML: tables as aligned columns, a link's address once
 * (not again in brackets when the text is the address), headings and header cells as written
 * (upper-casing them would change a filled-in name).
 */
const htmlToTextOptions: HtmlToTextOptions = {
	wordwrap: 76,
	selectors: [
		...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map(selector => ({selector, options: {uppercase: false}})),
		{selector: 'a', options: {hideLinkHrefIfSameAsText: true}},
		{selector: 'table', format: 'dataTable', options: {uppercaseHeaderCells: false}},
	],
};

/** A text part as bytes, in blocks (quoted-printable.ts: a large message is never one string). */
function textPart(contentType: 'text/plain' | 'text/html', text: string): Buffer[] {
	return [Buffer.from('Content-Type: ' + contentType + '; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'), ...quotedPrintableBlocks(text)];
}

function endsWithLineBreak(blocks: Buffer[]): boolean {
	const last = blocks.at(-1);
	return last !== undefined && last.length >= 2 && last[last.length - 2] === 0x0D && last[last.length - 1] === 0x0A;
}

/** The friendly name as typed, placeholders filled, with the recipient's address after it (in Unicode, as people read it); '' for none. */
function friendlyNameFor(friendlyName: string, recipient: Recipient): string {
	if (friendlyName === '') {
		return '';
	}

	const filled = hasPlaceholder(friendlyName) ? fill(friendlyName, placeholderValues(recipient)) : friendlyName;
	return filled + displayAddress(recipient.address);
}

/**
 * The To line `recipient` gets, as a mail client shows it: the friendly name exactly as typed,
 * then the address (SmarterMail's rule: end the text with " - " for a separator).
 *
 * @example toLineFor('Example.com User - ', {address: 'ann@example.com', name: 'Ann'}) // '"Example.com User - ann@example.com" <ann@example.com>'
 * @example toLineFor('', {address: 'ann@example.com', name: 'Ann'}) // 'ann@example.com'
 */
export function toLineFor(friendlyName: string, recipient: Recipient): string {
	const name = friendlyNameFor(friendlyName, recipient).replaceAll(/^ +| +$/g, '');
	const address = wireAddress(recipient.address);
	return name === '' ? address : '"' + name.replaceAll(/(["\\])/g, '\\$1') + '" <' + address + '>';
}

/** The To header as sent (folded, no final CRLF); a MassmailError naming the To Friendly Name when it cannot be folded. */
export function foldedToHeader(friendlyName: string, recipient: Recipient): string {
	return foldedHeader('To', mailboxText(friendlyNameFor(friendlyName, recipient), wireAddress(recipient.address)), 'To Friendly Name');
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
 * template.checkRecipients(recipients); // a To or Subject line that cannot be folded: MassmailError 'validation'
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
	/** The plain-text alternative of an HTML message, made once (placeholders kept, filled per recipient). */
	private readonly plainTemplate?: string;
	/** A placeholder in a table: the columns are aligned to the filled-in text, so the text part is made per recipient. */
	private readonly plainPerRecipient: boolean;
	/** Everything after the per-recipient lines, for the shared (no placeholder) case. */
	private readonly shared?: Buffer;

	constructor(draft: MessageDraft, options: {sendId: string; date?: Date}) {
		validateDraft(draft);
		this.draft = draft;
		this.sendId = options.sendId;
		this.date = options.date ?? new Date();
		this.boundary = '--_massmail_' + randomBytes(12).toString('hex');
		this.fromHeader = foldedHeader('From', mailboxText(draft.from.name, wireAddress(draft.from.address)), 'From name');
		this.dateHeader = 'Date: ' + this.date.toUTCString().replace(/GMT/, '+0000');
		this.personalised = hasPlaceholder(draft.subject) || hasPlaceholder(draft.body);
		this.plainPerRecipient = draft.html && /<table\b[\s\S]*?\{\{\s*(name|address|domain)\s*\}\}[\s\S]*?<\/table>/i.test(draft.body);
		if (draft.html && !this.plainPerRecipient) {
			// html-to-text is slow: convert once. Placeholders are normalised first so that wrapping cannot split one.
			this.plainTemplate = htmlToText(draft.body.replace(placeholderPattern, (_match, key: string) => '{{' + key.toLowerCase() + '}}'), htmlToTextOptions);
		}

		if (!this.personalised) {
			this.shared = Buffer.concat(this.buildShared(draft.subject, draft.body, this.plainTemplate ?? ''));
		}
	}

	/**
	 * The To line as the recipient's mail client shows it (the review screen, the form's preview,
	 * the dry run): `"Example.com User - ann@example.com" <ann@example.com>`.
	 */
	toHeader(recipient: Recipient): string {
		return toLineFor(this.draft.friendlyName, recipient);
	}

	/** The subject as `recipient` receives it. */
	subjectFor(recipient: Recipient): string {
		return this.personalised ? fill(this.draft.subject, placeholderValues(recipient)) : this.draft.subject;
	}

	/** The message text as `recipient` reads it: placeholders filled, an HTML message as its plain-text part. */
	textFor(recipient: Recipient): string {
		const values = placeholderValues(recipient);
		if (!this.draft.html) {
			return fill(this.draft.body, values);
		}

		return this.plainTextFor(values);
	}

	/** True when the message to `recipient` needs a server that offers SMTPUTF8 (a non-ASCII address). */
	needsSmtpUtf8(recipient: Recipient): boolean {
		return needsSmtpUtf8(recipient.address) || needsSmtpUtf8(this.draft.from.address);
	}

	/**
	 * Refuses (MassmailError 'validation', naming the field) when the To or Subject line of any
	 * recipient would hold a word too long for a header line: before anything is sent. Only the
	 * recipients whose lines can differ are built.
	 */
	checkRecipients(recipients: Iterable<Recipient>): void {
		const list = [...recipients];
		// A bound first, from the longest word of each field and the longest value a placeholder
		// (or the glued address) can bring into it: only past it is each recipient's line built.
		let longest = 0;
		for (const {address, name} of list) {
			longest = Math.max(longest, address.length, name.length);
		}

		const room = (text: string) => {
			const placeholders = text.match(placeholderPattern)?.length ?? 0;
			const word = Math.max(0, ...text.split(' ').map(part => part.length));
			return word + (placeholders * longest);
		};

		const checkTo = this.draft.friendlyName !== '' && 'To: ""'.length + room(this.draft.friendlyName) + longest > maximumLineLength;
		const checkSubject = hasPlaceholder(this.draft.subject) && 'Subject: '.length + room(this.draft.subject) > maximumLineLength;
		if (!checkTo && !checkSubject) {
			return;
		}

		for (const recipient of list) {
			try {
				if (checkTo) {
					this.toLine(recipient);
				}

				if (checkSubject) {
					foldedHeader('Subject', unstructuredText(this.subjectFor(recipient)), 'Subject');
				}
			} catch (error) {
				// The typed text may be short: a placeholder brought the long word in. Name whose it is.
				if (error instanceof MassmailError) {
					throw new MassmailError(error.kind, `for ${displayAddress(recipient.address)}: ${error.message}`, {
						hint: recipient.name.length > maximumLineLength / 2 ? `its name in the directory is ${recipient.name.length.toLocaleString('en-US')} characters: shorten it (massmail user set ${recipient.address} --name NAME), or leave {{name}} out; ${error.hint ?? ''}`.replace(/; $/, '') : error.hint,
					});
				}

				throw error;
			}
		}
	}

	/**
	 * The message for recipient number `index` of the send.
	 * With `thread`, the message carries In-Reply-To and References to that Message-ID.
	 */
	render(recipient: Recipient, index: number, thread?: {inReplyTo: string}): RenderedMessage {
		const messageId = messageIdFor(this.sendId, index, this.draft.from.address);
		const head = Buffer.from(this.headLines(recipient, messageId, thread));
		return {
			envelope: {from: wireAddress(this.draft.from.address), to: wireAddress(recipient.address)},
			raw: Buffer.concat([head, this.bodyFor(recipient)]),
			messageId,
		};
	}

	/** The per-recipient header lines, ending in CRLF. Used with {@link bodyFor} by the engine to avoid a copy. */
	headLines(recipient: Recipient, messageId: string, thread?: {inReplyTo: string}): string {
		let head = this.toLine(recipient) + '\r\nMessage-ID: ' + messageId + '\r\n';
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
			? Buffer.concat(this.buildShared(fill(this.draft.subject, values), fill(this.draft.body, values, escapeHtml), this.plainTextFor(values)))
			: Buffer.concat(this.buildShared(fill(this.draft.subject, values), fill(this.draft.body, values), ''));
	}

	/** The folded To line (no final CRLF). */
	private toLine(recipient: Recipient): string {
		return foldedToHeader(this.draft.friendlyName, recipient);
	}

	private plainTextFor(values: Record<string, string>): string {
		return this.plainPerRecipient ? htmlToText(fill(this.draft.body, values, escapeHtml), htmlToTextOptions) : fill(this.plainTemplate ?? '', values);
	}

	private buildShared(subject: string, body: string, plain: string): Buffer[] {
		const headers = [
			this.fromHeader,
			foldedHeader('Subject', unstructuredText(subject), 'Subject'),
			this.dateHeader,
			'MIME-Version: 1.0',
			'Auto-Submitted: auto-generated',
			'Precedence: bulk',
			'X-Auto-Response-Suppress: All',
		].join('\r\n') + '\r\n';
		if (!this.draft.html) {
			// The message ends with a line break: the text's own, or one added (never a second).
			const part = textPart('text/plain', body);
			return [Buffer.from(headers), ...part, ...(endsWithLineBreak(part) ? [] : [Buffer.from('\r\n')])];
		}

		return [
			Buffer.from(headers + foldedHeader('Content-Type', 'multipart/alternative; boundary="' + this.boundary + '"') + '\r\n\r\n--' + this.boundary + '\r\n'),
			...textPart('text/plain', plain),
			Buffer.from('\r\n--' + this.boundary + '\r\n'),
			...textPart('text/html', body),
			Buffer.from('\r\n--' + this.boundary + '--\r\n'),
		];
	}
}
