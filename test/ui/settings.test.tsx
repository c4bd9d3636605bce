/**
 * Settings at 80×24 over a real settings file and a real SMTP test server: the fields,
 * what is wrong with a field, saving, and test connection with the server's own words; the
 * form and `massmail config set` taking the same values (one table of cases through both).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {runCli} from '../../source/cli/main.js';
import type {Output} from '../../source/cli/output.js';
import {openStore} from '../../source/core/store.js';
import {defaultSettings, settingValue} from '../../source/core/settings.js';
import type {DirectorySourceKind, Settings} from '../../source/core/types.js';
import {
	checkSettingsForm, formSettings, initialSettingsForm, settingsFormReducer, settingsPatch, visibleFields, type SettingsFormState, type SettingsTextField,
} from '../../source/ui/state/settings-form.js';
import {textState} from '../../source/ui/state/text-edit.js';
import {makeTestCertificates} from '../helpers/postgres-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {keystroke, renderDashboard, CTRL_S, CTRL_T, CTRL_U, DOWN, ENTER, ESC, RIGHT, TAB, UP} from './harness.js';

function cleanEnv(t: Parameters<typeof tempConfigDir>[0]): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...tempConfigDir(t).env, LANG: 'en_US.UTF-8', NO_COLOR: '1'};
	delete env.MASSMAIL_SMTP_URL;
	delete env.MASSMAIL_SMTP_PASSWORD;
	return env;
}

test.serial('Actions → Settings shows every setting; a bad value is said and nothing is saved', async t => {
	const env = cleanEnv(t);
	const d = await renderDashboard(t, {env});
	await d.press('a', UP);
	t.true(d.screen().includes('❯ Settings'), d.screen());
	await d.press(ENTER);
	const screen = d.screen();
	t.true(screen.includes('massmail │ Settings'), screen);
	t.regex(screen, /❯ SMTP host$/m);
	t.regex(screen, /Port\s+587/);
	t.regex(screen, /TLS\s+STARTTLS/);
	t.regex(screen, /Certificate\s+verify the certificate/);
	t.regex(screen, /Password from\s+no password/);
	t.regex(screen, /Sender name\s+System Administrator/);
	t.regex(screen, /Connections\s+5/);
	t.regex(screen, /Rate\s+0$/m);
	t.regex(screen, /Attempts\s+5/);
	t.regex(screen, /Confirm above\s+100/);
	t.true(screen.includes('[Save]'));
	t.true(screen.includes('[Test connection]'));
	t.true(screen.includes('The SMTP server to deliver through; empty: the local capture server'), screen);
	t.true(screen.includes('Ctrl+S Save'));
	t.false(/password\s*:/i.test(screen), 'no password field');
	t.is(d.lines().length, 23, 'fits 80×24, one row short of the terminal');

	await d.focusField('Port');
	await d.press(CTRL_U);
	await d.type('99999');
	await d.press(TAB);
	t.true(d.screen().includes('✗'), d.screen());
	await d.press(CTRL_S);
	t.true(d.screen().includes('Port: must be a whole number from 1 to 65535, found 99999'), d.screen());
	t.false(fs.existsSync(d.store.paths.settingsFile) && fs.readFileSync(d.store.paths.settingsFile, 'utf8').includes('99999'));

	// Esc with a change asks first.
	await d.press(ESC);
	t.true(d.screen().includes('Leave without saving?'), d.screen());
	await d.press('y');
	t.true(d.screen().includes('massmail │ Domains'));
	await d.unmount();
});

test.serial('saving writes the settings (never a password) and test connection reaches the server', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const env = cleanEnv(t);
	const d = await renderDashboard(t, {env, route: {screen: 'settings'}});
	await d.type('127.0.0.1');
	await d.focusField('Port');
	await d.press(CTRL_U);
	await d.type(String(server.port));
	await d.focusField('TLS');
	await d.press(RIGHT, RIGHT);
	t.regex(d.screen(), /TLS\s+STARTTLS when offered/);
	await d.focusField('Sender name', {key: DOWN});
	await d.press(CTRL_U);
	await d.type('IT Desk');
	await d.focusField('Sender address');
	await d.press(CTRL_U);
	await d.type('it@example.com');
	await d.press(CTRL_S);
	t.true(d.screen().includes('Saved to'), d.screen());

	const saved = openStore({env}).settings.get();
	t.deepEqual(saved.smtp, {host: '127.0.0.1', port: server.port, tls: 'opportunistic', user: '', passwordCommand: '', allowUnverifiedTls: false, heloName: '', caFile: ''});
	t.deepEqual(saved.sender, {name: 'IT Desk', address: 'it@example.com'});
	t.true(d.screen().includes(`Mail goes to: 127.0.0.1:${server.port}`), 'the header follows the saved server');

	await d.press(CTRL_T);
	await d.settle(screen => screen.includes('The connection works') || screen.includes('failed'));
	t.true(d.screen().includes('The connection works'), d.screen());
	t.true(d.screen().includes(`connected to 127.0.0.1:${server.port} (STARTTLS when offered)`));
	await d.press(ENTER);
	await d.unmount();
});

test.serial('a refused login shows the server\'s words; the password comes from a command and is never stored', async t => {
	const server = await startTestSmtpServer({auth: {user: 'mailer', pass: 'right-secret'}});
	t.teardown(async () => server.close());
	const env = cleanEnv(t);
	const d = await renderDashboard(t, {env, route: {screen: 'settings'}});
	await d.type('localhost');
	await d.focusField('Port');
	await d.press(CTRL_U);
	await d.type(String(server.port));
	await d.focusField('TLS');
	await d.press(RIGHT, RIGHT);
	await d.focusField('User');
	await d.type('mailer');
	await d.focusField('Password from');
	t.regex(d.screen(), /❯ Password from\s+no password/);
	await d.press(RIGHT);
	t.true(d.screen().includes('the environment (MASSMAIL_SMTP_PASSWORD is not set)'), d.screen());
	await d.press(RIGHT);
	t.regex(d.screen(), /Password from\s+a password command/);
	await d.focusField('Password command');
	await d.type('echo wrong-secret');
	await d.focusField('Sender address');
	await d.press(CTRL_U);
	await d.type('it@example.com');
	await d.focusField('Password command', {key: UP});

	// Ctrl+T with unsaved changes asks to save them first.
	await d.press(CTRL_T);
	t.true(d.screen().includes('Save the changes and test them?'), d.screen());
	await d.press('y');
	await d.settle(screen => screen.includes('The connection works') || screen.includes('The connection failed'));
	const screen = d.screen();
	t.true(screen.includes('The connection failed'), screen);
	// The server's own words, as the dialog wraps them.
	const words = screen.split('\n').map(line => line.replace(/^[\s│]+|[\s│]+$/g, '')).join(' ');
	t.true(words.includes('refused the login of "mailer": 535 Authentication credentials invalid'), words);
	await d.press(ENTER);

	const file = fs.readFileSync(d.store.paths.settingsFile, 'utf8');
	t.true(file.includes('"passwordCommand": "echo wrong-secret"'));
	t.false(file.includes('right-secret'));

	// With the right password from the command, it logs in.
	await d.press(CTRL_U);
	await d.type('echo right-secret');
	await d.press(CTRL_S, CTRL_T);
	await d.settle(screen => screen.includes('The connection works') || screen.includes('The connection failed'));
	t.true(d.screen().includes('The connection works'), d.screen());
	t.regex(d.screen(), new RegExp(`connected to localhost:${server.port} \\(STARTTLS when offered\\), logged in as\\s[│\\s]*mailer`));
	t.is(server.logins, 1);
	await d.unmount();
});

// ---------------------------------------------------------------- the form as plain functions

test('the form checks each field, and the combination a password could travel unencrypted in', t => {
	const current = defaultSettings('mailhost');
	let form = initialSettingsForm(current);
	t.is(form.passwordSource, 'none');
	t.deepEqual(checkSettingsForm(form, current), {}, 'the defaults save as they are (postmaster@mailhost has no dot)');

	form = settingsFormReducer(form, {type: 'edit', field: 'smtp.host', text: textState('mail.example.com')});
	form = settingsFormReducer(form, {type: 'edit', field: 'smtp.user', text: textState('mailer')});
	form = {...form, focus: 'smtp.tls'};
	form = settingsFormReducer(form, {type: 'cycle', delta: -1});
	t.is(form.tls, 'opportunistic');
	t.regex(checkSettingsForm(form, current)['smtp.tls'] ?? '', /could travel unencrypted/);

	form = settingsFormReducer(form, {type: 'edit', field: 'sender.address', text: textState('not an address')});
	form = settingsFormReducer(form, {type: 'edit', field: 'delivery.concurrency', text: textState('0')});
	const errors = checkSettingsForm(form, current);
	t.truthy(errors['sender.address']);
	t.is(errors['delivery.concurrency'], 'must be a whole number from 1 to 100, found 0');
	t.is(settingsFormReducer(form, {type: 'set-errors', errors}).focus, 'sender.address', 'the first field with a problem gets the keyboard');
});

test('only changed values are saved; the password command only with its source', t => {
	const current = defaultSettings('mailhost');
	let form = initialSettingsForm(current);
	form = settingsFormReducer(form, {type: 'edit', field: 'sender.name', text: textState('IT Desk')});
	form = settingsFormReducer(form, {type: 'edit', field: 'smtp.passwordCommand', text: textState('pass show smtp')});
	t.deepEqual(settingsPatch(formSettings(form, current), current), {sender: {name: 'IT Desk'}}, 'the command is dropped while the source is not a command');
	t.false(visibleFields(form).includes('smtp.passwordCommand'));
	form = {...form, focus: 'passwordSource'};
	form = settingsFormReducer(form, {type: 'cycle', delta: -1});
	t.is(form.passwordSource, 'command');
	t.true(visibleFields(form).includes('smtp.passwordCommand'));
	t.deepEqual(settingsPatch(formSettings(form, current), current), {smtp: {passwordCommand: 'pass show smtp'}, sender: {name: 'IT Desk'}});
	t.true(form.dirty);
});

test('keys typed faster than the screen redraws all land (each edit applies to the latest state)', t => {
	let form: SettingsFormState = {...initialSettingsForm(defaultSettings('mailhost')), focus: 'sender.name'};
	form = settingsFormReducer(form, {type: 'edit', field: 'sender.name', text: textState('')});
	for (const character of 'IT Desk') {
		form = settingsFormReducer(form, {type: 'edit-key', ...keystroke(character)});
	}

	t.is(form.text['sender.name'].value, 'IT Desk');
});

// ---------------------------------------------------------------- one definition with config set

async function configSet(env: NodeJS.ProcessEnv, key: string, value: string): Promise<{code: number; stderr: string}> {
	let stderr = '';
	const io: Output = {
		out() {},
		err(text) {
			stderr += `${text}\n`;
		},
		errIsTty: false,
		canAsk: false,
		async ask() {
			return '';
		},
	};
	// `--`: a value such as -1 is not an option.
	return {code: await runCli(['config', 'set', '--', key, value], io, env), stderr};
}

/** The form with the field of this setting shown (its source chosen, its choice made). */
function formShowing(key: SettingsTextField, settings: Settings): SettingsFormState {
	const source = /^directory\.(sql|ldap|dovecot|smartermail)\./.exec(key)?.[1] as DirectorySourceKind | undefined;
	return {
		...initialSettingsForm(settings),
		directorySource: source ?? (key.startsWith('directory.') ? 'sql' : 'local'),
		passwordSource: key === 'smtp.passwordCommand' ? 'command' : 'none',
		certificate: key === 'smtp.caFile' ? 'caFile' : 'verify',
	};
}

let certificateFolder: string;
let caFile: string;
test.before(async () => {
	certificateFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-settings-ca-'));
	({caFile} = await makeTestCertificates(certificateFolder));
});
test.after.always(() => {
	fs.rmSync(certificateFolder, {recursive: true, force: true});
});

test('the Settings form and config set take the same values, store the same value, and say the same about the rest', async t => {
	const missing = () => path.join(certificateFolder, 'missing.pem');
	const notPem = () => path.join(certificateFolder, 'server.csr');
	const cases: Array<[SettingsTextField, string | (() => string)]> = [
		['delivery.rate', '30/min'], ['delivery.rate', '1000/h'], ['delivery.rate', '0.5'], ['delivery.rate', '0'], ['delivery.rate', '2/s'],
		['delivery.rate', '-1'], ['delivery.rate', 'fast'], ['delivery.rate', '5/week'],
		['delivery.concurrency', '100'], ['delivery.concurrency', '101'], ['delivery.concurrency', '0'],
		['sender.name', ''], ['sender.name', 'IT Desk'], ['sender.name', 'Evil\u001B[2J'],
		['sender.address', 'it@example.com'], ['sender.address', 'IT@Bücher.example'], ['sender.address', 'not an address'],
		['smtp.host', 'mail.example.com'], ['smtp.host', ''], ['smtp.host', 'mail example.com'], ['smtp.host', 'smtp://mail.example.com'],
		['smtp.port', '465'], ['smtp.port', '70000'], ['smtp.port', 'smtp'],
		['smtp.user', 'mailer'], ['smtp.passwordCommand', 'pass show mail/smtp'],
		['delivery.maxAttempts', '100'], ['delivery.maxAttempts', '101'], ['delivery.retryDelayMs', '0'], ['delivery.retryDelayMs', '1.5'],
		['delivery.confirmThreshold', '0'], ['delivery.confirmThreshold', '-5'],
		['directory.maxAge', '30min'], ['directory.maxAge', '7200'], ['directory.maxAge', 'soon'],
		['directory.sql.url', 'postgres://reader@db.example.com:5432/postfix'], ['directory.sql.url', 'http://db.example.com/postfix'],
		['directory.sql.url', 'postgres://reader:Secret7@db.example.com/postfix'],
		['directory.sql.query', 'SELECT username AS email FROM mailbox'],
		['directory.ldap.url', 'ldaps://ldap.example.com'], ['directory.ldap.url', 'ldap.example.com'], ['directory.ldap.base', 'o=domains,dc=example,dc=com'],
		['directory.smartermail.url', 'https://mail.example.com'], ['directory.smartermail.url', 'ftp://mail.example.com'],
		['directory.dovecot.command', 'doveadm user \'*@example.com\''],
		['smtp.caFile', () => caFile], ['smtp.caFile', missing], ['directory.ldap.caFile', notPem], ['directory.sql.caFile', () => caFile],
	];
	for (const [key, value] of cases) {
		const typed = typeof value === 'function' ? value() : value;
		const label = `${key} ${JSON.stringify(typed)}`;
		const {env} = tempConfigDir(t);
		const store = openStore({env}).settings;
		const current = store.get();
		let form = formShowing(key, current);
		t.true(visibleFields(form).includes(key), label);
		form = settingsFormReducer(form, {type: 'edit', field: key, text: textState(typed)});
		const problem = checkSettingsForm(form, current)[key];

		const set = await configSet(env, key, typed);
		t.is(set.code === 0, problem === undefined, `${label}: config set ${set.code === 0 ? 'takes it' : 'refuses it'}, the form ${problem ?? 'takes it'}`);
		if (problem === undefined) {
			t.deepEqual(settingValue(formSettings(form, current), key), store.getKey(key), label);
		} else {
			t.true(set.stderr.startsWith(`massmail: ${key} ${problem}\n`), `${label}: ${set.stderr} / ${problem}`);
		}
	}
});

test('a field the chosen source needs may not be left empty on the form; config set takes it empty (set the source first)', async t => {
	const {env} = tempConfigDir(t);
	const current = openStore({env}).settings.get();
	const form = {...formShowing('directory.ldap.url', current), focus: 'save' as const};
	const errors = checkSettingsForm(form, current);
	t.is(errors['directory.ldap.url'], 'type the server\'s address: ldap://HOST:PORT or ldaps://HOST:PORT');
	t.is(errors['directory.ldap.base'], 'type the DN under which the mailboxes are: o=domains,dc=example,dc=com');
	t.is((await configSet(env, 'directory.source', 'ldap')).code, 0);
	t.is((await configSet(env, 'directory.ldap.url', '')).code, 0);
});

test.serial('a rate set as 30/min shows as 30/min and stays so; the Rate field takes 1000/h as config set does', async t => {
	const env = cleanEnv(t);
	t.is((await configSet(env, 'delivery.rate', '30/min')).code, 0);
	const d = await renderDashboard(t, {env, route: {screen: 'settings'}});
	t.regex(d.screen(), /Rate +30\/min$/m);
	await d.focusField('Rate');
	t.true(d.screen().replaceAll(/\n /g, ' ').includes('The pace at most: messages a second (0.5), a minute (30/min) or an hour (1000/h); 0: no limit.'), d.screen());

	await d.press(CTRL_U);
	await d.type('1000/h');
	await d.press(TAB);
	t.false(d.screen().includes('✗'), d.screen());
	await d.press(CTRL_S);
	t.true(d.screen().includes('Saved to'), d.screen());
	t.is(openStore({env}).settings.get().delivery.rate, 1000 / 3600);
	t.regex(d.screen(), /Rate +1000\/h$/m);

	await d.focusField('Rate');
	await d.press(CTRL_U);
	await d.type('fast');
	await d.press(CTRL_S);
	t.true(d.screen().replaceAll(/\n /g, ' ').includes('Rate: must be messages a second (0.5), a minute (30/min) or an hour (1000/h), not "fast"'), d.screen());
	t.is(openStore({env}).settings.get().delivery.rate, 1000 / 3600);
	await d.unmount();
});

test.serial('Certificate "verify against a CA file" asks for the CA\'s PEM file, says when it cannot be read, and saves smtp.caFile', async t => {
	const env = cleanEnv(t);
	const missing = path.join(certificateFolder, 'missing.pem');
	const d = await renderDashboard(t, {env, route: {screen: 'settings'}});
	t.false(d.screen().includes('CA file'), 'no CA file while the certificate is verified against Node\'s list');
	await d.focusField('Certificate');
	t.regex(d.screen(), /❯ Certificate +verify the certificate/);
	await d.press(RIGHT);
	t.regex(d.screen(), /❯ Certificate +verify against a CA file/);
	await d.focusField('CA file');
	t.true(d.screen().replaceAll(/\n /g, ' ').includes('A PEM file of the CAs to trust for the SMTP server\'s certificate (a private CA); empty: Node\'s own list.'), d.screen());
	await d.press(CTRL_S);
	t.true(d.screen().replaceAll(/\n /g, ' ').includes('CA file: type the PEM file of the CA that signed the server\'s certificate: /etc/ssl/private-ca.pem'), d.screen());

	await d.type(missing);
	await d.press(CTRL_S);
	t.true(d.screen().replaceAll(/\n /g, ' ').includes(`CA file: ${missing} cannot be read: ENOENT: no such file or directory`), d.screen());
	t.is(openStore({env}).settings.get().smtp.caFile, '');

	await d.press(CTRL_U);
	await d.type(caFile);
	await d.press(CTRL_S);
	t.true(d.screen().includes('Saved to'), d.screen());
	t.like(openStore({env}).settings.get().smtp, {caFile, allowUnverifiedTls: false});

	await d.focusField('Certificate', {key: UP});
	await d.press(RIGHT);
	t.regex(d.screen(), /❯ Certificate +accept any certificate \(self-signed\)/);
	t.false(d.screen().includes('CA file'));
	await d.press(CTRL_S);
	t.like(openStore({env}).settings.get().smtp, {caFile: '', allowUnverifiedTls: true});
	await d.unmount();
});

// ---------------------------------------------------------------- no password in a URL (issue 21)

test.serial('a URL holding a password: the form refuses it before anything is written; one in the file is shown without it, said, and kept from Save until removed', async t => {
	const env = cleanEnv(t);
	const file = path.join(env.MASSMAIL_CONFIG_DIR!, 'settings.json');
	const said = 'Database URL: holds a password after the user name (user:PASSWORD@), which massmail never stores: remove it from the URL, and set MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand instead';
	const words = (screen: string) => screen.replaceAll(/\n /g, ' ');

	// Typed into the form: refused on Save, nothing written, the message without the password.
	fs.writeFileSync(file, JSON.stringify({sender: {address: 'postmaster@example.net'}, directory: {source: 'sql', sql: {query: 'SELECT 1'}}}), {mode: 0o600});
	const before = fs.readFileSync(file, 'utf8');
	const typed = await renderDashboard(t, {env, route: {screen: 'settings'}});
	await typed.focusField('Database URL');
	await typed.type('postgres://mailreader:pgSecret-9f3@127.0.0.1:35432/postgres');
	await typed.press(CTRL_S);
	t.true(words(typed.screen()).includes(said), typed.screen());
	t.is(fs.readFileSync(file, 'utf8'), before, 'nothing written');
	await typed.unmount();

	// Written into the file before: the header, the field and the message never show it.
	fs.writeFileSync(file, JSON.stringify({
		sender: {address: 'postmaster@example.net'},
		directory: {source: 'sql', sql: {url: 'postgres://mailreader:pgSecret-9f3@127.0.0.1:35432/postgres', query: 'SELECT 1'}},
	}), {mode: 0o600});
	const stored = fs.readFileSync(file, 'utf8');
	const home = await renderDashboard(t, {env});
	t.false(home.screen().includes('pgSecret'), home.screen());
	t.true(home.screen().includes('from postgres://mailreader:***'), home.screen());
	await home.unmount();

	const d = await renderDashboard(t, {env, route: {screen: 'settings'}});
	await d.focusField('Database URL');
	t.regex(d.screen(), /❯ Database URL +postgres:\/\/mailreader:\*\*\*@127\.0\.0\.1:35432\/postgres$/m);
	t.true(words(d.screen()).includes(said), d.screen());
	t.false(d.screen().includes('pgSecret'), d.screen());
	// Elsewhere in the form it is still said.
	await d.focusField('Sender name', {key: UP});
	t.true(words(d.screen()).includes(said), d.screen());
	await d.press(CTRL_S);
	t.regex(d.screen(), /❯ Database URL/, 'Save goes to the field instead');
	t.is(fs.readFileSync(file, 'utf8'), stored, 'not saved with it');

	await d.press(CTRL_U);
	await d.type('postgres://mailreader@127.0.0.1:35432/postgres');
	await d.press(CTRL_S);
	t.true(d.screen().includes('Saved to'), d.screen());
	t.false(words(d.screen()).includes(said), d.screen());
	t.false(fs.readFileSync(file, 'utf8').includes('pgSecret'));
	t.is(openStore({env}).settings.get().directory.sql.url, 'postgres://mailreader@127.0.0.1:35432/postgres');
	await d.unmount();
});
