import {domainToASCII, domainToUnicode} from 'node:url';
import {MassmailError} from './errors.js';
import {quoted} from './format.js';

const controlCharacter = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

/** true when the text holds CR, LF, a tab or any other control character. */
export function hasControlCharacter(value: string): boolean {
	return controlCharacter.test(value);
}

/**
 * Refuses a value that would break a mail header (header injection) or a terminal line.
 * @example assertHeaderValue('Subject', 'Maintenance\r\nBcc: x@y.z') // throws
 */
export function assertHeaderValue(field: string, value: string): void {
	if (hasControlCharacter(value)) {
		throw new MassmailError('validation', `${field} contains a line break or control character: ${quoted(value)}`, {
			hint: 'Remove the line break (a header value is one line).',
		});
	}
}

const invalid = (message: string) => new MassmailError('validation', message);

// Results of normalizeDomain, since imports and loads see the same few thousand domains over and over.
const domainCache = new Map<string, string>();
const domainLabel = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The one stored form of a domain: trimmed, lower-case, internationalized names
 * as ASCII (punycode A-labels).
 * @example normalizeDomain(' Bücher.Example ') // 'xn--bcher-kva.example'
 */
export function normalizeDomain(input: string): string {
	const cached = domainCache.get(input);
	if (cached !== undefined) {
		return cached;
	}

	const result = computeDomain(input);
	if (domainCache.size > 20_000) {
		domainCache.clear();
	}

	domainCache.set(input, result);
	return result;
}

function computeDomain(input: string): string {
	const trimmed = input.trim().toLowerCase();
	const shown = quoted(input);
	if (trimmed === '') {
		throw invalid('not a valid domain "": it is empty');
	}

	if (hasControlCharacter(trimmed) || /\s/.test(trimmed)) {
		throw invalid(`not a valid domain ${shown}: it contains a space or control character`);
	}

	if (trimmed.startsWith('[')) {
		throw invalid(`not a valid domain ${shown}: address literals are not supported`);
	}

	if (trimmed.endsWith('.')) {
		throw invalid(`not a valid domain ${shown}: it ends with a dot`);
	}

	const ascii = domainToASCII(trimmed);
	if (ascii === '') {
		throw invalid(`not a valid domain ${shown}: not a valid internationalized domain name`);
	}

	if (ascii.length > 253) {
		throw invalid(`not a valid domain ${shown}: longer than 253 characters`);
	}

	const labels = ascii.split('.');
	if (labels.length < 2) {
		throw invalid(`not a valid domain ${shown}: it needs a dot (like example.com)`);
	}

	for (const label of labels) {
		if (label === '') {
			throw invalid(`not a valid domain ${shown}: it has an empty label (two dots in a row)`);
		}

		if (label.length > 63) {
			throw invalid(`not a valid domain ${shown}: the label "${label}" is longer than 63 characters`);
		}

		if (!domainLabel.test(label)) {
			throw invalid(`not a valid domain ${shown}: the label "${label}" may hold only letters, digits and inner hyphens`);
		}
	}

	if (/^\d+$/.test(labels.at(-1)!)) {
		throw invalid(`not a valid domain ${shown}: the last label is a number (IP addresses are not supported)`);
	}

	return ascii;
}

/** The Unicode form of a stored domain, for display. */
export function displayDomain(domain: string): string {
	return domainToUnicode(domain) || domain;
}

// RFC 5322 atext, and (RFC 6532 §3.2) any non-ASCII character but the invisible ones refused below.
const atext = /^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\u0000-\u009F\u00A0\u00AD\u2000-\u200F\u2028-\u202F\u205F-\u206F\u3000\uFEFF])+$/u;
// Printable ASCII except " and \ (qtext), or a backslash pair (quoted-pair).
const quotedContent = /^(?:[\u0020\u0021\u0023-\u005B\u005D-\u007E]|\\[\u0020-\u007E])*$/;

/**
 * Checks a mailbox address and returns its stored form: the local part as typed (in Unicode
 * NFC), the domain as {@link normalizeDomain} makes it.
 * The local part is a dot-atom or a quoted string (RFC 5321), at most 64 bytes; a dot-atom may
 * hold non-ASCII letters (RFC 6531: such an address needs a server that offers SMTPUTF8).
 * @example normalizeAddress('Ann@Bücher.Example') // 'Ann@xn--bcher-kva.example'
 * @example normalizeAddress('jürgen@bücher.example') // 'jürgen@xn--bcher-kva.example'
 */
export function normalizeAddress(input: string): string {
	const trimmed = input.trim();
	const fail = (why: string) => invalid(`not a valid address ${quoted(input)}: ${why}`);
	if (trimmed === '') {
		throw fail('it is empty');
	}

	if (hasControlCharacter(trimmed)) {
		throw fail('it contains a line break or control character');
	}

	const at = trimmed.lastIndexOf('@');
	if (at === -1) {
		throw fail('it has no @');
	}

	const local = trimmed.slice(0, at);
	const domain = trimmed.slice(at + 1);
	if (local === '') {
		throw fail('nothing before the @');
	}

	if (domain === '') {
		throw fail('nothing after the @');
	}

	const nfc = local.normalize('NFC');
	checkLocalPart(nfc, fail);
	let normalized: string;
	try {
		normalized = normalizeDomain(domain);
	} catch (error) {
		// Say what is wrong with the domain, in the address's words.
		const why = (error as Error).message.replace(/^not a valid domain "[^"]*": /, '');
		throw fail(`the domain ${quoted(domain)} is not valid: ${why}`);
	}

	return `${nfc}@${normalized}`;
}

function checkLocalPart(local: string, fail: (why: string) => MassmailError): void {
	if (Buffer.byteLength(local) > 64) {
		throw fail(/^[\u0000-\u007F]*$/.test(local) ? 'the part before the @ is longer than 64 characters' : 'the part before the @ is longer than 64 bytes (in UTF-8)');
	}

	if (local.startsWith('"')) {
		if (local.length < 2 || !local.endsWith('"') || !quotedContent.test(local.slice(1, -1))) {
			throw fail('the quoted part before the @ is not closed or holds a character not allowed there');
		}

		return;
	}

	if (/\s/.test(local)) {
		throw fail('it contains a space');
	}

	if (local.includes('@')) {
		throw fail('it has more than one @');
	}

	if (local.startsWith('.') || local.endsWith('.')) {
		throw fail('the part before the @ starts or ends with a dot');
	}

	if (local.includes('..')) {
		throw fail('the part before the @ has two dots in a row');
	}

	for (const atom of local.split('.')) {
		if (!atext.test(atom)) {
			const bad = [...atom].find(character => !atext.test(character)) ?? atom;
			if (/[\u0080-\u009F\u00A0\u00AD\u2000-\u200F\u2028-\u202F\u205F-\u206F\u3000\uFEFF]/.test(bad)) {
				throw fail(`the character ${JSON.stringify(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not allowed before the @`);
			}

			throw fail(`the character ${JSON.stringify(bad)} is not allowed before the @ (unless quoted)`);
		}
	}
}

/**
 * The identity of an address: two addresses are the same mailbox when their keys are equal.
 * Addresses are unique ignoring case. Expects a normalized address.
 */
export function addressKey(address: string): string {
	return address.toLowerCase();
}

/** The domain of a normalized address. */
export function domainOf(address: string): string {
	return address.slice(address.lastIndexOf('@') + 1);
}

/** The address with its domain in Unicode form, for display. */
export function displayAddress(address: string): string {
	const at = address.lastIndexOf('@');
	return at === -1 ? address : `${address.slice(0, at)}@${displayDomain(address.slice(at + 1))}`;
}

/** True when the address has non-ASCII characters before the @: it needs SMTPUTF8 (RFC 6531). */
export function needsSmtpUtf8(address: string): boolean {
	return /[^\u0000-\u007F]/.test(address.slice(0, address.lastIndexOf('@') + 1));
}

/**
 * The address as a header or an envelope carries it: an ASCII local part with the domain in
 * ASCII (punycode); a non-ASCII local part (SMTPUTF8) with the domain in Unicode, as nodemailer
 * writes it, so that the address reads one way on both sides of the @.
 * @example wireAddress('zoe@bücher.example') // 'zoe@xn--bcher-kva.example'
 * @example wireAddress('jürgen@xn--bcher-kva.example') // 'jürgen@bücher.example'
 */
export function wireAddress(address: string): string {
	const at = address.lastIndexOf('@');
	if (at === -1) {
		return address;
	}

	const domain = address.slice(at + 1);
	const wire = needsSmtpUtf8(address) ? wireDomain(domain, unicodeDomains, domainToUnicode) : wireDomain(domain, asciiDomains, domainToASCII);
	return `${address.slice(0, at)}@${wire || domain}`;
}

/**
 * A send writes every recipient's address twice (envelope and To:), and a directory has far
 * fewer domains than mailboxes: the IDN conversion (1% of the sending process in the delivery
 * bench) is done once per domain. Bounded, so that a directory of many domains cannot grow it
 * without end: when full it starts again.
 */
const wireDomainsKept = 10_000;
const asciiDomains = new Map<string, string>();
const unicodeDomains = new Map<string, string>();

function wireDomain(domain: string, known: Map<string, string>, convert: (domain: string) => string): string {
	let wire = known.get(domain);
	if (wire === undefined) {
		wire = convert(domain);
		if (known.size >= wireDomainsKept) {
			known.clear();
		}

		known.set(domain, wire);
	}

	return wire;
}
