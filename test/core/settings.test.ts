import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {resolvePaths} from '../../source/core/paths.js';
import {SettingsStore, defaultSettings, localMailDomain, readSetting, settingValue, showRate, showSetting} from '../../source/core/settings.js';
import {openStore} from '../../source/core/store.js';
import {makeTestCertificates} from '../helpers/postgres-server.js';
import {tempConfigDir, tempFolder, testSenderAddress} from '../helpers/temp-dir.js';
import {senderAddressOrigin, senderForSend} from '../../source/core/sender.js';
import {maximumRetryDelayMs} from '../../source/core/delivery/retry-queue.js';

function settingsIn(t: Parameters<typeof tempConfigDir>[0]): {store: SettingsStore; file: string; env: NodeJS.ProcessEnv} {
	const {env} = tempConfigDir(t, {bare: true});
	const {settings} = openStore({env});
	return {store: settings, file: settings.file, env};
}

test('a new installation has the default settings: no SMTP server, postmaster@host as sender', t => {
	const {store} = settingsIn(t);
	t.deepEqual(store.get(), defaultSettings());
	t.is(store.get().smtp.host, '');
	t.is(store.get().sender.name, 'System Administrator');
	t.deepEqual(defaultSettings('mx.example.com').sender, {name: 'System Administrator', address: 'postmaster@mx.example.com'});
});

test('the settings file is written with mode 0600 and read back by a new store', t => {
	const {store, file, env} = settingsIn(t);
	store.setKey('smtp.host', 'mail.example.com');
	store.setKey('smtp.port', '465');
	store.setKey('smtp.tls', 'IMPLICIT');
	store.setKey('smtp.allowUnverifiedTls', 'yes');
	store.setKey('delivery.rate', '2.5');
	store.setKey('sender.address', 'noc@Bücher.example');
	t.is(fs.statSync(file).mode & 0o777, 0o600);
	const again = openStore({env}).settings;
	t.like(again.get(), {
		smtp: {host: 'mail.example.com', port: 465, tls: 'implicit', allowUnverifiedTls: true},
		sender: {address: 'noc@xn--bcher-kva.example'},
		delivery: {rate: 2.5, concurrency: 5},
	});
	t.is(again.getKey('smtp.port'), 465);
	t.deepEqual(again.getKey('delivery'), again.get().delivery);
});

test('setKey refuses a password and says where the password comes from', t => {
	const {store, file} = settingsIn(t);
	for (const key of ['smtp.password', 'password', 'SMTP.Password']) {
		const error = t.throws(() => {
			store.setKey(key, 'hunter2');
		}, {instanceOf: MassmailError});
		t.is(error.message, 'massmail never writes the SMTP password to its settings file');
		t.regex(error.hint!, /MASSMAIL_SMTP_PASSWORD/);
		t.regex(error.hint!, /smtp\.passwordCommand/);
	}

	store.setKey('smtp.passwordCommand', 'pass show mail/smtp');
	t.is(store.get().smtp.passwordCommand, 'pass show mail/smtp');
	t.false(fs.readFileSync(file, 'utf8').includes('hunter2'));
});

test('setKey checks each value and says what is expected', t => {
	const {store} = settingsIn(t);
	const message = (key: string, raw: string) => t.throws(() => {
		store.setKey(key, raw);
	}, {instanceOf: MassmailError}).message;
	t.is(message('smtp.port', 'abc'), 'smtp.port must be a whole number from 1 to 65535, found "abc"');
	// No wait is longer than retry-queue.ts's bound: a larger first wait would not be what it says.
	t.is(message('delivery.retryDelayMs', '99999999999999'), `delivery.retryDelayMs must be a whole number from 0 to ${maximumRetryDelayMs}, found 99999999999999`);
	t.is(message('smtp.port', '70000'), 'smtp.port must be a whole number from 1 to 65535, found 70000');
	t.is(message('delivery.concurrency', '0'), 'delivery.concurrency must be a whole number from 1 to 100, found 0');
	t.is(message('smtp.tls', 'ssl'), 'smtp.tls must be one of implicit, starttls, opportunistic, found "ssl"');
	t.is(message('smtp.allowUnverifiedTls', 'maybe'), 'smtp.allowUnverifiedTls must be true or false (yes/no, on/off, 1/0), found "maybe"');
	t.is(message('sender.address', 'nobody'), 'sender.address not a valid address "nobody": it has no @');
	t.is(message('delivery.rate', '-1'), 'delivery.rate must be messages a second (0.5), a minute (30/min) or an hour (1000/h), not "-1"');
	t.is(message('smtp.host', 'mail example.com'), 'smtp.host must be a host name or IP address, found "mail example.com"');
	t.deepEqual(store.get(), defaultSettings(), 'nothing was changed');
});

test('an unknown key is a usage error listing the keys', t => {
	const {store} = settingsIn(t);
	const error = t.throws(() => store.getKey('smtp.server'), {instanceOf: MassmailError});
	t.is(error.kind, 'usage');
	t.is(error.message, 'unknown setting "smtp.server"');
	t.is(error.hint, `the settings are: ${SettingsStore.keys().map(k => k.key).join(', ')}`);
	t.throws(() => {
		store.setKey('nope', '1');
	}, {message: 'unknown setting "nope"'});
	t.true(SettingsStore.keys().every(k => k.description !== '' && k.example !== ''));
});

test('update checks every value before writing any', t => {
	const {store, env} = settingsIn(t);
	t.throws(() => {
		store.update({smtp: {host: 'ok.example.com', port: 0}});
	}, {message: 'smtp.port must be a whole number from 1 to 65535, found 0'});
	t.is(store.get().smtp.host, '');
	store.update({smtp: {host: 'ok.example.com', port: 2525}, delivery: {retryDelayMs: 10}});
	t.like(openStore({env}).settings.get(), {smtp: {host: 'ok.example.com', port: 2525}, delivery: {retryDelayMs: 10}});
	t.throws(() => {
		store.update({sender: {name: 'Evil\r\nBcc: x@example.com'}});
	}, {message: /sender.name must be one line/});
});

test('a settings file that is not JSON is reported with its path and position, and never overwritten', t => {
	const {env} = tempConfigDir(t);
	const file = resolvePaths({env}).settingsFile;
	fs.writeFileSync(file, '{\n\t"smtp": {"host": "mail.example.com",}\n}\n');
	const bytes = fs.readFileSync(file);
	const store = openStore({env}).settings;
	const error = t.throws(() => store.get(), {instanceOf: MassmailError});
	t.is(error.kind, 'store');
	t.is(error.exitCode, 2);
	t.true(error.message.startsWith(`${file}: not valid JSON (line 2 column 38): `), error.message);
	t.is(error.hint, 'Fix or move the file away; massmail never overwrites it.');
	t.throws(() => {
		store.setKey('smtp.port', '25');
	}, {instanceOf: MassmailError});
	t.deepEqual(fs.readFileSync(file), bytes);
});

test('a settings file with a value of the wrong kind is reported and never overwritten', t => {
	const {env} = tempConfigDir(t);
	const file = resolvePaths({env}).settingsFile;
	for (const [content, what] of [
		['{"smtp": {"port": "twenty-five"}}', 'smtp.port must be a whole number from 1 to 65535, found "twenty-five"'],
		['[1, 2]', 'not a settings object (expected {"smtp": …, "sender": …, "delivery": …})'],
		['"text"', 'not a settings object (expected {"smtp": …, "sender": …, "delivery": …})'],
		['{"delivery": 5}', '"delivery" must be an object'],
	]) {
		fs.writeFileSync(file, content);
		const error = t.throws(() => openStore({env}).settings.get(), {instanceOf: MassmailError});
		t.is(error.message, `${file}: ${what}`);
		t.is(fs.readFileSync(file, 'utf8'), content);
	}
});

test('a file broken after it was read is not overwritten by a later set', t => {
	const {store, file} = settingsIn(t);
	store.get();
	fs.writeFileSync(file, '{broken');
	const error = t.throws(() => {
		store.setKey('smtp.port', '25');
	}, {instanceOf: MassmailError});
	t.is(error.kind, 'store');
	t.true(error.message.startsWith(file));
	t.is(fs.readFileSync(file, 'utf8'), '{broken');
});

test('a partial file keeps its values and fills in the rest', t => {
	const {env} = tempConfigDir(t);
	const file = resolvePaths({env}).settingsFile;
	fs.writeFileSync(file, '{"smtp": {"host": "mx.example.com"}, "unknownKey": 1}');
	const settings = openStore({env}).settings.get();
	t.is(settings.smtp.host, 'mx.example.com');
	t.is(settings.smtp.port, 587);
	t.is(settings.delivery.concurrency, 5);
	t.is(JSON.parse(fs.readFileSync(file, 'utf8')).smtp.host, 'mx.example.com');
});

test('the default sender uses /etc/mailname, else the host name, else the resolver\'s name; with no name with a dot there is no default (never vm.localdomain)', t => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-mailname-'));
	t.teardown(() => fs.rmSync(dir, {recursive: true, force: true}));
	const mailname = path.join(dir, 'mailname');
	const canonicalName = () => undefined;
	fs.writeFileSync(mailname, 'mail.example.org\n');
	t.is(localMailDomain({mailnameFile: mailname, hostName: 'mx', canonicalName}), 'mail.example.org');
	fs.writeFileSync(mailname, 'mx\n');
	t.is(localMailDomain({mailnameFile: mailname, hostName: 'mx', canonicalName}), undefined);
	t.is(localMailDomain({mailnameFile: mailname, hostName: 'mx', canonicalName: () => 'mx.example.net'}), 'mx.example.net');
	t.is(localMailDomain({mailnameFile: path.join(dir, 'missing'), hostName: 'box.example.com', canonicalName}), 'box.example.com');
	t.deepEqual(defaultSettings(undefined).sender, {name: 'System Administrator', address: ''});
});

test('the machine\'s name is looked for (hostname --fqdn) only when no sender address is set: not at every start', t => {
	const bin = tempFolder(t, 'massmail-bin-');
	const calls = path.join(bin, 'calls');
	// A `hostname` that notes each call, then answers as the real one (or with nothing).
	fs.writeFileSync(path.join(bin, 'hostname'), `#!/bin/sh\necho "$*" >> '${calls}'\ncommand -v /usr/bin/hostname >/dev/null && exec /usr/bin/hostname "$@"\n`, {mode: 0o755});
	const store = new URL('../../source/core/store.ts', import.meta.url).href;
	const senderAddress = (env: NodeJS.ProcessEnv) => execFileSync(process.execPath, [
		'--import=tsx', '--input-type=module', '-e', `import {openStore} from '${store}'; process.stdout.write(openStore({env: process.env}).settings.get().sender.address);`,
	], {env: {...env, PATH: `${bin}${path.delimiter}${process.env.PATH}`}, encoding: 'utf8'});
	const calledTimes = () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean).length : 0);

	t.is(senderAddress(tempConfigDir(t).env), testSenderAddress);
	t.is(calledTimes(), 0, 'a set sender address needs no name of the machine');

	// Without one, the default is made from the machine's name: the resolver is asked where neither
	// /etc/mailname nor the host name has a dot (this machine's case on CI, `vm`).
	const {env} = tempConfigDir(t, {bare: true});
	t.is(senderAddress(env), defaultSettings().sender.address);
	const mailname = fs.existsSync('/etc/mailname') ? fs.readFileSync('/etc/mailname', 'utf8').split('\n', 1)[0]! : '';
	if (!mailname.includes('.') && !os.hostname().includes('.')) {
		t.is(calledTimes(), 1);
	}
});

test('the sender of a send: the set address; without one, postmaster@localhost to the capture server, and exit 2 saying how to set one for a real server', t => {
	const named = {name: 'IT', address: 'it@example.com'};
	t.deepEqual(senderForSend(named, {captured: false}), named);
	t.deepEqual(senderForSend({name: 'IT', address: ''}, {captured: true}), {name: 'IT', address: 'postmaster@localhost'});
	const error = t.throws(() => senderForSend({name: 'IT', address: ''}, {captured: false}));
	t.like(error, {kind: 'validation', exitCode: 2});
	t.regex(error.message, /^no sender address: sender\.address is not set and this machine has no fully qualified name/);
	t.regex((error as MassmailError).hint ?? '', /massmail config set sender\.address postmaster@example\.com/);
});

test('where the sender address comes from: set in the settings, or the default and its source; config set sender.address "" goes back to the default', t => {
	const {store} = settingsIn(t);
	t.false(store.isSet('sender.address'));
	t.regex(senderAddressOrigin(store), /^(the default: postmaster@ this machine's name, from .+|not set, and there is no default: .+)$/);
	store.setKey('sender.address', 'it@example.com');
	t.true(store.isSet('sender.address'));
	t.is(senderAddressOrigin(store), 'set in the settings (sender.address)');
	store.setKey('sender.address', '');
	t.is(store.get().sender.address, '');
	t.not(senderAddressOrigin(store), 'set in the settings (sender.address)');
});

test('conf does not write the defaults into the file: only what was set is there', t => {
	const {store, file} = settingsIn(t);
	store.setKey('delivery.concurrency', '3');
	t.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), {delivery: {concurrency: 3}});
});

// ---------------------------------------------------------------- one definition per setting

test('a stored value is shown as a person types it, and reads back as the same value', t => {
	for (const [rate, shown] of [[0, '0'], [2, '2'], [0.5, '30/min'], [1000 / 3600, '1000/h'], [2.5, '150/min'], [1 / 7, String(1 / 7)]] as const) {
		t.is(showRate(rate), shown);
		t.is(showSetting('delivery.rate', rate), shown);
		t.deepEqual(readSetting('delivery.rate', shown), {value: rate}, shown);
	}

	for (const [seconds, shown] of [[0, '0'], [90, '90'], [1800, '30min'], [3600, '1h'], [7200, '2h']] as const) {
		t.is(showSetting('directory.maxAge', seconds), shown);
		t.deepEqual(readSetting('directory.maxAge', shown), {value: seconds});
	}

	// Every default, shown and read back, is itself.
	const defaults = defaultSettings('example.net');
	for (const {key} of SettingsStore.keys()) {
		t.deepEqual(readSetting(key, showSetting(key, settingValue(defaults, key))), {value: settingValue(defaults, key)}, key);
	}
});

test('a source\'s address is checked when set (its scheme, no password), never echoed, and a stored one still loads', t => {
	const {store, env, file} = settingsIn(t);
	const message = (key: string, raw: string) => t.throws(() => {
		store.setKey(key, raw);
	}, {instanceOf: MassmailError}).message;
	t.is(message('directory.ldap.url', 'ldap.example.com'), 'directory.ldap.url must start with ldap:// or ldaps://');
	t.is(message('directory.smartermail.url', 'ftp://mail.example.com'), 'directory.smartermail.url must start with https:// (or http:// to this machine)');
	t.is(message('directory.sql.url', 'http://reader@db.example.com/x'), 'directory.sql.url must start with postgres://, postgresql://, mysql:// or mariadb://');
	// A password is what is said first, whatever else is wrong: it is what must not be stored.
	t.is(message('directory.sql.url', 'http://reader:Secret7@db.example.com/x'), 'directory.sql.url holds a password after the user name (user:PASSWORD@), which massmail never stores: remove it from the URL, and set MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand instead');
	store.setKey('directory.ldap.url', 'ldaps://ldap.example.com');
	store.setKey('directory.ldap.url', '');
	t.is(store.get().directory.ldap.url, '');

	fs.writeFileSync(file, JSON.stringify({directory: {ldap: {url: 'ldap.example.com'}}}));
	t.is(openStore({env}).settings.get().directory.ldap.url, 'ldap.example.com', 'a file written before the check is read as it is');
});

test('a CA file is checked when set: made absolute, readable, holding a certificate; a stored one that is gone still loads', async t => {
	const {store, env, file} = settingsIn(t);
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-ca-'));
	t.teardown(() => fs.rmSync(folder, {recursive: true, force: true}));
	const {caFile} = await makeTestCertificates(folder);
	const missing = path.join(folder, 'missing.pem');
	for (const key of ['smtp.caFile', 'directory.sql.caFile', 'directory.ldap.caFile']) {
		t.is(t.throws(() => {
			store.setKey(key, missing);
		}, {instanceOf: MassmailError}).message, `${key} ${missing} cannot be read: ENOENT: no such file or directory`);
		t.regex(t.throws(() => {
			store.setKey(key, path.join(folder, 'server.csr'));
		}, {instanceOf: MassmailError}).message, new RegExp(`^${key} ${folder}/server\\.csr holds no certificate`));
		store.setKey(key, path.relative(process.cwd(), caFile));
		t.is(store.getKey(key), caFile, key);
		store.setKey(key, '');
		t.is(store.getKey(key), '');
	}

	fs.writeFileSync(file, JSON.stringify({smtp: {caFile: missing}}));
	t.is(openStore({env}).settings.get().smtp.caFile, missing, 'read as it is: the send says the file is gone');
});
