import test from 'ava';
import {describeTarget, isLoopbackHost, resolveSmtpTarget} from '../../source/core/smtp-config.js';
import {MassmailError} from '../../source/core/errors.js';
import {defaultSettings} from '../../source/core/settings.js';
import type {Settings} from '../../source/core/types.js';

function settings(smtp: Partial<Settings['smtp']> = {}): Settings {
	const defaults = defaultSettings('example.net');
	return {...defaults, smtp: {host: '', port: 587, tls: 'starttls', user: '', passwordCommand: '', allowUnverifiedTls: false, ...smtp}};
}

test('no host means the local capture server', t => {
	const target = resolveSmtpTarget(settings(), {});
	t.deepEqual(target, {kind: 'capture'});
	t.is(describeTarget(target), 'local capture: nothing leaves this machine');
});

test('the settings name the server', t => {
	const target = resolveSmtpTarget(settings({host: 'smtp.example.com', user: 'mailer'}), {});
	t.like(target, {kind: 'server', host: 'smtp.example.com', port: 587, tls: 'starttls', user: 'mailer', passwordSource: 'none'});
	t.is(describeTarget(target), 'smtp.example.com:587 (STARTTLS)');
});

test('MASSMAIL_SMTP_URL overrides the settings: smtp:// requires STARTTLS, smtps:// is implicit TLS', t => {
	t.like(resolveSmtpTarget(settings({host: 'other'}), {MASSMAIL_SMTP_URL: 'smtp://mailer@mail.example.com:587'}), {host: 'mail.example.com', port: 587, tls: 'starttls', user: 'mailer'});
	const implicit = resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: 'smtps://mail.example.com'});
	t.like(implicit, {port: 465, tls: 'implicit', user: ''});
	t.is(describeTarget(implicit), 'mail.example.com:465 (TLS)');
	t.like(resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: 'smtp://127.0.0.1:2525'}), {tls: 'opportunistic', port: 2525});
	t.like(resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: 'smtp://u%40x@[::1]:25'}), {host: '::1', user: 'u@x'});
});

test('a password is never read from the URL, and never offered over a connection that may stay plain', t => {
	const inUrl = t.throws(() => resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: 'smtp://mailer:hunter2@mail.example.com'}), {instanceOf: MassmailError});
	t.false(inUrl?.message.includes('hunter2'));
	t.throws(() => resolveSmtpTarget(settings({host: 'mail.example.com', tls: 'opportunistic', user: 'mailer'}), {}), {message: /unencrypted/});
	t.notThrows(() => resolveSmtpTarget(settings({host: 'localhost', tls: 'opportunistic', user: 'mailer'}), {}));
	t.throws(() => resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: 'http://x'}), {instanceOf: MassmailError});
});

test('the password comes from MASSMAIL_SMTP_PASSWORD, else from the password command', async t => {
	const fromEnvironment = resolveSmtpTarget(settings({host: 'mail.example.com', user: 'u', passwordCommand: 'echo nope'}), {MASSMAIL_SMTP_PASSWORD: 's3cret'});
	t.is(fromEnvironment.kind === 'server' ? await fromEnvironment.password?.() : undefined, 's3cret');
	const fromCommand = resolveSmtpTarget(settings({host: 'mail.example.com', user: 'u', passwordCommand: 'printf "pa ss\\n\\n"'}), {});
	t.like(fromCommand, {passwordSource: 'command'});
	// One trailing newline is removed, nothing else.
	t.is(fromCommand.kind === 'server' ? await fromCommand.password?.() : undefined, 'pa ss\n');
	// A secret tool that fails may print the secret in its error output: none of it is shown.
	const failing = resolveSmtpTarget(settings({host: 'mail.example.com', user: 'u', passwordCommand: 'echo Hunter2secret >&2; exit 3'}), {});
	const error = await t.throwsAsync(failing.kind === 'server' ? failing.password!() : Promise.resolve(''), {instanceOf: MassmailError});
	t.is(error?.kind, 'auth');
	t.regex(error?.message ?? '', /exit status 3 \(its error output is not shown/);
	t.notRegex(`${error?.message} ${error?.hint}`, /Hunter2/);
});

test('loopback hosts', t => {
	for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) {
		t.true(isLoopbackHost(host), host);
	}

	// A name under .localhost may be resolved through DNS here: not trusted by its name.
	for (const host of ['example.com', '10.0.0.1', '::2', 'localhost.example.com', 'mail.localhost']) {
		t.false(isLoopbackHost(host), host);
	}
});

test('a bad MASSMAIL_SMTP_URL is a usage error that never shows the password, whatever it holds', t => {
	for (const url of ['smtp://bob:Pw9x/secret@127.0.0.1:25', 'smtp://bob:Pw9x:secret@127.0.0.1:99999', 'smtp://bob:Pw9x@secret@127.0.0.1:25', 'smtp://bob:Pw9x secret@127.0.0.1', 'smtp://%ZZ@127.0.0.1:25']) {
		const error = t.throws(() => resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: url}), {instanceOf: MassmailError}, url);
		t.is(error?.kind, 'usage', url);
		t.notRegex(`${error?.message} ${error?.hint}`, /Pw9x|secret/, url);
	}
});

test('MASSMAIL_SMTP_URL: each problem names its part, never the value nor any part of it (issue 21)', t => {
	const cases: Array<[string, string]> = [
		['smtp://ann:Hunter2Secret', 'MASSMAIL_SMTP_URL is not a URL: its port (after the host and ":") is not a number'],
		['Hunter2Secret', 'MASSMAIL_SMTP_URL must start with smtp:// or smtps:// (what it holds is not shown: it may be a password)'],
		['ann:Hunter2Secret', 'MASSMAIL_SMTP_URL must start with smtp:// or smtps:// (what it holds is not shown: it may be a password)'],
		['smtps://mail.example.com?tls=Hunter2Secret', 'MASSMAIL_SMTP_URL has a tls= value that is not one of implicit, starttls, opportunistic (the value is not shown)'],
		['smtp://mail.example.com?pass=Hunter2Secret', 'MASSMAIL_SMTP_URL holds a password in a parameter (?…=); it is never read from there'],
		['smtp://ann:Hunter2@Secret@mail.example.com', 'MASSMAIL_SMTP_URL holds a password after the user name (user:PASSWORD@); it is never read from there'],
		['smtp://ann@mail.example.com:99999', 'MASSMAIL_SMTP_URL is not a URL: its port is above 65535'],
		['smtp://ann@[Hunter2]:25', 'MASSMAIL_SMTP_URL is not a URL: its host in [ ] is not an IPv6 address'],
	];
	for (const [url, message] of cases) {
		const error = t.throws(() => resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: url}), {instanceOf: MassmailError}, url);
		t.is(error?.kind, 'usage', url);
		t.is(error?.message, message, url);
		t.notRegex(`${error?.message} ${error?.hint}`, /Hunter2|\bann\b/, url);
	}

	// tls= still chooses the mode.
	t.like(resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: 'smtp://mail.example.com:465?tls=implicit'}), {tls: 'implicit', port: 465});
});

test('several relays: smtp.host names servers separated by commas, each without a port on smtp.port, all with the TLS mode and user', t => {
	const target = resolveSmtpTarget(settings({host: 'mx1.example.com,mx2.example.com:2525,[2001:db8::1]:26,2001:db8::2', user: 'mailer'}), {});
	t.like(target, {kind: 'server', host: 'mx1.example.com', port: 587, tls: 'starttls', user: 'mailer'});
	t.deepEqual(target.kind === 'server' ? target.servers : [], [
		{host: 'mx1.example.com', port: 587, tls: 'starttls', user: 'mailer'},
		{host: 'mx2.example.com', port: 2525, tls: 'starttls', user: 'mailer'},
		{host: '2001:db8::1', port: 26, tls: 'starttls', user: 'mailer'},
		{host: '2001:db8::2', port: 587, tls: 'starttls', user: 'mailer'},
	]);
	t.is(describeTarget(target), 'mx1.example.com:587, mx2.example.com:2525, [2001:db8::1]:26, [2001:db8::2]:587 (STARTTLS)');
	// One entry: exactly as before.
	t.is(describeTarget(resolveSmtpTarget(settings({host: 'mail.example.com'}), {})), 'mail.example.com:587 (STARTTLS)');
	// A password over a plain connection is refused for any relay off the loopback interface.
	t.throws(() => resolveSmtpTarget(settings({host: 'localhost,mx2.example.com', tls: 'opportunistic', user: 'mailer'}), {}), {message: /password for mx2\.example\.com could travel unencrypted/});
});

test('several relays: MASSMAIL_SMTP_URL holds several URLs, each with its own scheme, port and TLS', t => {
	const target = resolveSmtpTarget(settings({host: 'ignored.example.com'}), {MASSMAIL_SMTP_URL: 'smtps://a@mx1.example.com, smtp://b@mx2.example.com:2525?tls=implicit,smtp://127.0.0.1'});
	t.deepEqual(target.kind === 'server' ? target.servers : [], [
		{host: 'mx1.example.com', port: 465, tls: 'implicit', user: 'a'},
		{host: 'mx2.example.com', port: 2525, tls: 'implicit', user: 'b'},
		{host: '127.0.0.1', port: 25, tls: 'opportunistic', user: ''},
	]);
	t.is(describeTarget(target), 'mx1.example.com:465 (TLS), mx2.example.com:2525 (TLS), 127.0.0.1:25 (STARTTLS when offered)');
});

test('several relays: a wrong entry is named by its place and what is wrong, never repeated', t => {
	const urlError = (url: string) => t.throws(() => resolveSmtpTarget(settings(), {MASSMAIL_SMTP_URL: url}), {instanceOf: MassmailError})!;
	const inSecond = urlError('smtp://mx1.example.com,smtp://mailer:hunter2@mx2.example.com');
	t.regex(inSecond.message, /^MASSMAIL_SMTP_URL's 2nd URL holds a password after the user name/);
	t.false(`${inSecond.message} ${inSecond.hint}`.includes('hunter2'));
	t.regex(urlError('smtp://mx1.example.com,,smtp://mx3.example.com').message, /^MASSMAIL_SMTP_URL's 2nd URL is empty/);
	const notSmtp = urlError('smtp://mx1.example.com,smtp://mx2.example.com,hunter2');
	t.regex(notSmtp.message, /^MASSMAIL_SMTP_URL's 3rd URL must start with smtp:\/\/ or smtps:\/\//);
	t.false(notSmtp.message.includes('hunter2'));
	t.regex(urlError('smtp://mx1.example.com:25,smtp://MX1.example.com:25').message, /2nd URL names a server already in the list/);

	const hostError = (host: string) => t.throws(() => resolveSmtpTarget(settings({host}), {}), {instanceOf: MassmailError})!.message;
	t.regex(hostError('mx1.example.com,mx2.example.com:25x'), /^smtp\.host must be one server or several separated by commas: the 2nd entry has a port that is not a number/);
	t.regex(hostError('mx1.example.com,'), /the 2nd entry is empty/);
	t.regex(hostError('mx1.example.com:0'), /it has a port out of 1–65535/);
	t.regex(hostError('a.example.com,b.example.com,[2001:db8::1'), /the 3rd entry opens a \[ without closing it/);
	t.regex(hostError('a.example.com:25,a.example.com:25'), /the 2nd entry names a server already in the list/);
});
