// `npm run docs`: README.md's table of settings made anew from the one definition of each setting
// (source/cli/settings-table.ts); run after adding or changing a setting or a directory source.
// test/cli/settings-table.test.ts fails while README's table differs from it.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {withSettingsTable} from '../source/cli/settings-table.ts';

const readme = path.resolve(import.meta.dirname, '..', 'README.md');
const before = fs.readFileSync(readme, 'utf8');
const after = withSettingsTable(before);
if (after === before) {
	process.stdout.write('README.md: the settings table is up to date\n');
} else {
	fs.writeFileSync(readme, after);
	process.stdout.write('README.md: the settings table was made anew\n');
}
