/**
 * Delivery reports, read: what one message in the bounce mailbox says (an RFC 3464 delivery status
 * notification, an auto-reply, or anything else). The marks massmail puts on each message so that
 * its report finds its way back to the recipient — the envelope id (ENVID) and the VERP return
 * path — are in marks.ts (re-exported here), which the delivery engine imports without this
 * file's MIME parser. Owns the reading only: no I/O, no IMAP, no send record (the fold that
 * matches a report to a recipient and records it lives beside this file).
 *
 * The MIME structure is mailparser's (parts, transfer encodings, charsets); the header blocks inside
 * a report (the delivery-status groups, the returned headers) are libmime's. Every text that comes
 * out is one line without control characters: a report is written by whoever sent it.
 */
import libmime from 'libmime';
import {simpleParser, type Attachment, type ParsedMail} from 'mailparser';
import {oneLine} from '../delivery/limiting-words.js';

/** The most of a message readReport reads: the report parts come first, a returned message last. */
export const maxReportBytes = 1024 * 1024;

/** What a message in the bounce mailbox is. */
export type ReportKind =
	/** A delivery status notification (RFC 3464) with at least one recipient in it. */
	| 'dsn'
	/** An automatic answer (Auto-Submitted and the like): a vacation notice is not a bounce. */
	| 'auto-reply'
	/** Anything else: a bounce without a machine-readable part, a person's message, spam. */
	| 'other';

/** RFC 3464's Action field. */
export type ReportAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

/** One recipient of a DSN (one per-recipient group). */
export interface RecipientReport {
	/** Final-Recipient, its address type (`rfc822;`) removed. */
	finalRecipient: string;
	/** Original-Recipient: the ORCPT the message was sent with, its address type removed. */
	originalRecipient?: string;
	action: ReportAction;
	/**
	 * Status, e.g. `'5.2.2'`. A missing or unreadable one is the action's class
	 * (`'5.0.0'` failed, `'4.0.0'` delayed, `'2.0.0'` otherwise).
	 */
	status: string;
	/** Diagnostic-Code's text without its type: `'X-Postfix; mailbox full'` is `'mailbox full'`. */
	diagnostic?: string;
	/** Remote-MTA without its type: `'dns; mx.example.net'` is `'mx.example.net'`. */
	remoteMta?: string;
	lastAttemptDate?: Date;
	/** Will-Retry-Until: how long the server keeps trying (a delay report). */
	willRetryUntil?: Date;
}

export interface ParsedReport {
	kind: ReportKind;
	/** Original-Envelope-Id (the ENVID the message was sent with); DSN only. */
	envelopeId?: string;
	/** Arrival-Date: when the reporting server took the message; DSN only. */
	arrivalDate?: Date;
	/** Reporting-MTA without its type; DSN only. */
	reportingMta?: string;
	/** The per-recipient groups of a DSN, in order; empty for any other kind. */
	recipients: RecipientReport[];
	/** The Message-ID of the message the report returns (its text/rfc822-headers or message/rfc822 part). */
	returnedMessageId?: string;
	/** The first Message-ID of In-Reply-To: what an auto-reply answers. */
	inReplyTo?: string;
	/**
	 * The addresses this message was delivered to, as the receiving server wrote them on top
	 * (X-Original-To, Delivered-To, Envelope-To, X-Envelope-To; topmost first, each once):
	 * with VERP, the return path the message was sent with.
	 */
	envelopeRecipients: string[];
	/** The message came with a null return path (`Return-Path: <>`), as bounces and most auto-replies do. */
	nullSender: boolean;
	/** The report's own Date, Subject and From address. */
	date?: Date;
	subject?: string;
	from?: string;
	/** Why the message could only be read in part (its MIME would not parse): its headers alone were read. */
	problem?: string;
}

const actions = new Set<string>(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);
const deliveryStatusTypes = new Set(['message/delivery-status', 'message/global-delivery-status']);
const returnedHeaderTypes = new Set(['text/rfc822-headers', 'message/rfc822', 'message/global-headers', 'message/global']);
const envelopeHeaders = ['x-original-to', 'delivered-to', 'envelope-to', 'x-envelope-to'];
/** More groups than any report of one message has; a hostile one could have millions. */
const maxRecipientGroups = 1000;
const maxEnvelopeRecipients = 10;

type HeaderBlock = Record<string, string[]>;

/** A header block's fields by lower-case name (folded lines joined): libmime's reading. */
function headerBlock(text: string): HeaderBlock {
	return libmime.decodeHeaders(text, {skipPrototypeKeys: true});
}

function first(block: HeaderBlock, name: string): string | undefined {
	const value = Object.hasOwn(block, name) ? block[name][0] : undefined;
	return value === undefined ? undefined : clean(value);
}

/** One line, no control characters, or undefined when nothing is left. */
function clean(value: string): string | undefined {
	const text = oneLine(value);
	return text === '' ? undefined : text;
}

/** `rfc822; ann@example.com` -> `ann@example.com` (any address type, and angle brackets, removed). */
function withoutType(value: string | undefined): string | undefined {
	if (value === undefined) {
		return undefined;
	}

	const semicolon = value.indexOf(';');
	return clean(semicolon === -1 ? value : value.slice(semicolon + 1));
}

/** An address as a header gives it: `<ann@example.com>` -> `ann@example.com`. */
function bare(value: string | undefined): string | undefined {
	const text = value === undefined ? undefined : clean(value);
	return text === undefined ? undefined : clean(text.replace(/^<(.*)>$/, '$1'));
}

/** An address field of a DSN: its type removed, then bare. */
function address(value: string | undefined): string | undefined {
	return bare(withoutType(value));
}

/** The object without its undefined fields (so that a missing field is absent, not undefined). */
function defined<T extends object>(object: T): T {
	return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

function dateOf(value: string | undefined): Date | undefined {
	if (value === undefined) {
		return undefined;
	}

	const date = new Date(value);
	return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The first `<…>` of a Message-ID field, or the whole when it has no brackets. */
function messageIdOf(value: string | undefined): string | undefined {
	const text = value === undefined ? undefined : clean(value);
	if (text === undefined) {
		return undefined;
	}

	const bracketed = /<[^<>\s]+>/.exec(text)?.[0];
	return bracketed ?? (/^[^<>\s]+$/.test(text) ? `<${text}>` : undefined);
}

/** `'5.2.2 (mailbox full)'` -> `'5.2.2'`; undefined when it is no status code. */
function statusOf(value: string | undefined): string | undefined {
	return value === undefined ? undefined : /^[245]\.\d{1,3}\.\d{1,3}(?![\d.])/.exec(value)?.[0];
}

function recipientOf(block: HeaderBlock): RecipientReport | undefined {
	const finalRecipient = address(first(block, 'final-recipient'));
	const action = first(block, 'action')?.split(/[\s(;]/)[0].toLowerCase();
	if (finalRecipient === undefined || action === undefined || !actions.has(action)) {
		return undefined;
	}

	const fallback = action === 'failed' ? '5.0.0' : (action === 'delayed' ? '4.0.0' : '2.0.0');
	return defined({
		finalRecipient,
		originalRecipient: address(first(block, 'original-recipient')),
		action: action as ReportAction,
		status: statusOf(first(block, 'status')) ?? fallback,
		diagnostic: withoutType(first(block, 'diagnostic-code')),
		remoteMta: withoutType(first(block, 'remote-mta')),
		lastAttemptDate: dateOf(first(block, 'last-attempt-date')),
		willRetryUntil: dateOf(first(block, 'will-retry-until')),
	});
}

interface DeliveryStatus {
	envelopeId?: string;
	arrivalDate?: Date;
	reportingMta?: string;
	recipients: RecipientReport[];
}

/** A message/delivery-status body: the per-message group, then one group per recipient (RFC 3464 §2.1). */
function deliveryStatus(content: Buffer): DeliveryStatus {
	const groups = content.toString('utf8').split(/\r?\n(?:[ \t]*\r?\n)+/).filter(group => group.trim() !== '');
	const [message = '', ...rest] = groups;
	const perMessage = headerBlock(message);
	const recipients: RecipientReport[] = [];
	for (const group of rest.slice(0, maxRecipientGroups)) {
		const recipient = recipientOf(headerBlock(group));
		if (recipient) {
			recipients.push(recipient);
		}
	}

	return defined({
		envelopeId: first(perMessage, 'original-envelope-id'),
		arrivalDate: dateOf(first(perMessage, 'arrival-date')),
		reportingMta: withoutType(first(perMessage, 'reporting-mta')),
		recipients,
	});
}

/** The top header block's envelope recipients and Return-Path, topmost first. */
function envelopeOf(block: HeaderBlock): {envelopeRecipients: string[]; nullSender: boolean} {
	const seen = new Set<string>();
	const envelopeRecipients: string[] = [];
	for (const name of envelopeHeaders) {
		for (const value of Object.hasOwn(block, name) ? block[name] : []) {
			const each = bare(value);
			if (each !== undefined && !/\s/.test(each) && !seen.has(each.toLowerCase()) && envelopeRecipients.length < maxEnvelopeRecipients) {
				seen.add(each.toLowerCase());
				envelopeRecipients.push(each);
			}
		}
	}

	const returnPath = Object.hasOwn(block, 'return-path') ? block['return-path'][0] : undefined;
	return {envelopeRecipients, nullSender: returnPath !== undefined && /^<\s*>$/.test(returnPath.trim())};
}

/** RFC 3834's Auto-Submitted (anything but `no`), and the older marks vacation programs leave. */
function isAutoReply(block: HeaderBlock, from: string | undefined): boolean {
	const autoSubmitted = first(block, 'auto-submitted')?.split(/[\s;(]/)[0].toLowerCase();
	const marked = (autoSubmitted !== undefined && autoSubmitted !== 'no')
		|| Object.hasOwn(block, 'x-autoreply')
		|| Object.hasOwn(block, 'x-autorespond')
		|| first(block, 'precedence')?.toLowerCase() === 'auto_reply';
	// Mail systems mark their bounces auto-replied too (Postfix, Exim): a bounce is not a vacation notice.
	const mailSystem = from !== undefined && /^(?:mailer-daemon|postmaster)@/i.test(from);
	return marked && !mailSystem;
}

function returnedMessageIdOf(attachments: Attachment[]): string | undefined {
	for (const part of attachments) {
		if (returnedHeaderTypes.has(part.contentType.toLowerCase())) {
			const id = messageIdOf(first(headerBlock(part.content.toString('utf8')), 'message-id'));
			if (id !== undefined) {
				return id;
			}
		}
	}

	return undefined;
}

/** The top header block of a message that will not parse as MIME (mailsplit's head limit, say). */
function topHeaders(raw: Buffer): HeaderBlock {
	const end = raw.indexOf('\n\n') === -1 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
	return headerBlock(raw.subarray(0, Math.min(end === -1 ? raw.length : end, 256 * 1024)).toString('utf8'));
}

/**
 * Reads one message of the bounce mailbox (its raw source; only the first `maxReportBytes` are
 * read). Never throws on what the message holds: a message that will not parse is `other`, with
 * `problem` saying why and what its top headers say.
 *
 * @example
 * const report = await readReport(source);
 * // {kind: 'dsn', envelopeId: 'massmail.20260101-120000-ab12cd.0',
 * //  recipients: [{finalRecipient: 'full@example.com', action: 'failed', status: '5.2.2', diagnostic: 'mailbox full', …}],
 * //  returnedMessageId: '<20260101-120000-ab12cd.0@example.com>',
 * //  envelopeRecipients: ['bounces+20260101-120000-ab12cd.0@example.com'], nullSender: true, …}
 */
export async function readReport(raw: Buffer): Promise<ParsedReport> {
	const source = raw.subarray(0, maxReportBytes);
	let mail: ParsedMail;
	try {
		mail = await simpleParser(source, {
			keepDeliveryStatus: true,
			ignoreEmbedded: true,
			skipHtmlToText: true,
			skipTextToHtml: true,
			skipImageLinks: true,
			skipTextLinks: true,
			checksumAlgo: false,
			maxHeadSize: 256 * 1024,
		});
	} catch (error) {
		return defined({
			kind: 'other',
			recipients: [],
			...envelopeOf(topHeaders(source)),
			problem: clean(`not readable as MIME: ${(error as Error).message}`),
		});
	}

	const block = headerBlock(mail.headerLines.map(({line}) => line).join('\r\n'));

	const from = bare(mail.from?.value.find(each => each.address)?.address);
	let status: DeliveryStatus | undefined;
	for (const part of mail.attachments) {
		if (deliveryStatusTypes.has(part.contentType.toLowerCase())) {
			const each = deliveryStatus(part.content);
			if (each.recipients.length > 0) {
				status = each;
				break;
			}
		}
	}

	const kind: ReportKind = status ? 'dsn' : (isAutoReply(block, from) ? 'auto-reply' : 'other');
	return defined({
		kind,
		envelopeId: status?.envelopeId,
		arrivalDate: status?.arrivalDate,
		reportingMta: status?.reportingMta,
		recipients: status?.recipients ?? [],
		returnedMessageId: returnedMessageIdOf(mail.attachments),
		inReplyTo: messageIdOf(mail.inReplyTo),
		...envelopeOf(block),
		date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : undefined,
		subject: mail.subject === undefined ? undefined : clean(mail.subject),
		from,
	});
}

export {envelopeIdFor, parseEnvelopeId, parseVerp, verpAddress} from './marks.js';
