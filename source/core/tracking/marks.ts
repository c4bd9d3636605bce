/**
 * The marks massmail puts on each message so that its delivery report finds its way back to the
 * recipient: the envelope id (ENVID, `massmail.SEND_ID.INDEX`) and the VERP return path
 * (`bounces+SEND_ID.INDEX@example.com`), made and read. Pure, and free of the MIME parser of
 * report.ts: the delivery engine makes these for every message.
 */

/** A send id as massmail makes them (`20260101-120000-ab12cd`): letters, digits, `_`, `-`, `.`. */
const sendIdPattern = /^[\w.-]+$/;
/** RFC 3461: an ENVID is at most 100 characters of xtext. */
const maxEnvelopeIdLength = 100;
const envelopeIdPattern = /^massmail\.([\w.-]+)\.(\d{1,9})$/;

function checkSendId(sendId: string, index: number): void {
	if (!sendIdPattern.test(sendId)) {
		throw new RangeError(`Not a send id: ${JSON.stringify(sendId)}`);
	}

	if (!Number.isSafeInteger(index) || index < 0 || index > 999_999_999) {
		throw new RangeError(`Not a recipient index: ${index}`);
	}
}

/**
 * The ENVID of recipient `index`'s message: `massmail.SEND_ID.INDEX`. Its characters need no xtext
 * encoding (no `+`, `=`, spaces or controls), so the report gives it back as it was sent.
 *
 * @example envelopeIdFor('20260101-120000-ab12cd', 7) // 'massmail.20260101-120000-ab12cd.7'
 */
export function envelopeIdFor(sendId: string, index: number): string {
	checkSendId(sendId, index);
	const id = `massmail.${sendId}.${index}`;
	if (id.length > maxEnvelopeIdLength) {
		throw new RangeError(`The envelope id of send ${sendId} would be longer than ${maxEnvelopeIdLength} characters`);
	}

	return id;
}

/**
 * The send and recipient an ENVID (a report's Original-Envelope-Id) names; undefined when it is
 * not one of massmail's (another program's, or none).
 *
 * @example parseEnvelopeId('massmail.20260101-120000-ab12cd.7') // {sendId: '20260101-120000-ab12cd', index: 7}
 */
export function parseEnvelopeId(text: string | undefined): {sendId: string; index: number} | undefined {
	const match = text === undefined ? null : envelopeIdPattern.exec(text.trim());
	return match ? {sendId: match[1], index: Number(match[2])} : undefined;
}

function splitAddress(value: string): {local: string; domain: string} | undefined {
	const at = value.lastIndexOf('@');
	if (at < 1 || at === value.length - 1) {
		return undefined;
	}

	return {local: value.slice(0, at), domain: value.slice(at + 1)};
}

function checkDelimiter(delimiter: string): void {
	if ([...delimiter].length !== 1 || /[\s@<>"\\\u0000-\u001F\u007F]/.test(delimiter)) {
		throw new RangeError(`Not a recipient delimiter: ${JSON.stringify(delimiter)} (one character, e.g. '+')`);
	}
}

/**
 * The VERP return path of recipient `index`: the return path's local part, the server's recipient
 * delimiter, then `SEND_ID.INDEX`. The server delivers it to the return path's mailbox.
 * Refused (RangeError) when the return path's local part holds the delimiter already (Postfix
 * cuts an address at its first delimiter, so the mailbox would be a different one) or the local
 * part would pass RFC 5321's 64 characters.
 *
 * @example verpAddress('bounces@example.com', '20260101-120000-ab12cd', 7, '+') // 'bounces+20260101-120000-ab12cd.7@example.com'
 */
export function verpAddress(returnPath: string, sendId: string, index: number, delimiter: string): string {
	checkSendId(sendId, index);
	checkDelimiter(delimiter);
	const parts = splitAddress(returnPath);
	if (!parts) {
		throw new RangeError(`Not a return path: ${JSON.stringify(returnPath)}`);
	}

	if (parts.local.includes(delimiter)) {
		throw new RangeError(`The return path ${returnPath} already holds the recipient delimiter ${delimiter}: the server would cut the address there`);
	}

	const local = `${parts.local}${delimiter}${sendId}.${index}`;
	if (local.length > 64) {
		throw new RangeError(`The VERP address of ${returnPath} for send ${sendId} would have a local part longer than 64 characters`);
	}

	return `${local}@${parts.domain}`;
}

/**
 * The send and recipient a VERP address (a report's envelope recipient) names, for this return path
 * and delimiter; undefined when it is the return path itself or any other address. The return path's
 * local part and domain compare without case.
 *
 * @example parseVerp('bounces+20260101-120000-ab12cd.7@example.com', 'bounces@example.com', '+') // {sendId: '20260101-120000-ab12cd', index: 7}
 */
export function parseVerp(address: string, returnPath: string, delimiter: string): {sendId: string; index: number} | undefined {
	const parts = splitAddress(address.trim().replace(/^<(.*)>$/, '$1'));
	const base = splitAddress(returnPath);
	if (!parts || !base || parts.domain.toLowerCase() !== base.domain.toLowerCase()) {
		return undefined;
	}

	const prefix = base.local + delimiter;
	if (parts.local.length <= prefix.length || parts.local.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
		return undefined;
	}

	const match = /^([\w.-]+)\.(\d{1,9})$/.exec(parts.local.slice(prefix.length));
	return match ? {sendId: match[1], index: Number(match[2])} : undefined;
}
