/**
 * Users of a domain and the directory actions (add/remove domain), at 80×24 over a real
 * directory file: what a person reads, and what the directory file holds afterwards.
 */
import test from 'ava';
import {openStore, type Store} from '../../source/core/store.js';
import {renderDashboard, CTRL_U, DOWN, ENTER, ESC} from './harness.js';

function fill(store: Store): void {
	const directory = store.directory().clone();
	directory.addDomain('example.com');
	directory.addDomain('example.org');
	directory.addMailbox({address: 'ann@example.com', name: 'Ann Lee', role: 'primary'});
	directory.addMailbox({address: 'bob@example.com', name: 'Bob Martin'});
	store.saveDirectory(directory);
}

/** The directory as the next program start reads it from disk. */
function onDisk(env: NodeJS.ProcessEnv) {
	return openStore({env}).directory();
}

async function openUsers(d: Awaited<ReturnType<typeof renderDashboard>>): Promise<void> {
	await d.press('a');
	// Actions: Send Email, Send Reminder, View users.
	await d.press(DOWN, DOWN);
	mustBe(d.screen().includes('❯ View users'), d.screen());
	await d.press(ENTER);
}

function mustBe(condition: boolean, message: string): void {
	if (!condition) {
		throw new Error(message);
	}
}

test.serial('Actions → View users lists the mailboxes with role and state, and the rules', async t => {
	const d = await renderDashboard(t, {setup: fill});
	await openUsers(d);
	const screen = d.screen();
	t.true(screen.includes('massmail │ Users of example.com'), screen);
	t.true(screen.includes('One primary administrator per domain (now ann@example.com).'));
	t.true(screen.includes('a disabled mailbox stays, but every send skips it.'));
	t.regex(screen, /ann@example\.com\s+Ann Lee\s+primary administrator\s+active/);
	t.regex(screen, /bob@example\.com\s+Bob Martin\s+user\s+active/);
	t.true(screen.includes('2 mailboxes'));

	// `/` filters.
	await d.press('/');
	await d.type('bob');
	t.false(d.screen().includes('ann@example.com  '), d.screen());
	t.true(d.screen().includes('1 of 2 mailboxes'));
	await d.press(ESC, ESC);
	t.true(d.screen().includes('massmail │ Domains'));
	await d.unmount();
});

test.serial('the role change keeps one primary per domain and says why when it refuses', async t => {
	const d = await renderDashboard(t, {setup: fill});
	await openUsers(d);
	await d.press(DOWN, 'r');
	let screen = d.screen();
	t.true(screen.includes('Role of bob@example.com (now user)'), screen);
	t.true(screen.includes('A domain has one primary administrator: ann@example.com now.'));
	await d.press('p');
	screen = d.screen();
	t.true(screen.includes('Not changed: role of bob@example.com'), screen);
	t.true(screen.includes('already has a primary administrator'));
	await d.press(ENTER);
	t.is(onDisk(d.services.env).find('bob@example.com')?.role, 'user');

	await d.press('r', 'a');
	t.true(d.screen().includes('bob@example.com is now administrator.'), d.screen());
	t.regex(d.screen(), /bob@example\.com\s+Bob Martin\s+administrator/);
	t.is(onDisk(d.services.env).find('bob@example.com')?.role, 'admin');
	await d.unmount();
});

test.serial('disable, add, rename and remove a mailbox; each is saved at once', async t => {
	const d = await renderDashboard(t, {setup: fill});
	await openUsers(d);
	await d.press(DOWN, 'd');
	t.true(d.screen().includes('bob@example.com disabled: every send skips it.'), d.screen());
	t.regex(d.screen(), /bob@example\.com\s+Bob Martin\s+user\s+disabled/);
	t.is(onDisk(d.services.env).find('bob@example.com')?.disabled, true);
	await d.press('d');
	t.is(onDisk(d.services.env).find('bob@example.com')?.disabled, false);

	// Rename.
	await d.press('n', CTRL_U);
	await d.type('Robert Martin');
	await d.press(ENTER);
	t.true(d.screen().includes('Renamed bob@example.com.'), d.screen());
	t.is(onDisk(d.services.env).find('bob@example.com')?.name, 'Robert Martin');

	// Add: an invalid address is refused in place, then a good one.
	await d.press('a');
	t.true(d.screen().includes('Add a mailbox to example.com'), d.screen());
	await d.type('no such');
	await d.press(ENTER);
	t.true(d.screen().includes('not a valid address'), d.screen());
	await d.press(CTRL_U);
	await d.type('cy');
	await d.press(ENTER);
	t.true(d.screen().includes('Display name of cy@example.com'), d.screen());
	await d.type('Cy Young');
	await d.press(ENTER);
	t.true(d.screen().includes('Role of cy@example.com'));
	await d.press('u');
	t.true(d.screen().includes('Added cy@example.com as user.'), d.screen());
	t.regex(d.screen(), /cy@example\.com\s+Cy Young\s+user\s+active/);
	t.deepEqual(onDisk(d.services.env).find('cy@example.com'), {address: 'cy@example.com', name: 'Cy Young', role: 'user', disabled: false});

	// An address already there is refused with the rule.
	await d.press('a');
	await d.type('ANN');
	await d.press(ENTER);
	t.true(d.screen().includes('already exists'), d.screen());
	// Typed text: Esc asks before dropping it.
	await d.press(ESC);
	t.true(d.screen().includes('Discard what you typed?'), d.screen());
	await d.press('y');

	// Remove asks first.
	await d.press('G', 'x');
	t.true(d.screen().includes('Remove cy@example.com?'), d.screen());
	await d.press('n');
	t.true(d.screen().includes('cy@example.com'));
	await d.press('x', 'y');
	t.true(d.screen().includes('Removed cy@example.com.'), d.screen());
	t.is(onDisk(d.services.env).find('cy@example.com'), undefined);
	await d.unmount();
});

test.serial('Remove domain says how many mailboxes go with it and asks; Add domain adds one', async t => {
	const d = await renderDashboard(t, {setup: fill});
	await d.press('a');
	await d.press(DOWN, DOWN, DOWN, DOWN);
	t.true(d.screen().includes('❯ Remove domain'), d.screen());
	await d.press(ENTER);
	let screen = d.screen();
	t.true(screen.includes('Remove example.com and its 2 mailboxes?'), screen);
	t.true(screen.includes('2 mailboxes go with it, 1 administrator among them (primary: ann@example.com).'));
	await d.press('n');
	t.true(d.screen().includes('massmail │ Domains'));
	t.true(onDisk(d.services.env).hasDomain('example.com'));

	await d.press('a', DOWN, DOWN, DOWN, DOWN, ENTER, 'y');
	screen = d.screen();
	t.true(screen.includes('massmail │ Domains'), screen);
	t.false(screen.includes('example.com '), screen);
	t.false(onDisk(d.services.env).hasDomain('example.com'));
	t.is(onDisk(d.services.env).find('ann@example.com'), undefined);

	await d.press('a', DOWN, DOWN, DOWN);
	t.true(d.screen().includes('❯ Add domain'), d.screen());
	await d.press(ENTER);
	await d.type('example.org');
	await d.press(ENTER);
	t.true(d.screen().includes('already exists'), d.screen());
	await d.press(CTRL_U);
	await d.type('bücher.example');
	await d.press(ENTER);
	screen = d.screen();
	t.true(screen.includes('massmail │ Domains'), screen);
	t.true(screen.includes('bücher.example'), screen);
	t.true(onDisk(d.services.env).hasDomain('xn--bcher-kva.example'));
	await d.unmount();
});

test.serial('Esc on Add domain asks before dropping typed text', async t => {
	const d = await renderDashboard(t, {setup: fill, route: {screen: 'add-domain'}});
	await d.type('exam');
	await d.press(ESC);
	t.true(d.screen().includes('Discard what you typed?'), d.screen());
	await d.press('n');
	t.true(d.screen().includes('Domain: exam'));
	await d.press(ESC, 'y');
	t.true(d.screen().includes('massmail │ Domains'));
	await d.unmount();
});

test.serial('adding a mailbox as a second primary administrator keeps the typed address and name: the role is asked again, with why', async t => {
	for (const size of [{columns: 80, rows: 24}, {columns: 60, rows: 20}]) {
		// Given example.com, whose primary administrator is ann@example.com, and a new mailbox typed in.
		const d = await renderDashboard(t, {setup: fill, ...size});
		// Unmounted even when an assertion fails (it throws): else the test run never exits.
		t.teardown(async () => d.unmount());
		await openUsers(d);
		await d.press('a');
		await d.type('cy');
		await d.press(ENTER);
		await d.type('Cy Young');
		await d.press(ENTER);
		t.true(d.screen().includes('Role of cy@example.com'), d.screen());

		// When the primary role is chosen.
		await d.press('p');

		// Then the role is asked again for the same mailbox, with the rule that refused it; nothing is saved.
		const screen = d.screen();
		t.true(screen.includes('Role of cy@example.com'), screen);
		t.true(screen.replaceAll(/[\s│|]+/g, ' ').includes('already has a primary administrator: ann@example.com'), screen);
		t.is(onDisk(d.services.env).find('cy@example.com'), undefined);
		t.is(d.lines().length, size.rows - 1);
		t.true(d.lines().every(line => line.length <= size.columns), screen);

		// When another role is chosen, the mailbox is added as typed.
		await d.press('a');
		t.true(d.screen().includes('Added cy@example.com as administrator.'), d.screen());
		t.deepEqual(onDisk(d.services.env).find('cy@example.com'), {address: 'cy@example.com', name: 'Cy Young', role: 'admin', disabled: false});
		await d.unmount();
	}
});
