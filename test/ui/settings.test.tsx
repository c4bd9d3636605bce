/**
 * Settings at 80×24 over a real settings file and a real SMTP test server: the fields,
 * what is wrong with a field, saving, and test connection with the server's own words.
 */
import fs from 'node:fs';
import test from 'ava';
import {openStore} from '../../source/core/store.js';
import {defaultSettings} from '../../source/core/settings.js';
import {checkSettingsForm, formSettings, initialSettingsForm, settingsFormReducer, settingsPatch, visibleFields, type SettingsFormState} from '../../source/ui/state/settings-form.js';
import {textState} from '../../source/ui/state/text-edit.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {renderDashboard, CTRL_S, CTRL_T, DOWN, ENTER, ESC, RIGHT, TAB, UP} from './harness.js';

const CTRL_U = '\u0015';

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
	t.regex(screen, /Rate \(msg\/s\)\s+0/);
	t.regex(screen, /Attempts\s+5/);
	t.regex(screen, /Confirm above\s+100/);
	t.true(screen.includes('[Save]'));
	t.true(screen.includes('[Test connection]'));
	t.true(screen.includes('Empty: the local capture server'));
	t.true(screen.includes('Ctrl+S Save'));
	t.false(/password\s*:/i.test(screen), 'no password field');
	t.is(d.lines().length, 23, 'fits 80×24, one row short of the terminal');

	await d.press(TAB, CTRL_U);
	await d.type('99999');
	await d.press(TAB);
	t.true(d.screen().includes('✗'), d.screen());
	await d.press(CTRL_S);
	t.true(d.screen().includes('Port: from 1 to 65535'), d.screen());
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
	await d.press(TAB, CTRL_U);
	await d.type(String(server.port));
	await d.press(TAB, RIGHT, RIGHT);
	t.regex(d.screen(), /TLS\s+STARTTLS when offered/);
	await d.press(DOWN, DOWN, DOWN, DOWN);
	t.regex(d.screen(), /❯ Sender name/);
	await d.press(CTRL_U);
	await d.type('IT Desk');
	await d.press(TAB, CTRL_U);
	await d.type('it@example.com');
	await d.press(CTRL_S);
	t.true(d.screen().includes('Saved to'), d.screen());

	const saved = openStore({env}).settings.get();
	t.deepEqual(saved.smtp, {host: '127.0.0.1', port: server.port, tls: 'opportunistic', user: '', passwordCommand: '', allowUnverifiedTls: false, heloName: ''});
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
	await d.press(TAB, CTRL_U);
	await d.type(String(server.port));
	await d.press(TAB, RIGHT, RIGHT, TAB, TAB);
	await d.type('mailer');
	await d.press(TAB);
	t.regex(d.screen(), /❯ Password from\s+no password/);
	await d.press(RIGHT);
	t.true(d.screen().includes('the environment (MASSMAIL_SMTP_PASSWORD is not set)'), d.screen());
	await d.press(RIGHT);
	t.regex(d.screen(), /Password from\s+a password command/);
	await d.press(TAB);
	t.regex(d.screen(), /❯ Password command/);
	await d.type('echo wrong-secret');
	await d.press(TAB, TAB, CTRL_U);
	await d.type('it@example.com');
	await d.press(UP, UP);
	t.regex(d.screen(), /❯ Password command/);

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

	form = settingsFormReducer(form, {type: 'edit', field: 'host', text: textState('mail.example.com')});
	form = settingsFormReducer(form, {type: 'edit', field: 'user', text: textState('mailer')});
	form = {...form, focus: 'tls'};
	form = settingsFormReducer(form, {type: 'cycle', delta: -1});
	t.is(form.tls, 'opportunistic');
	t.regex(checkSettingsForm(form, current).tls ?? '', /could travel unencrypted/);

	form = settingsFormReducer(form, {type: 'edit', field: 'senderAddress', text: textState('not an address')});
	form = settingsFormReducer(form, {type: 'edit', field: 'concurrency', text: textState('0')});
	const errors = checkSettingsForm(form, current);
	t.truthy(errors.senderAddress);
	t.is(errors.concurrency, 'from 1 to 100');
	t.is(settingsFormReducer(form, {type: 'set-errors', errors}).focus, 'senderAddress', 'the first field with a problem gets the keyboard');
});

test('only changed values are saved; the password command only with its source', t => {
	const current = defaultSettings('mailhost');
	let form = initialSettingsForm(current);
	form = settingsFormReducer(form, {type: 'edit', field: 'senderName', text: textState('IT Desk')});
	form = settingsFormReducer(form, {type: 'edit', field: 'passwordCommand', text: textState('pass show smtp')});
	t.deepEqual(settingsPatch(formSettings(form, current), current), {sender: {name: 'IT Desk'}}, 'the command is dropped while the source is not a command');
	t.false(visibleFields(form).includes('passwordCommand'));
	form = {...form, focus: 'passwordSource'};
	form = settingsFormReducer(form, {type: 'cycle', delta: -1});
	t.is(form.passwordSource, 'command');
	t.true(visibleFields(form).includes('passwordCommand'));
	t.deepEqual(settingsPatch(formSettings(form, current), current), {smtp: {passwordCommand: 'pass show smtp'}, sender: {name: 'IT Desk'}});
	t.true(form.dirty);
});

test('keys typed faster than the screen redraws all land (each edit applies to the latest state)', t => {
	const key = (input: string) => ({input, key: {name: input, paste: false, upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: input !== input.toLowerCase(), tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false}});
	let form: SettingsFormState = {...initialSettingsForm(defaultSettings('mailhost')), focus: 'senderName'};
	form = settingsFormReducer(form, {type: 'edit', field: 'senderName', text: textState('')});
	for (const character of 'IT Desk') {
		form = settingsFormReducer(form, {type: 'edit-key', ...key(character)});
	}

	t.is(form.text.senderName.value, 'IT Desk');
});
