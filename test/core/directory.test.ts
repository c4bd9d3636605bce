import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {MassmailError} from '../../source/core/errors.js';
import {demoDirectory} from '../../source/core/demo.js';

function sample(): Directory {
	const directory = Directory.empty();
	directory.addDomain('example.com');
	directory.addDomain('Bücher.Example');
	directory.addMailbox({address: 'ann@example.com', name: 'Ann', role: 'primary'});
	directory.addMailbox({address: 'bob@example.com', name: 'Bob', role: 'admin'});
	directory.addMailbox({address: 'carol@example.com', name: 'Carol', disabled: true});
	directory.addMailbox({address: 'lager@bücher.example', name: 'Lager'});
	return directory;
}

test('domains() lists every domain sorted, with users (disabled too), admins (primary included) and the primary', t => {
	t.deepEqual(sample().domains(), [
		{name: 'example.com', users: 3, admins: 2, primary: 'ann@example.com'},
		{name: 'xn--bcher-kva.example', users: 1, admins: 0, primary: null},
	]);
});

test('an IDN domain is one domain whichever form it is typed in', t => {
	const directory = sample();
	t.true(directory.hasDomain('BÜCHER.example'));
	t.true(directory.hasDomain('xn--bcher-kva.example'));
	const error = t.throws(() => directory.addDomain('xn--bcher-kva.example'), {instanceOf: MassmailError});
	t.is(error.message, 'domain "bücher.example" already exists');
	t.deepEqual(directory.mailboxes('bücher.example').map(m => m.address), ['lager@xn--bcher-kva.example']);
});

test('addresses are unique ignoring case, and found ignoring case', t => {
	const directory = sample();
	const error = t.throws(() => directory.addMailbox({address: 'ANN@Example.com'}), {instanceOf: MassmailError});
	t.is(error.message, 'mailbox "ANN@example.com" already exists (as ann@example.com)');
	t.is(directory.find('ANN@EXAMPLE.COM')?.name, 'Ann');
	t.is(directory.find('LAGER@Bücher.Example')?.address, 'lager@xn--bcher-kva.example');
	t.is(directory.mailboxCount, 4);
});

test('a domain has at most one primary administrator', t => {
	const directory = sample();
	const error = t.throws(() => directory.addMailbox({address: 'dave@example.com', role: 'primary'}), {instanceOf: MassmailError});
	t.is(error.message, 'domain "example.com" already has a primary administrator: ann@example.com');
	t.throws(() => directory.updateMailbox('bob@example.com', {role: 'primary'}), {message: /already has a primary administrator: ann@example.com/});
	// Demote first, then promote: allowed.
	directory.updateMailbox('ann@example.com', {role: 'admin'});
	directory.updateMailbox('BOB@example.com', {role: 'primary'});
	t.deepEqual(directory.domains()[0], {name: 'example.com', users: 3, admins: 2, primary: 'bob@example.com'});
	// The primary may be "updated" to primary again.
	t.notThrows(() => directory.updateMailbox('bob@example.com', {role: 'primary', name: 'Robert'}));
});

test('a display name with a control character is refused', t => {
	const directory = sample();
	for (const name of ['Evil\r\nBcc: x@example.com', 'a\nb', 'bell\u0007']) {
		const error = t.throws(() => directory.addMailbox({address: 'eve@example.com', name}), {instanceOf: MassmailError});
		t.regex(error.message, /contains a line break or control character/);
		t.throws(() => directory.updateMailbox('bob@example.com', {name}), {message: /control character/});
	}

	t.is(directory.find('bob@example.com')?.name, 'Bob');
	t.is(directory.find('eve@example.com'), undefined);
});

test('a mailbox needs its domain to exist first', t => {
	const error = t.throws(() => sample().addMailbox({address: 'x@example.net'}), {instanceOf: MassmailError});
	t.is(error.message, 'unknown domain "example.net"');
	t.is(error.hint, 'add it first: massmail domain add example.net');
	t.is(error.kind, 'validation');
});

test('mailboxes() is sorted by address and an unknown domain is an error', t => {
	const directory = sample();
	directory.addMailbox({address: 'Aaron@example.com'});
	t.deepEqual(directory.mailboxes('EXAMPLE.com').map(m => m.address), ['Aaron@example.com', 'ann@example.com', 'bob@example.com', 'carol@example.com']);
	t.throws(() => directory.mailboxes('nowhere.example'), {message: 'unknown domain "nowhere.example"'});
});

test('counts follow updates and removals', t => {
	const directory = sample();
	directory.updateMailbox('bob@example.com', {role: 'user'});
	t.like(directory.domains()[0], {users: 3, admins: 1});
	directory.removeMailbox('ann@example.com');
	t.like(directory.domains()[0], {users: 2, admins: 0, primary: null});
	t.throws(() => directory.removeMailbox('ann@example.com'), {message: 'no mailbox "ann@example.com" in the directory'});
	t.is(directory.removeDomain('example.com'), 2);
	t.is(directory.domainCount, 1);
	t.is(directory.mailboxCount, 1);
	t.is(directory.find('bob@example.com'), undefined);
});

test('a clone is independent of the original', t => {
	const original = sample();
	const copy = original.clone();
	copy.addMailbox({address: 'new@example.com'});
	copy.updateMailbox('ann@example.com', {name: 'Changed'});
	copy.removeDomain('bücher.example');
	t.is(original.mailboxCount, 4);
	t.is(original.find('ann@example.com')?.name, 'Ann');
	t.true(original.hasDomain('bücher.example'));
});

test('mailboxes handed out cannot be changed behind the directory\'s back', t => {
	const mailbox = sample().find('ann@example.com')!;
	t.throws(() => {
		(mailbox as {name: string}).name = 'x';
	});
});

test('toJSON and fromJSON round-trip', t => {
	const directory = sample();
	const data = JSON.parse(JSON.stringify(directory.toJSON()));
	t.deepEqual(data.domains, ['example.com', 'xn--bcher-kva.example']);
	t.deepEqual(data.mailboxes[0], {address: 'ann@example.com', name: 'Ann', role: 'primary', disabled: false});
	const loaded = Directory.fromJSON(data, '/x/directory.json');
	t.deepEqual(loaded.toJSON(), directory.toJSON());
	t.deepEqual(JSON.parse(directory.toFileText()), data);
});

test('fromJSON names the file and what is wrong', t => {
	const file = '/data/directory.json';
	const message = (data: unknown) => {
		const error = t.throws(() => Directory.fromJSON(data, file), {instanceOf: MassmailError});
		t.is(error.kind, 'store');
		return error.message;
	};

	t.is(message([]), `${file}: not a massmail directory file (expected an object with "version", "domains" and "mailboxes")`);
	t.is(message({version: 2, domains: [], mailboxes: []}), `${file}: unsupported version 2 (expected 1)`);
	t.is(message({version: 1, domains: 'x', mailboxes: []}), `${file}: "domains" must be a list of domain names`);
	t.is(message({version: 1, domains: ['example.com'], mailboxes: [{address: 'a@example.com', role: 'boss'}]}),
		`${file}: mailboxes[0] (a@example.com): "role" must be one of user, admin, primary, found "boss"`);
	t.is(message({version: 1, domains: ['example.com'], mailboxes: [{address: 'a@example.com'}, {address: 'A@example.com'}]}),
		`${file}: mailboxes[1]: mailbox "A@example.com" already exists (as a@example.com)`);
	t.is(message({version: 1, domains: ['example.com'], mailboxes: [{address: 'a@example.org'}]}), `${file}: mailboxes[0]: unknown domain "example.org"`);
});

test('fromJSON loads every entry as addMailbox adds it, in the file\'s own form or another', t => {
	const file = '/data/directory.json';
	const written = {address: 'ann@example.com', name: 'Ann', role: 'primary', disabled: false};
	const others = [
		{name: '  Bob  ', address: 'bob@example.com', role: 'admin', disabled: true},
		{address: 'carol@EXAMPLE.com', name: 'Carol', role: 'user', disabled: false, extra: 1},
		{address: 'dave@example.com'},
		{address: 'lager@bücher.example', name: 'Lager', role: 'user', disabled: false},
		{address: '"odd one"@example.com', name: 'Odd', role: 'user', disabled: false},
	];
	const loaded = Directory.fromJSON({version: 1, domains: ['example.com', 'Bücher.Example'], mailboxes: [written, ...others]}, file);
	const added = Directory.empty();
	added.addDomain('example.com');
	added.addDomain('Bücher.Example');
	for (const item of [written, ...others]) {
		const {address, name, role, disabled} = item as {address: string; name?: string; role?: 'user'; disabled?: boolean};
		added.addMailbox({address, name, role, disabled});
	}

	t.deepEqual(loaded.toJSON(), added.toJSON());
	t.is(loaded.toFileText(), added.toFileText());
	t.deepEqual(loaded.domains(), added.domains());
	t.is(loaded.mailboxCount, 6);
	t.deepEqual(Object.keys(loaded.find('ANN@example.com')!), ['address', 'name', 'role', 'disabled']);
	t.true(Object.isFrozen(loaded.find('ann@example.com')));
	t.is(loaded.find('Lager@Bücher.Example')?.name, 'Lager');
	t.is(loaded.removeDomain('example.com'), 5);
	t.is(loaded.mailboxCount, 1);
	t.is(loaded.find('ann@example.com'), undefined);

	// A fault after an entry in the file's form is found as before.
	const message = (mailboxes: unknown[]) => t.throws(() => Directory.fromJSON({version: 1, domains: ['example.com'], mailboxes}, file), {instanceOf: MassmailError})!.message;
	t.is(message([written, {...written, address: 'ANN@example.com'}]), `${file}: mailboxes[1]: mailbox "ANN@example.com" already exists (as ann@example.com)`);
	t.is(message([written, {...written, address: 'eve@example.com'}]), `${file}: mailboxes[1]: domain "example.com" already has a primary administrator: ann@example.com`);
	t.is(message([written, {...written, address: 'eve@example.com', name: 'E\u0007ve', role: 'user'}]), `${file}: mailboxes[1]: the name "E\\u0007ve" contains a line break or control character`);
});

test('the demo directory: several domains, one IDN, one primary each, a disabled user', t => {
	const demo = demoDirectory();
	const domains = demo.domains();
	t.true(domains.length >= 3 && domains.length <= 5);
	t.true(domains.some(d => d.name.startsWith('xn--')));
	t.true(domains.every(d => d.primary !== null));
	t.true(demo.mailboxCount >= 15);
	t.true([...demo.allMailboxes()].some(m => m.disabled));
	t.true([...demo.allMailboxes()].every(m => m.name !== ''));
});
