/**
 * Messages for the bounce mailbox of the fold's tests, made from the fixtures of test/fixtures/dsn/
 * (Postfix's real reports, and the hand-made ones) for a send of the test's own: the fixtures' send
 * id `20260101-120000-ab12cd` replaced, and each message given a Message-ID of its own.
 */
import fs from 'node:fs';
import {fixture} from './temp-dir.js';

/** The send id every fixture was made with. */
export const fixtureSendId = '20260101-120000-ab12cd';

/** A fixture's text (test/fixtures/dsn/NAME). */
export function dsnFixture(name: string): string {
	return fs.readFileSync(fixture(`dsn/${name}`), 'utf8');
}

/** Replaces each key of `replacements` by its value, everywhere. */
export function replaced(text: string, replacements: Record<string, string>): string {
	let result = text;
	for (const [from, to] of Object.entries(replacements)) {
		result = result.replaceAll(from, to);
	}

	return result;
}

/**
 * Postfix's real bounce (5.2.2 mailbox full) of recipient `index` of send `sendId`, sent to `to`:
 * ENVID, VERP address and returned Message-ID all name it. `reportId` makes its own Message-ID.
 */
export function postfixBounce(sendId: string, index: number, to: string, reportId: string | number = `${sendId}.${index}`): string {
	return replaced(dsnFixture('postfix-bounce.eml'), {
		[`${fixtureSendId}.0`]: `${sendId}.${index}`,
		'full@example.com': to,
		'<20261207041511.2042A20C57F@localhost.localdomain>': `<bounce.${reportId}@localhost.localdomain>`,
	});
}

/** A bounce of qmail's kind (no RFC 3464 part: only the VERP address it came to names the recipient). */
export function noReportBounce(sendId: string, index: number): string {
	return replaced(dsnFixture('no-dsn-part.eml'), {[`${fixtureSendId}.4`]: `${sendId}.${index}`});
}

/** A vacation notice answering recipient `index`'s message of send `sendId`. */
export function vacationReply(sendId: string, index: number): string {
	return replaced(dsnFixture('vacation.eml'), {[`${fixtureSendId}.5`]: `${sendId}.${index}`});
}

/** A vacation notice answering another program's message, to the bounce address itself. */
export function vacationToSomeoneElse(): string {
	return replaced(dsnFixture('vacation.eml'), {
		[`bounces+${fixtureSendId}.5@example.com`]: 'bounces@example.com',
		[`<${fixtureSendId}.5@example.com>`]: '<newsletter-8812@lists.example.org>',
		'<vacation.1767268804.dora@example.org>': '<vacation.1767268999.dora@example.org>',
	});
}

/** A person's message to the bounce address answering recipient `index`'s message: never ours to touch. */
export function personReplying(sendId: string, index: number): string {
	return replaced(dsnFixture('ordinary.eml'), {[`${fixtureSendId}.6`]: `${sendId}.${index}`});
}

/** Postfix's report on another program's message (its ENVID, its return path). */
export function foreignReport(): string {
	return dsnFixture('foreign-dsn.eml');
}

/** The Message-ID each of these messages carries (what the tests find them by over IMAP). */
export const messageIds = {
	noReportBounce: '<20260101120008.4242.qmail@mx.example.net>',
	vacationReply: '<vacation.1767268804.dora@example.org>',
	vacationToSomeoneElse: '<vacation.1767268999.dora@example.org>',
	personReplying: '<b7c1e2d4@mail.example.org>',
	foreignReport: '<20260101123001.7D3E420C592@localhost.localdomain>',
	postfixBounce: (reportId: string | number) => `<bounce.${reportId}@localhost.localdomain>`,
};

/**
 * A garbled report: Postfix's bounce cut off in the middle of its delivery-status part (no
 * recipient group left), to the bounce address itself: nothing names a recipient.
 */
export function cutReport(): string {
	const text = replaced(dsnFixture('foreign-dsn.eml'), {
		'<20260101123001.7D3E420C592@localhost.localdomain>': '<cut.1@localhost.localdomain>',
	});
	return text.slice(0, text.indexOf('Final-Recipient:'));
}

/** A report whose header will not parse (a 300 KB header line), though its VERP address names recipient `index`. */
export function unreadableReport(sendId: string, index: number): string {
	return [
		`X-Original-To: bounces+${sendId}.${index}@example.com`,
		'Return-Path: <>',
		'From: MAILER-DAEMON@localhost.localdomain',
		'Subject: Undelivered Mail Returned to Sender',
		'Message-ID: <unreadable.1@localhost.localdomain>',
		`X-Filler: ${'x'.repeat(300 * 1024)}`,
		'',
		'The body.',
		'',
	].join('\r\n');
}
