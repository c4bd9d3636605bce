/** Import CSV from the Actions menu: the result, or every bad line with nothing imported. */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {openStore} from '../../source/core/store.js';
import {fixture, tempFolder} from '../helpers/temp-dir.js';
import {renderDashboard, CTRL_U, DOWN, ENTER, ESC} from './harness.js';

test.serial('a good file is imported and the result shown; the domains list has the new domains', async t => {
	const d = await renderDashboard(t);
	await d.press('a', DOWN, DOWN, DOWN);
	t.true(d.screen().includes('❯ Import CSV'), d.screen());
	await d.press(ENTER);
	t.true(d.screen().includes('massmail │ Import CSV'));
	t.true(d.screen().includes('CSV file:'));
	await d.type(fixture('valid.csv'));
	await d.press(ENTER);
	await d.settle(screen => screen.includes('Import done'));
	const screen = d.screen();
	// The dialog wraps the file's full path, whose length depends on where the checkout is.
	const dialogText = screen.replaceAll(/[│╭╮╰╯─\s]+/g, ' ');
	t.true(dialogText.includes('valid.csv: 9 added, 0 updated; 9 mailboxes in the directory now.'), screen);
	t.true(dialogText.includes('3 new domains: example.com, example.org, bücher.example.'), screen);
	const directory = openStore({env: d.services.env}).directory();
	t.true(directory.find('ann@example.com') !== undefined);
	t.true(screen.includes('3 domains, 9 mailboxes'), 'the header counts the imported mailboxes');
	await d.press(ENTER);
	await d.settle(screen => screen.includes('massmail │ Domains'));
	t.true(d.screen().includes('bücher.example'), 'the domains list the imported ones');
	await d.unmount();
});

test.serial('a file with bad rows lists each bad line and imports nothing', async t => {
	const d = await renderDashboard(t, {route: {screen: 'import'}});
	await d.type(fixture('invalid.csv'));
	await d.press(ENTER);
	const screen = d.screen();
	// Lines wrap where the checkout's path length puts them: compare the words.
	const text = screen.replaceAll(/\s+/g, ' ');
	t.true(text.includes('invalid.csv: 8 bad rows, nothing imported'), screen);
	t.true(text.includes('line 3: not a valid address "not-an-address": it has no @'), screen);
	t.true(text.includes('line 4: unknown role "chief"'), screen);
	t.true(text.includes('line 12: not a valid address'), screen);
	t.is(openStore({env: d.services.env}).directory().mailboxCount, 0);

	// A path that is not there says so.
	await d.press(CTRL_U);
	await d.type(fixture('missing.csv'));
	await d.press(ENTER);
	t.true(d.screen().replaceAll(/\s+/g, ' ').includes('missing.csv: no such file'), d.screen());
	await d.press(ESC);
	t.true(d.screen().includes('Discard what you typed?'));
	await d.press('y');
	t.true(d.screen().includes('massmail │ Domains'));
	await d.unmount();
});

test.serial('a Latin-1 file is refused with the line, column and byte, and how to name its encoding; nothing imported', async t => {
	const d = await renderDashboard(t, {route: {screen: 'import'}});
	const file = path.join(tempFolder(t, 'massmail-import-'), 'latin1.csv');
	fs.writeFileSync(file, Buffer.from('email,name,role,disabled\nj\u00FCrgen@example.org,J\u00FCrgen,,\n', 'latin1'));
	await d.type(file);
	await d.press(ENTER);
	// Lines wrap where the temporary folder's name puts them: compare the words.
	const text = d.screen().replaceAll(/\s+/g, ' ');
	t.true(text.includes('latin1.csv, line 2, column 2: byte 0xFC is not UTF-8 text (after "j"); nothing imported'), d.screen());
	t.true(text.includes('Name its encoding with massmail import FILE --encoding on the command line (latin1, windows-1252'), d.screen());
	t.false(d.screen().includes('\uFFFD'));
	t.is(openStore({env: d.services.env}).directory().mailboxCount, 0);
	await d.unmount();
});
