/**
 * The SmarterMail directory source against a stand-in for SmarterMail's web API on 127.0.0.1
 * (test/helpers/smartermail-server.ts): no SmarterMail server can run here.
 */
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {secretsMayGo} from '../../source/core/sources/smartermail-http.js';
import {openSmarterMailSource} from '../../source/core/sources/smartermail-read.js';
import type {SourceMailbox} from '../../source/core/sources/source.js';
import {startSmarterMailStandIn, type SmarterMailStandInOptions, type StandInDomain} from '../helpers/smartermail-server.js';

const password = 'correct horse battery staple';

const domains: StandInDomain[] = [
	{
		name: 'example.com',
		mainDomainAdmin: 'boss',
		users: [
			{userName: 'boss', fullName: 'Bo Boss', isDomainAdmin: true},
			{userName: 'ann', fullName: 'Ann Example'},
			{userName: 'deputy', fullName: 'Dee Deputy', isDomainAdmin: true},
			{userName: 'gone', fullName: 'Gone Away', isDisabled: true},
		],
	},
	{
		name: 'example.org',
		mainDomainAdmin: 'root',
		users: [
			{userName: 'root', isDomainAdmin: true},
			{userName: 'bob', fullName: 'Bob Org'},
		],
	},
	{
		name: 'example.net',
		users: [{userName: 'carol', fullName: 'Carol Net', isDisabled: true, isDomainAdmin: true}],
	},
];

async function withStandIn(options: Partial<SmarterMailStandInOptions>, run: (server: Awaited<ReturnType<typeof startSmarterMailStandIn>>) => Promise<void>): Promise<void> {
	const server = await startSmarterMailStandIn({admin: {user: 'admin', password}, domains, ...options});
	try {
		await run(server);
	} finally {
		await server.close();
	}
}

function byKey(mailboxes: SourceMailbox[]): SourceMailbox[] {
	return [...mailboxes].sort((a, b) => a.key.localeCompare(b.key));
}

test('users, admins, the primary and disabled mailboxes are read across several domains', async t => {
	await withStandIn({}, async server => {
		const source = openSmarterMailSource({url: server.url, user: 'admin', password});
		t.is(source.label, server.url);
		const mailboxes = await source.read({timeoutMs: 10_000});
		t.deepEqual(byKey(mailboxes), [
			{key: 'example.com/ann', email: 'ann@example.com', name: 'Ann Example', role: 'user', disabled: false},
			{key: 'example.com/boss', email: 'boss@example.com', name: 'Bo Boss', role: 'primary', disabled: false},
			{key: 'example.com/deputy', email: 'deputy@example.com', name: 'Dee Deputy', role: 'admin', disabled: false},
			{key: 'example.com/gone', email: 'gone@example.com', name: 'Gone Away', role: 'user', disabled: true},
			{key: 'example.net/carol', email: 'carol@example.net', name: 'Carol Net', role: 'admin', disabled: true},
			{key: 'example.org/bob', email: 'bob@example.org', name: 'Bob Org', role: 'user', disabled: false},
			// No full name: the directory keeps its own.
			{key: 'example.org/root', email: 'root@example.org', role: 'primary', disabled: false},
		]);
	});
});

test('the bearer token goes on every call after the login, and X-SmarterMailDomain on every domain call', async t => {
	await withStandIn({}, async server => {
		await openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 10_000});
		const [login, ...calls] = server.requests;
		t.deepEqual(login, {method: 'POST', path: '/api/v1/auth/authenticate-user', authorization: undefined, domain: undefined});
		t.is(server.tokens.length, 1);
		t.is(calls.length, 1 + domains.length * 2);
		for (const call of calls) {
			t.is(call.authorization, `Bearer ${server.tokens[0]}`, call.path);
		}

		t.deepEqual(calls.filter(call => call.domain === undefined).map(call => call.path), ['/api/v1/settings/sysadmin/domain-names']);
		const domainCalls = calls.filter(call => call.path.startsWith('/api/v1/settings/domain/'));
		t.deepEqual(
			domainCalls.map(call => `${call.domain} ${call.path}`).sort(),
			domains.flatMap(domain => [`${domain.name} /api/v1/settings/domain/domain`, `${domain.name} /api/v1/settings/domain/list-users`]).sort(),
		);
	});
});

test('several domains are read at once, not one after the other', async t => {
	const many: StandInDomain[] = Array.from({length: 12}, (_, index) => ({name: `d${index}.example`, users: [{userName: 'u'}]}));
	await withStandIn({domains: many, slowMs: 100, slowPaths: /^\/api\/v1\/settings\/domain\//}, async server => {
		const mailboxes = await openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 20_000});
		t.is(mailboxes.length, 12);
		t.true(server.peakDomainCalls >= 4, `at most ${server.peakDomainCalls} domain calls at a time`);
		t.true(server.peakDomainCalls <= 16, `${server.peakDomainCalls} domain calls at a time`);
	});
});

test('a refused login fails with auth and SmarterMail\'s own words, and nothing else is asked', async t => {
	await withStandIn({}, async server => {
		const error = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'admin', password: 'wrong'}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
		t.is(error?.kind, 'auth');
		t.regex(error?.message ?? '', /refused the login of admin: USERNAME_OR_PASSWORD_INCORRECT/);
		t.is(server.requests.length, 1);
	});
});

test('a domain user is refused: only a system administrator may list every domain', async t => {
	const withUser: StandInDomain[] = [{name: 'example.com', mainDomainAdmin: 'boss', users: [{userName: 'boss', isDomainAdmin: true, password: 'boss-password'}]}];
	await withStandIn({domains: withUser}, async server => {
		const error = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'boss@example.com', password: 'boss-password'}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
		t.is(error?.kind, 'auth');
		t.regex(error?.message ?? '', /not as a system administrator/);
	});
});

test('an unreachable server fails with connection', async t => {
	const closed = http.createServer();
	await new Promise<void>(resolve => {
		closed.listen(0, '127.0.0.1', () => {
			resolve();
		});
	});
	const {port} = closed.address() as AddressInfo;
	await new Promise<void>(resolve => {
		closed.close(() => {
			resolve();
		});
	});

	const error = await t.throwsAsync(openSmarterMailSource({url: `http://127.0.0.1:${port}`, user: 'admin', password}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.regex(error?.message ?? '', /cannot reach SmarterMail at http:\/\/127\.0\.0\.1:\d+ \(POST api\/v1\/auth\/authenticate-user\)/);
});

test('a server too slow to answer: the read ends at its deadline with connection', async t => {
	await withStandIn({slowMs: 120_000, slowPaths: /domain-names/}, async server => {
		const error = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 500}), {instanceOf: MassmailError});
		t.is(error?.kind, 'connection');
		t.is(error?.message, `SmarterMail at ${server.url} did not finish within 0.5 s (waiting for GET api/v1/settings/sysadmin/domain-names)`);
	});
});

test('the caller\'s signal stops a read', async t => {
	await withStandIn({slowMs: 120_000, slowPaths: /domain-names/}, async server => {
		const controller = new AbortController();
		const reading = openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 60_000, signal: controller.signal});
		setTimeout(() => {
			controller.abort();
		}, 200);
		const error = await t.throwsAsync(reading, {instanceOf: MassmailError});
		t.is(error?.kind, 'interrupted');
		t.is(error?.message, `reading the directory from SmarterMail at ${server.url} was cancelled`);
	});
});

test('a 500 on one domain fails the whole read with connection, naming the call', async t => {
	await withStandIn({serverError: /list-users\?domain=example\.org$/}, async server => {
		const error = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
		t.is(error?.kind, 'connection');
		t.regex(error?.message ?? '', /failed on GET api\/v1\/settings\/domain\/list-users for example\.org: HTTP 500 Internal Server Error: An unexpected error occurred/);
	});
});

test('a reply of an unexpected shape fails with validation, naming the call', async t => {
	await withStandIn({malformed: /domain-names/}, async server => {
		const error = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
		t.is(error?.kind, 'validation');
		t.regex(error?.message ?? '', /unexpected reply to GET api\/v1\/settings\/sysadmin\/domain-names: data is not a list of domain names/);
	});

	await withStandIn({malformed: /list-users\?domain=example\.net$/}, async server => {
		const error = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
		t.is(error?.kind, 'validation');
		t.regex(error?.message ?? '', /GET api\/v1\/settings\/domain\/list-users for example\.net: userData is not a list/);
	});
});

test('neither the password nor the token is ever in a message, even when the server repeats them', async t => {
	await withStandIn({echoSecrets: true}, async server => {
		const refused = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'admin', password: 'wrong-but-secret'}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
		t.regex(refused?.message ?? '', /USERNAME_OR_PASSWORD_INCORRECT\|\*\*\*/);
		t.false(refused?.message.includes('wrong-but-secret'));
	});

	await withStandIn({echoSecrets: true, serverError: /list-users/}, async server => {
		const failed = await t.throwsAsync(openSmarterMailSource({url: server.url, user: 'admin', password}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
		t.is(server.tokens.length, 1);
		t.regex(failed?.message ?? '', /token Bearer \*\*\*/);
		t.false(failed?.message.includes(server.tokens[0]));
		t.false(failed?.message.includes(password));
	});
});

test('secrets go over https to any address, over plain http only to a loopback address', t => {
	t.true(secretsMayGo('https:', '203.0.113.5'));
	t.true(secretsMayGo('https:', '127.0.0.1'));
	t.true(secretsMayGo('http:', '127.0.0.1'));
	t.true(secretsMayGo('http:', '127.8.9.10'));
	t.true(secretsMayGo('http:', '::1'));
	t.true(secretsMayGo('http:', '::ffff:127.0.0.1'));
	t.false(secretsMayGo('http:', '203.0.113.5'));
	t.false(secretsMayGo('http:', '10.0.0.1'));
	t.false(secretsMayGo('http:', '::ffff:10.0.0.1'));
	t.false(secretsMayGo('http:', 'fe80::1'));
	t.false(secretsMayGo('ftp:', '127.0.0.1'));
});

test('plain http to a name is allowed when the name resolves to loopback', async t => {
	await withStandIn({}, async server => {
		const source = openSmarterMailSource({url: `http://localhost:${server.port}`, user: 'admin', password});
		t.is((await source.read({timeoutMs: 10_000})).length, 7);
	});
});

test('plain http to an address that is not loopback is refused before anything is sent', async t => {
	// 192.0.2.1 is TEST-NET-1: were anything sent, the read would hang to its deadline instead.
	const error = await t.throwsAsync(openSmarterMailSource({url: 'http://192.0.2.1:9998', user: 'admin', password}).read({timeoutMs: 10_000}), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.regex(error?.message ?? '', /plain http to 192\.0\.2\.1, not a loopback address: the password is not sent/);
	t.false(error?.message.includes(password));
});

test('a URL that is not http(s), or holds a password, is refused when the source is opened', t => {
	t.throws(() => openSmarterMailSource({url: 'ftp://mail.example.com', user: 'admin', password}), {instanceOf: MassmailError, message: /must be https:\/\//});
	const inUrl = t.throws(() => openSmarterMailSource({url: 'https://admin:hunter2@mail.example.com', user: 'admin', password}), {instanceOf: MassmailError});
	t.false(inUrl?.message.includes('hunter2'));
	t.is(openSmarterMailSource({url: 'https://mail.example.com/', user: 'admin', password}).label, 'https://mail.example.com');
});
