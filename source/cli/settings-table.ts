/**
 * README's table of settings, made from the one definition of each setting (core/settings/table.ts
 * and each directory source's file) as `config --help` is: a row per key with its default, as
 * typed, and its meaning (and a setting's README note). `npm run docs` writes it between its
 * markers in README.md; test/cli/settings-table.test.ts fails when README's table is not this one.
 */
import {defaultSettings, settingSpecs, settingValue} from '../core/settings.js';

/** The lines around the table in README.md: what lies between them is made, not written. */
export const tableMarkers = {
	start: '<!-- settings table: made by `npm run docs` from core/settings/table.ts and core/sources/*.ts; edit those, not this table -->',
	end: '<!-- end of the settings table -->',
} as const;

/** A cell's text on one line, its `|` escaped. */
const cell = (text: string) => text.replaceAll(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');

/**
 * The table in Markdown: key, default (as typed; `empty` for ''), meaning. The sender's default
 * domain is shown as `<host>`, this machine's name.
 * @example settingsTable().split('\n')[2] // '| `smtp.host` | empty | the SMTP server to deliver through; … |'
 */
export function settingsTable(): string {
	const defaults = defaultSettings('<host>');
	const rows = settingSpecs.map(spec => {
		const shown = spec.show(settingValue(defaults, spec.key));
		const meaning = spec.note === undefined ? spec.description : `${spec.description} — ${spec.note}`;
		return `| \`${spec.key}\` | ${shown === '' ? 'empty' : `\`${cell(shown)}\``} | ${cell(meaning)} |`;
	});
	return ['| key | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** README's text with the table between its markers made anew; throws when the markers are not there once each, in order. */
export function withSettingsTable(readme: string): string {
	const start = readme.indexOf(tableMarkers.start);
	const end = readme.indexOf(tableMarkers.end);
	if (start === -1 || end < start || readme.indexOf(tableMarkers.start, start + 1) !== -1 || readme.indexOf(tableMarkers.end, end + 1) !== -1) {
		throw new Error(`README.md must hold the settings table's markers once each, in order:\n${tableMarkers.start}\n${tableMarkers.end}`);
	}

	// A blank line ends the table before the end marker (an HTML comment may not end a table).
	return `${readme.slice(0, start + tableMarkers.start.length)}\n${settingsTable()}\n\n${readme.slice(end)}`;
}
