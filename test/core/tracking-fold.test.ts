/**
 * The fold against the real servers: a real Postfix accepts a send's messages with DSN parameters
 * and then delivers, bounces or defers them, its reports land in the bounce mailbox, a real Dovecot
 * serves it over IMAP; other messages are put beside them (a bounce with no RFC 3464 part, auto-
 * replies, another program's report, a person's message); foldReports records what is massmail's in
 * each send's reports.log and moves it to massmail/processed, and everything else stays in the
 * inbox untouched — checked by reading the mailbox back over IMAP. Then what goes wrong: the server
 * stopped mid-fold, a report folded twice, garbled reports, two folds at once, a refused login.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {reportsFile, SendLog, type DeliveryCounts, type SendRecord} from '../../source/core/journal.js';
import {foldLockFile, foldReports, processedFolder, type FoldOptions, type FoldSummary} from '../../source/core/tracking/fold.js';
import {notOursFile} from '../../source/core/tracking/not-ours.js';
import {appendToInbox, bounceUser, folderMessages, imapClient, startBounceMailbox} from '../helpers/bounce-mailbox.js';
import {
	bouncedStatus, bouncedText, delayedStatus, delayedText, reportAddresses, sendWithDsn, startReportHarness,
} from '../helpers/report-harness.js';
import {
	cutReport, foreignReport, messageIds, noReportBounce, personReplying, postfixBounce, unreadableReport, vacationReply, vacationToSomeoneElse,
} from '../helpers/report-messages.js';
import {acceptedSend, recordFields} from '../helpers/send-records.js';
import {tempFolder} from '../helpers/temp-dir.js';

const [ann, bob] = reportAddresses.delivered;
const {bounced: full, delayed: later} = reportAddresses;

/** From postmaster@example.com, so its Message-IDs are `<ID.N@example.com>`; its lock held (see acceptedSend). */
async function sentRecord(sends: SendLog, addresses: string[]): Promise<{record: SendRecord; release: () => void}> {
	return acceptedSend(sends, addresses, {draft: {...recordFields.draft, from: {name: 'Postmaster', address: 'postmaster@example.com'}}});
}

function counts(partial: Partial<DeliveryCounts>): DeliveryCounts {
	return {accepted: 0, delivered: 0, bounced: 0, delayed: 0, replied: 0, ...partial};
}

function summaryOf(partial: Partial<FoldSummary>): FoldSummary {
	return {looked: 0, folded: 0, replies: 0, already: 0, unmatched: 0, notOurs: 0, skipped: 0, notMoved: 0, bySend: {}, unmatchedWhy: [], ...partial};
}

function sendsFolder(t: ExecutionContext): SendLog {
	return new SendLog(tempFolder(t, 'massmail-fold-'));
}

function reportsLog(sends: SendLog, id: string): string {
	try {
		return fs.readFileSync(path.join(sends.sendsDir, id, reportsFile), 'utf8');
	} catch {
		return '';
	}
}

/** The keys of a send's reports.log, each as often as it is written (a torn last line, a crash's, is not a line). */
function keysOf(sends: SendLog, id: string): string[] {
	return reportsLog(sends, id).split('\n').slice(0, -1).map(line => (JSON.parse(line) as {key: string}).key);
}

test('a fold records each recipient\'s report from Postfix and moves only massmail\'s to massmail/processed; the rest stays untouched; a second fold changes nothing', async t => {
	const started = Date.now();
	const harness = await startReportHarness();
	t.teardown(async () => harness.stop());
	const sends = sendsFolder(t);
	// Two recipients this test's Postfix never sees: carl's bounce comes without a report part, dora answers from vacation.
	const carl = 'carl@example.net';
	const dora = 'dora@example.org';
	const main = await sentRecord(sends, [ann, bob, full, later, carl, dora]);
	const small = await sentRecord(sends, [ann, bob]);
	// The send is still running: the fold works beside the engine's lock.
	t.teardown(main.release);
	small.release();
	const a = main.record.id;
	const b = small.record.id;

	await sendWithDsn(harness.postfix.port, a, [ann, bob, full, later].map((to, index) => ({index, to, ret: 'HDRS', notify: ['FAILURE', 'DELAY']})));
	await sendWithDsn(harness.postfix.port, b, [ann, bob].map((to, index) => ({index, to, ret: 'HDRS', notify: ['SUCCESS', 'FAILURE', 'DELAY']})));
	// full's bounce, later's delay report, and a success report for each of the small send.
	await harness.waitForReports(4, 20_000);

	const client = await imapClient(harness.login);
	t.teardown(async () => client.logout().catch(() => undefined));
	await appendToInbox(client, [noReportBounce(a, 4), vacationReply(a, 5), vacationToSomeoneElse(), foreignReport(), personReplying(a, 0)]);
	const untouched = [messageIds.vacationToSomeoneElse, messageIds.foreignReport, messageIds.personReplying];
	const inboxBefore = await folderMessages(client, 'INBOX');
	t.is(inboxBefore.length, 9);

	const options: FoldOptions = {
		imap: {host: '127.0.0.1', port: harness.login.port, tls: 'none', user: harness.login.user, password: async () => harness.login.password},
		returnPath: reportAddresses.bounceMailbox,
		delimiter: '+',
		sends,
		deadlineMs: 20_000,
	};
	const summary = await foldReports(options);
	const countsA = counts({accepted: 3, bounced: 2, delayed: 1, replied: 1});
	const countsB = counts({delivered: 2});
	t.deepEqual(summary, summaryOf({looked: 9, folded: 5, replies: 1, notOurs: 3, bySend: {[a]: countsA, [b]: countsB}}));

	const deliveries = sends.deliveries(a);
	t.deepEqual(deliveries.counts, countsA);
	const [annA, bobA, fullA, laterA, carlA, doraA] = deliveries.recipients;
	t.deepEqual(annA, {state: 'accepted', status: null, diagnostic: null, at: null});
	t.deepEqual(bobA, {state: 'accepted', status: null, diagnostic: null, at: null});
	t.like(fullA, {state: 'bounced', status: bouncedStatus, diagnostic: bouncedText});
	t.like(laterA, {state: 'delayed', status: delayedStatus, diagnostic: delayedText});
	t.like(carlA, {state: 'bounced', status: '5.1.1', diagnostic: 'Sorry, no mailbox here by that name. (#5.1.1)'});
	t.like(doraA, {state: 'accepted', status: null, repliedAt: '2026-01-01T12:00:04.000Z'});
	for (const each of [fullA, laterA]) {
		// Postfix's reports of this run: their time is now, give or take the test's length.
		t.true(Math.abs(Date.parse(each!.at!) - Date.now()) < 120_000, each!.at!);
	}

	t.is(carlA!.at, '2026-01-01T12:00:08.000Z');
	t.deepEqual(sends.deliveries(b).recipients.map(each => each && [each.state, each.status, each.diagnostic]), [
		['delivered', '2.0.0', 'delivery via virtual: delivered to maildir'],
		['delivered', '2.0.0', 'delivery via virtual: delivered to maildir'],
	]);
	// How each was matched: Postfix's reports by ENVID, the bare bounce by VERP, the vacation notice by In-Reply-To.
	t.deepEqual(reportsLog(sends, a).split('\n').filter(Boolean).map(line => {
		const {index, state, via} = JSON.parse(line) as {index: number; state: string; via: string};
		return `${index} ${state} ${via}`;
	}).sort(), ['2 bounced envid', '3 delayed envid', '4 bounced verp', '5 replied in-reply-to']);

	// Read back over IMAP: only massmail's moved; the others are where they were, unread and unflagged.
	const inbox = await folderMessages(client, 'INBOX');
	t.deepEqual(inbox.map(each => each.messageId).sort(), [...untouched].sort());
	t.deepEqual(inbox.map(each => each.flags), [[], [], []]);
	const processed = await folderMessages(client, processedFolder);
	t.is(processed.length, 6);
	t.deepEqual(processed.map(each => each.messageId).filter(id => untouched.includes(id)), []);
	t.true(processed.some(each => each.messageId === messageIds.noReportBounce));
	t.true(processed.some(each => each.messageId === messageIds.vacationReply));

	// A second fold: nothing new; the record and the mailbox as they were. The three messages
	// that are none of massmail's are not even read again: the first fold remembered them.
	const logA = reportsLog(sends, a);
	const logB = reportsLog(sends, b);
	t.deepEqual(await foldReports(options), summaryOf({looked: 0, notOurs: 3}));
	t.is(reportsLog(sends, a), logA);
	t.is(reportsLog(sends, b), logB);
	t.deepEqual((await folderMessages(client, 'INBOX')).map(each => each.messageId).sort(), [...untouched].sort());

	// Only the small send asked for: its reports are folded, the other's left (skipped).
	await appendToInbox(client, [postfixBounce(a, 2, full, 'again')]);
	t.deepEqual(await foldReports({...options, sendIds: [b]}), summaryOf({looked: 1, notOurs: 3, skipped: 1, bySend: {[b]: countsB}}));
	t.is(reportsLog(sends, a), logA);
	t.log(`ran in ${Date.now() - started} ms`);
});

test('a report folded twice (its move did not happen) is recorded once; garbled or unmatched reports stay in the inbox, counted', async t => {
	const mailbox = await startBounceMailbox(t);
	const sends = sendsFolder(t);
	const {record, release} = await sentRecord(sends, [ann, bob, full]);
	release();
	const id = record.id;
	const options: FoldOptions = {imap: mailbox.target(), returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 10_000};
	mailbox.deliver([postfixBounce(id, 2, full, 1)]);
	t.like(await foldReports(options), {looked: 1, folded: 1});
	const log = reportsLog(sends, id);

	// The same report in the inbox again, as after a fold that recorded it and was stopped before its move.
	const client = await imapClient(mailbox.login());
	t.teardown(async () => client.logout().catch(() => undefined));
	await appendToInbox(client, [postfixBounce(id, 2, full, 1)]);
	// Garbled: cut in the middle of its report; a header that will not parse (though a VERP address names bob);
	// a report on a recipient the send does not have, and on a send the record does not have; a recipient the report is not about.
	await appendToInbox(client, [
		cutReport(),
		unreadableReport(id, 1),
		postfixBounce(id, 7, 'nobody@example.com', 2),
		postfixBounce('20250101-000000-000000', 0, full, 3),
		postfixBounce(id, 0, 'someone.else@example.com', 4),
	]);
	const summary = await foldReports(options);
	t.like(summary, {looked: 6, folded: 0, already: 1, unmatched: 5, notOurs: 0, bySend: {[id]: counts({accepted: 2, bounced: 1})}});
	t.is(summary.unmatchedWhy.length, 5);
	t.regex(summary.unmatchedWhy.join('\n'), /not readable as MIME/);
	t.regex(summary.unmatchedWhy.join('\n'), new RegExp(`recipient 7 of send ${id}, which has 3`));
	t.regex(summary.unmatchedWhy.join('\n'), /send 20250101-000000-000000, which the record does not have/);
	t.regex(summary.unmatchedWhy.join('\n'), /about someone\.else@example\.com, recipient 0 .* is ann@example\.com/);
	t.is(reportsLog(sends, id), log);
	t.deepEqual(keysOf(sends, id), [`${messageIds.postfixBounce(1)} full@example.com`]);
	const inbox = await folderMessages(client, 'INBOX');
	t.is(inbox.length, 5);
	t.deepEqual(inbox.map(each => each.flags), [[], [], [], [], []]);
	t.is((await folderMessages(client, processedFolder)).length, 2);
});

test('what is none of massmail\'s is read once: the next folds neither fetch it nor count it read; a new one is read, one its owner removed is forgotten, and the memory is only this mailbox\'s', async t => {
	const mailbox = await startBounceMailbox(t);
	const sends = sendsFolder(t);
	const {record, release} = await sentRecord(sends, [ann, bob, full]);
	release();
	const options: FoldOptions = {imap: mailbox.target(), returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 10_000};
	mailbox.deliver([foreignReport(), vacationToSomeoneElse(), personReplying(record.id, 0), postfixBounce(record.id, 2, full, 1)]);
	t.like(await foldReports(options), {looked: 4, folded: 1, notOurs: 3});
	const memory = path.join(sends.sendsDir, notOursFile);
	t.is(fs.statSync(memory).mode & 0o777, 0o600);

	// Nothing new: nothing read. Then one more foreign message and one more report: only they are read.
	t.deepEqual(await foldReports(options), summaryOf({looked: 0, notOurs: 3}));
	mailbox.deliver([foreignReport(), postfixBounce(record.id, 1, bob, 2)]);
	t.like(await foldReports(options), {looked: 2, folded: 1, notOurs: 4});
	t.like(await foldReports(options), {looked: 0, notOurs: 4});

	// The owner of the mailbox deletes two of the foreign messages: they are forgotten.
	const client = await imapClient(mailbox.login());
	t.teardown(async () => client.logout().catch(() => undefined));
	const lock = await client.getMailboxLock('INBOX');
	try {
		await client.messageDelete('1:2');
	} finally {
		lock.release();
	}

	t.like(await foldReports(options), {looked: 0, notOurs: 2});
	const remembered = (JSON.parse(fs.readFileSync(memory, 'utf8')) as {uids: string}).uids;
	t.is(remembered.split(/[,:]/).length, 2, remembered);

	// Another mailbox's memory (another user, or the same user after its UIDVALIDITY changed) is not used; nor is a garbled file.
	fs.writeFileSync(memory, JSON.stringify({mailbox: `127.0.0.1:${mailbox.imap.port} someone-else INBOX 1`, uids: '1:100'}));
	t.like(await foldReports(options), {looked: 2, notOurs: 2});
	fs.writeFileSync(memory, '{"mailbox": 3, "uids": "1:x"');
	t.like(await foldReports(options), {looked: 2, notOurs: 2});
	t.like(await foldReports(options), {looked: 0, notOurs: 2});
});

/** `count` of Postfix's bounces, one for each recipient of a send of `count` (user0@…, user1@…). */
async function bouncedSend(sends: SendLog, count: number): Promise<{id: string; messages: string[]}> {
	const addresses = Array.from({length: count}, (_, index) => `user${index}@example.com`);
	const {record, release} = await sentRecord(sends, addresses);
	release();
	return {id: record.id, messages: addresses.map((address, index) => postfixBounce(record.id, index, address))};
}

test('the IMAP server stopped in the middle of a fold: a connection error, nothing recorded twice; the next fold completes', async t => {
	const mailbox = await startBounceMailbox(t);
	const sends = sendsFolder(t);
	const {id, messages} = await bouncedSend(sends, 120);
	mailbox.deliver(messages);
	let batches = 0;
	const error = await t.throwsAsync(foldReports({
		imap: mailbox.target(), returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 10_000, batchSize: 10,
		onProgress() {
			batches++;
			if (batches === 3) {
				// Dovecot's processes killed at once, the one serving this fold with them.
				void mailbox.imap.stop();
			}
		},
	}), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.regex(error?.message ?? '', new RegExp(`^the IMAP server 127\\.0\\.0\\.1:${mailbox.imap.port} failed during the fold, after \\d+ of 120 messages: `));
	t.notRegex(error?.message ?? '', /bounce-secret/);
	const recorded = keysOf(sends, id);
	t.true(recorded.length >= 30 && recorded.length < 120, `${recorded.length} recorded`);
	t.is(new Set(recorded).size, recorded.length);

	await mailbox.restart();
	const summary = await foldReports({imap: mailbox.target(), returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 10_000});
	// What the stopped fold recorded but did not move is moved now, not counted again.
	t.is(summary.folded, 120 - recorded.length);
	t.is(summary.looked, summary.folded + summary.already);
	t.deepEqual(summary.bySend[id], counts({bounced: 120}));
	const keys = keysOf(sends, id);
	t.is(keys.length, 120);
	t.is(new Set(keys).size, 120);
	const client = await imapClient(mailbox.login());
	t.teardown(async () => client.logout().catch(() => undefined));
	t.deepEqual(await folderMessages(client, 'INBOX'), []);
	t.is((await folderMessages(client, processedFolder)).length, 120);
});

/** Runs test/helpers/fold-child.ts: a fold in a process of its own; resolves with its summary (or its error's kind and message). */
async function foldInChild(options: {sendsDir: string; port: number; batchSize?: number}, onOutput?: (line: string) => void): Promise<{summary?: FoldSummary; error?: {kind: string; message: string}; code: number | null; signal: string | null}> {
	const child = spawn(process.execPath, ['--import=tsx', path.join(import.meta.dirname, '..', 'helpers', 'fold-child.ts'), JSON.stringify(options)], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	let errors = '';
	child.stdout.on('data', (chunk: Buffer) => {
		output += chunk.toString();
		for (const line of chunk.toString().split('\n').filter(Boolean)) {
			onOutput?.(line);
		}
	});
	child.stderr.on('data', (chunk: Buffer) => {
		errors += chunk.toString();
	});
	const [code, signal] = await new Promise<[number | null, string | null]>(resolve => {
		child.once('exit', (exitCode, exitSignal) => {
			resolve([exitCode, exitSignal]);
		});
	});
	const last = output.trim().split('\n').at(-1) ?? '';
	try {
		return {...(JSON.parse(last) as {summary?: FoldSummary; error?: {kind: string; message: string}}), code, signal};
	} catch {
		return {error: {kind: 'child', message: `${output}\n${errors}`}, code, signal};
	}
}

test('three folds at once, one in another process: they take turns, each report recorded once and moved once', async t => {
	const mailbox = await startBounceMailbox(t);
	const sends = sendsFolder(t);
	const {id, messages} = await bouncedSend(sends, 90);
	mailbox.deliver(messages);
	const options: FoldOptions = {imap: mailbox.target(), returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 20_000, batchSize: 10};
	const [first, second, child] = await Promise.all([
		foldReports(options),
		foldReports(options),
		foldInChild({sendsDir: sends.sendsDir, port: mailbox.imap.port, batchSize: 10}),
	]);
	t.is(child.error, undefined);
	const summaries = [first, second, child.summary!];
	// Every report recorded by exactly one of them; the others met it recorded, or moved already.
	t.is(summaries.reduce((sum, each) => sum + each.folded, 0), 90);
	for (const each of summaries) {
		t.is(each.unmatched + each.notOurs + each.skipped, 0);
	}

	const keys = keysOf(sends, id);
	t.is(keys.length, 90);
	t.is(new Set(keys).size, 90);
	t.deepEqual(sends.deliveries(id).counts, counts({bounced: 90}));
	const client = await imapClient(mailbox.login());
	t.teardown(async () => client.logout().catch(() => undefined));
	t.deepEqual(await folderMessages(client, 'INBOX'), []);
	t.is((await folderMessages(client, processedFolder)).length, 90);
});

test('kill -9 in the middle of a fold: what it recorded stays whole, and the next fold records the rest once', async t => {
	const mailbox = await startBounceMailbox(t);
	const sends = sendsFolder(t);
	const {id, messages} = await bouncedSend(sends, 100);
	mailbox.deliver(messages);
	let killed = false;
	const result = await new Promise<Awaited<ReturnType<typeof foldInChild>>>((resolve, reject) => {
		let pid: number | undefined;
		foldInChild({sendsDir: sends.sendsDir, port: mailbox.imap.port, batchSize: 10}, line => {
			const progress = JSON.parse(line) as {pid?: number; looked?: number};
			pid ??= progress.pid;
			if (!killed && pid !== undefined && (progress.looked ?? 0) >= 30) {
				killed = true;
				process.kill(pid, 'SIGKILL');
			}
		}).then(resolve, reject);
	});
	t.true(killed);
	t.is(result.signal, 'SIGKILL');
	const recorded = keysOf(sends, id);
	t.true(recorded.length >= 30 && recorded.length < 100, `${recorded.length} recorded`);

	const summary = await foldReports({imap: mailbox.target(), returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 10_000});
	t.is(summary.folded, 100 - recorded.length);
	t.is(summary.looked, summary.folded + summary.already);
	const keys = keysOf(sends, id);
	t.is(keys.length, 100);
	t.is(new Set(keys).size, 100);
	t.deepEqual(sends.deliveries(id).counts, counts({bounced: 100}));
});

test('a refused login or an unreachable server is a clear error that records nothing and never shows the password', async t => {
	const mailbox = await startBounceMailbox(t);
	const sends = sendsFolder(t);
	const {id, messages} = await bouncedSend(sends, 2);
	mailbox.deliver(messages);
	const base: FoldOptions = {imap: mailbox.target(), returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 10_000};

	const refused = await t.throwsAsync(foldReports({...base, imap: {...base.imap, password: async () => 'wrong-Secret-42'}}), {instanceOf: MassmailError});
	t.is(refused?.kind, 'auth');
	t.is(refused?.message, `the IMAP server 127.0.0.1:${mailbox.imap.port} refused the login of "${bounceUser}": Authentication failed.`);
	t.notRegex(`${refused?.message} ${refused?.hint}`, /wrong-Secret-42/);

	const noPassword = await t.throwsAsync(foldReports({...base, imap: {...base.imap, password: async () => {
		throw new Error('MASSMAIL_TRACKING_PASSWORD is not set');
	}}}), {instanceOf: MassmailError});
	t.is(noPassword?.kind, 'auth');
	t.regex(noPassword?.message ?? '', /MASSMAIL_TRACKING_PASSWORD is not set/);

	const port = mailbox.imap.port;
	await mailbox.imap.stop();
	const unreachable = await t.throwsAsync(foldReports({...base, imap: {...base.imap, port}}), {instanceOf: MassmailError});
	t.is(unreachable?.kind, 'connection');
	t.regex(unreachable?.message ?? '', new RegExp(`^cannot reach the IMAP server 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));

	// A password in clear goes to this machine only: asked for nothing, connected to nothing.
	let asked = false;
	const remote = await t.throwsAsync(foldReports({...base, imap: {...base.imap, host: '192.0.2.10', port: 143, password: async () => {
		asked = true;
		return 'x';
	}}}), {instanceOf: MassmailError});
	t.is(remote?.kind, 'connection');
	t.is(remote?.message, 'the IMAP server 192.0.2.10:143 (192.0.2.10) is not on this machine and tracking.imap.tls is none: the password is not sent over an unencrypted connection');
	t.false(asked);

	// A send asked for that does not exist: a usage error before any connection.
	const unknown = await t.throwsAsync(foldReports({...base, sendIds: ['20250101-000000-000000']}), {instanceOf: MassmailError});
	t.is(unknown?.kind, 'usage');
	t.is(reportsLog(sends, id), '');
	t.deepEqual(sends.deliveries(id).counts, counts({accepted: 2}));
});

test('the whole fold has a deadline: a server that never answers is a connection error within it', async t => {
	const net = await import('node:net');
	// Accepts the connection and says nothing: no greeting ever comes.
	const sockets: Array<import('node:net').Socket> = [];
	const silent = net.createServer(socket => {
		sockets.push(socket);
	});
	await new Promise<void>(resolve => {
		silent.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		for (const socket of sockets) {
			socket.destroy();
		}

		silent.close();
	});
	const {port} = silent.address() as {port: number};
	const sends = sendsFolder(t);
	const started = Date.now();
	const error = await t.throwsAsync(foldReports({
		imap: {host: '127.0.0.1', port, tls: 'none', user: bounceUser, password: async () => 'x'},
		returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 1500,
	}), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.is(error?.message, `the fold of the IMAP server 127.0.0.1:${port} did not finish within 1.5 s`);
	t.true(Date.now() - started < 3000);
	await sleep(10);
});

test('folds take turns: one waits for another\'s lock, and says so when the other outlasts its deadline', async t => {
	const sends = sendsFolder(t);
	// Another process holding the fold lock (its lock file written after it started: alive).
	const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {stdio: 'ignore'});
	t.teardown(() => other.kill('SIGKILL'));
	await new Promise(resolve => other.once('spawn', resolve));
	fs.writeFileSync(path.join(sends.sendsDir, foldLockFile), JSON.stringify({pid: other.pid, host: os.hostname(), since: new Date().toISOString()}));
	let asked = false;
	const error = await t.throwsAsync(foldReports({
		imap: {host: '127.0.0.1', port: 1, tls: 'none', user: bounceUser, password: async () => {
			asked = true;
			return 'x';
		}},
		returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 700,
	}), {instanceOf: MassmailError});
	t.is(error?.kind, 'locked');
	t.is(error?.message, `another fold of the bounce mailbox (process ${other.pid}) went on for all of 0.7 s`);
	t.false(asked);

	// Gone: its lock is taken over at once, and the fold goes on to the server (here: none).
	other.kill('SIGKILL');
	await new Promise(resolve => other.once('exit', resolve));
	const unreachable = await t.throwsAsync(foldReports({
		imap: {host: '127.0.0.1', port: 1, tls: 'none', user: bounceUser, password: async () => 'x'},
		returnPath: bounceUser, delimiter: '+', sends, deadlineMs: 5000,
	}), {instanceOf: MassmailError});
	t.is(unreachable?.kind, 'connection');
	t.false(fs.existsSync(path.join(sends.sendsDir, foldLockFile)));
});
