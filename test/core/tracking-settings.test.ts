/**
 * The delivery reports' settings (tracking.*): one definition for config set/get, the Settings
 * form's Delivery reports section and README's table; the password never stored; a bounce
 * address that holds the recipient delimiter refused, by config set and by the form; and the
 * bounce mailbox a fold reads, resolved from the settings and the environment.
 */
import fs from 'node:fs';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {openStore, type Store} from '../../source/core/store.js';
import {requireTrackingTarget, trackingTarget} from '../../source/core/tracking/target.js';
import {checkSettingsForm, formSettings, initialSettingsForm, settingsFormReducer, settingsPatch, visibleFields, type SettingsFormState, type SettingsTextField} from '../../source/ui/state/settings-form.js';
import {textState} from '../../source/ui/state/text-edit.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

function store(t: Parameters<typeof tempConfigDir>[0]): Store {
	const {env} = tempConfigDir(t);
	return openStore({env});
}

test('config set takes each tracking key, checked, and config get tracking shows the section; the defaults ask for failures and delays, no bounce address', t => {
	const settings = store(t).settings;
	t.deepEqual(settings.getKey('tracking'), {
		returnPath: '',
		verp: false,
		delimiter: '+',
		notify: 'failure,delay',
		imap: {host: '', port: 993, tls: 'implicit', user: '', passwordCommand: '', caFile: '', allowUnverifiedTls: false},
	});
	settings.setKey('tracking.returnPath', ' Bounces@Example.COM ');
	settings.setKey('tracking.verp', 'yes');
	settings.setKey('tracking.delimiter', '-');
	settings.setKey('tracking.notify', 'Delay, Success, Failure');
	settings.setKey('tracking.imap.host', 'mail.example.com');
	settings.setKey('tracking.imap.port', '143');
	settings.setKey('tracking.imap.tls', 'starttls');
	settings.setKey('tracking.imap.user', 'bounces@example.com');
	settings.setKey('tracking.imap.passwordCommand', 'pass show mail/bounces');
	settings.setKey('tracking.imap.allowUnverifiedTls', 'true');
	t.like(settings.get().tracking, {returnPath: 'Bounces@example.com', verp: true, delimiter: '-', notify: 'success,failure,delay'});
	t.deepEqual(settings.get().tracking.imap, {host: 'mail.example.com', port: 143, tls: 'starttls', user: 'bounces@example.com', passwordCommand: 'pass show mail/bounces', caFile: '', allowUnverifiedTls: true});
	for (const [key, value, said] of [
		['tracking.returnPath', 'not an address', /^tracking\.returnPath /],
		['tracking.delimiter', '++', /must be one character such as \+ or -/],
		['tracking.delimiter', '@', /must be one character/],
		['tracking.notify', 'success', /must be one of failure,delay, success,failure,delay/],
		['tracking.imap.tls', 'opportunistic', /must be one of implicit, starttls, none/],
		['tracking.imap.port', '0', /must be a whole number from 1 to 65535/],
		['tracking.imap.caFile', '/nowhere/ca.pem', /cannot be read/],
	] as const) {
		const error = t.throws(() => {
			settings.setKey(key, value);
		}, {instanceOf: MassmailError}, `${key} ${value}`);
		t.is(error.kind, 'validation');
		t.regex(error.message, said);
	}
});

test('the bounce mailbox\'s password is never stored: config set of a password key is refused, naming where it comes from', t => {
	const settings = store(t).settings;
	for (const key of ['tracking.imap.password', 'tracking.password']) {
		const error = t.throws(() => {
			settings.setKey(key, 'secret');
		}, {instanceOf: MassmailError});
		t.is(error.kind, 'usage');
		t.is(error.message, 'massmail never writes the bounce mailbox\'s password to its settings file');
		t.regex(error.hint ?? '', /MASSMAIL_TRACKING_PASSWORD .* tracking\.imap\.passwordCommand/);
	}

	t.false(fs.existsSync(settings.file) && fs.readFileSync(settings.file, 'utf8').includes('secret'));
});

test('a bounce address that holds the recipient delimiter is refused, and so is a delimiter the bounce address holds', t => {
	const settings = store(t).settings;
	const error = t.throws(() => {
		settings.setKey('tracking.returnPath', 'bounces+mass@example.com');
	}, {instanceOf: MassmailError});
	t.is(error.message, 'tracking.returnPath must not hold the recipient delimiter "+" (tracking.delimiter): the server would cut its VERP addresses there, found "bounces+mass@example.com"');
	settings.setKey('tracking.returnPath', 'mass-bounces@example.com');
	t.throws(() => {
		settings.setKey('tracking.delimiter', '-');
	}, {message: 'tracking.delimiter must not be a character of the bounce address "mass-bounces@example.com" (tracking.returnPath), found "-"'});
	t.is(settings.get().tracking.delimiter, '+');
	// The delimiter first, then an address that holds the old one: taken.
	settings.setKey('tracking.delimiter', '=');
	settings.setKey('tracking.returnPath', 'mass+bounces@example.com');
	t.is(settings.get().tracking.returnPath, 'mass+bounces@example.com');
});

function edit(form: SettingsFormState, field: SettingsTextField, text: string): SettingsFormState {
	return settingsFormReducer(form, {type: 'edit', field, text: textState(text)});
}

function cycle(form: SettingsFormState, field: SettingsFormState['focus']): SettingsFormState {
	return settingsFormReducer({...form, focus: field}, {type: 'cycle', delta: 1});
}

test('the Settings form\'s Delivery reports section: two fields until a bounce address or mailbox is typed, then the rest; saved as config set would', t => {
	const {settings} = store(t);
	const current = settings.get();
	let form = initialSettingsForm(current, {});
	const tracking = () => visibleFields(form).filter(field => field.startsWith('tracking.'));
	t.deepEqual(tracking(), ['tracking.returnPath', 'tracking.imap.host']);
	t.deepEqual(visibleFields(form).slice(-4), ['save', 'test', 'tracking.returnPath', 'tracking.imap.host']);
	form = edit(form, 'tracking.returnPath', 'bounces@example.com');
	t.deepEqual(tracking(), ['tracking.returnPath', 'tracking.verp', 'tracking.notify', 'tracking.imap.host']);
	form = cycle(form, 'tracking.verp');
	form = cycle(form, 'tracking.notify');
	t.deepEqual(tracking(), ['tracking.returnPath', 'tracking.verp', 'tracking.delimiter', 'tracking.notify', 'tracking.imap.host']);
	form = edit(form, 'tracking.imap.host', 'mail.example.com');
	form = edit(form, 'tracking.imap.user', 'bounces@example.com');
	form = cycle(form, 'tracking.imap.tls');
	form = edit(form, 'tracking.imap.port', '143');
	t.deepEqual(tracking(), [
		'tracking.returnPath', 'tracking.verp', 'tracking.delimiter', 'tracking.notify', 'tracking.imap.host', 'tracking.imap.port', 'tracking.imap.tls',
		'tracking.imap.user', 'tracking.imap.passwordCommand', 'tracking.imap.caFile', 'tracking.imap.allowUnverifiedTls',
	]);
	t.deepEqual(checkSettingsForm(form, current, {}), {});
	settings.update(settingsPatch(formSettings(form, current), current));
	t.deepEqual(settings.get().tracking, {
		returnPath: 'bounces@example.com',
		verp: true,
		delimiter: '+',
		notify: 'success,failure,delay',
		imap: {host: 'mail.example.com', port: 143, tls: 'starttls', user: 'bounces@example.com', passwordCommand: '', caFile: '', allowUnverifiedTls: false},
	});
	// Nothing else was written.
	t.deepEqual(Object.keys(JSON.parse(fs.readFileSync(settings.file, 'utf8')) as object).sort(), ['sender', 'tracking']);

	// A bounce address holding the delimiter is said on its field, and nothing is saved.
	form = edit(initialSettingsForm(settings.get(), {}), 'tracking.returnPath', 'bounces+x@example.com');
	t.regex(checkSettingsForm(form, settings.get(), {})['tracking.returnPath'] ?? '', /must not hold the recipient delimiter "\+"/);
});

test('the bounce mailbox a fold reads: what is missing until it is set up, then the IMAP server, the login and the password from the environment or the command', async t => {
	const {settings} = store(t);
	t.deepEqual(trackingTarget(settings.get(), {}), {configured: false, missing: [
		{key: 'tracking.returnPath', what: 'the bounce address every message is sent from (bounces@example.com)'},
		{key: 'tracking.imap.host', what: 'the IMAP server of that mailbox'},
		{key: 'tracking.imap.user', what: 'the IMAP login of that mailbox'},
		{key: 'MASSMAIL_TRACKING_PASSWORD or tracking.imap.passwordCommand', what: 'its password (never stored)'},
	]});
	const error = t.throws(() => requireTrackingTarget(settings.get(), {}), {instanceOf: MassmailError});
	t.is(error.kind, 'usage');
	settings.setKey('tracking.returnPath', 'bounces@example.com');
	settings.setKey('tracking.imap.host', 'mail.example.com');
	settings.setKey('tracking.imap.user', 'bounces@example.com');
	t.deepEqual((trackingTarget(settings.get(), {}) as {missing: unknown[]}).missing, [{key: 'MASSMAIL_TRACKING_PASSWORD or tracking.imap.passwordCommand', what: 'its password (never stored)'}]);
	const fromEnvironment = requireTrackingTarget(settings.get(), {MASSMAIL_TRACKING_PASSWORD: 'secret'});
	t.like(fromEnvironment, {returnPath: 'bounces@example.com', delimiter: '+', description: 'mail.example.com:993 (TLS) as bounces@example.com'});
	t.like(fromEnvironment.imap, {host: 'mail.example.com', port: 993, tls: 'implicit', user: 'bounces@example.com', allowUnverifiedTls: false});
	t.is(await fromEnvironment.imap.password(), 'secret');
	settings.setKey('tracking.imap.passwordCommand', 'echo from-command');
	t.is(await requireTrackingTarget(settings.get(), {}).imap.password(), 'from-command');
	// The environment wins over the command, as for SMTP.
	t.is(await requireTrackingTarget(settings.get(), {MASSMAIL_TRACKING_PASSWORD: 'secret'}).imap.password(), 'secret');
});
