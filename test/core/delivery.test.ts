import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {simpleParser, type AddressObject, type ParsedMail} from 'mailparser';
import {openStore, type Store} from '../../source/core/store.js';
import {checkConnection, createDelivery, openDeliveryContext, reopenDelivery, sendTestCopy, type DeliveryContext, type DeliveryOverrides} from '../../source/core/delivery/index.js';
import {MassmailError} from '../../source/core/errors.js';
import type {DeliveryEvent, MessageDraft, Recipient} from '../../source/core/types.js';
import {startTestSmtpServer, type TestSmtpServer, type TestSmtpServerOptions} from '../helpers/smtp-test-server.js';
import {tempFolder} from '../helpers/temp-dir.js';

const password = 'pw-Zq7-never-on-disk';

interface Setup {
	store: Store;
	ctx: DeliveryContext;
	server: TestSmtpServer;
	dir: string;
}

async function setup(t: {teardown(fn: () => Promise<void> | void): void}, options: TestSmtpServerOptions & {url?: (port: number) => string; env?: Record<string, string>} = {}): Promise<Setup> {
	const dir = tempFolder(t, 'massmail-delivery-');
	const server = await startTestSmtpServer(options);
	const env: NodeJS.ProcessEnv = {
		MASSMAIL_CONFIG_DIR: dir,
		MASSMAIL_SMTP_URL: options.url ? options.url(server.port) : `smtp://${options.auth ? options.auth.user + '@' : ''}127.0.0.1:${server.port}`,
		...(options.auth ? {MASSMAIL_SMTP_PASSWORD: options.auth.pass} : {}),
		...options.env,
	};
	const store = openStore({env});
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => {
		await ctx.close();
		await server.close();
	});
	return {store, ctx, server, dir};
}

// A reply deadline of 10 s: at 1 s, a login on a machine at a load of 10 missed it now and then. The
// one test about a deadline sets its own.
const fast: DeliveryOverrides = {concurrency: 3, maxAttempts: 3, retryDelayMs: 5, timeoutMs: 10_000, journalIntervalMs: 5};

function draft(overrides: Partial<MessageDraft> = {}): MessageDraft {
	return {kind: 'email', from: {name: 'System Administrator', address: 'postmaster@mail.example.net'}, friendlyName: '', subject: 'Maintenance', body: 'Tonight at 22:00.', html: false, ...overrides};
}

function people(...locals: string[]): Recipient[] {
	return locals.map(local => ({address: `${local}@example.com`, name: local.toUpperCase()}));
}

const parse = async (server: TestSmtpServer): Promise<ParsedMail[]> => Promise.all(server.messages.map(async m => simpleParser(m.raw)));
const toText = (mail: ParsedMail) => (mail.to as AddressObject).text;

test('one message per recipient, with its own To, Message-ID and the bulk headers, journaled as sent', async t => {
	const {ctx, server} = await setup(t);
	const recipients = people('ann', 'bob', 'cy', 'dee', 'eve');
	const delivery = await createDelivery(ctx, {draft: draft({friendlyName: 'Example.com User - ', subject: 'Hello {{name}}', body: 'Your box {{address}} at {{domain}}'}), audience: 'domain:example.com', recipients}, fast);
	t.is(delivery.total, 5);
	t.is(delivery.destination, `127.0.0.1:${server.port} (STARTTLS when offered)`);
	const result = await delivery.start();
	t.deepEqual(result, {id: delivery.id, total: 5, sent: 5, failed: 0, status: 'finished', runSent: 5});
	t.is(server.messages.length, 5);
	const mails = await parse(server);
	for (const [index, message] of server.messages.entries()) {
		t.deepEqual(message.envelope.to.length, 1);
		t.is(message.envelope.from, 'postmaster@mail.example.net');
		const mail = mails[index];
		const address = message.envelope.to[0];
		const recipient = recipients.find(r => r.address === address)!;
		t.is(toText(mail), `"Example.com User - ${address}" <${address}>`);
		t.is(mail.cc, undefined);
		t.is(mail.subject, `Hello ${recipient.name}`);
		t.is(mail.text?.trim(), `Your box ${address} at example.com`);
		t.is(mail.headers.get('auto-submitted'), 'auto-generated');
		t.is(mail.headers.get('precedence'), 'bulk');
		t.is(mail.headers.get('x-auto-response-suppress'), 'All');
		t.truthy(mail.date);
		t.is(mail.messageId, `<${delivery.id}.${recipients.indexOf(recipient)}@mail.example.net>`);
	}

	t.deepEqual(server.messages.map(m => m.envelope.to[0]).sort(), recipients.map(r => r.address).sort());
	const report = ctx.sends.recipients(delivery.id);
	t.true(report.every(r => r.status === 'sent' && r.attempts === 1 && r.response?.startsWith('250')));
	t.like(ctx.sends.summary(delivery.id), {status: 'finished', sent: 5, failed: 0, audience: 'domain:example.com', captured: false});
});

test('HTML goes out as multipart/alternative with a plain-text part', async t => {
	const {ctx, server} = await setup(t);
	const delivery = await createDelivery(ctx, {draft: draft({html: true, body: '<p>The <b>server</b> restarts.</p>'}), audience: 'user:ann@example.com', recipients: people('ann')}, fast);
	await delivery.start();
	t.regex(server.messages[0].raw.toString(), /multipart\/alternative/);
	const [mail] = await parse(server);
	t.true(typeof mail.html === 'string' && mail.html.includes('<b>server</b>'));
	t.is(mail.text?.trim(), 'The server restarts.');
});

test('each outcome follows the server: defer-once, defer, refuse, drop; events come after the journal', async t => {
	const {ctx, server} = await setup(t);
	const recipients = people('ok', 'defer-once+a', 'defer+b', 'refuse+c', 'drop-once+d', 'drop+e');
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients}, {...fast, timeoutMs: 10_000});
	const seen: Array<Extract<DeliveryEvent, {type: 'outcome'}>> = [];
	let reportedBeforeJournal = 0;
	delivery.subscribe(event => {
		if (event.type === 'outcome') {
			seen.push(event);
			const onDisk = ctx.sends.recipients(delivery.id).find(r => r.address === event.address)!;
			const expected = event.status === 'deferred' ? 'pending' : event.status;
			if (onDisk.status !== expected || onDisk.attempts !== event.attempts) {
				reportedBeforeJournal++;
			}
		}
	});
	const result = await delivery.start();
	t.like(result, {sent: 3, failed: 3, total: 6, status: 'finished'});
	t.is(reportedBeforeJournal, 0);
	const report = new Map(ctx.sends.recipients(delivery.id).map(r => [r.address.split('@')[0], r]));
	t.like(report.get('ok'), {status: 'sent', attempts: 1, ambiguous: false});
	t.like(report.get('defer-once+a'), {status: 'sent', attempts: 2});
	t.like(report.get('defer+b'), {status: 'failed', attempts: 3});
	t.regex(report.get('defer+b')!.response!, /451/);
	t.like(report.get('refuse+c'), {status: 'failed', attempts: 1});
	t.regex(report.get('refuse+c')!.response!, /550 5\.1\.1 No such user here/);
	t.like(report.get('drop-once+d'), {status: 'sent', attempts: 2, ambiguous: true});
	t.like(report.get('drop+e'), {status: 'failed', attempts: 3, ambiguous: true});
	t.regex(report.get('drop+e')!.response!, /ambiguous/);
	t.deepEqual(seen.filter(e => e.address.startsWith('defer-once')).map(e => e.status), ['deferred', 'sent']);
	t.deepEqual(seen.filter(e => e.address.startsWith('refuse')).map(e => e.status), ['failed']);
	// Only accepted messages (and the dropped ones the server read) reached it.
	t.deepEqual(server.messages.map(m => m.envelope.to[0].split('@')[0]).sort(), ['defer-once+a', 'drop-once+d', 'ok']);
	t.like(ctx.sends.summary(delivery.id), {sent: 3, failed: 3, status: 'finished'});
});

test('a connection dropped in the middle of the data is retried, and recorded as possibly delivered', async t => {
	const {ctx, server} = await setup(t);
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('drop-mid+x', 'ok')}, {...fast, maxAttempts: 2});
	t.like(await delivery.start(), {sent: 1, failed: 1});
	const [dropped] = ctx.sends.recipients(delivery.id);
	t.like(dropped, {status: 'failed', attempts: 2, ambiguous: true});
	t.deepEqual(server.messages.map(m => m.envelope.to[0]), ['ok@example.com']);
});

test('a server that stops answering is a temporary failure: retried, then failed', async t => {
	const {ctx, server} = await setup(t);
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('stall+f', 'ok')}, {...fast, maxAttempts: 2, timeoutMs: 1500});
	t.like(await delivery.start(), {sent: 1, failed: 1});
	const [stalled, ok] = ctx.sends.recipients(delivery.id);
	t.like(stalled, {status: 'failed', attempts: 2, ambiguous: false});
	t.regex(stalled.response ?? '', /no complete reply to MAIL FROM, RCPT TO or DATA within 1\.5 s/);
	t.is(ok.status, 'sent');
	t.deepEqual(server.messages.map(m => m.envelope.to[0]), ['ok@example.com']);
});

test('retry sends again to the failed recipients only', async t => {
	const {ctx, server} = await setup(t);
	const first = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann', 'defer-once+b', 'refuse+c')}, {...fast, maxAttempts: 1});
	t.like(await first.start(), {sent: 1, failed: 2});
	const retry = await reopenDelivery(ctx, first.id, {only: 'failed'}, fast);
	t.is(retry.total, 2);
	t.like(await retry.start(), {id: first.id, total: 3, sent: 2, failed: 1, status: 'finished'});
	t.deepEqual(server.messages.map(m => m.envelope.to[0]), ['ann@example.com', 'defer-once+b@example.com']);
	const report = ctx.sends.recipients(first.id);
	t.like(report[1], {status: 'sent', attempts: 2});
	t.like(report[2], {status: 'failed', attempts: 2});
});

test('a reminder threads under the Message-ID each recipient got', async t => {
	const {ctx, server} = await setup(t);
	const original = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann', 'bob')}, fast);
	await original.start();
	const originals = new Map((await parse(server)).map(m => [toText(m), m.messageId]));
	server.messages.length = 0;
	const reminder = await createDelivery(ctx, {draft: draft({kind: 'reminder', subject: 'Reminder: Maintenance'}), audience: `send:${original.id}`, recipients: people('bob', 'ann', 'new'), followUpOf: original.id}, fast);
	await reminder.start();
	const mails = await parse(server);
	t.is(mails.length, 3);
	for (const mail of mails) {
		const expected = originals.get(toText(mail));
		t.is(mail.inReplyTo, expected);
		t.is(mail.references, expected);
		t.not(mail.messageId, expected);
	}

	t.is(ctx.sends.summary(reminder.id).followUpOf, original.id);
	t.is(mails.filter(m => m.inReplyTo === undefined).length, 1);
});

test('an unreachable server ends with a connection error, nothing written or sent', async t => {
	const dir = tempFolder(t, 'massmail-delivery-');
	const free = await startTestSmtpServer();
	const port = free.port;
	await free.close();
	const env = {MASSMAIL_CONFIG_DIR: dir, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${port}`};
	const ctx = openDeliveryContext(openStore({env}), env);
	const error = await t.throwsAsync(createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann')}, fast), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.is(error?.exitCode, 3);
	t.regex(error?.message ?? '', new RegExp(`127\\.0\\.0\\.1:${port}`));
	t.deepEqual(ctx.sends.list(), []);
	await t.throwsAsync(checkConnection(ctx), {instanceOf: MassmailError});
});

test('a refused login ends with an auth error, nothing sent, and the password shows up nowhere', async t => {
	const {ctx, server, dir} = await setup(t, {auth: {user: 'mailer', pass: 'right-password'}, env: {MASSMAIL_SMTP_PASSWORD: password}});
	const error = await t.throwsAsync(createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann')}, fast), {instanceOf: MassmailError});
	t.is(error?.kind, 'auth');
	t.is(error?.exitCode, 3);
	t.false(`${error?.message} ${error?.hint}`.includes(password));
	t.is(server.messages.length, 0);
	t.deepEqual(ctx.sends.list(), []);
	t.is(fs.existsSync(path.join(dir, 'sends')) ? fs.readdirSync(path.join(dir, 'sends')).length : 0, 0);
});

function filesUnder(dir: string): string[] {
	return fs.readdirSync(dir, {withFileTypes: true, recursive: true}).filter(entry => entry.isFile()).map(entry => path.join(entry.parentPath, entry.name));
}

test('with a login, mail goes through and the password is in no file of the data folder', async t => {
	const {ctx, server, dir, store} = await setup(t, {auth: {user: 'mailer', pass: password}});
	store.settings.update({delivery: {concurrency: 2}});
	t.regex(await checkConnection(ctx), /logged in as mailer/);
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann', 'defer-once+b', 'refuse+c')}, fast);
	const events: string[] = [];
	delivery.subscribe(event => events.push(JSON.stringify(event)));
	await delivery.start();
	t.is(server.messages.length, 2);
	t.true(server.logins >= 1);
	const files = filesUnder(dir);
	t.true(files.some(file => file.endsWith('outcomes.log')));
	for (const file of files) {
		t.false(fs.readFileSync(file, 'utf8').includes(password), file);
	}

	t.false(events.join('\n').includes(password));
});

test('password command: its output is the password, asked once per send however many connections log in', async t => {
	const {ctx, server, store, dir} = await setup(t, {auth: {user: 'mailer', pass: password}, env: {MASSMAIL_SMTP_PASSWORD: ''}});
	// Each run of the command leaves a line: a secret tool may ask a person (or a token) each time.
	// The pace keeps the send going long enough for every connection to open and log in.
	const runs = `${dir}/password-command-runs`;
	store.settings.update({smtp: {passwordCommand: `echo run >> '${runs}'; printf '%s\\n' '${password}'`}});
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people(...Array.from({length: 60}, (_, i) => `u${i}`))}, {...fast, concurrency: 3, rate: 100});
	await delivery.start();
	t.is(server.messages.length, 60);
	t.true(server.logins >= 2, `${server.logins} logins, ${server.authAttempts} AUTH`);
	t.is(fs.readFileSync(runs, 'utf8'), 'run\n');
});

test('pause holds the queue, resume finishes it', async t => {
	const {ctx, server} = await setup(t);
	const recipients = people(...Array.from({length: 20}, (_, i) => `p${i}`));
	// The rate limit keeps the send going long enough to pause it half-way.
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients}, {...fast, concurrency: 1, rate: 40});
	let sentAtPause = -1;
	const states: string[] = [];
	delivery.subscribe(event => {
		if (event.type === 'state') {
			states.push(event.state);
		}

		if (event.type === 'outcome' && sentAtPause === -1) {
			sentAtPause = server.messages.length;
			delivery.pause();
			setTimeout(() => {
				// At most the one message in flight at the pause went out meanwhile.
				t.true(server.messages.length <= sentAtPause + 1);
				t.is(delivery.progress().total, 20);
				delivery.resume();
			}, 150);
		}
	});
	const result = await delivery.start();
	t.like(result, {sent: 20, status: 'finished'});
	t.deepEqual(states, ['running', 'paused', 'running']);
	t.is(server.messages.length, 20);
});

test('cancel stops taking recipients; resume then sends only the rest, each exactly once', async t => {
	const {ctx, server} = await setup(t);
	const recipients = people(...Array.from({length: 30}, (_, i) => `c${i}`));
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients}, {...fast, concurrency: 2, rate: 40});
	const states: string[] = [];
	delivery.subscribe(event => {
		if (event.type === 'state') {
			states.push(event.state);
		}

		if (event.type === 'outcome') {
			delivery.cancel();
		}
	});
	const result = await delivery.start();
	t.is(result.status, 'cancelled');
	t.deepEqual(states, ['running', 'cancelling']);
	t.true(result.sent < 30);
	t.is(result.sent, server.messages.length);
	t.like(ctx.sends.summary(delivery.id), {status: 'cancelled', sent: result.sent});
	const resumed = await reopenDelivery(ctx, delivery.id, {only: 'unfinished'}, fast);
	t.is(resumed.total, 30 - result.sent);
	t.like(await resumed.start(), {sent: 30, failed: 0, status: 'finished'});
	const received = server.messages.map(m => m.envelope.to[0]).sort();
	t.deepEqual(received, recipients.map(r => r.address).sort());
	t.like(ctx.sends.summary(delivery.id), {status: 'finished', sent: 30});
});

test('an interrupted send reads as interrupted and resumes; a second worker is refused while one holds it', async t => {
	const {ctx, server} = await setup(t);
	const recipients = people(...Array.from({length: 12}, (_, i) => `i${i}`));
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients}, {...fast, concurrency: 1, rate: 40});
	const locked = await t.throwsAsync(reopenDelivery(ctx, delivery.id, {only: 'unfinished'}, fast), {instanceOf: MassmailError});
	t.is(locked?.kind, 'locked');
	t.is(locked?.message, `send ${delivery.id} is being worked on by process ${process.pid}`);
	t.is(ctx.sends.summary(delivery.id).status, 'running');
	let outcomes = 0;
	const states: string[] = [];
	delivery.subscribe(event => {
		if (event.type === 'state') {
			states.push(event.state);
		}

		if (event.type === 'outcome' && ++outcomes === 2) {
			delivery.interrupt();
		}
	});
	const result = await delivery.start();
	t.is(result.status, 'interrupted');
	// An interrupt is not a cancel: the send stops, resumable.
	t.deepEqual(states, ['running', 'stopping']);
	t.is(ctx.sends.summary(delivery.id).status, 'interrupted');
	const resumed = await reopenDelivery(ctx, delivery.id, {only: 'unfinished'}, fast);
	await resumed.start();
	t.deepEqual(server.messages.map(m => m.envelope.to[0]).sort(), recipients.map(r => r.address).sort());
	// Nothing is left to resume.
	const nothing = await reopenDelivery(ctx, delivery.id, {only: 'unfinished'}, fast);
	t.is(nothing.total, 0);
	t.like(await nothing.start(), {sent: 12, status: 'finished'});
});

test('a send that went to a server is not resumed into local capture', async t => {
	const {ctx} = await setup(t);
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann')}, fast);
	delivery.interrupt();
	const env = {MASSMAIL_CONFIG_DIR: ctx.store.paths.root};
	const local = openDeliveryContext(openStore({env}), env);
	const error = await t.throwsAsync(reopenDelivery(local, delivery.id, {only: 'unfinished'}), {instanceOf: MassmailError});
	t.is(error?.kind, 'usage');
	await local.close();
});

test('with no server configured, mail goes to the local capture server as .eml files', async t => {
	const dir = tempFolder(t, 'massmail-capture-');
	const env = {MASSMAIL_CONFIG_DIR: dir};
	const store = openStore({env});
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => ctx.close());
	t.is(await checkConnection(ctx), 'local capture: nothing leaves this machine');
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann', 'bob')}, fast);
	t.is(delivery.destination, 'local capture: nothing leaves this machine');
	await delivery.start();
	const folder = path.join(store.paths.captureDir, delivery.id);
	t.deepEqual(fs.readdirSync(folder).sort(), ['0.eml', '1.eml']);
	const mail = await simpleParser(fs.readFileSync(path.join(folder, '1.eml')));
	t.is(toText(mail), 'bob@example.com');
	t.true(ctx.sends.summary(delivery.id).captured);
	t.regex(ctx.sends.recipients(delivery.id)[0].response ?? '', /captured as/);
});

test('TLS is verified unless the settings allow an unverified server', async t => {
	const {ctx, server, store} = await setup(t, {tls: 'starttls', url: port => `smtp://127.0.0.1:${port}?tls=starttls`});
	const error = await t.throwsAsync(checkConnection(ctx), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.regex(error?.hint ?? '', /allowUnverifiedTls/);
	store.settings.update({smtp: {allowUnverifiedTls: true}});
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann')}, fast);
	await delivery.start();
	t.is(server.messages.length, 1);
});

test('implicit TLS (smtps://) works with an allowed self-signed server', async t => {
	const {ctx, server, store} = await setup(t, {tls: 'implicit', url: port => `smtps://127.0.0.1:${port}`});
	t.is((await t.throwsAsync(checkConnection(ctx), {instanceOf: MassmailError}))?.kind, 'connection');
	store.settings.update({smtp: {allowUnverifiedTls: true}});
	t.regex(await checkConnection(ctx), /127\.0\.0\.1:\d+ \(TLS, certificate not verified\)/);
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann')}, fast);
	await delivery.start();
	t.is(server.messages.length, 1);
});

test('a server without STARTTLS is refused when STARTTLS is required, nothing sent', async t => {
	const {ctx, server} = await setup(t, {url: port => `smtp://127.0.0.1:${port}?tls=starttls`});
	const error = await t.throwsAsync(createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann')}, fast), {instanceOf: MassmailError});
	t.is(error?.kind, 'connection');
	t.is(server.messages.length, 0);
	t.deepEqual(ctx.sends.list(), []);
});

test('a test copy goes to one address and is not journaled', async t => {
	const {ctx, server} = await setup(t);
	const reply = await sendTestCopy(ctx, draft({friendlyName: 'User - '}), 'me@example.org');
	t.regex(reply, /^250/);
	t.is(server.messages.length, 1);
	t.deepEqual(server.messages[0].envelope.to, ['me@example.org']);
	t.deepEqual(ctx.sends.list(), []);
	await t.throwsAsync(sendTestCopy(ctx, draft(), 'refuse+me@example.org'), {message: /550/});
});

test('a server that goes away mid-send stops the run: stopped, send interrupted, the rest pending', async t => {
	const {ctx, server} = await setup(t);
	const recipients = people(...Array.from({length: 40}, (_, i) => `g${i}`));
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients}, {...fast, concurrency: 2, rate: 40, maxAttempts: 10, reconnectDelayMs: 10});
	let closing: Promise<void> | undefined;
	const states: string[] = [];
	delivery.subscribe(event => {
		if (event.type === 'state') {
			states.push(event.state);
		}

		if (event.type === 'outcome') {
			closing ??= server.close();
		}
	});
	const result = await delivery.start();
	await closing;
	t.like(result, {status: 'interrupted', stopped: {kind: 'connection'}});
	t.deepEqual(states, ['running', 'stopping']);
	t.regex(result.stopped?.message ?? '', /lost the SMTP server 127\.0\.0\.1:\d+: .*ECONNREFUSED.*5 connections failed in a row/);
	t.true(result.runSent >= 1);
	const summary = ctx.sends.summary(delivery.id);
	t.is(summary.status, 'interrupted');
	t.is(summary.failed, 0);
	t.is(summary.sent, server.messages.length);
	t.true(ctx.sends.recipients(delivery.id).filter(r => r.status === 'pending').length >= 30);
});

test('the rate limit spaces messages out; progress ends with nothing remaining', async t => {
	const {ctx} = await setup(t);
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('r1', 'r2', 'r3', 'r4', 'r5', 'r6')}, {...fast, rate: 20});
	let last: DeliveryEvent | undefined;
	delivery.subscribe(event => {
		if (event.type === 'progress') {
			last = event;
		}
	});
	const started = Date.now();
	await delivery.start();
	// One message may go at once, each further one waits 1/20 s: at least 5 × 50 ms.
	t.true(Date.now() - started >= 240);
	t.like(last, {type: 'progress', progress: {total: 6, sent: 6, failed: 0, deferred: 0, remaining: 0, etaMs: 0}});
	t.like(delivery.progress(), {sent: 6, remaining: 0});
});

test('strict journal mode delivers the same outcomes', async t => {
	const {ctx, server} = await setup(t);
	const recipients = people(...Array.from({length: 50}, (_, i) => `s${i}`), 'defer-once+x', 'refuse+y', 'drop-once+z');
	const delivery = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients}, {...fast, strictJournal: true});
	t.like(await delivery.start(), {total: 53, sent: 52, failed: 1, status: 'finished'});
	t.is(new Set(server.messages.map(m => m.envelope.to[0])).size, 52);
	t.like(ctx.sends.recipients(delivery.id).find(r => r.address.startsWith('drop-once')), {status: 'sent', ambiguous: true});
});

test('a delivery created or reopened but never started releases its lock when cancelled', async t => {
	const {ctx, server} = await setup(t);
	const created = await createDelivery(ctx, {draft: draft(), audience: 'all', recipients: people('ann', 'refuse+b')}, fast);
	created.cancel();
	t.like(ctx.sends.summary(created.id), {status: 'cancelled', sent: 0});
	await (await reopenDelivery(ctx, created.id, {only: 'unfinished'}, fast)).start();
	t.like(ctx.sends.summary(created.id), {status: 'finished', sent: 1, failed: 1});
	const retry = await reopenDelivery(ctx, created.id, {only: 'failed'}, fast);
	t.is(ctx.sends.summary(created.id).status, 'running');
	retry.cancel();
	t.like(ctx.sends.summary(created.id), {status: 'finished', sent: 1, failed: 1});
	t.is(server.messages.length, 1);
});
