/**
 * The message as the form and Review show it, as a person sees it at the terminal: the To line
 * the first recipient will get (live, as the friendly name is typed), HTML noticed whatever way
 * the message came in, the first recipient's message in Review, a follow-up's sender — against
 * a real SMTP test server on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import {Writable} from 'node:stream';
import test, {type ExecutionContext} from 'ava';
import {simpleParser, type AddressObject} from 'mailparser';
import {createDelivery, openDeliveryContext} from '../../source/core/delivery/index.js';
import {normalizeAddress} from '../../source/core/address.js';
import {Directory} from '../../source/core/directory.js';
import {openStore, type Store} from '../../source/core/store.js';
import {initialComposeState} from '../../source/ui/state/compose-form.js';
import {planOfForm, type ComposeContext} from '../../source/ui/state/compose-validate.js';
import {textState} from '../../source/ui/state/text-edit.js';
import {editInEditor} from '../../source/ui/terminal.js';
import {sampleDirectory} from '../helpers/sample-directory.js';
import {BACKSPACE, CTRL_E, CTRL_S, CTRL_T, ENTER, SHIFT_TAB, TAB, renderDashboard, type Dashboard, type DashboardOptions, smtpSetup, type SmtpSetup as Setup} from './harness.js';


function fill(store: Store): void {
	const directory = sampleDirectory();
	directory.addDomain('bücher.example');
	directory.addMailbox({address: 'jürgen@bücher.example', name: 'Jürgen Müller'});
	store.saveDirectory(directory);
}

async function open(t: ExecutionContext, setup: Setup, options: Partial<DashboardOptions> = {}): Promise<Dashboard> {
	const dashboard = await renderDashboard(t, {env: setup.env, setup: fill, ...options});
	t.teardown(async () => dashboard.unmount());
	return dashboard;
}

/** An $EDITOR that writes `text` into the file it is given. */
function editorWriting(setup: Setup, name: string, text: string): DashboardOptions['editText'] {
	const editor = path.join(setup.dir, name);
	fs.writeFileSync(editor, `#!/bin/sh\ncat > "$1" <<'EOF'\n${text}\nEOF\n`, {mode: 0o755});
	const sink = new Writable({write(_chunk, _encoding, callback) {
		callback();
	}});
	return async (current, {extension}) => editInEditor(current, {
		env: {...setup.env, VISUAL: editor},
		stdin: {isTTY: false} as NodeJS.ReadStream,
		stdout: sink as NodeJS.WriteStream,
		extension,
	});
}

/** The To preview under the friendly name: the row(s) after it, joined (it wraps onto a second row). */
function lineAfter(dashboard: Dashboard, pattern: RegExp): string {
	const lines = dashboard.lines();
	const at = lines.findIndex(line => pattern.test(line)) + 1;
	let text = lines[at] ?? '';
	if (/^ {17}\S/.test(lines[at + 1] ?? '') && !/^ {17}\[/.test(lines[at + 1])) {
		text += ' ' + lines[at + 1].trim();
	}

	return text;
}

test.serial('the form shows, under the friendly name, the exact To line the first recipient will get, as it is typed', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	// Home -> Actions on example.com -> Send Email, on the friendly name.
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Friendly name');
	t.regex(lineAfter(dashboard, /Friendly name/), /^ +To: ann@example\.com$/, 'empty: the bare address');
	await dashboard.type('Example.com User');
	t.regex(lineAfter(dashboard, /Friendly name/), /^ +To: "Example\.com User(ann@example\.com)" <ann@example\.com>$/, 'as typed, glued to the address');
	await dashboard.type(' - ');
	t.regex(lineAfter(dashboard, /Friendly name/), /^ +To: "Example\.com User - ann@example\.com" <ann@example\.com>$/);
	await dashboard.press(BACKSPACE, BACKSPACE, BACKSPACE);
	await dashboard.type(' for {{name}}, ');
	t.regex(lineAfter(dashboard, /Friendly name/), /^ +To: "Example\.com User for Ann Lee, ann@example\.com" <ann@example\.com>$/, 'placeholders filled');

	// Another group: the first recipient of that one.
	await dashboard.press(TAB);
	t.regex(lineAfter(dashboard, /Friendly name/), /To: "Example\.com User for Ann Lee, ann@example\.com"/);
	await dashboard.focusField('Domain', {key: SHIFT_TAB});
	for (let index = 0; index < 'example.com'.length; index++) {
		await dashboard.press(BACKSPACE);
	}

	await dashboard.type('bücher.example');
	t.regex(lineAfter(dashboard, /Friendly name/), /^ +To: "Example\.com User for Jürgen Müller, jürgen@bücher\.example" <jürgen@bücher\.example>$/, 'an IDN in Unicode');
});

test.serial('the empty friendly name says what the text becomes; a name too long for a header says so under it', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Subject');
	t.regex(dashboard.screen(), /Friendly name +put before each address as typed; empty: the bare address/);
	await dashboard.focusField('Friendly name', {key: SHIFT_TAB});
	await dashboard.type('x'.repeat(1000));
	t.regex(lineAfter(dashboard, /Friendly name/), /✗ To Friendly Name holds a word too long for a mail header/);
});

test.serial('HTML written in $EDITOR is noticed; a switch by hand (Ctrl+T) sticks through later edits', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup, {editText: editorWriting(setup, 'html-editor.sh', '<h1>Notice</h1>\n<p>The <b>server</b> restarts.</p>')});
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Message');
	t.regex(dashboard.screen(), /❯ Message +plain text/);
	await dashboard.press(CTRL_E);
	await dashboard.settle(screen => screen.includes('<h1>Notice</h1>'));
	t.regex(dashboard.screen(), /❯ Message +HTML/, 'detected after the editor');
	await dashboard.press(CTRL_T);
	t.regex(dashboard.screen(), /❯ Message +plain text/);
	await dashboard.type(' more');
	await dashboard.press(CTRL_E);
	await dashboard.settle(screen => screen.includes('<h1>Notice</h1>') && !screen.includes(' more'));
	t.regex(dashboard.screen(), /❯ Message +plain text/, 'the choice made by hand stays');
});

test.serial('an editor that saves Latin-1 leaves the message unchanged and says where the bytes are not UTF-8', async t => {
	const setup = await smtpSetup(t);
	const editor = path.join(setup.dir, 'latin1-editor.sh');
	// printf's octal escapes: ü is 0xFC, ß is 0xDF in Latin-1.
	fs.writeFileSync(editor, '#!/bin/sh\nprintf \'Hallo,\\nGr\\374\\337e\\n\' > "$1"\n', {mode: 0o755});
	const sink = new Writable({write(_chunk, _encoding, callback) {
		callback();
	}});
	const editText: DashboardOptions['editText'] = async (current, {extension}) => editInEditor(current, {
		env: {...setup.env, VISUAL: editor},
		stdin: {isTTY: false} as NodeJS.ReadStream,
		stdout: sink as NodeJS.WriteStream,
		extension,
	});
	const dashboard = await open(t, setup, {editText});
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Message');
	await dashboard.type('Typed before');
	await dashboard.press(CTRL_E);
	await dashboard.settle(screen => screen.includes('The editor did not finish'));
	const text = dashboard.screen().replaceAll(/[│╭╮╰╯─\s]+/g, ' ');
	t.true(text.includes('The edited message, line 2, column 3: byte 0xFC is not UTF-8 text (after "Gr"); the message is unchanged (save the file as UTF-8)'), dashboard.screen());
	t.false(dashboard.screen().includes('\uFFFD'));
	await dashboard.press(ENTER);
	await dashboard.settle(screen => !screen.includes('The editor did not finish'));
	t.regex(dashboard.screen(), /Typed before/);
});

test.serial('typed HTML is noticed on every edit, and Review shows the first recipient\'s message as it will arrive', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type('Hello {{name}}');
	await dashboard.focusField('Message');
	await dashboard.type('<h1>Dear {{name}}</h1>');
	t.regex(dashboard.screen(), /❯ Message +HTML/);
	await dashboard.press(ENTER);
	await dashboard.type('<p>Your mailbox {{address}} moves tonight.</p>');
	await dashboard.press(CTRL_S);
	const review = dashboard.screen();
	t.regex(review, /Subject +Hello Ann Lee\n/);
	t.regex(review, /Message +HTML, with a plain-text alternative/);
	t.regex(review, /\n +Dear Ann Lee\n/);
	t.regex(review, /\n +Your mailbox ann@example\.com moves tonight\./);
	t.notRegex(review, /<h1>|\{\{name\}\}/);
});

test.serial('the test copy goes by default to the From address typed in the form', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press(ENTER, ENTER);
	for (let index = 0; index < 'System Administrator'.length; index++) {
		await dashboard.press(BACKSPACE);
	}

	await dashboard.type('IT Team <it@example.net>');
	await dashboard.focusField('Subject');
	await dashboard.type('Check me');
	await dashboard.focusField('Message');
	await dashboard.type('Body');
	await dashboard.press(CTRL_S, 't');
	t.regex(dashboard.screen(), /Address: it@example\.net/);
	await dashboard.press(ENTER);
	await dashboard.settle(screen => screen.includes('Test copy sent'));
	t.deepEqual(setup.server.messages.map(message => message.envelope.to), [['it@example.net']]);
});

test.serial('Review warns first about an address that needs SMTPUTF8', async t => {
	const setup = await smtpSetup(t);
	const dashboard = await open(t, setup);
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Domain');
	for (let index = 0; index < 'example.com'.length; index++) {
		await dashboard.press(BACKSPACE);
	}

	await dashboard.type('bücher.example');
	await dashboard.focusField('Subject');
	await dashboard.type('Hallo');
	await dashboard.focusField('Message');
	await dashboard.type('Text');
	await dashboard.press(CTRL_S);
	t.regex(dashboard.screen(), /Warnings +1 address needs SMTPUTF8 or fails \(jürgen@bücher\.example\)/);
});

test.serial('a follow-up reminder shows the original\'s From and friendly name, which it keeps (or as changed)', async t => {
	const setup = await smtpSetup(t);
	// The original, sent before the dashboard opens.
	const store = openStore({env: setup.env});
	fill(store);
	const ctx = openDeliveryContext(store, setup.env);
	const original = await createDelivery(ctx, {
		draft: {kind: 'email', from: {name: 'IT Team', address: 'it@example.com'}, friendlyName: 'example.com user - ', subject: 'Maintenance', body: 'Tonight.', html: false},
		audience: 'domain:example.com',
		recipients: [{address: 'bob@example.com', name: 'Bob'}, {address: normalizeAddress('ann@example.com'), name: 'Ann Lee'}],
	}, {concurrency: 1, maxAttempts: 1, timeoutMs: 5000});
	await original.start();
	await ctx.close();
	const originals = await Promise.all(setup.server.messages.map(async message => simpleParser(message.raw)));

	const dashboard = await open(t, setup, {
		setup() {
			// The directory is there already.
		},
		route: {screen: 'send-reminder', preset: {group: {kind: 'send', sendId: original.id}, subject: 'Reminder: Maintenance', followUpOf: original.id}},
	});
	t.regex(dashboard.lines()[0], /Send Reminder/);
	t.regex(dashboard.screen(), /From +IT Team <it@example\.com>/);
	t.regex(dashboard.screen(), /Friendly name +example\.com user -\n/);
	t.regex(lineAfter(dashboard, /Friendly name/), /To: "example\.com user - bob@example\.com" <bob@example\.com>/);
	t.notRegex(dashboard.screen(), /the default sender/);
	await dashboard.focusField('Message');
	await dashboard.type('Tonight, as announced.');
	await dashboard.press(CTRL_S);
	t.regex(dashboard.screen(), /From +IT Team <it@example\.com>/);
	t.regex(dashboard.screen(), /To +"example\.com user - bob@example\.com" <bob@example\.com>/);
	await dashboard.press('s');
	await dashboard.settle(screen => screen.includes('Finished'));
	const reminders = await Promise.all(setup.server.messages.slice(2).map(async message => simpleParser(message.raw)));
	t.is(reminders.length, 2);
	for (const mail of reminders) {
		const to = (mail.to as AddressObject).value[0];
		const first = originals.find(m => (m.to as AddressObject).value[0].address === to.address)!;
		t.is(mail.from?.text, first.from?.text);
		t.is((mail.to as AddressObject).text, (first.to as AddressObject).text);
		t.is(mail.inReplyTo, first.messageId);
	}
});

test.serial('no sender address set and no default (a machine without a fully qualified name): Review shows postmaster@localhost for the capture server, and the send goes', async t => {
	const directory = Directory.empty();
	directory.addDomain('example.com');
	directory.addMailbox({address: 'ann@example.com', name: 'Ann'});
	directory.addMailbox({address: 'bob@example.com', name: 'Bob'});
	const context: ComposeContext = {directory, sender: {name: 'System Administrator', address: ''}};
	let state = initialComposeState('email', {group: {kind: 'domain', domains: ['example.com']}}, {fromName: 'System Administrator'});
	state = {...state, text: {...state.text, subject: textState('Fresh'), message: textState('Body')}};
	const {plan} = planOfForm(state, context);
	t.truthy(plan, 'the form goes to Review: the From is settled there');
	const d = await renderDashboard(t, {route: {screen: 'review', plan: plan!}, setup: store => store.saveDirectory(directory)});
	t.teardown(async () => d.unmount());
	t.regex(d.screen(), /From +System Administrator <postmaster@localhost>/);
	await d.press('s');
	await d.settle(screen => screen.includes('Finished'));
	t.true(d.screen().includes('Finished: 2 of 2 sent'), d.screen());
});

/** Fills the open Send Email form's subject and message, and goes to Review. */
async function toReview(d: Dashboard): Promise<void> {
	await d.focusField('Subject');
	await d.type('Welcome');
	await d.focusField('Message');
	await d.type('Hello');
	await d.press(CTRL_S);
}

test.serial('Review of a group with no mailbox says so, rather than that every mailbox was skipped', async t => {
	const d = await renderDashboard(t, {demo: true, setup(store) {
		const directory = store.directory();
		directory.addDomain('new.example');
		store.saveDirectory(directory);
	}, route: {screen: 'send-email', preset: {group: {kind: 'domain', domains: ['new.example']}}}});
	await toReview(d);
	await d.settle(screen => screen.includes('nobody'));
	t.regex(d.screen(), /To +nobody: the group has no mailbox/, d.screen());
	await d.unmount();
});

test.serial('the Send Email form shows the address the send will use when none is set: the capture server\'s stand-in, never an empty <>', async t => {
	const d = await renderDashboard(t, {setup(store) {
		store.saveDirectory(sampleDirectory());
		// No sender address, as on a machine without a fully qualified name and nothing set.
		fs.writeFileSync(store.settings.file, JSON.stringify({sender: {name: 'System Administrator', address: ''}}));
	}, route: {screen: 'send-email', preset: {group: {kind: 'domain', domains: ['example.com']}}}});
	t.teardown(async () => d.unmount());
	await d.focusField('Subject');
	t.regex(d.screen(), /From +System Administrator <postmaster@localhost>/, d.screen());
	t.notRegex(d.screen(), /<>/);
});

test.serial('Review wraps a long warning onto a second line at 80 columns rather than cutting whom it skips', async t => {
	const one = 'a-rather-long-mailbox-name-number-one@example.com';
	const two = 'a-rather-long-mailbox-name-number-two@example.com';
	const d = await renderDashboard(t, {setup(store) {
		const directory = Directory.empty();
		directory.addDomain('example.com');
		directory.addMailbox({address: 'ann@example.com', name: 'Ann'});
		directory.addMailbox({address: one, name: 'One', disabled: true});
		directory.addMailbox({address: two, name: 'Two', disabled: true});
		store.saveDirectory(directory);
	}, route: {screen: 'send-email', preset: {group: {kind: 'domain', domains: ['example.com']}}}});
	t.teardown(async () => d.unmount());
	await toReview(d);
	await d.settle(screen => screen.includes('Warnings'));
	const text = d.screen().replaceAll(/\n +/g, ' ');
	t.true(text.includes(`2 disabled mailboxes skipped (${one}, ${two})`), d.screen());
	t.true(d.lines().every(line => line.length <= 80));
});
