/**
 * The messages as a server receives them, sent by the real engine to a real SMTP server on
 * 127.0.0.1: every raw line measured (RFC 5322: at most 998, folded to 78 where it has
 * whitespace; RFC 2047: encoded-words of at most 75, split between words), then read back with
 * mailparser.
 */
import test, {type ExecutionContext} from 'ava';
import {simpleParser, type AddressObject, type ParsedMail} from 'mailparser';
import {openStore, type Store} from '../../source/core/store.js';
import {createDelivery, openDeliveryContext, type DeliveryContext, type DeliveryOverrides} from '../../source/core/delivery/index.js';
import {MessageTemplate, validateDraft} from '../../source/core/compose.js';
import {mailHostName} from '../../source/core/host-name.js';
import {MassmailError} from '../../source/core/errors.js';
import {normalizeAddress} from '../../source/core/address.js';
import type {MessageDraft, Recipient} from '../../source/core/types.js';
import {startRecordingSmtpServer, type RecordedMessage, type RecordingSmtpServer} from '../helpers/recording-smtp-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

interface Setup {
	store: Store;
	ctx: DeliveryContext;
	server: RecordingSmtpServer;
}

async function start(t: ExecutionContext, options: {smtputf8?: boolean} = {}): Promise<Setup> {
	const server = await startRecordingSmtpServer(options);
	const {env: base} = tempConfigDir(t);
	const env = {...base, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const store = openStore({env});
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => {
		await ctx.close();
		await server.close();
	});
	return {store, ctx, server};
}

const fast: DeliveryOverrides = {concurrency: 1, maxAttempts: 1, retryDelayMs: 5, timeoutMs: 5000, journalIntervalMs: 5};

function draft(overrides: Partial<MessageDraft> = {}): MessageDraft {
	return {kind: 'email', from: {name: 'IT Team', address: 'it@example.com'}, friendlyName: '', subject: 'Maintenance tonight', body: 'The server restarts at 22:00.\n', html: false, ...overrides};
}

async function send(setup: Setup, message: MessageDraft, recipients: Recipient[], followUpOf?: string) {
	const delivery = await createDelivery(setup.ctx, {draft: message, audience: 'test', recipients, followUpOf}, fast);
	const result = await delivery.start();
	return {id: delivery.id, result};
}

/** The header section's lines (unfolded lines stay separate: each is measured). */
function headerLines(raw: Buffer): string[] {
	const text = raw.toString('utf8');
	return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
}

/**
 * Every line of the message at most 998; every header line at most 78 unless it is one word
 * (after the field name) that cannot be folded; every encoded-word at most 75.
 */
function assertWellFolded(t: ExecutionContext, message: RecordedMessage): void {
	const all = message.raw.toString('utf8').split('\r\n');
	const tooLong = all.find(line => line.length > 998);
	t.is(tooLong, undefined, `a line of ${tooLong?.length} characters`);
	for (const line of headerLines(message.raw)) {
		if (line.length > 78) {
			t.regex(line, /^(?:[\w-]+: ?)?\s?\S+$/, `a header line of ${line.length} characters that could have been folded: ${line.slice(0, 100)}…`);
		}

		for (const word of line.match(/=\?[^?]+\?[QB]\?[^?]*\?=/gi) ?? []) {
			t.true(word.length <= 75, `an encoded-word of ${word.length} characters: ${word}`);
		}
	}

	const body = all.slice(headerLines(message.raw).length + 1);
	t.true(body.every(line => line.length <= 76), 'quoted-printable lines of at most 76');
}

/** The text each encoded-word of a header holds, in order, for the words next to each other. */
function encodedWordTexts(header: string): string[][] {
	const runs: string[][] = [];
	let run: string[] = [];
	const tokens = header.replaceAll('\r\n', '').split(/ +/);
	for (const token of tokens) {
		const match = /^"?=\?UTF-8\?([QB])\?([^?]*)\?="?$/i.exec(token);
		if (!match) {
			if (run.length > 0) {
				runs.push(run);
			}

			run = [];
			continue;
		}

		const [, encoding, text] = match;
		run.push(encoding.toUpperCase() === 'B'
			? Buffer.from(text, 'base64').toString('utf8')
			: Buffer.from(text.replaceAll('_', ' ').replaceAll(/=([\dA-F]{2})/gi, (_all, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16))), 'latin1').toString('utf8'));
	}

	if (run.length > 0) {
		runs.push(run);
	}

	return runs;
}

function rawHeader(message: RecordedMessage, name: string): string {
	const lines = headerLines(message.raw);
	const start = lines.findIndex(line => line.toLowerCase().startsWith(name.toLowerCase() + ':'));
	let end = start + 1;
	while (end < lines.length && /^\s/.test(lines[end])) {
		end++;
	}

	return lines.slice(start, end).join('\r\n');
}

const toOf = (mail: ParsedMail) => (mail.to as AddressObject).value[0];

test('a friendly name of 400 characters with spaces is folded: every line at most 78, read back exactly', async t => {
	const setup = await start(t);
	const friendly = 'Example.com User - '.repeat(21).slice(0, 400);
	await send(setup, draft({friendlyName: friendly}), [{address: 'ann@example.com', name: 'Ann'}]);
	const [message] = setup.server.messages;
	assertWellFolded(t, message);
	t.true(headerLines(message.raw).every(line => line.length <= 78));
	const mail = await simpleParser(message.raw);
	t.is(toOf(mail).name, friendly + 'ann@example.com');
	t.is(toOf(mail).address, 'ann@example.com');
});

test('a friendly name of 400 characters without spaces stays one word on one line (under 998), read back exactly', async t => {
	const setup = await start(t);
	const friendly = 'x'.repeat(400);
	await send(setup, draft({friendlyName: friendly}), [{address: 'ann@example.com', name: 'Ann'}]);
	const [message] = setup.server.messages;
	assertWellFolded(t, message);
	const to = rawHeader(message, 'To');
	t.true(to.split('\r\n')[0].length > 400 && to.split('\r\n')[0].length < 998);
	const mail = await simpleParser(message.raw);
	t.is(toOf(mail).name, friendly + 'ann@example.com');
});

test('a word that cannot fit in 998 characters is refused before anything is sent, naming the field', async t => {
	const setup = await start(t);
	const recipients = [{address: 'ann@example.com', name: 'Ann'}];
	for (const [field, change] of [
		['Subject', {subject: 'x'.repeat(100_000)}],
		['To Friendly Name', {friendlyName: 'y'.repeat(1000)}],
		['From name', {from: {name: 'z'.repeat(1000), address: 'it@example.com'}}],
	] as const) {
		const error = t.throws(() => {
			validateDraft(draft(change));
		}, {instanceOf: MassmailError});
		t.is(error?.kind, 'validation');
		t.true(error?.message.startsWith(field), error?.message);
		await t.throwsAsync(createDelivery(setup.ctx, {draft: draft(change), audience: 'test', recipients}, fast), {instanceOf: MassmailError, message: new RegExp(`^${field}`)});
	}

	// The address is part of the word: a friendly name that fits alone may not fit with a recipient's address.
	const long = normalizeAddress(`${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example`);
	const template = new MessageTemplate(draft({friendlyName: 'w'.repeat(800)}), {sendId: 's'});
	t.notThrows(() => {
		template.checkRecipients([{address: 'ann@example.com', name: ''}]);
	});
	t.throws(() => {
		template.checkRecipients([{address: 'ann@example.com', name: ''}, {address: long, name: ''}]);
	}, {message: new RegExp(`^for ${long}: To Friendly Name`)});
	await t.throwsAsync(createDelivery(setup.ctx, {draft: draft({friendlyName: 'w'.repeat(800)}), audience: 'test', recipients: [{address: long, name: ''}]}, fast), {message: /^for .*: To Friendly Name/});

	// A short subject whose {{name}} brings in a directory name of 1,000 characters: whose name it is, and what to do.
	const named = t.throws(() => {
		new MessageTemplate(draft({subject: 'News for {{name}}'}), {sendId: 's'}).checkRecipients([{address: 'ann@example.com', name: 'Ann'}, {address: 'long@example.com', name: 'n'.repeat(1000)}]);
	}, {instanceOf: MassmailError});
	t.regex(named!.message, /^for long@example\.com: Subject holds a word too long/);
	t.regex(named!.hint ?? '', /^its name in the directory is 1,000 characters: shorten it \(massmail user set long@example\.com --name NAME\), or leave \{\{name\}\} out; /);
	t.is(setup.server.messages.length, 0);
	t.deepEqual(setup.ctx.sends.list(), [], 'no send record either');
});

test('a non-ASCII friendly name: encoded-words of at most 75, split only between words, read back exactly', async t => {
	const setup = await start(t);
	const friendly = 'Ünïcödé-Nutzer für die Wartung über Nacht bei Bücher Beispiel Grüße Jürgen Müller Zoë Ærøskøbing - ';
	await send(setup, draft({friendlyName: friendly, from: {name: 'Systemverwaltung für Bücher Beispiel Ä Ö Ü', address: 'it@example.com'}}), [{address: 'ann@example.com', name: 'Ann'}]);
	const [message] = setup.server.messages;
	assertWellFolded(t, message);
	t.true(headerLines(message.raw).every(line => line.length <= 78));
	for (const header of ['To', 'From']) {
		for (const run of encodedWordTexts(rawHeader(message, header))) {
			for (const text of run.slice(0, -1)) {
				t.regex(text, / $/, `an encoded-word of ${header} ends inside a word: ${JSON.stringify(text)}`);
			}
		}
	}

	const mail = await simpleParser(message.raw);
	t.is(toOf(mail).name, friendly + 'ann@example.com');
	t.is(mail.from?.value[0].name, 'Systemverwaltung für Bücher Beispiel Ä Ö Ü');
});

test('a long subject is folded between words, its encoded-words split only between words; it reads back exactly', async t => {
	const setup = await start(t);
	const subject = Array.from({length: 250}, (_, index) => ['Grüße', 'über', 'Nacht', 'für', 'Jürgen'][index % 5]).join(' ');
	await send(setup, draft({subject}), [{address: 'ann@example.com', name: 'Ann'}]);
	const [message] = setup.server.messages;
	assertWellFolded(t, message);
	t.true(headerLines(message.raw).every(line => line.length <= 78));
	for (const run of encodedWordTexts(rawHeader(message, 'Subject'))) {
		for (const text of run.slice(0, -1)) {
			t.regex(text, / $/, `an encoded-word of the Subject ends inside a word: ${JSON.stringify(text)}`);
		}
	}

	const mail = await simpleParser(message.raw);
	t.is(mail.subject, subject);
});

test('an IDN domain: placeholders and the friendly name in Unicode, the addresses in ASCII, no SMTPUTF8 needed', async t => {
	const setup = await start(t);
	const zoe = {address: normalizeAddress('zoe@bücher.example'), name: 'Zoë Ähnlich'};
	t.is(zoe.address, 'zoe@xn--bcher-kva.example');
	await send(setup, draft({friendlyName: '{{domain}} user - ', subject: 'Hello {{name}} at {{domain}}', body: 'Your address is {{address}}, your domain {{domain}}.\n'}), [zoe]);
	const [message] = setup.server.messages;
	assertWellFolded(t, message);
	t.deepEqual(message.commands, ['MAIL FROM:<it@example.com>', 'RCPT TO:<zoe@xn--bcher-kva.example>']);
	t.false(message.smtpUtf8);
	t.true(headerLines(message.raw).every(line => /^[\u0020-\u007E]*$/.test(line)), 'the header is ASCII');
	const mail = await simpleParser(message.raw);
	t.is(toOf(mail).name, 'bücher.example user - zoe@bücher.example');
	t.regex(rawHeader(message, 'To'), /<zoe@xn--bcher-kva\.example>$/, 'the address in ASCII (mailparser shows it in Unicode)');
	t.is(mail.subject, 'Hello Zoë Ähnlich at bücher.example');
	t.is(mail.text, 'Your address is zoe@bücher.example, your domain bücher.example.\n');
});

test('an HTML table becomes aligned columns in the text part; links once; a heading keeps the filled-in name', async t => {
	const setup = await start(t);
	const body = '<h1>Hi {{name}}</h1><p>Contact <a href="mailto:support@example.com">support@example.com</a> or read <a href="https://example.com/notes">the notes</a>.</p>'
		+ '<table><tr><th>Service</th><th>Downtime</th><th>Notes</th></tr>'
		+ '<tr><td>IMAP</td><td>22:00–22:15 UTC</td><td>Clients reconnect automatically</td></tr>'
		+ '<tr><td>Webmail</td><td>22:15–22:45 UTC</td><td>Log in again afterwards</td></tr></table>';
	await send(setup, draft({html: true, body}), [{address: 'juergen@example.com', name: 'Jürgen Müller'}]);
	const [message] = setup.server.messages;
	assertWellFolded(t, message);
	const mail = await simpleParser(message.raw);
	const text = mail.text ?? '';
	t.regex(text, /^Hi Jürgen Müller\n/);
	t.regex(text, /Contact support@example\.com or read the notes \[https:\/\/example\.com\/notes\]\./);
	t.notRegex(text, /\[support@example\.com\]|mailto/);
	const lines = text.split('\n');
	const row = (first: string) => lines.find(line => line.startsWith(first)) ?? '';
	t.regex(row('Service'), /^Service +Downtime +Notes$/);
	t.regex(row('IMAP'), /^IMAP +22:00–22:15 UTC +Clients reconnect automatically$/);
	t.regex(row('Webmail'), /^Webmail +22:15–22:45 UTC +Log in again afterwards$/);
	t.is(row('Service').indexOf('Downtime'), row('IMAP').indexOf('22:00'), 'columns aligned');
	t.is(row('IMAP').indexOf('Clients'), row('Webmail').indexOf('Log in'));
});

test('a placeholder inside a table: the columns are aligned to the filled-in text', async t => {
	const setup = await start(t);
	const body = '<table><tr><td>Name</td><td>{{name}}</td><td>end</td></tr><tr><td>Address</td><td>{{address}}</td><td>end</td></tr></table>';
	await send(setup, draft({html: true, body}), [{address: 'ann@example.com', name: 'Ann Maria Lee-Worthington'}]);
	const text = (await simpleParser(setup.server.messages[0].raw)).text ?? '';
	const lines = text.split('\n').filter(line => line.endsWith('end'));
	t.is(lines.length, 2);
	t.is(lines[0].indexOf('end'), lines[1].indexOf('end'), text);
});

test('an address with a non-ASCII local part goes with SMTPUTF8 to a server that offers it', async t => {
	const setup = await start(t, {smtputf8: true});
	const juergen = {address: normalizeAddress('jürgen@bücher.example'), name: 'Jürgen'};
	const {result} = await send(setup, draft({friendlyName: 'Benutzer ', subject: 'Hallo {{name}}', body: 'Ihre Adresse: {{address}}\n'}), [juergen, {address: 'ann@example.com', name: 'Ann'}]);
	t.is(result.sent, 2);
	const message = setup.server.messages.find(m => m.envelope.to[0] !== 'ann@example.com')!;
	t.deepEqual(message.envelope.to, ['jürgen@bücher.example'], 'smtp-server reads the address in Unicode');
	t.true(message.smtpUtf8, 'MAIL FROM … SMTPUTF8');
	t.deepEqual(message.commands, ['MAIL FROM:<it@example.com> SMTPUTF8', 'RCPT TO:<jürgen@xn--bcher-kva.example>']);
	assertWellFolded(t, message);
	const mail = await simpleParser(message.raw);
	t.is(toOf(mail).address, 'jürgen@bücher.example');
	t.is(toOf(mail).name, 'Benutzer jürgen@bücher.example');
	t.is(mail.text, 'Ihre Adresse: jürgen@bücher.example\n');
	const ann = setup.server.messages.find(m => m.envelope.to[0] === 'ann@example.com')!;
	t.false(ann.smtpUtf8, 'an ASCII address is sent without it');
});

test('to a server without SMTPUTF8, such a recipient fails with that reason (journaled), the others are sent', async t => {
	const setup = await start(t, {smtputf8: false});
	const juergen = {address: normalizeAddress('jürgen@bücher.example'), name: 'Jürgen'};
	const {id, result} = await send(setup, draft(), [juergen, {address: 'ann@example.com', name: 'Ann'}]);
	t.is(result.sent, 1);
	t.is(result.failed, 1);
	t.deepEqual(setup.server.messages.map(m => m.envelope.to), [['ann@example.com']], 'the server never saw the address');
	const reports = setup.ctx.sends.recipients(id);
	const failed = reports.find(r => r.address === juergen.address)!;
	t.is(failed.status, 'failed');
	t.regex(failed.response ?? '', /does not offer SMTPUTF8/);
	t.is(failed.attempts, 1, 'not retried: the server will not take it later either');
});

test('the client greets with this machine\'s fully qualified name (without one, the address literal [127.0.0.1]), or smtp.heloName', async t => {
	const setup = await start(t);
	await send(setup, draft(), [{address: 'ann@example.com', name: 'Ann'}]);
	t.is(setup.server.greetings.at(-1), mailHostName().name ?? '[127.0.0.1]');
	setup.store.settings.setKey('smtp.heloName', 'mail.example.com');
	await send(setup, draft(), [{address: 'ann@example.com', name: 'Ann'}]);
	t.is(setup.server.greetings.at(-1), 'mail.example.com');
});

test('a single-part body ends with one line break, not two; a line starting "From " is quoted-printable encoded', async t => {
	const setup = await start(t);
	await send(setup, draft({body: 'Dear all,\nFrom tomorrow on the server is new.\n'}), [{address: 'ann@example.com', name: 'Ann'}]);
	await send(setup, draft({body: 'No line break at the end'}), [{address: 'ann@example.com', name: 'Ann'}]);
	const [first, second] = setup.server.messages.map(m => m.raw.toString('utf8'));
	t.true(first.endsWith('\r\n=46rom tomorrow on the server is new.\r\n'), JSON.stringify(first.slice(-60)));
	t.false(first.endsWith('\r\n\r\n'));
	t.notRegex(first, /^From /m);
	t.true(second.endsWith('\r\nNo line break at the end\r\n'));
	t.is((await simpleParser(first)).text, 'Dear all,\nFrom tomorrow on the server is new.\n');
});
