/**
 * Asking for delivery reports: what each message's envelope carries so that the mail system's
 * reports come back and find their recipient — the DSN parameters of RFC 3461 (ENVID, RET=HDRS,
 * NOTIFY, ORCPT; sent only when the server offers DSN, which the transport knows) and the
 * envelope sender (the administrator's bounce address `tracking.returnPath`, VERP-encoded when
 * `tracking.verp` is true; without one, the From address as before). The From header is not
 * touched here. Pure: the engine builds each recipient's envelope with `envelopeFor`.
 */
import {MassmailError} from '../errors.js';
import type {Settings} from '../types.js';
import {envelopeIdFor, verpAddress} from './marks.js';

/** RFC 3461's NOTIFY values massmail asks for. */
export type NotifyWhen = 'SUCCESS' | 'FAILURE' | 'DELAY';

/** The DSN parameters of one message, as nodemailer's SMTPConnection `send({dsn})` takes them. */
export interface DsnParameters {
	ret: 'HDRS';
	envid: string;
	notify: NotifyWhen[];
	/** `rfc822;ADDRESS`; absent for an address with non-ASCII characters (RFC 6533 would need `utf-8;`). */
	orcpt?: string;
}

/** What a send asks of the mail system's reports, from the settings (`tracking.*`). */
export interface ReportRequest {
	/** The bounce address; '' for none (the envelope sender is then the From address). */
	returnPath: string;
	verp: boolean;
	delimiter: string;
	notify: NotifyWhen[];
}

/** What the settings ask of reports. */
export function reportRequest(settings: Pick<Settings, 'tracking'>): ReportRequest {
	const {tracking} = settings;
	return {
		returnPath: tracking.returnPath,
		verp: tracking.verp && tracking.returnPath !== '',
		delimiter: tracking.delimiter,
		notify: tracking.notify === 'success,failure,delay' ? ['SUCCESS', 'FAILURE', 'DELAY'] : ['FAILURE', 'DELAY'],
	};
}

/**
 * Refuses, before anything is written or sent, a return path whose VERP addresses cannot be
 * made for a send of `total` recipients (the delimiter already in it, a local part past 64
 * characters): MassmailError 'validation', exit 2.
 */
export function checkReportRequest(request: ReportRequest, total: number, sampleSendId: string): void {
	if (!request.verp || total === 0) {
		return;
	}

	try {
		verpAddress(request.returnPath, sampleSendId, total - 1, request.delimiter);
	} catch (error) {
		throw new MassmailError('validation', `tracking.returnPath: ${(error as Error).message}`, {
			hint: 'set a shorter bounce address (massmail config set tracking.returnPath bounces@example.com), or tracking.verp false',
		});
	}
}

/** Non-ASCII before or after the @: an ORCPT of type rfc822 cannot carry it. */
const nonAscii = /[^\u0000-\u007F]/;

/**
 * The envelope of recipient `index`'s message: the envelope sender (the VERP address, the bounce
 * address, or `from`) and the DSN parameters. The transport sends the parameters only when the
 * server offers DSN.
 *
 * @example
 * envelopeFor({returnPath: 'bounces@example.com', verp: true, delimiter: '+', notify: ['FAILURE', 'DELAY']},
 *   '20260101-120000-ab12cd', 7, 'postmaster@example.com', 'ann@example.com')
 * // {from: 'bounces+20260101-120000-ab12cd.7@example.com', to: 'ann@example.com',
 * //  dsn: {ret: 'HDRS', envid: 'massmail.20260101-120000-ab12cd.7', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;ann@example.com'}}
 */
export function envelopeFor(request: ReportRequest, sendId: string, index: number, from: string, to: string): {from: string; to: string; dsn: DsnParameters} {
	const sender = request.returnPath === ''
		? from
		: (request.verp ? verpAddress(request.returnPath, sendId, index, request.delimiter) : request.returnPath);
	const dsn: DsnParameters = {ret: 'HDRS', envid: envelopeIdFor(sendId, index), notify: request.notify};
	if (!nonAscii.test(to)) {
		dsn.orcpt = `rfc822;${to}`;
	}

	return {from: sender, to, dsn};
}

/**
 * What a run says, once per server, when a server does not offer DSN. `ofSeveral`: the servers
 * named are some of a send's relays, so only the messages they send go without reports.
 */
export function noDsnText(servers: string | readonly string[], ofSeveral = false): string {
	const names = typeof servers === 'string' ? [servers] : servers;
	const verb = names.length > 1 ? 'do' : 'does';
	const which = ofSeveral ? ` the messages ${names.length > 1 ? 'they send' : 'it sends'}` : '';
	return `${names.join(' and ')} ${verb} not offer DSN (RFC 3461): delivery reports are not asked for${which}; bounces still come to the envelope sender, without the envelope id that names the recipient`;
}
