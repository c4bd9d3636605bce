/**
 * config: the settings, read and changed one key at a time. What each key means, a value it
 * takes, how a value is read and shown are the core's one table (core/settings/table.ts, each
 * directory source's settings from its file), which the dashboard's Settings screen and README's
 * table of settings (settings-table.ts) read too; `config --help` lists them, `config` shows their
 * values and the ready queries for directory.sql.query.
 */
import {findSettingSpec, SettingsStore, shellWord, showSetting, storedSettingProblems, withoutStoredSecrets, type SettingKey} from '../core/settings.js';
import {readyQueries, type ReadyQuery} from '../core/sources/sql-queries.js';
import {senderAddressOrigin} from '../core/sender.js';
import {terminalJson} from '../core/format.js';
import type {Command} from './command.js';
import {table, type Output} from './output.js';

/**
 * Says each stored value that must be changed (a URL holding a password, written into the file by
 * hand or by an old version), for the keys shown; the values themselves are shown without it.
 */
function warnStoredProblems(io: Output, problems: ReadonlyArray<{key: SettingKey; problem: string}>): void {
	for (const {key, problem} of problems) {
		io.err(`Warning: ${key} in the settings file ${problem} (shown here without it).`);
	}
}

/** Text cut into lines of at most `width` characters at spaces, each after `indent`. */
function wrap(text: string, width: number, indent: string): string[] {
	const lines: string[] = [];
	let line = '';
	for (const word of text.split(' ')) {
		if (line !== '' && indent.length + line.length + 1 + word.length > width) {
			lines.push(indent + line);
			line = word;
		} else {
			line = line === '' ? word : `${line} ${word}`;
		}
	}

	return [...lines, indent + line];
}

/** Each ready query with where it fits, its text once per dialect where the dialects differ. */
export function readyQueriesText(): string {
	const lines = [
		'Ready queries for directory.sql.query, for the mail server\'s own tables',
		'(massmail config set directory.sql.query "$(cat query.sql)" with one saved in query.sql):',
	];
	for (const query of Object.values(readyQueries) as ReadyQuery[]) {
		const texts = query.postgres === query.mysql
			? [['PostgreSQL, MySQL and MariaDB', query.postgres]]
			: [['PostgreSQL', query.postgres], ['MySQL and MariaDB', query.mysql]];
		for (const [databases, text] of texts) {
			lines.push('', `-- ${query.description}; on ${databases}:`, text!);
		}
	}

	return lines.join('\n');
}

/** `massmail config --help`: the subcommands, then every key with what it means and a value it takes. */
export function configHelp(): string {
	const width = Math.max(...SettingsStore.keys().map(({key}) => key.length));
	const keys = SettingsStore.keys().flatMap(({key, description, example}) => [
		`  ${key.padEnd(width)}  e.g. ${shellWord(example)}`,
		...wrap(description, 80, '      '),
	]);
	return [
		'Usage: massmail config [list] | get KEY | set KEY VALUE',
		'',
		'  massmail config [list]         every setting, its value and meaning; then the ready',
		'                                 queries for directory.sql.query (PostfixAdmin, iRedMail)',
		'  massmail config get KEY        one setting as stored (delivery.rate in messages a',
		'                                 second), or a section (smtp, sender, delivery, directory)',
		'                                 as JSON',
		'  massmail config set KEY VALUE  change one setting, checked first; the dashboard\'s',
		'                                 Settings screen takes the same values',
		'',
		'Passwords are never stored, nor taken in a URL (user:PASSWORD@ is refused): MASSMAIL_SMTP_PASSWORD',
		'or smtp.passwordCommand for the SMTP server, MASSMAIL_DIRECTORY_PASSWORD or',
		'directory.passwordCommand for the directory source, MASSMAIL_TRACKING_PASSWORD or',
		'tracking.imap.passwordCommand for the bounce mailbox.',
		'',
		'Keys:',
		...keys,
	].join('\n');
}

const configListCommand: Command = {
	name: 'config list',
	arity: [0, 0],
	summary: 'Show every setting, its value and meaning, and the ready queries for directory.sql.query.',
	async run({io, store}) {
		const settings = store().settings;
		// Each value as it would be typed (delivery.rate 0.5 as 30/min), on one line.
		const rows = SettingsStore.keys().map(({key, description}) => [key, showSetting(key, settings.getKey(key) ?? '').replaceAll(/\s*\n\s*/g, ' '), description]);
		io.out(table(['KEY', 'VALUE', 'MEANING'], rows));
		io.out('');
		io.out(`The sender address is ${senderAddressOrigin(settings)}.`);
		io.out('');
		io.out(readyQueriesText());
		warnStoredProblems(io, storedSettingProblems(settings.get()));
		return 0;
	},
};

const configGetCommand: Command = {
	name: 'config get',
	args: 'KEY',
	arity: [1, 1],
	summary: 'Print one setting.',
	async run({args, io, store}) {
		const settings = store().settings;
		const value = settings.getKey(args[0]!);
		const spec = findSettingSpec(args[0]!);
		const problems = storedSettingProblems(settings.get()).filter(({key}) => spec === undefined ? key.startsWith(`${args[0]!.trim().toLowerCase()}.`) : key === spec.key);
		if (typeof value === 'object' && value !== null) {
			// A section (`config get smtp`) prints as JSON, its keys nested as they are in the file.
			const section = args[0]!.trim().toLowerCase() as keyof ReturnType<typeof settings.get>;
			io.out(terminalJson(problems.length === 0 ? value : withoutStoredSecrets(settings.get())[section], '\t'));
		} else {
			io.out(problems.length === 0 || spec === undefined ? String(value) : showSetting(spec.key, value));
		}

		warnStoredProblems(io, problems);
		return 0;
	},
};

const configSetCommand: Command = {
	name: 'config set',
	args: 'KEY VALUE',
	arity: [2, 2],
	summary: 'Change one setting. The SMTP password is never stored: use MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand.',
	async run({args, io, store}) {
		const settings = store().settings;
		settings.setKey(args[0]!, args[1]!);
		io.out(`${args[0]} = ${String(settings.getKey(args[0]!))}`);
		return 0;
	},
};

export const configCommands: Command[] = [configListCommand, configGetCommand, configSetCommand];
