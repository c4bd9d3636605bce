/**
 * What a person reads at 80×24 when there is room for it: addresses, subjects, the server's
 * reply and hints whole (they were cut short by fixed column widths); and at 60×20 every
 * screen still fits and works.
 */
import test from 'ava';
import {createDelivery} from '../../source/core/delivery/index.js';
import type {Store} from '../../source/core/store.js';
import {renderDashboard, BACKSPACE, DOWN, ENTER, ESC, F1, type Dashboard} from './harness.js';
import {draft, oneAttempt, people, sendNow, sendsSetup} from '../helpers/sends.js';

/** The form's or table's line whose label (after the pointer) is `label`, else the first line with that text. */
function lineWith(d: Dashboard, label: string): string {
	return d.lines().find(line => line.slice(2).startsWith(label + ' ')) ?? d.lines().find(line => line.includes(label)) ?? '';
}

/** The screen fits the terminal: `rows - 1` lines (Ink redraws only what changed), none wider than `columns`. */
function fits(t: {true: (value: boolean, message?: string) => void; is: (a: unknown, b: unknown, message?: string) => void}, d: Dashboard, columns: number, rows: number): void {
	const lines = d.lines();
	t.is(lines.length, rows - 1, d.screen());
	for (const line of lines) {
		t.true(line.length <= columns, `wider than ${columns}: ${line}`);
	}
}

test.serial('the form\'s default-From hint shows the whole address', async t => {
	const d = await renderDashboard(t, {demo: true});
	await d.press('e');
	t.regex(lineWith(d, 'From'), /System Administrator +<postmaster@example\.com>$/, d.screen());
	await d.unmount();
});

test.serial('domain completion shows the whole name it completes to', async t => {
	const d = await renderDashboard(t, {demo: true});
	await d.press('e');
	await d.focusField('Domain');
	t.true(lineWith(d, 'Domain').includes('example.com'), d.screen());
	await d.press(...Array.from({length: 'example.com'.length}, () => BACKSPACE));
	await d.type('sch');
	t.regex(lineWith(d, 'Domain'), /sch +Tab: school\.example\.net$/, d.screen());
	await d.unmount();
});

test.serial('History shows the whole audience and more of the subject; the line below has both whole', async t => {
	const setup = await sendsSetup(t);
	await sendNow(setup, people('ann'), {subject: 'Planned maintenance of the mail server on Saturday night'});
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});
	const row = lineWith(d, 'finished');
	t.regex(row, /finished +1\/0\/1 +domain:example\.com +Planned maintenance/, d.screen());
	t.true(d.screen().replaceAll(/\n +/g, ' ').includes('Planned maintenance of the mail server on Saturday night │ to domain:example.com'), d.screen());
	fits(t, d, 80, 24);
	await d.unmount();
});

test.serial('a send\'s page shows the server\'s whole reply with its queue ID', async t => {
	const setup = await sendsSetup(t, {acceptReply: count => `2.0.0 Ok: queued as 358A1C0A2F${count}`});
	const result = await sendNow(setup, people('ann', 'bob'));
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	t.regex(d.screen(), /ann@example\.com +sent +1 +250 2\.0\.0 Ok: queued as 358A1C0A2F\d$/m, d.screen());
	t.regex(d.screen(), /bob@example\.com +sent +1 +250 2\.0\.0 Ok: queued as 358A1C0A2F\d$/m);
	fits(t, d, 80, 24);
	await d.unmount();
});

test.serial('a reply too long for its column shows whole under the table for the recipient under the cursor', async t => {
	const setup = await sendsSetup(t, {acceptReply: () => '2.0.0 Ok: queued as 4F7B21C0A9 (the message was accepted for delivery to the mailbox)'});
	const result = await sendNow(setup, people('christopher.johnson', 'ann'));
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	const screen = d.screen().replaceAll(/\n +/g, ' ');
	t.true(screen.includes('christopher.johnson@example.com: 250 2.0.0 Ok: queued as 4F7B21C0A9 (the message was accepted for delivery to the mailbox)'), d.screen());
	await d.press(DOWN);
	t.true(d.screen().replaceAll(/\n +/g, ' ').includes('ann@example.com: 250 2.0.0 Ok: queued as 4F7B21C0A9 (the'), d.screen());
	fits(t, d, 80, 24);
	await d.unmount();
});

test.serial('a reminder\'s page says whole which send it follows up and its counts', async t => {
	const setup = await sendsSetup(t);
	const first = await sendNow(setup, people('ann'));
	const reminder = await createDelivery(setup.ctx, {draft: draft({kind: 'reminder', subject: 'Reminder: Maintenance'}), audience: `send:${first.id}`, recipients: people('ann'), followUpOf: first.id}, oneAttempt);
	const result = await reminder.start();
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	const screen = d.screen().replaceAll(/\n(?! )/g, ' ');
	t.true(screen.includes(`(follows up ${first.id}) │ Sent 1, failed 0, of 1`), d.screen());
	fits(t, d, 80, 24);
	await d.unmount();
});

test.serial('a captured send\'s page shows where each message was captured, whole', async t => {
	const setup = await sendsSetup(t, {capture: true});
	const result = await sendNow(setup, people('ann', 'bob'));
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'send-detail', sendId: result.id}});
	t.regex(d.screen(), new RegExp(`ann@example\\.com +sent +1 +250 OK captured as ${result.id}/0\\.eml$`, 'm'), d.screen());
	await d.unmount();
});

test.serial('Settings\' hint shows whole, on two lines where it needs them', async t => {
	const d = await renderDashboard(t, {route: {screen: 'settings'}});
	await d.focusField('TLS');
	t.regex(lineWith(d, 'TLS '), /^❯ TLS/, d.screen());
	const screen = d.screen().replaceAll(/\n /g, ' ');
	t.true(screen.includes('←/→ or Space: STARTTLS, TLS from the start, or STARTTLS when offered (loopback only with a login).'), d.screen());
	fits(t, d, 80, 24);
	await d.unmount();
});

test.serial('a captured message\'s long header and text lines are wrapped, not cut', async t => {
	const setup = await sendsSetup(t, {capture: true});
	const subject = 'Planned maintenance of the mail server on Saturday night, and what it means for your mailbox';
	const url = 'https://status.example.com/maintenance/2026-12-05/mail-server-upgrade-and-what-changes-for-each-mailbox';
	const result = await sendNow(setup, people('ann'), {subject, body: `Details: ${url}\nThanks.`});
	const d = await renderDashboard(t, {env: setup.env, route: {screen: 'captured', sendId: result.id}});
	await d.press(ENTER);
	const lines = d.lines().map(line => line.trim());
	const text = lines.join('');
	t.true(lines.join(' ').includes(`Subject: ${subject}`), d.screen());
	t.true(text.includes(url), d.screen());
	t.true(lines.includes('Thanks.'));
	t.false(d.screen().includes('…'));
	fits(t, d, 80, 24);
	await d.unmount();
});

/** `count` rows of the screen from the one starting with `label` (after the pointer), runs of spaces made one: what wraps reads as one text. */
function rowsFrom(d: Dashboard, label: string, count: number): string {
	const lines = d.lines();
	const start = lines.findIndex(line => line.slice(2).startsWith(label + ' '));
	return start === -1 ? '' : lines.slice(start, start + count).join(' ').trim().replaceAll(/ +/g, ' ');
}

test.serial('the follow-up form shows the From it keeps whole: on its row at 80 columns, on two at 60', async t => {
	const setup = await sendsSetup(t);
	const first = await sendNow(setup, people('ann'));
	const route = {screen: 'send-reminder' as const, preset: {group: {kind: 'send' as const, sendId: first.id}, subject: 'Reminder: Maintenance', followUpOf: first.id}};
	const wide = await renderDashboard(t, {env: setup.env, route});
	t.teardown(async () => wide.unmount());
	t.regex(lineWith(wide, 'From'), /From +System Administrator <postmaster@mail\.example\.net>$/, wide.screen());
	fits(t, wide, 80, 24);
	await wide.unmount();

	const narrow = await renderDashboard(t, {env: setup.env, route, columns: 60, rows: 20});
	t.teardown(async () => narrow.unmount());
	t.is(rowsFrom(narrow, 'From', 2), 'From System Administrator <postmaster@mail.example.net>', narrow.screen());
	t.regex(narrow.screen(), /❯ Subject +Reminder: Maintenance/);
	fits(t, narrow, 60, 20);
	await narrow.unmount();
});

test.serial('the message field wraps a long line: its start stays in view while typing, at 60×20 and 80×24', async t => {
	const line = 'Hi {{name}}, the server restarts Saturday.';
	for (const size of [{columns: 60, rows: 20}, {columns: 80, rows: 24}]) {
		const d = await renderDashboard(t, {route: {screen: 'send-reminder'}, ...size});
		t.teardown(async () => d.unmount());
		await d.focusField('Message');

		await d.type(line);
		const lines = d.lines();
		const first = lines.findIndex(row => row.includes('Hi {{name}}'));
		t.true(first > 0, d.screen());
		// Under the label: the line from its start, on two rows at 60 columns, on one at 80.
		const rows = size.columns === 60 ? 2 : 1;
		t.is(lines.slice(first, first + rows).map(row => row.trim()).join(' '), line, d.screen());

		fits(t, d, size.columns, size.rows);
		await d.unmount();
	}
});

test.serial('the Summary\'s title reads whole in the header: the outcome is never cut for the directory\'s text, at 80×24 and 60×20', async t => {
	const setup = await sendsSetup(t);
	const result = await sendNow(setup, people('ann', 'refuse+bob'), {subject: 'Planned maintenance'});
	const route = {screen: 'summary' as const, title: 'Sending: Email to All Users on a Domain: example.com', subject: 'Planned maintenance', destination: 'the test server', result};
	// A directory from a source with a long label takes the header's right-hand side; so does the demo's badge.
	const fromSource = (store: Store) => store.settings.update({directory: {source: 'dovecot', dovecot: {command: '/usr/bin/doveadm -c /etc/dovecot/dovecot.conf user'}}});
	for (const size of [{columns: 80, rows: 24}, {columns: 60, rows: 20}]) {
		for (const options of [{setup: fromSource}, {demo: true}]) {
			const d = await renderDashboard(t, {env: setup.env, route, ...options, ...size});
			t.teardown(async () => d.unmount());
			const [header] = d.lines();
			t.regex(header, /^ massmail │ Finished with failures(: Email|\s)/, `${size.columns} columns: ${header}`);
			t.regex(header, options.demo ? / DEMO$/ : /never synced$/, header);
			t.true(d.screen().replaceAll(/\s+/g, ' ').includes('Email to All Users on a Domain: example.com: "Planned maintenance"'), d.screen());
			if (size.columns === 80 && !options.demo) {
				// The address column as wide as the address, not 30: the server's words whole.
				t.regex(d.screen(), /✗ refuse\+bob@example\.com 550 5\.1\.1 No such user here$/m, d.screen());
			}

			fits(t, d, size.columns, size.rows);
			await d.unmount();
		}
	}
});

test.serial('at 60×20 every screen fits and works', async t => {
	const setup = await sendsSetup(t, {capture: true});
	const size = {columns: 60, rows: 20};
	const sent = await sendNow(setup, people('christopher.johnson', 'ann'), {subject: 'Planned maintenance of the mail server'}, 'domain:example.com');
	const demo = await renderDashboard(t, {demo: true, ...size});
	// Domains: the table, the counts, the footer.
	fits(t, demo, 60, 20);
	t.regex(demo.screen(), /example\.com +7 +2 +ann\.lee@example\.com/, demo.screen());
	t.regex(demo.screen(), /school\.example\.net +4 +2 +principal@school\.exa/);
	t.true(demo.lines().at(-1)?.includes('Help'), demo.screen());
	// Actions, then Users of the domain.
	await demo.press('a');
	t.true(demo.screen().includes('Send Email'), demo.screen());
	fits(t, demo, 60, 20);
	await demo.press(DOWN, DOWN, ENTER);
	t.true(demo.screen().includes('massmail │ Users of example'), demo.screen());
	t.regex(demo.screen(), /ann\.lee@example\.com +Ann Lee +primary admin +active/, demo.screen());
	t.regex(demo.screen(), /bob@example\.com +Bob \S+ +administrator +active/);
	fits(t, demo, 60, 20);
	await demo.press(ESC, ESC);
	// The form: the hint and the completion.
	await demo.press('e');
	// Not room for the whole hint beside the name here; the labels and placeholders keep to their row.
	t.regex(lineWith(demo, 'From'), /System Administrator +<postmaster@/, demo.screen());
	t.regex(lineWith(demo, 'Friendly name'), /Friendly name +put before each address/, demo.screen());
	fits(t, demo, 60, 20);
	await demo.focusField('Domain');
	await demo.press(...Array.from({length: 'example.com'.length}, () => BACKSPACE));
	await demo.type('sch');
	t.true(demo.screen().includes('Tab: school.example.net'), demo.screen());
	fits(t, demo, 60, 20);
	// Help, from the form (F1 while a field has the keyboard).
	await demo.press(F1);
	t.true(demo.screen().includes('massmail │ Keys'), demo.screen());
	fits(t, demo, 60, 20);
	await demo.unmount();

	// History, a send's page, its captured mail, one message.
	const history = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}, ...size});
	fits(t, history, 60, 20);
	// The kind stays (an email and a reminder told apart); the audience is on the line below.
	t.regex(history.screen(), /\d\d-\d\d \d\d:\d\d +email +finished +2\/0\/2 +Planned maint/, history.screen());
	t.true(history.screen().replaceAll(/\n +/g, ' ').includes('Planned maintenance of the mail server │ to domain:example.com'), history.screen());
	await history.press(ENTER);
	t.true(history.screen().includes(`Email ${sent.id}`), history.screen());
	t.regex(history.screen(), /christopher\.johnson@example\.com +sent +1 +250/);
	t.true(history.screen().replaceAll(/\n +/g, ' ').includes(`christopher.johnson@example.com: 250 OK captured as ${sent.id}/0.eml`), history.screen());
	fits(t, history, 60, 20);
	await history.press('m');
	t.true(history.screen().includes('christopher.johnson@example.com'), history.screen());
	fits(t, history, 60, 20);
	await history.press(ENTER);
	t.true(history.screen().includes('Subject: Planned maintenance of the mail server'), history.screen());
	fits(t, history, 60, 20);
	await history.unmount();

	// Settings: the hint whole, on more lines.
	const settings = await renderDashboard(t, {route: {screen: 'settings'}, ...size});
	await settings.focusField('TLS');
	t.true(settings.screen().replaceAll(/\n /g, ' ').includes('←/→ or Space: STARTTLS, TLS from the start, or STARTTLS when offered (loopback only with a login).'), settings.screen());
	t.regex(settings.screen(), /❯ TLS/);
	t.regex(settings.screen(), /Directory source: where the mailboxes come … ↑\/↓ for more$/m, 'the way to the fields below stays whole');
	fits(t, settings, 60, 20);
	// The last fields are reached by scrolling.
	await settings.focusField('[Save]');
	fits(t, settings, 60, 20);
	await settings.unmount();
});

// The dashboard clips rows only, not across (Ink cuts every line of a box clipped across with
// slice-ansi at each frame): what is drawn must keep within the terminal by itself, the Actions
// menu's box of 40 columns too.
test.serial('at 36 columns no line is wider than the terminal: Domains, the Actions menu, Help', async t => {
	const d = await renderDashboard(t, {demo: true, columns: 36, rows: 20});
	fits(t, d, 36, 20);
	await d.press('a');
	t.true(d.screen().includes('Send Email'), d.screen());
	fits(t, d, 36, 20);
	await d.press(ESC, '?');
	t.true(d.screen().includes('massmail │ Keys'), d.screen());
	fits(t, d, 36, 20);
	await d.unmount();
});
