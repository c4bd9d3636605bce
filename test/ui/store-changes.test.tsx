/**
 * The header's counts follow every change to the directory at once, on the screen that made
 * it: a mailbox added in Users, a domain added, a CSV imported; and, within a second or so,
 * a change another massmail process made.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {runCli} from '../helpers/cli.js';
import {ENTER, ESC, renderDashboard} from './harness.js';

test.serial('adding a mailbox or a domain updates the header counts on the spot', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'users', domain: 'example.com'}});
	t.regex(d.lines()[0], /4 domains, 20 mailboxes/);
	await d.press('a');
	await d.type('zed');
	await d.press(ENTER, ENTER, 'u');
	t.true(d.screen().includes('Added zed@example.com as user.'), d.screen());
	t.regex(d.lines()[0], /4 domains, 21 mailboxes/, 'the header counts the new mailbox');
	await d.press(ESC);
	t.regex(d.lines()[0], /Domains +4 domains, 21 mailboxes/);
	t.regex(d.screen(), /example\.com +8 +2/, 'the domains table too');
	await d.unmount();

	const home = await renderDashboard(t, {demo: true, route: {screen: 'add-domain'}});
	await home.type('new.example');
	await home.press(ENTER);
	t.regex(home.lines()[0], /5 domains, 20 mailboxes/);
	await home.unmount();
});

test.serial('an import updates the header counts', async t => {
	const d = await renderDashboard(t, {demo: true, route: {screen: 'import'}});
	const file = path.join(d.store.paths.directoryFile, '..', 'more.csv');
	fs.writeFileSync(file, 'email,name,role,disabled\na@fresh.example,A,primary,no\nb@fresh.example,B,user,no\n');
	await d.type(file);
	await d.press(ENTER);
	t.true(d.screen().includes('Import done'), d.screen());
	t.regex(d.lines()[0], /5 domains, 22 mailboxes/);
	await d.unmount();
});

test.serial('a mailbox and a setting another process changed show on the screen without a key press', async t => {
	const d = await renderDashboard(t, {
		route: {screen: 'users', domain: 'h.test'},
		setup(store) {
			store.editDirectory(latest => {
				const next = latest.clone();
				next.addDomain('h.test');
				return next;
			});
		},
	});
	t.regex(d.lines()[0], /1 domain, 0 mailboxes/);
	const configDir = d.store.paths.root;
	t.is((await runCli(['user', 'add', 'ann@h.test'], {configDir})).code, 0);
	await d.settle(screen => screen.includes('ann@h.test'), 5000);
	t.regex(d.lines()[0], /1 domain, 1 mailbox\b/, 'the header counts it too');
	t.is((await runCli(['config', 'set', 'smtp.host', 'mail.h.test'], {configDir})).code, 0);
	await d.settle(screen => screen.includes('mail.h.test'), 5000);
	await d.unmount();
});
