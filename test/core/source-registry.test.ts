/**
 * A directory source is whole from its file and its one entry in core/sources/index.ts: for every
 * registered source, its settings are keys of `config --help` that `config set` writes where
 * settings.json keeps them (`{"directory": {"<kind>": {…}}}`), with their defaults; the Settings
 * form shows its fields, in its order, when it is chosen; `directory.source` takes it; and the sync
 * opens it from its settings. Dovecot, the cheap one, is read for real
 * (test/helpers/dovecot-server.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {defaultSettings, directorySourceKinds, readSetting, settingSpec, shellWord, type SettingKey} from '../../source/core/settings.js';
import {directorySources} from '../../source/core/sources/index.js';
import {configuredSourceLabel, openConfiguredSource} from '../../source/core/sync.js';
import type {DirectorySourceKind, Settings} from '../../source/core/types.js';
import {
	directorySourceTitle, initialSettingsForm, settingsFieldHint, settingsFieldLabel, settingsFormReducer, visibleFields, type SettingsFormState,
} from '../../source/ui/state/settings-form.js';
import {startDovecot} from '../helpers/dovecot-server.js';
import {runCommand} from '../helpers/in-process-cli.js';
import {makeTestCertificates} from '../helpers/postgres-server.js';
import {tempConfigDir, tempFolder} from '../helpers/temp-dir.js';

/** Each registered source's settings: `directory.<kind>.<name>`, its definition as the source gives it. */
const sourceSettings = directorySources.flatMap(source => Object.entries(source.settings).map(([name, spec]) => ({
	source,
	name,
	key: `directory.${source.kind}.${name}` as SettingKey,
	spec,
})));

const cli = async (env: NodeJS.ProcessEnv, ...args: string[]) => runCommand(args, env);

test('every source\'s settings are keys of config --help, with their defaults, and config set writes them under directory.<kind> in settings.json', async t => {
	t.deepEqual(directorySources.map(source => source.kind), ['sql', 'ldap', 'dovecot', 'smartermail']);
	const {env, dir} = tempConfigDir(t);
	const help = (await cli(env, 'config', '--help')).stdout;
	const words = help.replaceAll(/\n +/g, ' ');
	const {caFile} = await makeTestCertificates(tempFolder(t, 'massmail-registry-ca-'));
	const defaults = defaultSettings('example.org').directory as unknown as Record<string, Record<string, string>>;
	for (const {source, name, key, spec} of sourceSettings) {
		t.regex(help, new RegExp(`^ {2}${key.replaceAll('.', '\\.')} +e\\.g\\. `, 'm'), key);
		t.true(words.includes(`e.g. ${shellWord(spec.example)} ${spec.description}`), key);
		t.is(defaults[source.kind][name], spec.default, key);
		t.is(settingSpec(key).description, spec.description, key);

		// A CA file must hold a certificate when set: a real one for those.
		const value = spec.example.endsWith('.pem') ? caFile : spec.example;
		const set = await cli(env, 'config', 'set', '--', key, value);
		t.is(set.code, 0, `${key}: ${set.stderr}`);
		const stored = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')) as {directory: Record<string, Record<string, unknown>>};
		t.is(stored.directory[source.kind][name], value, key);
		t.is((await cli(env, 'config', 'get', key)).stdout, `${value}\n`, key);
	}
});

test('the Settings form shows a source\'s fields, in its order, with their labels and meanings, when it is chosen; Source offers every source', t => {
	let form: SettingsFormState = {...initialSettingsForm(defaultSettings('example.org')), focus: 'directory.source'};
	const offered: DirectorySourceKind[] = [form.directorySource];
	for (let step = 1; step < directorySourceKinds.length; step++) {
		form = settingsFormReducer(form, {type: 'cycle', delta: 1});
		offered.push(form.directorySource);
	}

	t.deepEqual(offered, ['local', ...directorySources.map(source => source.kind)]);
	t.deepEqual(settingsFormReducer(form, {type: 'cycle', delta: 1}).directorySource, 'local');

	for (const source of directorySources) {
		const kind = source.kind as DirectorySourceKind;
		const fields = visibleFields({...form, directorySource: kind});
		const shown = fields.slice(fields.indexOf('directory.source') + 1, fields.indexOf('testSource'));
		t.deepEqual(shown, source.fields.map(field => field.startsWith('directory.') ? field : `directory.${kind}.${field}`), kind);
		t.is(directorySourceTitle(kind), source.title);
		for (const [name, spec] of Object.entries(source.settings)) {
			const key = `directory.${kind}.${name}` as SettingKey;
			t.true(shown.includes(key as typeof shown[number]), `${key} is a field of the form`);
			t.is(settingsFieldLabel(key as typeof shown[number]), spec.label, key);
			t.is(settingsFieldHint(key as typeof shown[number]).toLowerCase(), `${spec.description}.`.toLowerCase(), key);
		}

		// Another source's fields are not shown.
		t.false(fields.some(field => field.startsWith('directory.') && /^directory\.\w+\.\w+$/.test(field) && !field.startsWith(`directory.${kind}.`)), kind);
	}
});

/** The settings with this source chosen and its needed settings set to their examples. */
function configured(kind: string, values: Record<string, string> = {}): Settings {
	const settings = defaultSettings('example.org');
	settings.directory.source = kind as DirectorySourceKind;
	const group = (settings.directory as unknown as Record<string, Record<string, string>>)[kind];
	for (const {source, name, spec} of sourceSettings) {
		if (source.kind === kind && spec.needed !== undefined) {
			group[name] = spec.example;
		}
	}

	Object.assign(group, values);
	return settings;
}

test('directory.source takes every source, and the sync opens each from its settings, naming a needed one that is not set', async t => {
	const env = {MASSMAIL_DIRECTORY_PASSWORD: 'not-used'};
	for (const source of directorySources) {
		t.deepEqual(readSetting('directory.source', source.kind), {value: source.kind});
		t.true(settingSpec('directory.source').description.includes(source.kind));
		const settings = configured(source.kind);
		// Opening contacts nothing: the reader is loaded and the settings read.
		const opened = await openConfiguredSource(settings, env);
		t.is(configuredSourceLabel(settings), opened.label, source.kind);

		for (const [name, spec] of Object.entries(source.settings)) {
			if (spec.needed !== undefined) {
				const error = await t.throwsAsync(openConfiguredSource(configured(source.kind, {[name]: ' '}), env), {instanceOf: MassmailError});
				t.is(error?.message, `directory.${source.kind}.${name} is not set`);
				t.is(error?.kind, 'usage');
			}
		}
	}

	const local = await t.throwsAsync(openConfiguredSource(defaultSettings('example.org'), env), {instanceOf: MassmailError});
	t.is(local?.hint, 'set it to sql, ldap, dovecot or smartermail (massmail config set directory.source ldap) and that source\'s settings');
});

test('Dovecot, opened from its entry alone, reads the users of a real userdb', async t => {
	const dovecot = await startDovecot({users: ['ann@a.test', 'bob@b.test']});
	t.teardown(async () => dovecot.stop());
	const source = await openConfiguredSource(configured('dovecot', {command: dovecot.command}), {});
	t.deepEqual(await source.read({timeoutMs: 20_000}), [{key: 'line 1', email: 'ann@a.test'}, {key: 'line 2', email: 'bob@b.test'}]);
});
