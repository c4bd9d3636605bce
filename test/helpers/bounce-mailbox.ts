/**
 * A bounce mailbox for the fold's tests: Dovecot (test/helpers/imap-server.ts) serving one Maildir
 * over IMAP on 127.0.0.1, without a Postfix in front (the report harness, report-harness.ts, has
 * both), so a test can fill it fast — messages written straight into the Maildir, or appended over
 * IMAP — stop its server in the middle of a fold and start another on the same Maildir. And what
 * the tests read back over IMAP: each folder's messages with their Message-ID and flags.
 */
import fs from 'node:fs';
import path from 'node:path';
import {ImapFlow} from 'imapflow';
import type {ImapTarget} from '../../source/core/tracking/fold.js';
import {startImapServer, type ImapServer} from './imap-server.js';
import {account} from './processes.js';
import {tempFolder} from './temp-dir.js';

export const bounceUser = 'bounces@example.com';
const password = 'bounce-secret';

export interface BounceMailbox {
	/** The running Dovecot (another after `restart`). */
	imap: ImapServer;
	/** What foldReports takes to reach it (no TLS: 127.0.0.1). */
	target: () => ImapTarget;
	login: () => {host: string; port: number; user: string; password: string};
	maildir: string;
	/** Writes messages straight into the Maildir's new/ (as Postfix's virtual would); Dovecot sees them at the next SELECT. */
	deliver: (messages: Array<string | Buffer>) => void;
	/** Starts another Dovecot on the same Maildir (after `imap.stop()`); `target()` and `login()` then name it. */
	restart: () => Promise<void>;
}

let counter = 0;

/** A Dovecot over a Maildir of its own in a temporary folder, stopped and removed when the test ends. */
export async function startBounceMailbox(t: {teardown: (fn: () => unknown) => void}): Promise<BounceMailbox> {
	const folder = tempFolder(t, 'massmail-bounces-');
	const nobody = account('nobody');
	if (!nobody) {
		throw new Error('The nobody account must exist.');
	}

	// Dovecot's mail processes run as nobody: they must reach and own the Maildir.
	fs.chmodSync(folder, 0o755);
	const maildir = path.join(folder, 'Maildir');
	for (const sub of ['', 'new', 'cur', 'tmp']) {
		fs.mkdirSync(path.join(maildir, sub), {recursive: true});
		fs.chownSync(path.join(maildir, sub), nobody.uid, nobody.gid);
	}

	const start = async () => startImapServer({users: [{user: bounceUser, password, maildir}]});
	const mailbox: BounceMailbox = {
		imap: await start(),
		target() {
			return {host: '127.0.0.1', port: mailbox.imap.port, tls: 'none', user: bounceUser, password: async () => password};
		},
		login() {
			return {host: '127.0.0.1', port: mailbox.imap.port, user: bounceUser, password};
		},
		maildir,
		deliver(messages) {
			for (const message of messages) {
				const name = `${Date.now()}.M${counter++}P${process.pid}.massmail-test`;
				const file = path.join(maildir, 'new', name);
				fs.writeFileSync(file, message);
				fs.chownSync(file, nobody.uid, nobody.gid);
			}
		},
		async restart() {
			await mailbox.imap.stop();
			mailbox.imap = await start();
		},
	};
	t.teardown(async () => mailbox.imap.stop());
	return mailbox;
}

/** An IMAP client of a test to the bounce mailbox, not yet connected (no TLS: the test server is on loopback). */
export function unconnectedImapClient(login: {host: string; port: number; user: string; password: string}): ImapFlow {
	return new ImapFlow({
		host: login.host,
		port: login.port,
		secure: false,
		doSTARTTLS: false,
		auth: {user: login.user, pass: login.password},
		logger: false,
		connectionTimeout: 5000,
		greetingTimeout: 5000,
		socketTimeout: 10_000,
	});
}

/** An IMAP client of a test, logged in (close it with `logout`). */
export async function imapClient(login: {host: string; port: number; user: string; password: string}): Promise<ImapFlow> {
	const client = unconnectedImapClient(login);
	client.on('error', () => undefined);
	await client.connect();
	return client;
}

/** One message of a folder as the tests check it. */
export interface FolderMessage {
	messageId: string;
	/** Its flags, sorted, without the session's \Recent: [] for a message nobody read or marked. */
	flags: string[];
}

/** The messages of a folder (INBOX, `massmail/processed`), read with BODY.PEEK: reading changes no flag. A folder that does not exist is []. */
export async function folderMessages(client: ImapFlow, folder: string | string[]): Promise<FolderMessage[]> {
	let lock;
	try {
		lock = await client.getMailboxLock(folder);
	} catch {
		return [];
	}

	try {
		// The folder may have been selected before: its expunges (moves by others) are heard first.
		await client.noop();
		if (!client.mailbox || client.mailbox.exists === 0) {
			return [];
		}

		const messages = await client.fetchAll('1:*', {uid: true, flags: true, envelope: true});
		return messages.map(message => ({messageId: message.envelope?.messageId ?? '', flags: [...(message.flags ?? [])].filter(flag => flag !== '\\Recent').sort()}));
	} finally {
		lock.release();
	}
}

/** Appends messages to INBOX over IMAP, unread and unflagged. */
export async function appendToInbox(client: ImapFlow, messages: Array<string | Buffer>): Promise<void> {
	for (const message of messages) {
		await client.append('INBOX', message, []);
	}
}
