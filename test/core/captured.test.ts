/** Reading captured messages: massmail's own messages, plain and HTML, decoded as a recipient reads them. */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {MessageTemplate} from '../../source/core/compose.js';
import {decodeEncodedWords, headerValue, listCaptured, parseMessage, readCapturedMessage} from '../../source/core/captured.js';
import type {MessageDraft} from '../../source/core/types.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const draft = (overrides: Partial<MessageDraft> = {}): MessageDraft => ({
	kind: 'email',
	from: {name: 'Système Admin', address: 'postmaster@example.net'},
	friendlyName: '',
	subject: 'Fermeture du café — vendredi',
	body: 'Le café ferme à 14 h.\nÀ lundi.',
	html: false,
	...overrides,
});

test('a plain message: headers decoded (encoded words), text decoded (quoted-printable)', t => {
	const template = new MessageTemplate(draft(), {sendId: '20260101-120000-abcdef'});
	const {raw} = template.render({address: 'ann@example.com', name: 'Ann'}, 3);
	const message = parseMessage(raw);
	t.is(headerValue(message, 'subject'), 'Fermeture du café — vendredi');
	t.is(headerValue(message, 'From'), 'Système Admin <postmaster@example.net>');
	t.is(headerValue(message, 'Message-ID'), '<20260101-120000-abcdef.3@example.net>');
	t.is(headerValue(message, 'Auto-Submitted'), 'auto-generated');
	t.is(message.text, 'Le café ferme à 14 h.\nÀ lundi.');
});

test('an HTML message shows its plain-text alternative', t => {
	const template = new MessageTemplate(draft({html: true, body: '<p>Hello <b>{{name}}</b>,</p><p>the server restarts at 22:00.</p>'}), {sendId: '20260101-120000-abcdef'});
	const {raw} = template.render({address: 'ann@example.com', name: 'Ann'}, 0);
	const message = parseMessage(raw);
	t.regex(message.text, /Hello ANN,/i);
	t.regex(message.text, /the server restarts at 22:00\./);
	t.false(message.text.includes('<p>'));
});

test('encoded words: B and Q, joined when adjacent', t => {
	t.is(decodeEncodedWords('=?utf-8?B?Y2Fmw6k=?= =?utf-8?Q?_cr=C3=A8me?='), 'café crème');
	t.is(decodeEncodedWords('plain text'), 'plain text');
});

test('the captured files of a send, in recipient order; another send or a bad id has none', t => {
	const {dir} = tempConfigDir(t);
	const folder = path.join(dir, 'captured', '20260101-120000-abcdef');
	fs.mkdirSync(folder, {recursive: true});
	const template = new MessageTemplate(draft(), {sendId: '20260101-120000-abcdef'});
	for (const index of [10, 2, 1]) {
		fs.writeFileSync(path.join(folder, `${index}.eml`), template.render({address: `u${index}@example.com`, name: ''}, index).raw);
	}

	fs.writeFileSync(path.join(folder, 'notes.txt'), 'not a message');
	const files = listCaptured(path.join(dir, 'captured'), '20260101-120000-abcdef');
	t.deepEqual(files.map(file => file.index), [1, 2, 10]);
	t.is(headerValue(readCapturedMessage(files[2].file), 'To'), 'u10@example.com');
	t.deepEqual(listCaptured(path.join(dir, 'captured'), 'other'), []);
	t.deepEqual(listCaptured(path.join(dir, 'captured'), '../x'), []);
});
