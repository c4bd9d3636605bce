import test from 'ava';
import {addressKey, assertHeaderValue, displayAddress, displayDomain, domainOf, needsSmtpUtf8, normalizeAddress, normalizeDomain, wireAddress} from '../../source/core/address.js';
import {MassmailError} from '../../source/core/errors.js';

test('domains are stored trimmed, lower-case, IDN as punycode; shown in Unicode', t => {
	t.is(normalizeDomain(' Example.COM '), 'example.com');
	t.is(normalizeDomain('Bücher.Example'), 'xn--bcher-kva.example');
	t.is(normalizeDomain('xn--bcher-kva.example'), 'xn--bcher-kva.example');
	t.is(displayDomain('xn--bcher-kva.example'), 'bücher.example');
});

test('a bad domain says why', t => {
	const why = (input: string) => t.throws(() => normalizeDomain(input), {instanceOf: MassmailError})?.message;
	t.is(why('localhost'), 'not a valid domain "localhost": it needs a dot (like example.com)');
	t.is(why('a..com'), 'not a valid domain "a..com": it has an empty label (two dots in a row)');
	t.regex(why('-a.com')!, /the label "-a" may hold only letters, digits and inner hyphens/);
	t.regex(why('a_b.com')!, /the label "a_b"/);
	t.regex(why('a b.com')!, /space/);
	t.regex(why('example.com.')!, /ends with a dot/);
	t.regex(why('1.2.3.4')!, /IP addresses are not supported/);
	t.regex(why(`${'a'.repeat(64)}.com`)!, /longer than 63/);
	t.is(why('   '), 'not a valid domain "": it is empty');
});

test('addresses keep the local part as typed and normalize the domain', t => {
	t.is(normalizeAddress(' Ann.Lee@Example.COM '), 'Ann.Lee@example.com');
	t.is(normalizeAddress('inhaber@Bücher.example'), 'inhaber@xn--bcher-kva.example');
	t.is(normalizeAddress('first+tag@example.com'), 'first+tag@example.com');
	t.is(normalizeAddress('"john doe"@example.com'), '"john doe"@example.com');
	t.is(normalizeAddress('"a@b"@example.com'), '"a@b"@example.com');
	t.is(displayAddress('inhaber@xn--bcher-kva.example'), 'inhaber@bücher.example');
	t.is(domainOf('Ann@example.com'), 'example.com');
	t.is(addressKey('Ann@example.com'), 'ann@example.com');
});

test('a bad address is refused with the reason', t => {
	const why = (input: string) => t.throws(() => normalizeAddress(input), {instanceOf: MassmailError})?.message;
	t.is(why('ann'), 'not a valid address "ann": it has no @');
	t.is(why('@example.com'), 'not a valid address "@example.com": nothing before the @');
	t.is(why('ann@'), 'not a valid address "ann@": nothing after the @');
	t.regex(why('a@b@example.com')!, /more than one @/);
	t.regex(why('.ann@example.com')!, /starts or ends with a dot/);
	t.regex(why('ann..lee@example.com')!, /two dots in a row/);
	t.regex(why('ann lee@example.com')!, /space/);
	t.regex(why(`${'a'.repeat(65)}@example.com`)!, /longer than 64/);
	t.regex(why('ann@localhost')!, /the domain "localhost" is not valid: it needs a dot/);
	t.regex(why('ann\r\n@example.com')!, /line break or control character/);
	t.regex(why('ann(x)@example.com')!, /the character "\(" is not allowed/);
	t.regex(why('"open@example.com')!, /quoted/);
	t.regex(why(`${'ü'.repeat(33)}@example.com`)!, /longer than 64 bytes/);
	t.regex(why('j\u200Börg@example.com')!, /U\+200B/);
});

test('a non-ASCII local part is accepted (SMTPUTF8, RFC 6531); the wire form keeps each address readable on both sides of the @', t => {
	t.is(normalizeAddress('jürgen@Bücher.Example'), 'jürgen@xn--bcher-kva.example');
	t.is(normalizeAddress('用户@例子.广告'), '用户@xn--fsqu00a.xn--4rr70v');
	t.is(normalizeAddress('Jo\u0065\u0301l@example.com'), 'Jo\u00E9l@example.com', 'in NFC');
	t.true(needsSmtpUtf8('jürgen@xn--bcher-kva.example'));
	t.false(needsSmtpUtf8('zoe@xn--bcher-kva.example'));
	t.is(wireAddress('jürgen@xn--bcher-kva.example'), 'jürgen@bücher.example');
	t.is(wireAddress('zoe@bücher.example'), 'zoe@xn--bcher-kva.example');
});

test('a header value with CR, LF or a control character is refused', t => {
	t.notThrows(() => {
		assertHeaderValue('Subject', 'Maintenance tonight – 22:00 ✓');
	});
	for (const bad of ['a\r\nBcc: x@example.com', 'a\nb', 'a\u0000b', 'tab\there', 'a\u007Fb']) {
		const error = t.throws(() => {
			assertHeaderValue('Subject', bad);
		}, {instanceOf: MassmailError});
		t.is(error.kind, 'validation');
		t.true(error.message.startsWith('Subject contains a line break or control character'));
	}
});
