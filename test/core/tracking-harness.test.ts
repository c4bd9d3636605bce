/**
 * Delivery reports end to end, against the real servers: a real Postfix accepts four messages sent
 * with DSN parameters and a VERP return path, then delivers, bounces or defers each; its reports land
 * in the bounce mailbox, which a real Dovecot serves over IMAP; read with imapflow (the product's
 * IMAP client), each report reads back (readReport) to its recipient, action and status, and names
 * its message three ways: ENVID, VERP address, returned Message-ID.
 */
import test from 'ava';
import {unconnectedImapClient} from '../helpers/bounce-mailbox.js';
import {setTimeout as sleep} from 'node:timers/promises';
import {parseEnvelopeId, parseVerp, readReport, type ParsedReport} from '../../source/core/tracking/report.js';
import {
	bouncedStatus, bouncedText, delayedStatus, delayedText, reportAddresses, sendWithDsn, startReportHarness, type DsnMessage,
} from '../helpers/report-harness.js';

const sendId = '20260101-120000-ab12cd';
const [ann, bob] = reportAddresses.delivered;
const messages: DsnMessage[] = [
	{index: 0, to: ann, ret: 'HDRS', notify: ['SUCCESS', 'FAILURE', 'DELAY']},
	{index: 1, to: bob, ret: 'HDRS', notify: ['FAILURE', 'DELAY']},
	{index: 2, to: reportAddresses.bounced, ret: 'HDRS', notify: ['FAILURE', 'DELAY']},
	{index: 3, to: reportAddresses.delayed, ret: 'HDRS', notify: ['FAILURE', 'DELAY']},
];

test.serial('Postfix\'s delivery, bounce and delay reports reach the bounce mailbox over IMAP, and each reads back to its recipient', async t => {
	const started = Date.now();
	const harness = await startReportHarness();
	t.teardown(async () => harness.stop());
	await sendWithDsn(harness.postfix.port, sendId, messages);

	const imap = unconnectedImapClient(harness.login);
	t.teardown(() => {
		imap.close();
	});
	await imap.connect();
	// Three reports: ann's delivery (she asked for SUCCESS), the bounce and the delay; none for bob.
	const deadline = Date.now() + 20_000;
	let reports: Array<{uid: number; report: ParsedReport}> = [];
	while (reports.length < 3) {
		if (Date.now() > deadline) {
			t.fail(`${reports.length} of 3 reports over IMAP after 20 s. Postfix's log:\n${harness.postfix.logLines().slice(-15).join('\n')}\nDovecot's log:\n${harness.imap.logLines().slice(-10).join('\n')}`);
			return;
		}

		await sleep(100);
		const lock = await imap.getMailboxLock('INBOX');
		try {
			const messages = await imap.fetchAll('1:*', {uid: true, source: true});
			reports = await Promise.all(messages.map(async ({uid, source}) => ({uid, report: await readReport(source ?? Buffer.alloc(0))})));
		} catch {
			// An empty mailbox has no message 1 yet.
		} finally {
			lock.release();
		}
	}

	const byIndex = new Map(reports.map(({report}) => [parseEnvelopeId(report.envelopeId)?.index, report]));
	t.deepEqual([...byIndex.keys()].sort(), [0, 2, 3]);
	const expected = [
		{index: 0, to: ann, action: 'delivered', status: '2.0.0', diagnostic: 'delivery via virtual: delivered to maildir'},
		{index: 2, to: reportAddresses.bounced, action: 'failed', status: bouncedStatus, diagnostic: bouncedText},
		{index: 3, to: reportAddresses.delayed, action: 'delayed', status: delayedStatus, diagnostic: delayedText},
	];
	for (const each of expected) {
		const report = byIndex.get(each.index)!;
		t.is(report.kind, 'dsn');
		t.like(report.recipients[0], {finalRecipient: each.to, originalRecipient: each.to, action: each.action, status: each.status, diagnostic: each.diagnostic});
		t.is(report.recipients.length, 1);
		t.deepEqual(parseEnvelopeId(report.envelopeId), {sendId, index: each.index});
		t.deepEqual(parseVerp(report.envelopeRecipients[0], reportAddresses.bounceMailbox, '+'), {sendId, index: each.index});
		t.is(report.returnedMessageId, `<${sendId}.${each.index}@example.com>`);
		t.true(report.nullSender);
	}

	t.is(harness.postfix.messages(ann).length, 1);
	t.is(harness.postfix.messages(bob).length, 1);

	// What the fold will do with a report it has read: the folder is made and the report moved there.
	await imap.mailboxCreate('massmail/processed');
	const lock = await imap.getMailboxLock('INBOX');
	try {
		await imap.messageMove(String(reports[0].uid), 'massmail/processed', {uid: true});
	} finally {
		lock.release();
	}

	const processed = await imap.status('massmail/processed', {messages: true});
	const inbox = await imap.status('INBOX', {messages: true});
	t.is(processed && processed.messages, 1);
	t.is(inbox && inbox.messages, 2);
	await imap.logout();
	t.log(`ran in ${Date.now() - started} ms`);
});

test.serial('the bounce mailbox\'s IMAP server refuses a wrong password', async t => {
	const harness = await startReportHarness();
	t.teardown(async () => harness.stop());
	const imap = unconnectedImapClient({...harness.login, password: 'wrong'});
	t.teardown(() => {
		imap.close();
	});
	const error = await t.throwsAsync(imap.connect());
	t.regex(String((error as {authenticationFailed?: boolean; message: string}).message), /auth|fail/i);
});
