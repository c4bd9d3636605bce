/**
 * SettingsStore: the settings in conf's file (mode 0600), checked against the one table
 * (table.ts) when read, changed one key at a time or several at once under the file's lock.
 */
import {createRequire} from 'node:module';
import path from 'node:path';
import type Conf from 'conf';
import {MassmailError} from '../errors.js';
import {withFileLock} from '../file-lock.js';
import {fileStamp, readJsonFileStamped} from '../json-file.js';
import type {Paths} from '../paths.js';
import type {Settings} from '../types.js';
import {isObject} from '../values.js';
import {defaultSettings, findSettingSpec, parentOf, readSetting, settingSections, settingSpecs, settingsProblems, withSetting, type SettingKey, type SettingSpec, type SettingsPatch} from './table.js';

// conf (with ajv) costs ~100 ms to import; reading settings does not need it, only writing does.
// Loaded on first write with require(esm), which Node has without a flag since 20.19.
let confClass: typeof Conf | undefined;
function loadConf(): typeof Conf {
	if (!confClass) {
		const required = createRequire(import.meta.url)('conf') as {default: typeof Conf};
		confClass = required.default;
	}

	return confClass;
}

const passwordRefusal = (key: string) => {
	if (/^\s*directory\./i.test(key)) {
		return new MassmailError('usage', 'massmail never writes the directory source\'s password to its settings file', {
			hint: 'set MASSMAIL_DIRECTORY_PASSWORD in the environment, or directory.passwordCommand to a command that prints it (e.g. massmail config set directory.passwordCommand "pass show mail/ldap")',
		});
	}

	if (/^\s*tracking\./i.test(key)) {
		return new MassmailError('usage', 'massmail never writes the bounce mailbox\'s password to its settings file', {
			hint: 'set MASSMAIL_TRACKING_PASSWORD in the environment, or tracking.imap.passwordCommand to a command that prints it (e.g. massmail config set tracking.imap.passwordCommand "pass show mail/bounces")',
		});
	}

	return new MassmailError('usage', 'massmail never writes the SMTP password to its settings file', {
		hint: 'set MASSMAIL_SMTP_PASSWORD in the environment, or smtp.passwordCommand to a command that prints it (e.g. massmail config set smtp.passwordCommand "pass show mail/smtp")',
	});
};

/** A patch's set values as dotted keys: {sql: {url: 'x'}} under `directory` -> ['directory.sql.url', 'x']. */
function flatten(prefix: string, group: Record<string, unknown>): Array<[string, unknown]> {
	const entries: Array<[string, unknown]> = [];
	for (const [name, value] of Object.entries(group)) {
		if (isObject(value)) {
			entries.push(...flatten(`${prefix}.${name}`, value));
		} else if (value !== undefined) {
			entries.push([`${prefix}.${name}`, value]);
		}
	}

	return entries;
}

/**
 * The settings, in conf's file (mode 0600). The result of reading the file is cached
 * (conf re-reads and re-parses its file on every get) and read again when the file changed
 * (a stat per get): another process's `config set` is seen by a running dashboard.
 * Every change is made under the file's lock on its latest content. A file that is not valid JSON, or
 * holds a value of the wrong kind, is a MassmailError('store') naming the file and
 * the key, and is never overwritten.
 */
export class SettingsStore {
	/** Every key `config get|set` knows, with what it means and an example value. */
	static keys(): Array<{key: SettingKey; description: string; example: string}> {
		return settingSpecs.map(({key, description, example}) => ({key, description, example}));
	}

	readonly file: string;
	#paths: Paths;
	#env?: NodeJS.ProcessEnv;
	#cache?: {settings: Settings; stamp: string | undefined; stored: unknown};
	#conf?: Conf<Record<string, unknown>>;

	/** `env`: where MASSMAIL_LOCK_WAIT_MS and MASSMAIL_LOCK_STALE_MS are read (process.env by default). */
	constructor(paths: Paths, env?: NodeJS.ProcessEnv) {
		this.#paths = paths;
		this.#env = env;
		this.file = paths.settingsFile;
	}

	/** The settings, defaults filled in: the same object while the file is unchanged. Treat it as read-only. */
	get(): Settings {
		if (this.#cache && fileStamp(this.file) === this.#cache.stamp) {
			return this.#cache.settings;
		}

		const {data: stored, stamp} = readJsonFileStamped(this.file);
		// The machine's name (a process of its own, `hostname --fqdn`, where there is no
		// /etc/mailname: ~20-50 ms of the dashboard's start) only when the default sender is in force.
		const senderStored = isObject(stored) && isObject(stored.sender) && Object.hasOwn(stored.sender, 'address');
		const settings = defaultSettings(senderStored ? null : undefined);
		if (stored !== undefined) {
			if (!isObject(stored)) {
				throw this.#corrupt('not a settings object (expected {"smtp": …, "sender": …, "delivery": …})');
			}

			for (const section of settingSections) {
				if (stored[section] !== undefined && !isObject(stored[section])) {
					throw this.#corrupt(`"${section}" must be an object`);
				}
			}

			for (const spec of settingSpecs) {
				const {parent: group, name} = parentOf(stored, spec.key);
				if (group && Object.hasOwn(group, name)) {
					try {
						parentOf(settings as unknown as Record<string, unknown>, spec.key).parent![name] = spec.check(group[name], true);
					} catch (error) {
						throw this.#corrupt(`${spec.key} ${(error as Error).message}`);
					}
				}
			}
		}

		// The demo's promise: nothing leaves this machine. A host written into its file by hand is not used.
		if (this.#paths.demo) {
			settings.smtp.host = '';
		}

		this.#cache = {settings, stamp, stored};
		return settings;
	}

	/** Whether the settings file holds a value for this key (else the default is in force). */
	isSet(key: string): boolean {
		this.get();
		const {parent, name} = parentOf(this.#cache?.stored, key);
		return parent !== undefined && Object.hasOwn(parent, name);
	}

	/** One value by dotted key (`smtp.host`) or a whole section (`smtp`). */
	getKey(key: string): unknown {
		const settings = this.get();
		const spec = findSettingSpec(key);
		if (spec) {
			const {parent, name} = parentOf(settings as unknown as Record<string, unknown>, spec.key);
			return parent![name];
		}

		const section = settingSections.find(name => name === key.trim().toLowerCase());
		if (section) {
			return settings[section];
		}

		throw this.#unknownKey(key);
	}

	/** Sets one key from its text form (`config set smtp.port 465`), checked first. */
	setKey(key: string, raw: string): void {
		const spec = this.#spec(key);
		const read = readSetting(spec.key, raw);
		if ('problem' in read) {
			throw new MassmailError('validation', `${spec.key} ${read.problem}`, {hint: `for example: massmail config set ${spec.key} ${shellWord(spec.example)}`});
		}

		this.#write({[spec.key]: read.value});
	}

	/** Changes several values at once (the dashboard's Settings screen); all are checked before any is written. */
	update(patch: SettingsPatch): void {
		const values: Record<string, unknown> = {};
		for (const [section, group] of Object.entries(patch)) {
			if (group === undefined) {
				continue;
			}

			for (const [key, value] of flatten(section, group as Record<string, unknown>)) {
				const spec = this.#spec(key);
				try {
					values[spec.key] = spec.check(value, false);
				} catch (error) {
					throw new MassmailError('validation', `${spec.key} ${(error as Error).message}`);
				}
			}
		}

		this.#write(values);
	}

	/** Lock, check the latest file, let conf merge the values into it (it re-reads it) and write it atomically, unlock. */
	#write(values: Record<string, unknown>): void {
		if (this.#paths.demo && typeof values['smtp.host'] === 'string' && values['smtp.host'] !== '') {
			throw new MassmailError('usage', 'the demo profile sends only to the local capture server: it takes no smtp.host', {hint: `set it on your own profile: massmail config set smtp.host ${shellWord(values['smtp.host'])}`});
		}

		withFileLock(this.file, {what: 'the settings', env: this.#env}, () => {
			// The file as it is now, checked: one broken meanwhile is reported, never overwritten.
			let next = this.get();
			// The rules between settings, on the values as they would be.
			for (const [key, value] of Object.entries(values)) {
				next = withSetting(next, key as SettingKey, value);
			}

			const [problem] = settingsProblems(next, Object.keys(values));
			if (problem) {
				throw new MassmailError('validation', `${problem.key} ${problem.problem}`);
			}

			const conf = this.#open();
			try {
				// conf re-reads the file before writing; a file broken meanwhile makes it throw, not clear.
				conf.set(values);
			} catch (error) {
				throw this.#corrupt(`cannot be updated: ${(error as Error).message}`);
			}

			// Read back under the lock: the cache is then what is in the file, other processes' values included.
			this.#cache = undefined;
			this.get();
		});
	}

	#open(): Conf<Record<string, unknown>> {
		if (!this.#conf) {
			try {
				const ConfClass = loadConf();
				// get() has checked the file, so conf neither chokes on it nor rewrites it beyond adding defaults.
				this.#conf = new ConfClass<Record<string, unknown>>({
					cwd: path.dirname(this.file),
					configName: path.basename(this.file, '.json'),
					configFileMode: 0o600,
					projectName: 'massmail',
					// Never let conf replace a file it cannot read (its default, restated).
					clearInvalidConfig: false,
					// No defaults: conf would write them into the file, and a default (the sender's
					// domain from the host name) would then pass for a value someone set.
					defaults: {},
				});
			} catch (error) {
				if (error instanceof MassmailError) {
					throw error;
				}

				throw this.#corrupt(`cannot be opened: ${(error as Error).message}`);
			}
		}

		return this.#conf;
	}

	#spec(key: string): SettingSpec {
		if (/password/i.test(key) && !/^(?:smtp|directory|tracking\.imap)\.passwordcommand$/i.test(key.trim())) {
			throw passwordRefusal(key);
		}

		const spec = findSettingSpec(key);
		if (!spec) {
			throw this.#unknownKey(key);
		}

		return spec;
	}

	#unknownKey(key: string): MassmailError {
		return new MassmailError('usage', `unknown setting ${JSON.stringify(key)}`, {
			hint: `the settings are: ${settingSpecs.map(spec => spec.key).join(', ')}`,
		});
	}

	#corrupt(what: string): MassmailError {
		return new MassmailError('store', `${this.file}: ${what}`, {hint: 'Fix or move the file away; massmail never overwrites it.'});
	}

	/** For messages: where the settings live. */
	get paths(): Paths {
		return this.#paths;
	}
}

/** A word as a POSIX shell reads it: as it is when it can be, else in single quotes. */
export function shellWord(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll('\'', '\'\\\'\'')}'`;
}
