/**
 * README's table of settings is made from the one definition (source/cli/settings-table.ts,
 * written by `npm run docs`): this fails while README.md's table differs from it — after a
 * setting or a directory source was added or changed, run `npm run docs`.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {settingSpecs} from '../../source/core/settings.js';
import {directorySources} from '../../source/core/sources/index.js';
import {settingsTable, tableMarkers, withSettingsTable} from '../../source/cli/settings-table.js';

const readmeFile = path.resolve(import.meta.dirname, '..', '..', 'README.md');

test('README\'s table of settings is the one the definition makes (npm run docs writes it)', t => {
	const readme = fs.readFileSync(readmeFile, 'utf8');
	t.is(withSettingsTable(readme), readme, 'README.md\'s settings table is out of date: run npm run docs');
});

test('the table has a row per setting, every source\'s included, with its default as typed and its meaning', t => {
	const rows = settingsTable().split('\n').slice(2);
	t.deepEqual(rows.map(row => /^\| `([^`]+)` \|/.exec(row)?.[1]), settingSpecs.map(spec => spec.key));
	for (const source of directorySources) {
		for (const [name, spec] of Object.entries(source.settings)) {
			const row = rows.find(line => line.startsWith(`| \`directory.${source.kind}.${name}\` |`));
			t.is(row, `| \`directory.${source.kind}.${name}\` | ${spec.default === '' ? 'empty' : `\`${spec.default}\``} | ${spec.description} |`);
		}
	}

	t.true(rows.includes('| `directory.maxAge` | `1h` | a send syncs first when the directory was synced longer ago than this (seconds, or 30min, 1h); 0: never |'));
	t.true(rows.some(row => row.startsWith('| `sender.address` | `postmaster@<host>` | the From address of every send; empty: postmaster@ this machine\'s fully qualified name — `<host>` is ')));
});

test('the markers must stand once each, in order, and only what lies between them is made', t => {
	const made = withSettingsTable(`# Title\n\n${tableMarkers.start}\nold table\n${tableMarkers.end}\n\nAfter.\n`);
	t.is(made, `# Title\n\n${tableMarkers.start}\n${settingsTable()}\n\n${tableMarkers.end}\n\nAfter.\n`);
	t.is(withSettingsTable(made), made);
	t.throws(() => withSettingsTable('no markers'), {message: /must hold the settings table's markers/});
	t.throws(() => withSettingsTable(`${tableMarkers.end}\n${tableMarkers.start}\n`), {message: /once each, in order/});
});
