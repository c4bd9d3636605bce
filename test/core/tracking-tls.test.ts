/**
 * The fold over TLS against a real Dovecot serving IMAPS and STARTTLS with a certificate a private
 * CA of the test's own signed (test/helpers/imap-server.ts `tls`): the bounce mailbox is reached
 * as `massmail track` reaches it, from the settings (tracking.imap.tls, .caFile,
 * .allowUnverifiedTls) through trackingTarget. Verified with the CA, the report is folded (the
 * recipient's state recorded, the message in massmail/processed, read back over IMAP); without
 * it, or with a certificate for another name, it is a connection error that says what to set,
 * records nothing and never shows the password; STARTTLS required of a server that does not offer
 * it fails before the password is sent (the client's bytes recorded by a proxy in front of it).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {reportsFile, SendLog} from '../../source/core/journal.js';
import {defaultSettings} from '../../source/core/settings.js';
import {foldReports, processedFolder, type FoldSummary} from '../../source/core/tracking/fold.js';
import {trackingTarget} from '../../source/core/tracking/target.js';
import type {TrackingSettings} from '../../source/core/types.js';
import {bounceUser, folderMessages, imapClient, startBounceMailbox, type BounceMailbox} from '../helpers/bounce-mailbox.js';
import {startImapServer, type ImapServer} from '../helpers/imap-server.js';
import {messageIds, postfixBounce} from '../helpers/report-messages.js';
import {acceptedSend} from '../helpers/send-records.js';
import {tempFolder} from '../helpers/temp-dir.js';

const full = 'full@example.com';

interface TlsMailbox {
	/** The bounce mailbox and its Dovecot without TLS (what the test reads back with). */
	mailbox: BounceMailbox;
	/** A second Dovecot on the same Maildir: IMAPS on `tls.imapsPort`, STARTTLS on `port`. */
	server: ImapServer;
	imapsPort: number;
	caFile: string;
	password: string;
	sends: SendLog;
	/** The send whose recipient 0 (full@example.com) the report in the inbox bounces. */
	id: string;
}

/** A send of one recipient, accepted by the server, and Postfix's bounce of it in the bounce mailbox served over TLS. */
async function tlsMailbox(t: ExecutionContext, names?: string[]): Promise<TlsMailbox> {
	const mailbox = await startBounceMailbox(t);
	const {password} = mailbox.login();
	const server = await startImapServer({users: [{user: bounceUser, password, maildir: mailbox.maildir}], tls: names ? {names} : {}});
	t.teardown(async () => server.stop());
	const sends = new SendLog(tempFolder(t, 'massmail-fold-tls-'));
	const {record, release} = await acceptedSend(sends, [full]);
	release();
	mailbox.deliver([postfixBounce(record.id, 0, full, 1)]);
	return {mailbox, server, imapsPort: server.tls!.imapsPort, caFile: server.tls!.caFile, password, sends, id: record.id};
}

/** The fold as `massmail track` makes it: from the settings, the password from the environment. */
async function fold(box: Pick<TlsMailbox, 'password' | 'sends'>, imap: Partial<TrackingSettings['imap']> & {port: number}, deadlineMs = 15_000): Promise<FoldSummary> {
	const settings = defaultSettings('example.com');
	const target = trackingTarget({tracking: {
		...settings.tracking,
		returnPath: bounceUser,
		imap: {...settings.tracking.imap, host: '127.0.0.1', user: bounceUser, ...imap},
	}}, {MASSMAIL_TRACKING_PASSWORD: box.password});
	if (!target.configured) {
		throw new Error('expected tracking to be set up');
	}

	return foldReports({imap: target.imap, returnPath: target.returnPath, delimiter: target.delimiter, sends: box.sends, deadlineMs});
}

function reportsLog(box: TlsMailbox): string {
	try {
		return fs.readFileSync(path.join(box.sends.sendsDir, box.id, reportsFile), 'utf8');
	} catch {
		return '';
	}
}

/** The mailbox read back over IMAP (the instance without TLS): the Message-IDs in the inbox and in massmail/processed. */
async function mailboxContents(t: ExecutionContext, box: TlsMailbox): Promise<{inbox: string[]; processed: string[]}> {
	const client = await imapClient(box.mailbox.login());
	t.teardown(async () => client.logout().catch(() => undefined));
	const ids = async (folder: string | string[]) => (await folderMessages(client, folder)).map(each => each.messageId);
	return {inbox: await ids('INBOX'), processed: await ids(processedFolder)};
}

/** The report folded: the recipient bounced in the record, the report moved to massmail/processed. */
async function assertFolded(t: ExecutionContext, box: TlsMailbox, summary: FoldSummary): Promise<void> {
	t.like(summary, {looked: 1, folded: 1, unmatched: 0});
	t.like(box.sends.deliveries(box.id).recipients[0], {state: 'bounced', status: '5.2.2', diagnostic: 'mailbox full'});
	t.deepEqual(await mailboxContents(t, box), {inbox: [], processed: [messageIds.postfixBounce(1)]});
}

/** Nothing recorded and the report still in the inbox. */
async function assertNothingFolded(t: ExecutionContext, box: TlsMailbox): Promise<void> {
	t.is(reportsLog(box), '');
	t.like(box.sends.deliveries(box.id).recipients[0], {state: 'accepted', status: null});
	t.deepEqual(await mailboxContents(t, box), {inbox: [messageIds.postfixBounce(1)], processed: []});
}

/** Dovecot's log lines of logins that succeeded (`imap-login: Info: Login: user=<…>, …, TLS, …`). */
function logins(server: ImapServer): string[] {
	return server.logLines().filter(line => /imap-login: Info: Login: /.test(line));
}

function assertNoPassword(t: ExecutionContext, error: MassmailError | undefined, password: string): void {
	t.false(`${error?.message} ${error?.hint} ${String(error?.details ?? '')}`.includes(password));
}

test('implicit TLS on the IMAPS port with tracking.imap.caFile: the certificate verifies and the report is folded', async t => {
	const box = await tlsMailbox(t);
	await assertFolded(t, box, await fold(box, {port: box.imapsPort, tls: 'implicit', caFile: box.caFile}));
	t.regex(logins(box.server).join('\n'), new RegExp(`user=<${bounceUser}>, method=PLAIN, .*\\bTLS\\b`));
});

test('STARTTLS on the IMAP port with tracking.imap.caFile: upgraded before the login, the report is folded', async t => {
	const box = await tlsMailbox(t);
	await assertFolded(t, box, await fold(box, {port: box.server.port, tls: 'starttls', caFile: box.caFile}));
	// Dovecot marks a session upgraded by STARTTLS `TLS` too; a login in clear would say neither.
	const [login] = logins(box.server);
	t.regex(login ?? '', /\bTLS\b/, box.server.logLines().join('\n'));
});

test('the host by name (localhost) is verified against the certificate\'s DNS name', async t => {
	const box = await tlsMailbox(t);
	await assertFolded(t, box, await fold(box, {host: 'localhost', port: box.imapsPort, tls: 'implicit', caFile: box.caFile}));
});

for (const tls of ['implicit', 'starttls'] as const) {
	test(`${tls}: without tracking.imap.caFile the private CA's certificate does not verify: a connection error naming caFile and allowUnverifiedTls; nothing recorded, no login`, async t => {
		const box = await tlsMailbox(t);
		const port = tls === 'implicit' ? box.imapsPort : box.server.port;
		const error = await t.throwsAsync(fold(box, {port, tls}), {instanceOf: MassmailError});
		t.is(error?.kind, 'connection');
		t.is(error?.exitCode, 3);
		t.regex(error?.message ?? '', new RegExp(`^TLS with the IMAP server 127\\.0\\.0\\.1:${port} failed: .*(unable to verify|unable to get local issuer)`, 'i'));
		t.regex(error?.hint ?? '', /tracking\.imap\.caFile/);
		t.regex(error?.hint ?? '', /tracking\.imap\.allowUnverifiedTls/);
		assertNoPassword(t, error, box.password);
		await assertNothingFolded(t, box);
		t.deepEqual(logins(box.server), []);
	});
}

test('tracking.imap.allowUnverifiedTls without a CA file: the certificate is not verified and the report is folded', async t => {
	const box = await tlsMailbox(t);
	await assertFolded(t, box, await fold(box, {port: box.imapsPort, tls: 'implicit', allowUnverifiedTls: true}));
});

test('a certificate for another name (mail.example.net, reached as 127.0.0.1) is refused even from the trusted CA, and says so; allowUnverifiedTls takes it', async t => {
	const box = await tlsMailbox(t, ['mail.example.net']);
	const error = await t.throwsAsync(fold(box, {port: box.imapsPort, tls: 'implicit', caFile: box.caFile}), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.is(error?.message, `TLS with the IMAP server 127.0.0.1:${box.imapsPort} failed: the certificate is for mail.example.net, not 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID)`);
	// The CA is trusted already: what helps is the name the certificate is for, not another CA file.
	t.regex(error?.hint ?? '', /certificate is for mail\.example\.net/);
	t.regex(error?.hint ?? '', /tracking\.imap\.host/);
	t.notRegex(error?.hint ?? '', /caFile/);
	assertNoPassword(t, error, box.password);
	await assertNothingFolded(t, box);
	t.deepEqual(logins(box.server), []);

	await assertFolded(t, box, await fold(box, {port: box.imapsPort, tls: 'implicit', caFile: box.caFile, allowUnverifiedTls: true}));
});

/** A TCP proxy to 127.0.0.1:`port` that keeps every byte either side sent. */
async function recordingProxy(t: ExecutionContext, port: number): Promise<{port: number; fromClient: () => string; fromServer: () => string}> {
	const received: Buffer[] = [];
	const answered: Buffer[] = [];
	const sockets = new Set<net.Socket>();
	const proxy = net.createServer(client => {
		const server = net.connect({host: '127.0.0.1', port});
		for (const socket of [client, server]) {
			sockets.add(socket);
			socket.on('error', () => undefined);
			socket.on('close', () => {
				client.destroy();
				server.destroy();
			});
		}

		client.on('data', (chunk: Buffer) => {
			received.push(chunk);
			server.write(chunk);
		});
		server.on('data', (chunk: Buffer) => {
			answered.push(chunk);
			client.write(chunk);
		});
	});
	await new Promise<void>(resolve => {
		proxy.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		for (const socket of sockets) {
			socket.destroy();
		}

		proxy.close();
	});
	return {port: (proxy.address() as net.AddressInfo).port, fromClient: () => Buffer.concat(received).toString('latin1'), fromServer: () => Buffer.concat(answered).toString('latin1')};
}

test('tls starttls against a server that does not offer STARTTLS: a clear TLS error, and the password never sent', async t => {
	const box = await tlsMailbox(t);
	// The instance without TLS: no STARTTLS in its capabilities.
	const proxy = await recordingProxy(t, box.mailbox.imap.port);
	const error = await t.throwsAsync(fold(box, {port: proxy.port, tls: 'starttls', caFile: box.caFile}), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.is(error?.message, `TLS with the IMAP server 127.0.0.1:${proxy.port} failed: Server does not support STARTTLS`);
	t.is(error?.hint, 'STARTTLS is for the IMAP port (143): check tracking.imap.port, or for the IMAPS port (993) set tracking.imap.tls implicit');
	// Dovecot's greeting lists its capabilities: the client knew from it, and needed to send nothing.
	t.regex(proxy.fromServer(), /^\* OK \[CAPABILITY IMAP4rev1 [^\]]*AUTH=PLAIN/);
	t.notRegex(proxy.fromServer(), /STARTTLS/);
	const sent = proxy.fromClient();
	t.notRegex(sent, /LOGIN|AUTHENTICATE/i);
	t.false(sent.includes(box.password));
	t.false(sent.includes(Buffer.from(`\0${bounceUser}\0${box.password}`).toString('base64')));
	assertNoPassword(t, error, box.password);
	t.deepEqual(logins(box.mailbox.imap), []);
	await assertNothingFolded(t, box);
});

test('tls implicit on the STARTTLS port: OpenSSL\'s reason in one line, and which port goes with which mode', async t => {
	const box = await tlsMailbox(t);
	const error = await t.throwsAsync(fold(box, {port: box.server.port, tls: 'implicit', caFile: box.caFile}), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.is(error?.message, `TLS with the IMAP server 127.0.0.1:${box.server.port} failed: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)`);
	t.is(error?.hint, 'implicit TLS is for the IMAPS port (993): check tracking.imap.port, or for the IMAP port (143) set tracking.imap.tls starttls');
	await assertNothingFolded(t, box);
});

test('tls starttls on the IMAPS port: the server waits for TLS and never greets; a TLS error within seconds, not the fold\'s whole deadline', async t => {
	const box = await tlsMailbox(t);
	const started = Date.now();
	const error = await t.throwsAsync(fold(box, {port: box.imapsPort, tls: 'starttls', caFile: box.caFile}, 40_000), {instanceOf: MassmailError});
	const waited = Date.now() - started;
	t.is(error?.kind, 'connection');
	t.regex(error?.message ?? '', new RegExp(`^TLS with the IMAP server 127\\.0\\.0\\.1:${box.imapsPort} failed: .*greeting.*\\(GREETING_TIMEOUT\\)$`));
	t.is(error?.hint, 'STARTTLS is for the IMAP port (143): check tracking.imap.port, or for the IMAPS port (993) set tracking.imap.tls implicit');
	t.true(waited < 12_000, `waited ${waited} ms`);
	t.deepEqual(logins(box.server), []);
	await assertNothingFolded(t, box);
});
