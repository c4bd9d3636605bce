import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {fullyQualifiedHostName, greetingName, mailHostName} from '../../source/core/host-name.js';
import {SettingsStore} from '../../source/core/settings.js';
import {resolvePaths} from '../../source/core/paths.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

function folder(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-hostname-'));
	return dir;
}

test('the fully qualified name: /etc/mailname first, then the resolver\'s canonical name, then the host name', t => {
	const dir = folder();
	t.teardown(() => fs.rmSync(dir, {recursive: true, force: true}));
	const mailname = path.join(dir, 'mailname');
	const missing = path.join(dir, 'missing');
	const asked: string[] = [];
	const canonicalName = (host: string) => {
		asked.push(host);
		return host === 'vm' ? 'vm.example.net' : undefined;
	};

	fs.writeFileSync(mailname, 'Mail.Example.ORG\n');
	t.is(fullyQualifiedHostName({mailnameFile: mailname, hostName: 'vm', canonicalName}), 'mail.example.org');
	t.deepEqual(asked, [], 'the resolver is not asked when /etc/mailname names the machine');
	t.is(fullyQualifiedHostName({mailnameFile: missing, hostName: 'vm', canonicalName}), 'vm.example.net', 'no /etc/mailname: the canonical name, not vm.localdomain');
	t.is(fullyQualifiedHostName({mailnameFile: missing, hostName: 'box.example.com', canonicalName}), 'box.example.com');
	t.is(fullyQualifiedHostName({mailnameFile: missing, hostName: 'lonely', canonicalName}), 'lonely', 'nothing qualified: the host name');
});

test('smtp.heloName is a setting: a host name or an address literal, empty by default', t => {
	const {env} = tempConfigDir(t);
	const settings = new SettingsStore(resolvePaths({env}));
	t.is(settings.get().smtp.heloName, '');
	settings.setKey('smtp.heloName', 'mail.example.com');
	t.is(settings.get().smtp.heloName, 'mail.example.com');
	settings.setKey('smtp.heloName', '[192.0.2.1]');
	t.is(settings.getKey('smtp.heloName'), '[192.0.2.1]');
	t.throws(() => {
		settings.setKey('smtp.heloName', 'not a name');
	}, {message: /smtp\.heloName must be a host name/});
	t.true(SettingsStore.keys().some(key => key.key === 'smtp.heloName'));
});

test('no name with a dot anywhere: no mail name (and why), and the greeting is the connection\'s address literal', t => {
	const none = mailHostName({mailnameFile: '/nonexistent/mailname', hostName: 'vm', canonicalName: () => 'vm'});
	t.is(none.name, undefined);
	t.is(none.from, 'the host name "vm" has no domain, there is no /nonexistent/mailname and the resolver knows no longer name');
	t.deepEqual(mailHostName({mailnameFile: '/nonexistent/mailname', hostName: 'vm', canonicalName: () => 'vm.example.net'}), {name: 'vm.example.net', from: 'the resolver (hostname --fqdn)'});
	t.deepEqual(mailHostName({mailnameFile: '/nonexistent/mailname', hostName: 'Box.Example.com', canonicalName: () => undefined}), {name: 'box.example.com', from: 'the host name'});
	t.is(greetingName('mail.example.org', '192.0.2.7'), 'mail.example.org');
	t.is(greetingName(undefined, '192.0.2.7'), '[192.0.2.7]');
	t.is(greetingName(undefined, '::ffff:127.0.0.1'), '[127.0.0.1]');
	t.is(greetingName(undefined, '2001:db8::1'), '[IPv6:2001:db8::1]');
});
