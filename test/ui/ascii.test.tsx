/**
 * Without Unicode (LANG=C) nothing but ASCII reaches the screen on the part-two screens either:
 * the Settings hints, Add domain's example, a long list of bad import lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type {Route} from '../../source/ui/state/router.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {ENTER, renderDashboard} from './harness.js';

const ascii = /^[\u0000-\u007F]*$/;

test.serial('LANG=C: Settings, Add domain, Users, History and a refused import show only ASCII', async t => {
	const env = {...tempConfigDir(t).env, LANG: 'C', LC_ALL: '', LC_CTYPE: '', NO_COLOR: '1'};
	const routes: Route[] = [{screen: 'add-domain'}, {screen: 'users', domain: 'example.com'}, {screen: 'history'}, {screen: 'help'}];
	for (const route of routes) {
		const d = await renderDashboard(t, {demo: true, env, route});
		t.regex(d.screen(), ascii, route.screen);
		await d.unmount();
	}

	const settings = await renderDashboard(t, {demo: true, env, route: {screen: 'settings'}});
	await settings.focusField('TLS');
	t.regex(settings.screen(), /Left\/Right or Space: STARTTLS/, 'the hint names the arrow keys in ASCII');
	t.regex(settings.screen(), ascii);
	await settings.unmount();

	const d = await renderDashboard(t, {demo: true, env, route: {screen: 'import'}});
	const file = path.join(d.store.paths.directoryFile, '..', 'bad.csv');
	fs.writeFileSync(file, ['email,name,role,disabled', ...Array.from({length: 40}, (_, index) => `not-an-address-${index},X,user,no`)].join('\n'));
	await d.type(file);
	await d.press(ENTER);
	t.regex(d.screen(), /\.\.\. and \d+ more bad lines/, d.screen());
	t.regex(d.screen(), ascii);
	await d.unmount();
});

test.serial('60x20: Users keeps every column whole (short role names) and the rules on more lines', async t => {
	const env = {...tempConfigDir(t).env, LANG: 'C', LC_ALL: '', LC_CTYPE: '', NO_COLOR: '1'};
	const d = await renderDashboard(t, {demo: true, env, columns: 60, rows: 20, route: {screen: 'users', domain: 'school.example.net'}});
	const screen = d.screen();
	t.true(screen.includes('principal@school.example.net).'), screen);
	t.true(screen.includes('every send skips it.'), screen);
	t.regex(screen, /it@school\.example\.net +IT Of\.\.\. administrator +active/);
	t.regex(screen, /primary admin active/);
	t.true(d.lines().every(line => line.length <= 60));
	await d.unmount();

	const home = await renderDashboard(t, {demo: true, env, columns: 60, rows: 20});
	t.regex(home.lines()[2], /Admins {2}Primary$/, 'the column title fits its column');
	await home.unmount();
});
