/**
 * The password masked in what a server says (issue 21, item 3): every form an AUTH exchange sends
 * it in, whole or cut short, and nothing else touched.
 */
import test from 'ava';
import {secretMask, withoutSecret} from '../../source/core/secret-mask.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

test('the password, AUTH PLAIN\'s and AUTH LOGIN\'s base64 of it, padded or not, URL-safe, with an authorization identity: each masked', t => {
	const mask = secretMask('Hunter2Secret');
	t.is(mask('535 5.7.8 failed for Hunter2Secret'), '535 5.7.8 failed for ***');
	t.is(mask(`535 5.7.8 failed for ${b64('\u0000ann\u0000Hunter2Secret')}`), '535 5.7.8 failed for ***');
	t.is(mask(`535 5.7.8 failed for ${b64('ann\u0000ann\u0000Hunter2Secret')}`), '535 5.7.8 failed for ***');
	t.is(mask(`334 got ${b64('Hunter2Secret')}`), '334 got ***');
	t.is(mask(`334 got ${b64('Hunter2Secret').replace(/=+$/, '')}.`), '334 got ***.');
	t.is(mask(`got ${b64('\u0000ann\u0000Hunter2Secret?>').replaceAll('+', '-').replaceAll('/', '_')}`), 'got ***');
});

test('a quote cut short keeps no part of the password: the base64 word ending with its first characters is masked', t => {
	const mask = secretMask('Hunter2Secret');
	// The server: `535 … failed for AGFubgBIdW50ZXIy…` — the base64 of `\0ann\0Hunter2`.
	t.is(mask('535 5.7.8 failed for AGFubgBIdW50ZXIy…'), '535 5.7.8 failed for ***…');
	t.is(mask(`x ${b64('\u0000ann\u0000Hunt')}`), 'x ***');
});

test('a password of non-ASCII characters is masked in its UTF-8 base64 too', t => {
	const mask = secretMask('Pässwörd-ü');
	t.is(mask(`535 failed for ${b64('\u0000ann\u0000Pässwörd-ü')} (Pässwörd-ü)`), '535 failed for *** (***)');
});

test('what does not hold the password is left as it is', t => {
	const mask = secretMask('Hunter2Secret');
	for (const reply of ['250 2.0.0 Ok: queued as 7C9F1', '550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown in virtual mailbox table', `250 ok ${b64('\u0000ann\u0000other-password')}`, '']) {
		t.is(mask(reply), reply);
	}

	t.is(secretMask(undefined)('Hunter2Secret'), 'Hunter2Secret');
	t.is(secretMask('')('Hunter2Secret'), 'Hunter2Secret');
	t.is(withoutSecret('login s3cret failed for s3cret', 's3cret'), 'login *** failed for ***');
});
