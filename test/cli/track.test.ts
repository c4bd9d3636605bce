/**
 * track, and what it adds to show, history and retry, as child processes against the real servers
 * of the report harness: a Postfix that accepts every message and then delivers, bounces or defers
 * it, sending its reports to the bounce mailbox, and a Dovecot serving that mailbox over IMAP.
 * A send goes out with tracking set; `track` folds its reports; the records, the mailbox and the
 * exit statuses are checked. Then what goes wrong: tracking not set up (2), an IMAP server that
 * cannot be reached or refuses the login (3, nothing recorded), Ctrl+C in --watch (130).
 */
import fs from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import {processedFolder} from '../../source/core/tracking/fold.js';
import {folderMessages, imapClient} from '../helpers/bounce-mailbox.js';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {freePort} from '../../bench/lib/postfix.js';
import {bouncedStatus, bouncedText, delayedStatus, reportAddresses, startReportHarness, type ReportHarness, type ReportHarnessOptions} from '../helpers/report-harness.js';
import {startRecordingSmtpServer} from '../helpers/recording-smtp-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const [ann, bob] = reportAddresses.delivered;
const {bounced: full, delayed: later} = reportAddresses;

interface Setup {
	harness: ReportHarness;
	dir: string;
	env: Record<string, string>;
}

/** The harness, and a data folder whose directory holds the four mailboxes and whose settings point at both servers. */
async function setup(t: ExecutionContext, options: ReportHarnessOptions & {tracking?: Record<string, unknown>} = {}): Promise<Setup> {
	const harness = await startReportHarness(options);
	t.teardown(async () => harness.stop());
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	fs.writeFileSync(csv, ['email,name,role,disabled', `${ann},Ann,primary,`, `${bob},Bob,user,`, `${full},Full,user,`, `${later},Later,user,`].join('\n'));
	t.is((await runCli(['import', csv], {configDir: dir})).code, 0);
	fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({
		sender: {address: 'postmaster@example.com'},
		delivery: {maxAttempts: 1},
		tracking: {
			returnPath: reportAddresses.bounceMailbox,
			verp: true,
			imap: {host: '127.0.0.1', port: harness.login.port, tls: 'none', user: harness.login.user},
			...options.tracking,
		},
	}), {mode: 0o600});
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${harness.postfix.port}`, MASSMAIL_TRACKING_PASSWORD: harness.login.password};
	return {harness, dir, env};
}

async function send(t: ExecutionContext, s: Setup, to = 'all'): Promise<string> {
	const result = await runCli(['send', '--to', to, '--subject', 'Maintenance tonight', '--message', 'The server restarts at 22:00.', '--yes', '--json'], {configDir: s.dir, env: s.env});
	t.is(result.code, 0, result.stderr);
	return lastJsonLine(result.stdout).id as string;
}

function reportsLog(dir: string, id: string): string | undefined {
	try {
		return fs.readFileSync(path.join(dir, 'sends', id, 'reports.log'), 'utf8');
	} catch {
		return undefined;
	}
}

test('track folds the reports into the record: counts, who bounced with the server\'s words, the broken mailboxes; show, show --csv and history show it; only massmail\'s reports moved', async t => {
	const started = Date.now();
	const s = await setup(t);
	const id = await send(t, s);
	// full's bounce and later's delay report.
	await s.harness.waitForReports(2, 20_000);

	const text = await runCli(['track'], {configDir: s.dir, env: s.env});
	t.is(text.code, 0, text.stderr);
	t.regex(text.stdout, new RegExp(`^Folded 2 reports from 127\\.0\\.0\\.1:${s.harness.login.port} \\(no TLS\\) as bounces@example\\.com$`, 'm'));
	t.true(text.stdout.includes(`Send ${id} "Maintenance tonight" (`), text.stdout);
	t.true(text.stdout.includes('  Accepted 4 · Delivered 0 · Bounced 1 · Delayed 1 · no report yet 2\n'), text.stdout);
	t.true(text.stdout.includes(`  Bounced:\n    ${full}  ${bouncedStatus}  ${bouncedText}\n`), text.stdout);
	t.regex(text.stdout, new RegExp(`  Delayed:\\n    ${later}  ${delayedStatus.replaceAll('.', '\\.')}  `));
	t.true(text.stdout.includes(`Broken mailboxes on your server (their last report bounced): 1\n  ${full}  ${bouncedStatus}  ${bouncedText}  (send ${id})`), text.stdout);
	t.is(text.stderr, '');

	// Folded once: a second track finds nothing new and says the same of the send.
	const json = await runCli(['track', id, '--json'], {configDir: s.dir, env: s.env});
	t.is(json.code, 0, json.stderr);
	const result = JSON.parse(json.stdout) as {fold: Record<string, unknown>; sends: Array<Record<string, unknown>>; brokenMailboxes: Array<Record<string, unknown>>};
	t.like(result.fold, {folded: 0, already: 0, unmatched: 0});
	t.is(result.sends.length, 1);
	t.like(result.sends[0], {id, subject: 'Maintenance tonight', counts: {accepted: 2, delivered: 0, bounced: 1, delayed: 1, replied: 0}});
	t.like((result.sends[0]!.bounced as unknown[])[0], {address: full, status: bouncedStatus, diagnostic: bouncedText});
	t.like(result.brokenMailboxes, [{address: full, status: bouncedStatus, sendId: id}]);

	// show --json: each recipient's delivery.
	const show = JSON.parse((await runCli(['show', id, '--json'], {configDir: s.dir})).stdout) as {recipients: Array<{address: string; delivery: Record<string, unknown> | null}>};
	const delivery = new Map(show.recipients.map(each => [each.address, each.delivery]));
	t.deepEqual(delivery.get(ann), {state: 'accepted', status: null, diagnostic: null, at: null});
	t.like(delivery.get(full), {state: 'bounced', status: bouncedStatus, diagnostic: bouncedText});
	t.true(typeof delivery.get(full)!.at === 'string');
	t.like(delivery.get(later), {state: 'delayed', status: delayedStatus});
	// show: a Delivery line and column.
	const table = (await runCli(['show', id], {configDir: s.dir})).stdout;
	t.regex(table, /^Delivery: Accepted 4 · Delivered 0 · Bounced 1 · Delayed 1 · no report yet 2 \(reports folded until /m);
	t.regex(table, /ADDRESS\s+STATUS\s+ATTEMPTS\s+NOTE\s+DELIVERY\s+RESPONSE/);
	t.regex(table, new RegExp(`${full}\\s+sent\\s+1\\s+bounced 5\\.2\\.2 mailbox full\\s+250 `));
	// show --csv: four delivery columns.
	const csv = (await runCli(['show', id, '--csv'], {configDir: s.dir})).stdout.trim().split('\n');
	t.is(csv[0], 'address,status,attempts,response,messageId,ambiguous,unreadable,delivery,deliveryStatus,deliveryDiagnostic,deliveryAt');
	t.regex(csv.find(line => line.startsWith(full))!, /,false,,bounced,5\.2\.2,mailbox full,\d{4}-/);
	t.regex(csv.find(line => line.startsWith(ann))!, /,false,,accepted,,,$/);
	// history: the counts.
	const [listed] = JSON.parse((await runCli(['history', '--json'], {configDir: s.dir})).stdout) as Array<Record<string, unknown>>;
	t.like(listed, {id, sent: 4, failed: 0, delivered: 0, bounced: 1, delayed: 1});
	t.regex((await runCli(['history'], {configDir: s.dir})).stdout, /SENT\s+FAILED\s+BOUNCED\s+TOTAL/);

	// The mailbox, read back: both reports in massmail/processed, the inbox empty.
	const client = await imapClient(s.harness.login);
	t.teardown(async () => client.logout().catch(() => undefined));
	t.is((await folderMessages(client, 'INBOX')).length, 0);
	t.is((await folderMessages(client, processedFolder)).length, 2);
	t.log(`ran in ${Date.now() - started} ms`);
});

test('with tracking.notify success,failure,delay a delivered mailbox is proven delivered', async t => {
	const s = await setup(t, {tracking: {notify: 'success,failure,delay'}});
	const id = await send(t, s, `domain:example.com`);
	// Success reports for ann and bob, full's bounce, later's delay.
	await s.harness.waitForReports(4, 20_000);
	const result = await runCli(['track', '--json'], {configDir: s.dir, env: s.env});
	t.is(result.code, 0, result.stderr);
	const {sends} = JSON.parse(result.stdout) as {sends: Array<{id: string; counts: unknown}>};
	t.deepEqual(sends.find(each => each.id === id)?.counts, {accepted: 0, delivered: 2, bounced: 1, delayed: 1, replied: 0});
	t.regex((await runCli(['track', id], {configDir: s.dir, env: s.env})).stdout, /^ {2}Accepted 4 · Delivered 2 · Bounced 1 · Delayed 1$/m);
});

test('track without tracking set up says which settings to set (exit 2); an IMAP server unreachable or refusing the login is exit 3 with its words, nothing recorded', async t => {
	const s = await setup(t);
	const id = await send(t, s);
	await s.harness.waitForReports(2, 20_000);
	const {dir} = tempConfigDir(t);
	const bare = await runCli(['track'], {configDir: dir});
	t.is(bare.code, 2);
	t.is(bare.stdout, '');
	t.regex(bare.stderr, /delivery reports are not set up: set tracking\.returnPath, tracking\.imap\.host, tracking\.imap\.user, MASSMAIL_TRACKING_PASSWORD or tracking\.imap\.passwordCommand/);
	t.notRegex(bare.stderr, /\n\s+at /);

	const refused = await runCli(['track'], {configDir: s.dir, env: {...s.env, MASSMAIL_TRACKING_PASSWORD: 'not-the-password'}});
	t.is(refused.code, 3);
	t.regex(refused.stderr, new RegExp(`the IMAP server 127\\.0\\.0\\.1:${s.harness.login.port} refused the login of "bounces@example\\.com"`));
	t.false(refused.stderr.includes('not-the-password'));
	t.notRegex(refused.stderr, /\n\s+at /);

	const closedPort = await freePort();
	const settingsFile = path.join(s.dir, 'settings.json');
	const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as {tracking: {imap: {port: number}}};
	settings.tracking.imap.port = closedPort;
	fs.writeFileSync(settingsFile, JSON.stringify(settings));
	const unreachable = await runCli(['track', id], {configDir: s.dir, env: s.env});
	t.is(unreachable.code, 3);
	t.regex(unreachable.stderr, new RegExp(`cannot reach the IMAP server 127\\.0\\.0\\.1:${closedPort}`));
	t.notRegex(unreachable.stderr, /\n\s+at /);
	t.is(reportsLog(s.dir, id), undefined, 'no record changed');
	t.like(JSON.parse((await runCli(['show', id, '--json'], {configDir: s.dir})).stdout).recipients[2].delivery, {state: 'accepted'});
	// The reports are still in the inbox, for the next fold.
	const client = await imapClient(s.harness.login);
	t.teardown(async () => client.logout().catch(() => undefined));
	t.is((await folderMessages(client, 'INBOX')).length, 2);
});

test('track --watch folds again and prints what came since; Ctrl+C stops it cleanly (exit 130)', async t => {
	const s = await setup(t);
	const first = await send(t, s, `user:${ann}`);
	const watch = startCli(['track', '--watch', '--every', '1'], {configDir: s.dir, env: s.env});
	t.teardown(() => watch.child.kill('SIGKILL'));
	const waitFor = async (pattern: RegExp, what: string) => {
		const deadline = Date.now() + 20_000;
		while (!pattern.test(watch.stdout)) {
			if (Date.now() > deadline || watch.child.exitCode !== null) {
				throw new Error(`no ${what} in: ${watch.stdout}\n${watch.stderr}`);
			}

			await sleep(50);
		}
	};

	await waitFor(/^No mailbox of your server bounced its last report\.$/m, 'first report');
	t.true(watch.stdout.includes(`Send ${first} "Maintenance tonight"`));
	const second = await send(t, s, `user:${full}`);
	await waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d Folded 1 report from .*\\nSend ${second}: Accepted 1 · Delivered 0 · Bounced 1 · Delayed 0\\n  Bounced:\\n    ${full}  5\\.2\\.2  mailbox full$`, 'm'), 'the new bounce');
	watch.child.kill('SIGINT');
	const result = await watch.result;
	t.is(result.code, 130, result.stderr);
	t.regex(result.stderr, /Stopped watching: what was folded is kept\./);
	t.notRegex(result.stderr, /\n\s+at /);
});

test('retry --bounced sends again to a recipient whose report bounced with a temporary status (4.x.x), never to a permanent bounce', async t => {
	// A deferred message is bounced after its first attempt, with its temporary status.
	const s = await setup(t, {extraMain: {maximal_queue_lifetime: '0', bounce_queue_lifetime: '0'}});
	const id = await send(t, s, `domain:example.com`);
	await s.harness.waitForReports(2, 20_000);
	t.is((await runCli(['track', id], {configDir: s.dir, env: s.env})).code, 0);
	const before = JSON.parse((await runCli(['show', id, '--json'], {configDir: s.dir})).stdout) as {recipients: Array<{address: string; attempts: number; delivery: {state: string; status: string}}>};
	t.like(before.recipients.find(each => each.address === later)?.delivery, {state: 'bounced', status: delayedStatus});
	t.like(before.recipients.find(each => each.address === full)?.delivery, {state: 'bounced', status: bouncedStatus});

	// Without --bounced: nothing failed, nothing to do.
	const plain = await runCli(['retry', id, '--yes'], {configDir: s.dir, env: s.env});
	t.is(plain.code, 0, plain.stderr);
	t.regex(plain.stdout, /has no failed recipients\./);

	const retry = await runCli(['retry', id, '--bounced', '--yes', '--json'], {configDir: s.dir, env: s.env});
	t.is(retry.code, 0, retry.stderr);
	t.like(lastJsonLine(retry.stdout), {id, sent: 4, failed: 0});
	const after = JSON.parse((await runCli(['show', id, '--json'], {configDir: s.dir})).stdout) as typeof before;
	t.is(after.recipients.find(each => each.address === later)?.attempts, 2, 'later sent again');
	t.is(after.recipients.find(each => each.address === full)?.attempts, 1, 'full never');
	t.is(after.recipients.find(each => each.address === ann)?.attempts, 1);
	// The old bounce was about the copy sent before: later reads as accepted again, and a second
	// retry --bounced does not send it a third time on that old report.
	t.like(after.recipients.find(each => each.address === later)?.delivery, {state: 'accepted'});
	t.like(after.recipients.find(each => each.address === full)?.delivery, {state: 'bounced', status: bouncedStatus});
	const again = await runCli(['retry', id, '--bounced', '--yes'], {configDir: s.dir, env: s.env});
	t.is(again.code, 0, again.stderr);
	t.regex(again.stdout, /has no failed recipients and none bounced with a temporary status/);
	// Postfix took it again: a new report on later comes back to the inbox (track moved the first two) with its envelope id.
	const index = after.recipients.findIndex(each => each.address === later);
	const [report] = await s.harness.waitForReports(1, 20_000);
	t.regex(report!.toString('utf8'), new RegExp(`^Original-Envelope-Id: massmail\\.${id}\\.${index}\\r?$`, 'm'));
});

test('send --track SECONDS waits for the reports after the run and folds this send\'s; without tracking set up it refuses before sending', async t => {
	const s = await setup(t);
	const result = await runCli(['send', '--to', `user:${full}`, '--subject', 'Maintenance tonight', '--message', 'M', '--yes', '--json', '--track', '3'], {configDir: s.dir, env: s.env});
	t.is(result.code, 0, result.stderr);
	const summary = lastJsonLine(result.stdout) as {id: string; sent: number; track: {sends: Array<{id: string; counts: unknown; bounced: Array<{address: string; status: string}>}>}};
	t.like(summary, {sent: 1, status: 'finished'});
	t.deepEqual(summary.track.sends.map(each => each.id), [summary.id]);
	t.like(summary.track.sends[0], {counts: {accepted: 0, bounced: 1}, bounced: [{address: full, status: bouncedStatus}]});

	const text = await runCli(['send', '--to', `user:${full}`, '--subject', 'Again', '--message', 'M', '--yes', '--track', '3'], {configDir: s.dir, env: s.env});
	t.is(text.code, 0, text.stderr);
	t.regex(text.stderr, /Waiting 3 s for the delivery reports/);
	t.regex(text.stdout, /^ {2}Accepted 1 · Delivered 0 · Bounced 1 · Delayed 0$/m);

	const {dir} = tempConfigDir(t);
	const bare = await runCli(['send', '--to', `user:${full}`, '--allow-external', '--subject', 'S', '--message', 'M', '--yes', '--track', '3'], {configDir: dir, env: {MASSMAIL_SMTP_URL: s.env.MASSMAIL_SMTP_URL}});
	t.is(bare.code, 2);
	t.regex(bare.stderr, /delivery reports are not set up/);
	t.deepEqual(JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout), []);
});

test('with delivery reports set up, the dry run asks the SMTP server whether it offers DSN and warns when it does not; Postfix offers it: no warning', async t => {
	const s = await setup(t);
	const offered = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run', '--json'], {configDir: s.dir, env: s.env});
	t.is(offered.code, 0, offered.stderr);
	t.is((JSON.parse(offered.stdout) as {warnings?: string[]}).warnings, undefined);

	const plain = await startRecordingSmtpServer();
	t.teardown(async () => plain.close());
	const env = {...s.env, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${plain.port}`};
	const warned = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run'], {configDir: s.dir, env});
	t.is(warned.code, 0, warned.stderr);
	t.regex(warned.stdout, new RegExp(`^Warning: 127\\.0\\.0\\.1:${plain.port} \\(STARTTLS when offered\\) does not offer DSN \\(RFC 3461\\): delivery reports are not asked for`, 'm'));
	t.is(plain.messages.length, 0, 'a dry run sends nothing');
});

test('two relays, Postfix (DSN) and one without DSN: the dry run and the send each name only the relay without it, whichever is listed first', async t => {
	const s = await setup(t);
	const plain = await startRecordingSmtpServer();
	t.teardown(async () => plain.close());
	const plainName = `127\\.0\\.0\\.1:${plain.port}`;
	const postfixUrl = s.env.MASSMAIL_SMTP_URL;
	for (const urls of [[postfixUrl, `smtp://127.0.0.1:${plain.port}`], [`smtp://127.0.0.1:${plain.port}`, postfixUrl]]) {
		const env = {...s.env, MASSMAIL_SMTP_URL: urls.join(',')};
		const dry = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run'], {configDir: s.dir, env});
		t.is(dry.code, 0, dry.stderr);
		const warnings = dry.stdout.split('\n').filter(line => line.includes('DSN'));
		t.is(warnings.length, 1, dry.stdout);
		t.regex(warnings[0]!, new RegExp(`^Warning: ${plainName} does not offer DSN \\(RFC 3461\\): delivery reports are not asked for the messages it sends;`));
	}

	// The send: told once, of that relay only, however many connections open to either.
	const sent = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json', '--concurrency', '1'], {configDir: s.dir, env: {...s.env, MASSMAIL_SMTP_URL: `${postfixUrl},smtp://127.0.0.1:${plain.port}`}});
	t.is(sent.code, 0, sent.stderr);
	const told = sent.stdout.split('\n').filter(line => line.includes('"no-dsn"')).map(line => JSON.parse(line) as {text: string});
	t.is(told.length, 1, sent.stdout);
	t.regex(told[0]!.text, new RegExp(`^${plainName} does not offer DSN .*for the messages it sends`));
});
