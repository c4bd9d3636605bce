/**
 * Whose a message of the bounce mailbox is, and what it records: a report on one of massmail's
 * messages matched to its send and recipient (by ENVID, else the VERP address it was delivered
 * to, else the returned Message-ID), an auto-reply to one of them, a report that cannot be read or
 * matched, or a message that is none of massmail's — another program's report, a vacation reply
 * to someone else's mail, a person's message (even one answering ours): never touched.
 * Pure: the sends are looked up through the caller; no IMAP, no files.
 */
import type {ReportLine, ReportState, ReportVia} from '../journal/index.js';
import {oneLine} from '../delivery/limiting-words.js';
import {parseEnvelopeId, parseVerp, type ParsedReport, type RecipientReport} from './report.js';

/** What the fold knows of a send of the record. */
export interface KnownSend {
	total: number;
	/** The domain of the send's From address, lower case: its Message-IDs are `<ID.INDEX@domain>`. */
	domain: string;
	/** Each recipient's address ('' where the record cannot read it). */
	addresses: string[];
}

/** Where massmail's marks of a message point to. */
interface Mark {
	sendId: string;
	index: number;
	via: ReportVia;
}

/** What a message of the bounce mailbox is to massmail. */
export type Match =
	/** A report or an auto-reply on recipient `index` of send `sendId`: record `lines`, then move it. */
	| {kind: 'ours'; sendId: string; index: number; via: ReportVia; reply: boolean; lines: Array<Omit<ReportLine, 'foldedAt'>>}
	/** Massmail's, of a send the caller did not ask for: left where it is. */
	| {kind: 'skipped'; sendId: string}
	/** A report that cannot be read or matched: left in the inbox, counted. */
	| {kind: 'unmatched'; why: string}
	/** None of massmail's: never touched. */
	| {kind: 'not-ours'};

/** What the matcher needs besides the report. */
export interface MatchContext {
	/** The bounce address the messages were sent from (`tracking.returnPath`). */
	returnPath: string;
	/** The server's recipient delimiter for VERP (`+`). */
	delimiter: string;
	/** A send of the record, or undefined when there is none of this id (or it cannot be read). */
	send: (sendId: string) => KnownSend | undefined;
	/** Only these sends are folded; a report on another of massmail's sends is `skipped`. Absent: all. */
	only?: ReadonlySet<string>;
	/** The report message's own Message-ID (for the key); absent: `fallbackKey`. */
	messageId?: string;
	/** A key for a report without a Message-ID (a hash of its bytes). */
	fallbackKey: string;
	/** The report message's arrival in the mailbox (IMAP INTERNALDATE): its time when it gives none. */
	arrived?: Date;
	/** The start of the message's text, for the status of a bounce without a report part. */
	text?: string;
}

/** Massmail's Message-ID (compose.ts messageIdFor): `<SEND_ID.INDEX@domain>`. */
const messageIdPattern = /^<([\w.-]+)\.(\d{1,9})@([^<>@\s]+)>$/;

/** The send and recipient one of massmail's Message-IDs names, and the domain it was made with. */
export function parseMessageId(value: string | undefined): {sendId: string; index: number; domain: string} | undefined {
	const match = value === undefined ? null : messageIdPattern.exec(value.trim());
	return match ? {sendId: match[1], index: Number(match[2]), domain: match[3].toLowerCase()} : undefined;
}

/** A mail system's own message: a null return path, or from MAILER-DAEMON or postmaster. */
function fromMailSystem(report: ParsedReport): boolean {
	return report.nullSender || (report.from !== undefined && /^(?:mailer-daemon|postmaster)@/i.test(report.from));
}

function verpMark(report: ParsedReport, context: MatchContext): Mark | undefined {
	for (const address of report.envelopeRecipients) {
		const named = parseVerp(address, context.returnPath, context.delimiter);
		if (named) {
			return {...named, via: 'verp'};
		}
	}

	return undefined;
}

function messageIdMark(value: string | undefined, via: ReportVia, context: MatchContext): Mark | undefined {
	const named = parseMessageId(value);
	if (!named) {
		return undefined;
	}

	// Another program may make Message-IDs of the same shape: the domain must be the send's.
	const send = context.send(named.sendId);
	return send && send.domain === named.domain ? {sendId: named.sendId, index: named.index, via} : undefined;
}

/** The first enhanced status code in a bounce's text, and the line it is on. */
export function statusInText(text: string | undefined): {status: string; diagnostic: string} | undefined {
	if (text === undefined) {
		return undefined;
	}

	const match = /(?<![\d.])([45]\.\d{1,3}\.\d{1,3})(?![\d.])/.exec(text);
	if (!match) {
		return undefined;
	}

	const start = text.lastIndexOf('\n', match.index) + 1;
	const end = text.indexOf('\n', match.index);
	const diagnostic = oneLine(text.slice(start, end === -1 ? undefined : end));
	return {status: match[1], diagnostic: diagnostic || match[1]};
}

function iso(date: Date | undefined, fallback: Date | undefined): string {
	const chosen = date && !Number.isNaN(date.getTime()) ? date : fallback && !Number.isNaN(fallback.getTime()) ? fallback : new Date();
	return chosen.toISOString();
}

const stateOfAction: Partial<Record<RecipientReport['action'], ReportState>> = {failed: 'bounced', delayed: 'delayed', delivered: 'delivered'};

/** The lines a DSN records for recipient `index`, or why it records none. */
function dsnLines(report: ParsedReport, mark: Mark, send: KnownSend, context: MatchContext, key: string): Array<Omit<ReportLine, 'foldedAt'>> | string {
	const recorded = send.addresses[mark.index]?.toLowerCase() ?? '';
	const lines: Array<Omit<ReportLine, 'foldedAt'>> = [];
	let otherRecipient: string | undefined;
	for (const group of report.recipients) {
		// ORCPT is the address the message was sent to: a group about another address is not this recipient's.
		if (group.originalRecipient !== undefined && recorded !== '' && group.originalRecipient.toLowerCase() !== recorded) {
			otherRecipient ??= group.originalRecipient;
			continue;
		}

		// relayed, expanded: handed on to where no report will come from; it says nothing of the mailbox.
		const state = stateOfAction[group.action];
		if (state !== undefined) {
			lines.push({
				index: mark.index,
				state,
				status: group.status,
				diagnostic: group.diagnostic ?? null,
				at: iso(group.lastAttemptDate ?? report.date, context.arrived),
				key: `${key} ${group.finalRecipient.toLowerCase()}`,
				via: mark.via,
			});
		}
	}

	if (lines.length === 0 && otherRecipient !== undefined) {
		return `the report is about ${otherRecipient}, recipient ${mark.index} of send ${mark.sendId} is ${recorded}`;
	}

	return lines;
}

/**
 * What one message of the bounce mailbox is to massmail, as read by readReport.
 *
 * - A DSN with an ENVID of massmail's is matched by it; one with another program's ENVID is not
 *   ours. Without an ENVID: the VERP address it was delivered to, else the returned Message-ID.
 * - An auto-reply answering one of massmail's messages (In-Reply-To, else VERP) is a reply.
 * - A mail system's message without a report part delivered to a VERP address is a bounce
 *   (its status from its text when it gives one, else 5.0.0).
 * - A person's message is never ours, even in reply to one of ours.
 * - What names a send the record does not have, or a recipient it does not have, is unmatched;
 *   so is a message that cannot be read as MIME, and a mail system's message naming nothing.
 *
 * @example
 * matchReport(await readReport(source), {returnPath: 'bounces@example.com', delimiter: '+', send: id => known.get(id), fallbackKey})
 * // {kind: 'ours', sendId: '20260101-120000-ab12cd', index: 2, via: 'envid', reply: false,
 * //  lines: [{index: 2, state: 'bounced', status: '5.2.2', diagnostic: 'mailbox full', at: '…', key: '<…> full@example.com', via: 'envid'}]}
 */
export function matchReport(report: ParsedReport, context: MatchContext): Match {
	if (report.problem !== undefined) {
		return {kind: 'unmatched', why: report.problem};
	}

	const key = context.messageId ?? context.fallbackKey;
	let mark: Mark | undefined;
	if (report.kind === 'dsn') {
		const verp = verpMark(report, context);
		const returned = messageIdMark(report.returnedMessageId, 'message-id', context);
		if (report.envelopeId !== undefined) {
			const named = parseEnvelopeId(report.envelopeId);
			if (!named) {
				// Another program's envelope id: its report, unless our other marks say otherwise.
				return verp || returned ? {kind: 'unmatched', why: `an envelope id that is not massmail's (${report.envelopeId}) on a report of ours`} : {kind: 'not-ours'};
			}

			mark = {...named, via: 'envid'};
		} else {
			mark = verp ?? returned;
		}

		if (!mark) {
			// It returns a message that is none of the record's; without even that, it cannot be told.
			return report.returnedMessageId === undefined
				? {kind: 'unmatched', why: 'a delivery report without an envelope id, an address of massmail\'s or the returned message\'s Message-ID'}
				: {kind: 'not-ours'};
		}
	} else if (report.kind === 'auto-reply') {
		mark = messageIdMark(report.inReplyTo, 'in-reply-to', context) ?? verpMark(report, context);
		if (!mark) {
			return {kind: 'not-ours'}; // A reply to someone else's mail.
		}
	} else {
		if (!fromMailSystem(report)) {
			return {kind: 'not-ours'}; // A person's message, whoever it answers.
		}

		mark = verpMark(report, context);
		if (!mark) {
			return {kind: 'unmatched', why: 'a mail system\'s message without a delivery report or an address of massmail\'s'};
		}
	}

	const {sendId, index} = mark;
	if (context.only && !context.only.has(sendId)) {
		return {kind: 'skipped', sendId};
	}

	const send = context.send(sendId);
	if (!send) {
		return {kind: 'unmatched', why: `it names send ${sendId}, which the record does not have`};
	}

	if (index >= send.total) {
		return {kind: 'unmatched', why: `it names recipient ${index} of send ${sendId}, which has ${send.total}`};
	}

	if (report.kind === 'dsn') {
		const lines = dsnLines(report, mark, send, context, key);
		return typeof lines === 'string' ? {kind: 'unmatched', why: lines} : {kind: 'ours', sendId, index, via: mark.via, reply: false, lines};
	}

	const at = iso(report.date, context.arrived);
	if (report.kind === 'auto-reply') {
		return {
			kind: 'ours', sendId, index, via: mark.via, reply: true,
			lines: [{index, state: 'replied', status: null, diagnostic: report.subject ?? null, at, key: `${key} #${index}`, via: mark.via}],
		};
	}

	// A bounce without a report part (qmail's, and others'): VERP named the recipient.
	const found = statusInText(context.text);
	const state: ReportState = found?.status.startsWith('4') && /delay|warning|not yet|retry/i.test(report.subject ?? '') ? 'delayed' : 'bounced';
	return {
		kind: 'ours', sendId, index, via: mark.via, reply: false,
		lines: [{index, state, status: found?.status ?? '5.0.0', diagnostic: found?.diagnostic ?? report.subject ?? null, at, key: `${key} #${index}`, via: mark.via}],
	};
}
