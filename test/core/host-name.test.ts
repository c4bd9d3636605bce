import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {fullyQualifiedHostName} from '../../source/core/host-name.js';
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
