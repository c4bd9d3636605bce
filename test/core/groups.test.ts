import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {MassmailError} from '../../source/core/errors.js';
import {describeGroup, formatGroup, parseGroup, resolveGroup} from '../../source/core/groups.js';
import type {RecipientGroup} from '../../source/core/types.js';

function directory(): Directory {
	const d = Directory.empty();
	for (const name of ['b.org', 'a.com', 'bücher.example']) {
		d.addDomain(name);
	}

	d.addMailbox({address: 'zed@a.com', name: 'Zed'});
	d.addMailbox({address: 'amy@a.com', name: 'Amy', role: 'primary'});
	d.addMailbox({address: 'max@a.com', name: 'Max', role: 'admin'});
	d.addMailbox({address: 'off@a.com', name: 'Off', disabled: true});
	d.addMailbox({address: 'boss@b.org', name: 'Boss', role: 'primary', disabled: true});
	d.addMailbox({address: 'ops@b.org', name: 'Ops', role: 'admin', disabled: true});
	d.addMailbox({address: 'bea@b.org', name: 'Bea'});
	d.addMailbox({address: 'inhaber@bücher.example', name: 'Jürgen', role: 'primary'});
	return d;
}

const addresses = (group: string, options?: {allowExternal?: boolean}) => {
	const resolution = resolveGroup(directory(), parseGroup(group), options);
	return {to: resolution.recipients.map(r => r.address), skipped: resolution.skipped.map(s => `${s.address} ${s.reason}`)};
};

test('parseGroup reads every command-line form', t => {
	t.deepEqual(parseGroup('all'), {kind: 'all'});
	t.deepEqual(parseGroup(' ADMINS '), {kind: 'admins'});
	t.deepEqual(parseGroup('primary-admins'), {kind: 'primary-admins'});
	t.deepEqual(parseGroup('domain:Example.COM'), {kind: 'domain', domains: ['example.com']});
	t.deepEqual(parseGroup('domain:a.com, Bücher.example'), {kind: 'domain', domains: ['a.com', 'xn--bcher-kva.example']});
	t.deepEqual(parseGroup('user:Ann@Example.com'), {kind: 'user', address: 'Ann@example.com'});
	t.deepEqual(parseGroup('send:20260101-abc'), {kind: 'send', sendId: '20260101-abc'});
});

test('a bad group is a usage error listing the forms', t => {
	for (const [text, message] of [
		['everyone', 'unknown recipient group "everyone"'],
		['domain:', 'domain: needs a domain name, e.g. domain:example.com or domain:a.com,b.org'],
		['domain:a.com,,b.org', 'an empty domain name in "domain:a.com,,b.org"'],
		['domain:localhost', 'not a valid domain "localhost": it needs a dot (like example.com)'],
		['user:', 'user: needs an address, e.g. user:ann@example.com'],
		['user:nobody', 'not a valid address "nobody": it has no @'],
		['all:x', 'the group "all" takes nothing after it: "all:x"'],
	]) {
		const error = t.throws(() => parseGroup(text), {instanceOf: MassmailError});
		t.is(error.message, message);
		t.is(error.kind, 'usage');
		t.is(error.hint, 'a group is one of: all | domain:NAME[,NAME…] | admins | primary-admins | user:ADDRESS | send:ID');
	}
});

test('formatGroup gives back the command-line form; describeGroup the dashboard\'s words', t => {
	const groups: Array<[string, string]> = [
		['all', 'All Users'],
		['domain:bücher.example', 'All Users on a Domain: bücher.example'],
		['domain:a.com,b.org', 'Selected Domains: a.com, b.org'],
		['admins', 'All Domain Administrators'],
		['primary-admins', 'All Primary Domain Administrators'],
		['user:ann@a.com', 'Specific User: ann@a.com'],
	];
	for (const [text, description] of groups) {
		const group = parseGroup(text);
		t.deepEqual(parseGroup(formatGroup(group)), group);
		t.is(describeGroup(group), description);
	}

	t.is(formatGroup({kind: 'domain', domains: ['xn--bcher-kva.example']}), 'domain:xn--bcher-kva.example');
});

test('all: every enabled mailbox, domains in order then addresses, disabled skipped', t => {
	t.deepEqual(addresses('all'), {
		to: ['amy@a.com', 'max@a.com', 'zed@a.com', 'bea@b.org', 'inhaber@xn--bcher-kva.example'],
		skipped: ['off@a.com disabled', 'boss@b.org disabled', 'ops@b.org disabled'],
	});
	const resolution = resolveGroup(directory(), {kind: 'all'});
	t.deepEqual(resolution.recipients[0], {address: 'amy@a.com', name: 'Amy'});
});

test('domain: one domain, and an unknown one is a validation error', t => {
	t.deepEqual(addresses('domain:b.org'), {to: ['bea@b.org'], skipped: ['boss@b.org disabled', 'ops@b.org disabled']});
	t.deepEqual(addresses('domain:BÜCHER.example').to, ['inhaber@xn--bcher-kva.example']);
	const error = t.throws(() => resolveGroup(directory(), parseGroup('domain:a.com,nowhere.example')), {instanceOf: MassmailError});
	t.is(error.kind, 'validation');
	t.is(error.message, 'unknown domain "nowhere.example"');
});

test('selected domains: in the order given; a domain named twice: its mailboxes reported as duplicates, a disabled one only as disabled', t => {
	t.deepEqual(addresses('domain:b.org,a.com'), {
		to: ['bea@b.org', 'amy@a.com', 'max@a.com', 'zed@a.com'],
		skipped: ['boss@b.org disabled', 'ops@b.org disabled', 'off@a.com disabled'],
	});
	t.deepEqual(addresses('domain:b.org,B.ORG'), {
		to: ['bea@b.org'],
		// Not 2 disabled and 3 duplicates: a disabled mailbox counted twice made the warning's count larger than the mailboxes it names.
		skipped: ['boss@b.org disabled', 'ops@b.org disabled', 'bea@b.org duplicate'],
	});
});

test('admins: administrators and primaries of every domain, disabled skipped', t => {
	t.deepEqual(addresses('admins'), {
		to: ['amy@a.com', 'max@a.com', 'inhaber@xn--bcher-kva.example'],
		skipped: ['boss@b.org disabled', 'ops@b.org disabled'],
	});
});

test('primary-admins: the one primary of each domain that has one', t => {
	t.deepEqual(addresses('primary-admins'), {
		to: ['amy@a.com', 'inhaber@xn--bcher-kva.example'],
		skipped: ['boss@b.org disabled'],
	});
});

test('user: a mailbox of the directory, found ignoring case, with its stored address and name', t => {
	t.deepEqual(resolveGroup(directory(), parseGroup('user:ZED@A.com')), {recipients: [{address: 'zed@a.com', name: 'Zed'}], skipped: []});
	t.deepEqual(addresses('user:off@a.com'), {to: [], skipped: ['off@a.com disabled']});
});

test('user: an address outside the directory needs allowExternal', t => {
	const error = t.throws(() => resolveGroup(directory(), parseGroup('user:guest@elsewhere.example')), {instanceOf: MassmailError});
	t.is(error.kind, 'validation');
	t.is(error.message, 'guest@elsewhere.example is not in the directory');
	t.regex(error.hint!, /--allow-external/);
	t.deepEqual(resolveGroup(directory(), parseGroup('user:guest@Elsewhere.example'), {allowExternal: true}), {
		recipients: [{address: 'guest@elsewhere.example', name: ''}],
		skipped: [],
	});
});

test('send: is not resolved from the directory', t => {
	const group: RecipientGroup = {kind: 'send', sendId: 'x'};
	t.throws(() => resolveGroup(directory(), group));
	t.is(describeGroup(group), 'Recipients of send x');
});
