import test from 'ava';
import {simpleParser, type AddressObject} from 'mailparser';
import {MessageTemplate, detectHtml, messageIdFor, parseSender, validateDraft} from '../../source/core/compose.js';
import {MassmailError} from '../../source/core/errors.js';
import type {MessageDraft} from '../../source/core/types.js';

const sender = {name: 'System Administrator', address: 'postmaster@mail.example.net'};

function draft(overrides: Partial<MessageDraft> = {}): MessageDraft {
	return {kind: 'email', from: sender, friendlyName: '', subject: 'Maintenance tonight', body: 'The server restarts at 22:00.\nThanks.', html: false, ...overrides};
}

const ann = {address: 'ann@example.com', name: 'Ann Lee'};

function toText(to: AddressObject | AddressObject[] | undefined): string {
	return Array.isArray(to) ? to.map(t => t.text).join(', ') : to?.text ?? '';
}

test('parseSender reads a name, a full address, or falls back to the default address', t => {
	t.deepEqual(parseSender('IT Team', sender), {name: 'IT Team', address: sender.address});
	t.deepEqual(parseSender('IT Team <it@example.com>', sender), {name: 'IT Team', address: 'it@example.com'});
	t.deepEqual(parseSender('"Help, Desk" <help@example.com>', sender), {name: 'Help, Desk', address: 'help@example.com'});
	t.deepEqual(parseSender('', sender), sender);
	const error = t.throws(() => parseSender('Evil\r\nBcc: all@example.com', sender), {instanceOf: MassmailError});
	t.is(error?.kind, 'validation');
	t.throws(() => parseSender('Name <not an address>', sender), {instanceOf: MassmailError});
});

test('detectHtml tells markup from plain text', t => {
	t.true(detectHtml('<p>Hello</p>'));
	t.true(detectHtml('<!DOCTYPE html><html><body>x</body></html>'));
	t.false(detectHtml('a < b and c > d'));
	t.true(detectHtml('<section><th>Service</th></section>'), 'a table header cell or a section is HTML too');
	t.true(detectHtml('<style>p {margin: 0}</style>Text'));
	t.false(detectHtml('Plain text'));
});

test('validateDraft refuses control characters in every header field, naming the field', t => {
	for (const [field, change] of [
		['Subject', {subject: 'Hi\r\nBcc: x@y.z'}],
		['From name', {from: {name: 'A\nB', address: sender.address}}],
		['To Friendly Name', {friendlyName: 'User\u0007'}],
	] as const) {
		const error = t.throws(() => validateDraft(draft(change)), {instanceOf: MassmailError});
		t.is(error?.kind, 'validation');
		t.true(error?.message.includes(field), error?.message);
	}

	t.throws(() => validateDraft(draft({subject: '  '})), {message: /Subject is empty/});
	t.throws(() => validateDraft(draft({body: ''})), {message: /Message is empty/});
	t.notThrows(() => validateDraft(draft()));
});

test('messageIdFor is deterministic and on the sender domain', t => {
	t.is(messageIdFor('s1', 3, 'postmaster@Mail.Example.NET'), '<s1.3@mail.example.net>');
});

test('a plain message carries one recipient in To, its own Message-ID and the bulk headers', async t => {
	const template = new MessageTemplate(draft(), {sendId: 'send1', date: new Date('2026-01-02T03:04:05Z')});
	const {envelope, raw, messageId} = template.render(ann, 4);
	t.deepEqual(envelope, {from: sender.address, to: 'ann@example.com'});
	t.is(messageId, '<send1.4@mail.example.net>');
	const mail = await simpleParser(raw);
	t.is(toText(mail.to), 'ann@example.com');
	t.is(mail.cc, undefined);
	t.is(mail.bcc, undefined);
	t.is(mail.messageId, '<send1.4@mail.example.net>');
	t.is(mail.subject, 'Maintenance tonight');
	t.is(mail.from?.text, '"System Administrator" <postmaster@mail.example.net>');
	t.is(mail.date?.toISOString(), '2026-01-02T03:04:05.000Z');
	t.is(mail.headers.get('auto-submitted'), 'auto-generated');
	t.is(mail.headers.get('precedence'), 'bulk');
	t.is(mail.headers.get('x-auto-response-suppress'), 'All');
	t.is(mail.text?.trim(), 'The server restarts at 22:00.\nThanks.');
	t.is(mail.html, false);
});

test('the friendly name is shown before each recipient address, in the review and the message', async t => {
	const template = new MessageTemplate(draft({friendlyName: 'Example.com User - '}), {sendId: 's'});
	t.is(template.toHeader(ann), '"Example.com User - ann@example.com" <ann@example.com>');
	const mail = await simpleParser(template.render(ann, 0).raw);
	t.is(toText(mail.to), '"Example.com User - ann@example.com" <ann@example.com>');
	const bare = new MessageTemplate(draft(), {sendId: 's'});
	t.is(bare.toHeader(ann), 'ann@example.com');
});

test('non-ASCII subject, sender and friendly name are encoded and read back intact', async t => {
	const template = new MessageTemplate(draft({subject: 'Wartung über Nacht — bitte lesen', from: {name: 'Systemverwaltung Ä', address: sender.address}, friendlyName: 'Benutzer für ', body: 'Grüße'}), {sendId: 's'});
	const mail = await simpleParser(template.render(ann, 0).raw);
	t.is(mail.subject, 'Wartung über Nacht — bitte lesen');
	t.is((mail.to as AddressObject).value[0].name, 'Benutzer für ann@example.com');
	t.is(mail.from?.value[0].name, 'Systemverwaltung Ä');
	t.is(mail.text?.trim(), 'Grüße');
});

test('HTML becomes multipart/alternative with a plain-text part made from it', async t => {
	const template = new MessageTemplate(draft({html: true, body: '<h1>Notice</h1><p>The <b>server</b> restarts.</p>'}), {sendId: 's'});
	const {raw} = template.render(ann, 0);
	t.regex(raw.toString(), /Content-Type: multipart\/alternative/);
	const mail = await simpleParser(raw);
	t.true(typeof mail.html === 'string' && mail.html.includes('<b>server</b>'));
	t.regex(mail.text ?? '', /^Notice\n/, 'a heading as written, not upper-cased');
	t.regex(mail.text ?? '', /The server restarts\./);
});

test('placeholders are filled per recipient in subject, message and friendly name', async t => {
	const template = new MessageTemplate(draft({subject: 'Hello {{name}}', body: 'Your address {{address}} on {{ domain }}.', friendlyName: '{{domain}} user - '}), {sendId: 's'});
	const mail = await simpleParser(template.render(ann, 0).raw);
	t.is(mail.subject, 'Hello Ann Lee');
	t.is(mail.text?.trim(), 'Your address ann@example.com on example.com.');
	t.is(toText(mail.to), '"example.com user - ann@example.com" <ann@example.com>');
	const bob = await simpleParser(template.render({address: 'bob@example.org', name: 'Bob'}, 1).raw);
	t.is(bob.subject, 'Hello Bob');
});

test('a placeholder in HTML is escaped', async t => {
	const template = new MessageTemplate(draft({html: true, body: '<p>Dear {{name}}</p>'}), {sendId: 's'});
	const mail = await simpleParser(template.render({address: 'x@example.com', name: '<script>'}, 0).raw);
	t.true(typeof mail.html === 'string' && mail.html.includes('&lt;script&gt;'));
});

test('a reminder threads under the original Message-ID', async t => {
	const template = new MessageTemplate(draft({kind: 'reminder'}), {sendId: 'r1'});
	const original = messageIdFor('s1', 2, sender.address);
	const mail = await simpleParser(template.render(ann, 0, {inReplyTo: original}).raw);
	t.is(mail.inReplyTo, original);
	t.is(mail.references, original);
});

test('placeholders in HTML fill the plain-text part too, headings included', async t => {
	const template = new MessageTemplate(draft({html: true, subject: 'Hi', body: '<h1>Dear {{ name }}</h1><p>Your mailbox {{address}} is full.</p>'}), {sendId: 's'});
	const mail = await simpleParser(template.render(ann, 0).raw);
	t.regex(mail.text ?? '', /^Dear Ann Lee\n/, 'the heading keeps the name as the directory writes it');
	t.regex(mail.text ?? '', /Your mailbox ann@example\.com is full\./);
	t.true(typeof mail.html === 'string' && mail.html.includes('Dear Ann Lee'));
});
