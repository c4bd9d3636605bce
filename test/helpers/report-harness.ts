/**
 * Delivery reports for real: a Postfix (test/helpers/postfix-server.ts) that accepts every message
 * and then delivers, bounces or defers it by recipient, sending its RFC 3464 reports to a bounce
 * mailbox, and a Dovecot (test/helpers/imap-server.ts) serving that mailbox over IMAP.
 *
 * - `delivered` addresses have a Maildir: the message is delivered (a success report with NOTIFY=SUCCESS);
 * - `bounced`: accepted at RCPT TO, then bounced by `error:5.2.2 mailbox full` (a failure report);
 * - `delayed`: accepted, then deferred by `retry:4.4.1 …` and retried every second (with NOTIFY=DELAY
 *   a delay report within seconds — here within the second the message came; never delivered nor
 *   bounced while a test runs);
 * - the bounce mailbox `bounces@example.com`, with `+` as the recipient delimiter, so that a VERP
 *   return path `bounces+ID.N@example.com` lands there too.
 *
 * Reports come from `MAILER-DAEMON@localhost.localdomain` (the instance's myhostname).
 */
import {setTimeout as sleep} from 'node:timers/promises';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import {envelopeIdFor, verpAddress} from '../../source/core/tracking/report.js';
import {startImapServer, type ImapServer} from './imap-server.js';
import {startPostfix, type PostfixServer} from './postfix-server.js';

export const reportAddresses = {
	bounceMailbox: 'bounces@example.com',
	delivered: ['ann@example.com', 'bob@example.com'],
	bounced: 'full@example.com',
	delayed: 'later@example.com',
} as const;

export const bouncedStatus = '5.2.2';
export const bouncedText = 'mailbox full';
export const delayedStatus = '4.4.1';
export const delayedText = 'mailbox unavailable, try again later';

export interface ReportHarness {
	postfix: PostfixServer;
	imap: ImapServer;
	/** The bounce mailbox's IMAP login: `{host, port, user, password}` (no TLS). */
	login: {host: '127.0.0.1'; port: number; user: string; password: string};
	/** The report files in the bounce mailbox's Maildir (new/ and cur/), oldest first. */
	reports: () => Buffer[];
	/** Resolves once the bounce mailbox holds at least `count` messages; rejects after `timeoutMs` with the end of Postfix's log. */
	waitForReports: (count: number, timeoutMs?: number) => Promise<Buffer[]>;
	/** Stops Dovecot and Postfix and removes their folders. Safe to call twice. */
	stop: () => Promise<void>;
}

export interface ReportHarnessOptions {
	/** delay_warning_time (default `'1s'`). */
	delayWarningTime?: string;
	/** The IMAP hierarchy separator (default `'/'`). */
	separator?: '/' | '.';
	/**
	 * Any other main.cf setting, e.g. `{maximal_queue_lifetime: '0'}`: a deferred message is then
	 * bounced after its first attempt, with its temporary status (a 4.x.x bounce).
	 */
	extraMain?: Record<string, string>;
}

/** Starts Postfix and Dovecot for delivery-report tests; stop both with `stop()`. */
export async function startReportHarness(options: ReportHarnessOptions = {}): Promise<ReportHarness> {
	const postfix = await startPostfix({
		mailboxes: [reportAddresses.bounceMailbox, ...reportAddresses.delivered],
		recipientDelimiter: '+',
		transportMaps: {
			[reportAddresses.bounced]: `error:${bouncedStatus} ${bouncedText}`,
			[reportAddresses.delayed]: `retry:${delayedStatus} ${delayedText}`,
		},
		delayWarningTime: options.delayWarningTime ?? '1s',
		extraMain: options.extraMain,
	});
	const password = 'bounce-secret';
	const maildir = postfix.maildir(reportAddresses.bounceMailbox);
	let imap: ImapServer;
	try {
		imap = await startImapServer({
			users: [{user: reportAddresses.bounceMailbox, password, maildir}],
			separator: options.separator,
		});
	} catch (error) {
		await postfix.stop();
		throw error;
	}

	const reports = (): Buffer[] => postfix.messages(reportAddresses.bounceMailbox);
	let stopped: Promise<void> | undefined;
	return {
		postfix,
		imap,
		login: {host: '127.0.0.1', port: imap.port, user: reportAddresses.bounceMailbox, password},
		reports,
		async waitForReports(count, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const now = reports();
				if (now.length >= count) {
					return now;
				}

				if (Date.now() > deadline) {
					const log = postfix.logLines().slice(-20).join('\n');
					throw new Error(`The bounce mailbox holds ${now.length} of ${count} reports after ${timeoutMs} ms. End of Postfix's log:\n${log}`);
				}

				await sleep(50);
			}
		},
		async stop() {
			stopped ??= (async () => {
				await imap.stop();
				await postfix.stop();
			})();
			return stopped;
		},
	};
}

/** One message of a send, as massmail will send it: one recipient, its DSN parameters. */
export interface DsnMessage {
	index: number;
	to: string;
	ret: 'HDRS' | 'FULL';
	notify: Array<'SUCCESS' | 'FAILURE' | 'DELAY'>;
}

/** Recipient `index`'s message of a send: what compose.ts makes, in short (its Message-ID is compose.ts's form). */
export function testMessage(sendId: string, message: DsnMessage): string {
	return [
		'From: Postmaster <postmaster@example.com>',
		`To: ${message.to}`,
		'Subject: Maintenance tonight',
		'Date: Thu, 01 Jan 2026 12:00:00 +0000',
		`Message-ID: <${sendId}.${message.index}@example.com>`,
		'MIME-Version: 1.0',
		'Content-Type: text/plain; charset=utf-8',
		'',
		'The server restarts at 22:00.',
		'',
	].join('\r\n');
}

/**
 * Sends each message over one SMTP session to 127.0.0.1:`port` with massmail's DSN parameters:
 * the VERP return path (the bounce mailbox, `+`), ENVID `massmail.SEND_ID.INDEX`, RET, NOTIFY and
 * ORCPT (nodemailer's SMTPConnection `send({dsn})`). Rejects on the first refusal.
 */
export async function sendWithDsn(port: number, sendId: string, messages: DsnMessage[]): Promise<void> {
	const connection = new SMTPConnection({host: '127.0.0.1', port, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10_000});
	await new Promise<void>((resolve, reject) => {
		connection.once('error', reject);
		connection.connect(() => {
			connection.off('error', reject);
			resolve();
		});
	});
	try {
		for (const message of messages) {
			await new Promise<void>((resolve, reject) => {
				connection.send({
					from: verpAddress(reportAddresses.bounceMailbox, sendId, message.index, '+'),
					to: [message.to],
					dsn: {ret: message.ret, envid: envelopeIdFor(sendId, message.index), notify: message.notify, orcpt: message.to},
				}, testMessage(sendId, message), error => {
					if (error) {
						reject(error);
					} else {
						resolve();
					}
				});
			});
		}
	} finally {
		connection.quit();
	}
}
