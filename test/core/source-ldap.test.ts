/**
 * The LDAP directory source against a real slapd (test/helpers/ldap-server.ts), its tree laid out
 * and marked as iRedMail does: domains under o=domains, users with accountStatus, enabledService
 * domainadmin and domainGlobalAdmin. One server without TLS and one with StartTLS that refuses a
 * simple bind in clear are shared by the file.
 */
import net from 'node:net';
import test from 'ava';
import {Client} from 'ldapts';
import {MassmailError} from '../../source/core/errors.js';
import {ldapTlsDecision, openLdapSource, type LdapSourceOptions} from '../../source/core/sources/ldap-read.js';
import type {SourceMailbox} from '../../source/core/sources/source.js';
import {freePort} from '../../bench/lib/postfix.js';
import {ldapBase, ldapDomainLdif, ldapUserLdif, startLdapServer, type LdapServer} from '../helpers/ldap-server.js';
import {ownNonLoopbackAddress} from '../helpers/network.js';

// iRedMail's marks, as the README shows them.
const iredmail = {
	filter: '(&(objectClass=mailUser)(mail=*))',
	disabledFilter: '(|(!(accountStatus=active))(domainStatus=disabled))',
	adminFilter: '(enabledService=domainadmin)',
	primaryFilter: '(domainGlobalAdmin=yes)',
};

const fillers = 1200;
const sizeLimit = 100;

function tree(): string {
	let ldif = ldapDomainLdif('a.test', ldapBase, {admins: ['bob@a.test']})
		+ ldapUserLdif({mail: 'ann@a.test', name: 'Ann Archer', globalAdmin: true})
		+ ldapUserLdif({mail: 'bob@a.test', name: 'Bob Baker', admin: true})
		+ ldapUserLdif({mail: 'cid@a.test', name: 'Cid Cole'})
		+ ldapUserLdif({mail: 'dee@a.test', name: 'Dee Dunn', disabled: true})
		+ ldapUserLdif({mail: 'eve@a.test'})
		+ ldapDomainLdif('b.test', ldapBase, {disabled: true})
		+ ldapUserLdif({mail: 'fay@b.test', name: 'Fay Fox', admin: true, domainDisabled: true})
		+ ldapUserLdif({mail: 'Hal@B.test', name: 'Hal Hunt', moreMail: ['hal.hunt@b.test']})
		+ ldapDomainLdif('broken.test')
		+ ldapUserLdif({mail: 'nomail@broken.test', name: 'No Mail', noMail: true})
		+ ldapDomainLdif('c.test');
	for (let index = 0; index < fillers; index++) {
		ldif += ldapUserLdif({mail: `user${index}@c.test`, name: `User ${index}`});
	}

	return ldif;
}

let plain: LdapServer;
let secured: LdapServer;

test.before(async () => {
	[plain, secured] = await Promise.all([
		startLdapServer({ldif: tree(), sizeLimit}),
		startLdapServer({ldif: tree(), sizeLimit, startTls: true, requireTlsForBind: true}),
	]);
});

test.after.always(async () => {
	await Promise.all([plain?.stop(), secured?.stop()]);
});

function reader(server: LdapServer, more: Partial<LdapSourceOptions> = {}): LdapSourceOptions {
	return {url: server.url, bindDn: server.readerDn, password: server.readerPassword, base: server.base, ...more};
}

async function failure(promise: Promise<unknown>): Promise<MassmailError> {
	const error = await promise.then(() => undefined, (error: unknown) => error);
	if (!(error instanceof MassmailError)) {
		throw new Error(`expected a MassmailError, got ${error === undefined ? 'success' : String(error)}`);
	}

	return error;
}

const byEmail = (mailboxes: SourceMailbox[]) => new Map(mailboxes.map(mailbox => [mailbox.email, mailbox]));
const dn = (mail: string) => `mail=${mail},ou=Users,domainName=${mail.split('@')[1]!.toLowerCase()},${ldapBase}`;

test.serial('reads every mailbox of every domain, with names, iRedMail\'s admins, primary and disabled marks', async t => {
	const source = openLdapSource(reader(plain, iredmail));
	t.is(source.label, plain.url);
	const mailboxes = await source.read({timeoutMs: 20_000});
	t.is(mailboxes.length, fillers + 7);
	const found = byEmail(mailboxes);
	t.deepEqual(found.get('ann@a.test'), {key: dn('ann@a.test'), email: 'ann@a.test', name: 'Ann Archer', role: 'primary', disabled: false});
	t.deepEqual(found.get('bob@a.test'), {key: dn('bob@a.test'), email: 'bob@a.test', name: 'Bob Baker', role: 'admin', disabled: false});
	t.deepEqual(found.get('cid@a.test'), {key: dn('cid@a.test'), email: 'cid@a.test', name: 'Cid Cole', role: 'user', disabled: false});
	t.deepEqual(found.get('dee@a.test'), {key: dn('dee@a.test'), email: 'dee@a.test', name: 'Dee Dunn', role: 'user', disabled: true});
	// No cn: an empty name, not a missing one (the source supplies names).
	t.deepEqual(found.get('eve@a.test'), {key: dn('eve@a.test'), email: 'eve@a.test', name: '', role: 'user', disabled: false});
	// A user of a disabled domain (domainStatus) is disabled too.
	t.deepEqual(found.get('fay@b.test'), {key: dn('fay@b.test'), email: 'fay@b.test', name: 'Fay Fox', role: 'admin', disabled: true});
	// Several mail values: the first, spelled as the server holds it (the sync normalises).
	t.deepEqual(found.get('Hal@B.test'), {key: `mail=Hal@B.test,ou=Users,domainName=b.test,${ldapBase}`, email: 'Hal@B.test', name: 'Hal Hunt', role: 'user', disabled: false});
	t.deepEqual(found.get('user1199@c.test'), {key: dn('user1199@c.test'), email: 'user1199@c.test', name: 'User 1199', role: 'user', disabled: false});
	t.is(mailboxes.filter(mailbox => mailbox.role === 'primary').length, 1);
	t.is(mailboxes.filter(mailbox => mailbox.disabled).length, 2);
});

test.serial('without marking filters the source says nothing of roles and disabled, and the default filter is (mail=*)', async t => {
	const mailboxes = await openLdapSource(reader(plain, {base: `domainName=a.test,${ldapBase}`})).read({timeoutMs: 20_000});
	t.deepEqual(mailboxes.map(mailbox => mailbox.email).sort(), ['ann@a.test', 'bob@a.test', 'cid@a.test', 'dee@a.test', 'eve@a.test']);
	for (const mailbox of mailboxes) {
		t.false('role' in mailbox, mailbox.email);
		t.false('disabled' in mailbox, mailbox.email);
	}
});

test.serial('mailAttribute and nameAttribute choose other attributes', async t => {
	const mailboxes = await openLdapSource(reader(plain, {base: `domainName=a.test,${ldapBase}`, filter: '(uid=*)', mailAttribute: 'MAIL', nameAttribute: 'sn'})).read({timeoutMs: 20_000});
	t.is(byEmail(mailboxes).get('ann@a.test')?.name, 'Archer');
});

test.serial('a tree larger than the server\'s size limit needs paged results, and the read pages through it', async t => {
	// The need: the same search without paging stops at the server's limit.
	const client = new Client({url: plain.url});
	t.teardown(async () => client.unbind());
	await client.bind(plain.readerDn, plain.readerPassword);
	const unpaged = await client.search(plain.base, {filter: '(mail=*)', attributes: ['mail']}).then(() => undefined, (error: unknown) => error as Error);
	t.is(unpaged?.name, 'SizeLimitExceededError');

	// Pages smaller than the server's limit, so that each is answered and the read follows the cookie.
	const mailboxes = await openLdapSource(reader(plain, {...iredmail, pageSize: sizeLimit - 1})).read({timeoutMs: 20_000});
	t.is(mailboxes.length, fillers + 7);
	t.is(new Set(mailboxes.map(mailbox => mailbox.key)).size, fillers + 7);
});

test.serial('StartTLS is used when the server offers it: a server that refuses a bind in clear is read', async t => {
	// The server really refuses a simple bind without TLS.
	const client = new Client({url: secured.url});
	t.teardown(async () => client.unbind());
	const clear = await client.bind(secured.readerDn, secured.readerPassword).then(() => undefined, (error: unknown) => error as Error);
	t.is(clear?.name, 'ConfidentialityRequiredError');

	const mailboxes = await openLdapSource(reader(secured, {...iredmail, caFile: secured.caFile})).read({timeoutMs: 20_000});
	t.is(mailboxes.length, fillers + 7);
	// The certificate names localhost too: the name given is the one checked.
	const byName = await openLdapSource(reader(secured, {url: `ldap://localhost:${secured.port}`, base: `domainName=a.test,${ldapBase}`, caFile: secured.caFile})).read({timeoutMs: 20_000});
	t.is(byName.length, 5);
});

test.serial('the server\'s certificate is verified: without its CA the read fails before any login', async t => {
	const error = await failure(openLdapSource(reader(secured)).read({timeoutMs: 20_000}));
	t.is(error.kind, 'connection');
	t.regex(error.message, /^TLS with the LDAP server ldap:\/\/127\.0\.0\.1:\d+ failed: .*(certificate|issuer)/i);
	t.regex(error.hint ?? '', /directory\.ldap\.caFile/);
});

test.serial('ldaps:// to a server that speaks no TLS is a connection error about TLS', async t => {
	const error = await failure(openLdapSource(reader(plain, {url: `ldaps://127.0.0.1:${plain.port}`})).read({timeoutMs: 20_000}));
	t.is(error.kind, 'connection');
	t.regex(error.message, new RegExp(`^TLS with the LDAP server ldaps://127\\.0\\.0\\.1:${plain.port} failed: `));
});

test.serial('a CA file that cannot be read is a validation error', async t => {
	const error = await failure(openLdapSource(reader(secured, {caFile: '/nonexistent/ca.pem'})).read({timeoutMs: 20_000}));
	t.is(error.kind, 'validation');
	t.is(error.message, 'directory.ldap.caFile: /nonexistent/ca.pem cannot be read: ENOENT: no such file or directory');
});

test('the TLS rule: StartTLS whenever offered; a password goes in clear only to a loopback address', t => {
	const decide = (secure: boolean, startTlsOffered: boolean, passwordBind: boolean, peerAddress: string | undefined) => ldapTlsDecision({secure, startTlsOffered, passwordBind, peerAddress});
	t.is(decide(true, false, true, '192.0.2.7'), 'implicit');
	t.is(decide(false, true, true, '192.0.2.7'), 'starttls');
	t.is(decide(false, true, false, '127.0.0.1'), 'starttls');
	t.is(decide(false, false, true, '192.0.2.7'), 'refuse');
	t.is(decide(false, false, true, '2001:db8::1'), 'refuse');
	t.is(decide(false, false, true, '::ffff:192.0.2.7'), 'refuse');
	t.is(decide(false, false, true, undefined), 'refuse');
	t.is(decide(false, false, false, '192.0.2.7'), 'plain');
	t.is(decide(false, false, true, '127.0.0.1'), 'plain');
	t.is(decide(false, false, true, '127.3.4.5'), 'plain');
	t.is(decide(false, false, true, '::1'), 'plain');
	t.is(decide(false, false, true, '::ffff:127.0.0.1'), 'plain');
});

test('a password is not sent to a server off loopback that offers no StartTLS', async t => {
	const address = ownNonLoopbackAddress();
	if (address === undefined) {
		t.fail('this machine has no non-loopback IPv4 address to run the server on');
		return;
	}

	const server = await startLdapServer({host: address, ldif: ldapDomainLdif('a.test') + ldapUserLdif({mail: 'ann@a.test', name: 'Ann'})});
	t.teardown(async () => server.stop());
	const error = await failure(openLdapSource(reader(server)).read({timeoutMs: 20_000}));
	t.is(error.kind, 'connection');
	t.is(error.message, `the LDAP server ${server.url} (${address}) offers no StartTLS: the password is not sent over an unencrypted connection`);
	// Without a password nothing is secret: the read goes ahead, to the search (which the server's
	// rules hide from an anonymous reader).
	const anonymous = await failure(openLdapSource({url: server.url, base: server.base}).read({timeoutMs: 20_000}));
	t.is(anonymous.message, `the LDAP server ${server.url} refused the search of ${server.base} with (mail=*): no such object (LDAP result 32)`);
});

test.serial('a refused login is an auth error naming the DN, never the password', async t => {
	const wrong = await failure(openLdapSource(reader(plain, {password: 'Wrong-Secret-42'})).read({timeoutMs: 20_000}));
	t.is(wrong.kind, 'auth');
	t.is(wrong.message, `the LDAP server ${plain.url} refused the login of ${plain.readerDn}: invalid credentials (LDAP result 49)`);
	t.false(JSON.stringify({message: wrong.message, hint: wrong.hint, details: wrong.details}).includes('Wrong-Secret-42'));

	const unknown = await failure(openLdapSource(reader(plain, {bindDn: `cn=nobody,${plain.suffix}`})).read({timeoutMs: 20_000}));
	t.is(unknown.kind, 'auth');
	t.false(unknown.message.includes(plain.readerPassword));

	const empty = await failure(openLdapSource(reader(plain, {password: ''})).read({timeoutMs: 20_000}));
	t.is(empty.kind, 'auth');
	t.regex(empty.message, /unauthenticated bind \(DN with no password\) disallowed/);
});

test('an unreachable server is a connection error', async t => {
	const port = await freePort();
	const error = await failure(openLdapSource({url: `ldap://127.0.0.1:${port}`, base: ldapBase}).read({timeoutMs: 5000}));
	t.is(error.kind, 'connection');
	t.regex(error.message, new RegExp(`^cannot reach the LDAP server ldap://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
});

test.serial('a bad filter or base is a validation error in the server\'s words or the filter\'s', async t => {
	// ldapts would complete this one and send it; a server would refuse it.
	const unclosed = await failure(openLdapSource(reader(plain, {filter: '(&(objectClass=mailUser)(mail=*)'})).read({timeoutMs: 20_000}));
	t.is(unclosed.kind, 'validation');
	t.is(unclosed.message, 'directory.ldap.filter is not an LDAP filter: a "(" is never closed: (&(objectClass=mailUser)(mail=*)');

	const marker = await failure(openLdapSource(reader(plain, {adminFilter: '(enabledService=domainadmin))'})).read({timeoutMs: 20_000}));
	t.is(marker.kind, 'validation');
	t.is(marker.message, 'directory.ldap.adminFilter is not an LDAP filter: a ")" closes nothing: (enabledService=domainadmin))');

	const nonsense = await failure(openLdapSource(reader(plain, {disabledFilter: '(=disabled)'})).read({timeoutMs: 20_000}));
	t.is(nonsense.kind, 'validation');
	t.regex(nonsense.message, /^directory\.ldap\.disabledFilter is not an LDAP filter: Invalid attribute name/);

	const missing = await failure(openLdapSource(reader(plain, {base: `o=nowhere,${plain.suffix}`})).read({timeoutMs: 20_000}));
	t.is(missing.kind, 'validation');
	t.is(missing.message, `the LDAP server ${plain.url} refused the search of o=nowhere,${plain.suffix} with (mail=*): no such object (LDAP result 32)`);

	const garbage = await failure(openLdapSource(reader(plain, {base: 'not a dn'})).read({timeoutMs: 20_000}));
	t.is(garbage.kind, 'validation');
	t.regex(garbage.message, /refused the search of not a dn with \(mail=\*\): invalid DN \(invalid DN syntax, LDAP result 34\)$/);
});

test.serial('an entry the filter returns without a mail value fails the read, naming its DN', async t => {
	const error = await failure(openLdapSource(reader(plain, {base: `domainName=broken.test,${ldapBase}`, filter: '(uid=*)'})).read({timeoutMs: 20_000}));
	t.is(error.kind, 'validation');
	const entry = `uid=nomail,ou=Users,domainName=broken.test,${ldapBase}`;
	t.is(error.message, `an entry of ${plain.url} has no mail: ${entry}`);
	t.deepEqual(error.details, [`${entry}: no mail`]);
});

test('a URL with a password in it, or of another scheme, is refused before anything is contacted', t => {
	t.throws(() => openLdapSource({url: 'ldap://cn=admin:secret@127.0.0.1', base: ldapBase}), {instanceOf: MassmailError, message: /holds a user or password/});
	t.throws(() => openLdapSource({url: 'http://127.0.0.1', base: ldapBase}), {instanceOf: MassmailError, message: /must start with ldap:\/\/ or ldaps:\/\//});
	t.is(openLdapSource({url: 'ldaps://ldap.example.com:636', base: ldapBase}).label, 'ldaps://ldap.example.com:636');
});

/** A TCP server that accepts and never answers; counts the connections still open. */
async function startSilentServer(): Promise<{port: number; open: () => number; close: () => Promise<void>}> {
	const sockets = new Set<net.Socket>();
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		// Read (and ignore) what comes: a socket never read from never sees the other end close.
		socket.resume();
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		open: () => sockets.size,
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise(resolve => server.close(resolve));
		},
	};
}

async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const settled = await Promise.race([
		promise.then(() => true, () => true),
		new Promise<boolean>(resolve => {
			timer = setTimeout(() => resolve(false), ms);
		}),
	]);
	clearTimeout(timer);
	return settled;
}

test('the deadline ends a read from a server that never answers, and closes the connection', async t => {
	const silent = await startSilentServer();
	t.teardown(async () => silent.close());
	const read = openLdapSource({url: `ldap://127.0.0.1:${silent.port}`, bindDn: 'cn=vmail,dc=example,dc=test', password: 'x', base: ldapBase}).read({timeoutMs: 300});
	t.true(await settledWithin(read, 15_000), 'the read did not end');
	const error = await failure(read);
	t.is(error.kind, 'connection');
	t.regex(error.message, /did not finish within 0\.3 s \(still connecting and logging in\)$/);
	for (let wait = 0; wait < 100 && silent.open() > 0; wait++) {
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	t.is(silent.open(), 0);
});

test('an abort ends the read as interrupted', async t => {
	const silent = await startSilentServer();
	t.teardown(async () => silent.close());
	const controller = new AbortController();
	const read = openLdapSource({url: `ldap://127.0.0.1:${silent.port}`, base: ldapBase}).read({timeoutMs: 60_000, signal: controller.signal});
	setTimeout(() => controller.abort(), 100);
	t.true(await settledWithin(read, 15_000), 'the read did not end');
	const error = await failure(read);
	t.is(error.kind, 'interrupted');
	t.is(error.message, `reading the directory from the LDAP server ldap://127.0.0.1:${silent.port} was cancelled`);
});

/** Forwards to `port`, but passes on only the first `bytes` bytes of the server's answers, then holds the rest. */
async function startStallingProxy(port: number, bytes: number): Promise<{port: number; close: () => Promise<void>}> {
	const sockets = new Set<net.Socket>();
	const server = net.createServer(client => {
		const upstream = net.connect(port, '127.0.0.1');
		let passed = 0;
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.on('error', () => undefined);
			socket.on('close', () => {
				client.destroy();
				upstream.destroy();
			});
		}

		client.pipe(upstream);
		upstream.on('data', (chunk: Buffer) => {
			const room = bytes - passed;
			if (room > 0) {
				client.write(chunk.subarray(0, room));
				passed += Math.min(room, chunk.length);
			}
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise(resolve => server.close(resolve));
		},
	};
}

test.serial('the deadline also ends a read whose server stops answering in the middle of the search', async t => {
	// Enough for the Root DSE and the bind, and part of the first page of 500 entries (~70 KB);
	// a deadline long enough for a loaded machine to get that far.
	const proxy = await startStallingProxy(plain.port, 20_000);
	t.teardown(async () => proxy.close());
	const read = openLdapSource(reader(plain, {...iredmail, url: `ldap://127.0.0.1:${proxy.port}`})).read({timeoutMs: 3000});
	t.true(await settledWithin(read, 15_000), 'the read did not end');
	const error = await failure(read);
	t.is(error.kind, 'connection');
	t.is(error.message, `the LDAP server ldap://127.0.0.1:${proxy.port} did not finish within 3 s (waiting for the search of ${ldapBase} with ${iredmail.filter})`);
});
