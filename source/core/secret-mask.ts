/**
 * A password kept out of what a server says back. Servers echo what they were sent: a refused
 * AUTH PLAIN quoted as `535 … failed for AGFubgBIdW50ZXIy…` (the base64 of `\0user\0password`),
 * AUTH LOGIN's base64 of the password, or the password itself in a reply after the login. Every
 * reply is masked before it is stored (outcomes.log, reports) or shown, so the record and the
 * terminal never hold the password in any of these forms.
 */

/** What a masked password reads as. */
export const masked = '***';

/** Words of base64 (standard or URL-safe alphabet, padded or not): what a server may quote of an AUTH exchange. */
const base64Word = /[A-Za-z\d+/_-]{4,}={0,2}/g;

/** A prefix of the password this long, at the end of a decoded word, is the start of it cut short (a server quoting 40 characters of a longer line). */
const shortestPrefix = 4;

function decoded(word: string): string {
	return Buffer.from(word.replaceAll('-', '+').replaceAll('_', '/'), 'base64').toString('latin1');
}

/** The password (and, for UTF-8 ones, its bytes as latin1 text, as Buffer#toString('latin1') gives a decoded word). */
function forms(secret: string): string[] {
	const bytes = Buffer.from(secret, 'utf8').toString('latin1');
	return bytes === secret ? [secret] : [secret, bytes];
}

/** Whether a decoded base64 word holds the password, whole, or cut short at its end. */
function holdsSecret(text: string, secret: string): boolean {
	if (text.includes(secret)) {
		return true;
	}

	for (let length = Math.min(secret.length - 1, text.length); length >= Math.min(shortestPrefix, secret.length); length--) {
		if (text.endsWith(secret.slice(0, length))) {
			return true;
		}
	}

	return false;
}

/**
 * A function that masks `secret` in a text: the password itself, and every word of base64 that
 * decodes to text holding it (AUTH PLAIN's `\0user\0password`, AUTH LOGIN's password, an
 * authorization identity before it), or ending with its first characters (a quote cut short).
 * No secret: the text as it is.
 *
 * @example
 * const mask = secretMask('Hunter2Secret');
 * mask('535 5.7.8 failed for AGFubgBIdW50ZXIyU2VjcmV0') // '535 5.7.8 failed for ***'
 * mask('250 ok Hunter2Secret') // '250 ok ***'
 */
export function secretMask(secret: string | undefined): (text: string) => string {
	if (!secret) {
		return text => text;
	}

	const secrets = forms(secret);
	return text => {
		const plain = text.split(secret).join(masked);
		return plain.replaceAll(base64Word, word => {
			const each = decoded(word);
			return secrets.some(form => holdsSecret(each, form)) ? masked : word;
		});
	};
}

/** Removes a password from any text before it is shown or stored (see secretMask). */
export function withoutSecret(text: string, secret: string | undefined): string {
	return secretMask(secret)(text);
}
