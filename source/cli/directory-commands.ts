/** Commands that read and change the directory: import, domains, users, domain add/remove, user add/set/remove. */
import {displayAddress, displayDomain} from '../core/address.js';
import {MassmailError, usageError} from '../core/errors.js';
import {importCsvFile} from '../core/import-file.js';
import {checkLocalEdit, type MailboxField} from '../core/sync.js';
import type {Directory} from '../core/directory.js';
import type {Mailbox, Role} from '../core/types.js';
import {stringOption, type Command, type CommandContext, type OptionSpec} from './command.js';
import {formatCount, plural, printable} from '../core/format.js';
import {json, table} from './output.js';

const roles: Role[] = ['user', 'admin', 'primary'];

/**
 * Changes a copy of the latest directory under its lock and saves it whole: a change the rules
 * refuse leaves the file as it was; another process's change made meanwhile is kept.
 */
function changeDirectory<T>(context: CommandContext, change: (directory: Directory) => T, edit: 'mailboxes' | readonly MailboxField[] = 'mailboxes'): T {
	let result!: T;
	const store = context.store();
	store.editDirectory(latest => {
		checkLocalEdit(store.settings.get(), latest, edit);
		const draft = latest.clone();
		result = change(draft);
		return draft;
	});
	return result;
}

function roleOption(context: CommandContext): Role | undefined {
	const role = stringOption(context.options, 'role');
	if (role !== undefined && !roles.includes(role as Role)) {
		throw usageError(`--role must be one of ${roles.join(', ')}, not "${role}"`);
	}

	return role as Role | undefined;
}

const encodingOption: OptionSpec = {
	type: 'string',
	value: 'LABEL',
	description: 'the file\'s encoding when it is not UTF-8: latin1, windows-1252, iso-8859-15, utf-16le… (a byte order mark is read as one); bytes that are not text in it are an error naming the line, nothing imported',
};

const importCommand: Command = {
	name: 'import',
	args: 'FILE.csv',
	arity: [1, 1],
	summary: 'Import mailboxes from a CSV file with the header email,name,role,disabled. All or nothing: one bad row and nothing is imported. Re-importing an address updates it (an empty cell keeps its value); missing domains are added.',
	options: {
		encoding: encodingOption,
		json: {type: 'boolean', description: 'print the result as JSON'},
	},
	async run({args, options, io, store, env}) {
		const file = args[0]!;
		const result = importCsvFile(store(), file, env, {encoding: stringOption(options, 'encoding')});
		if (options.json) {
			io.out(json(result));
		} else {
			const added = result.domainsAdded;
			const names = added.length > 10 ? `${added.slice(0, 10).join(', ')} and ${formatCount(added.length - 10)} more` : added.join(', ');
			const domains = added.length > 0 ? `; new ${plural(added.length, 'domain')}: ${names}` : '';
			// As the dashboard says it: what the file changed, then what the directory holds now (not the file's rows).
			io.out(`Imported ${printable(file)}: ${formatCount(result.added)} added, ${formatCount(result.updated)} updated${domains}; ${plural(result.total, 'mailbox', 'mailboxes')} in the directory now.`);
		}

		return 0;
	},
};

const domainsCommand: Command = {
	name: 'domains',
	arity: [0, 0],
	summary: 'List the domains: mailboxes (disabled included), administrators (the primary included), the primary administrator.',
	options: {json: {type: 'boolean', description: 'print [{"name","users","admins","primary"}]'}},
	async run({options, io, store}) {
		const domains = store().directory().domains();
		if (options.json) {
			io.out(json(domains));
		} else if (domains.length === 0) {
			io.out('No domains yet. Add some with: massmail import FILE.csv, or massmail domain add NAME');
		} else {
			// People read IDNs in Unicode; --json keeps the stored ASCII form, stable for scripts.
			io.out(table(['DOMAIN', 'USERS', 'ADMINS', 'PRIMARY'], domains.map(d => [displayDomain(d.name), d.users, d.admins, d.primary ? displayAddress(d.primary) : '-'])));
		}

		return 0;
	},
};

const usersCommand: Command = {
	name: 'users',
	args: 'DOMAIN',
	arity: [1, 1],
	summary: 'List the mailboxes of a domain.',
	options: {json: {type: 'boolean', description: 'print [{"address","name","role","disabled"}]'}},
	async run({args, options, io, store}) {
		const mailboxes = store().directory().mailboxes(args[0]!);
		if (options.json) {
			io.out(json(mailboxes.map(({address, name, role, disabled}) => ({address, name, role, disabled}))));
		} else if (mailboxes.length === 0) {
			io.out(`${printable(args[0]!)} has no mailboxes.`);
		} else {
			io.out(table(['ADDRESS', 'NAME', 'ROLE', 'STATE'], mailboxes.map(m => [displayAddress(m.address), printable(m.name), m.role, m.disabled ? 'disabled' : 'enabled'])));
		}

		return 0;
	},
};

const domainAddCommand: Command = {
	name: 'domain add',
	args: 'NAME',
	arity: [1, 1],
	summary: 'Add a domain to the directory.',
	async run(context) {
		const name = changeDirectory(context, directory => directory.addDomain(context.args[0]!));
		context.io.out(`Added domain ${printable(name)}.`);
		return 0;
	},
};

const domainRemoveCommand: Command = {
	name: 'domain remove',
	args: 'NAME',
	arity: [1, 1],
	summary: 'Remove a domain and every mailbox in it (asks first, unless --yes).',
	options: {yes: {type: 'boolean', description: 'do not ask'}},
	async run(context) {
		const {args, options, io} = context;
		const count = context.store().directory().mailboxes(args[0]!).length;
		if (!options.yes && count > 0) {
			await confirmOrRefuse(io, `Remove ${args[0]} and its ${plural(count, 'mailbox', 'mailboxes')}? [y/N] `);
		}

		changeDirectory(context, directory => directory.removeDomain(args[0]!));
		io.out(`Removed domain ${printable(args[0]!)} with ${plural(count, 'mailbox', 'mailboxes')}.`);
		return 0;
	},
};

const mailboxOptions = {
	name: {type: 'string', value: 'NAME', description: 'display name'},
	role: {type: 'string', value: 'ROLE', description: 'user, admin or primary (one primary per domain)'},
	disabled: {type: 'boolean', description: 'disabled: skipped by every send'},
} as const;

const userAddCommand: Command = {
	name: 'user add',
	args: 'ADDRESS',
	arity: [1, 1],
	summary: 'Add a mailbox to an existing domain.',
	options: mailboxOptions,
	async run(context) {
		const mailbox = changeDirectory(context, directory => directory.addMailbox({
			address: context.args[0]!,
			name: stringOption(context.options, 'name') ?? '',
			role: roleOption(context) ?? 'user',
			disabled: Boolean(context.options.disabled),
		}));
		context.io.out(`Added ${describeMailbox(mailbox)}.`);
		return 0;
	},
};

const userSetCommand: Command = {
	name: 'user set',
	args: 'ADDRESS',
	arity: [1, 1],
	summary: 'Change a mailbox: its name, role, or state.',
	options: {...mailboxOptions, enabled: {type: 'boolean', description: 'enable a disabled mailbox'}},
	async run(context) {
		const {options} = context;
		if (options.disabled && options.enabled) {
			throw usageError('--disabled and --enabled contradict each other');
		}

		const patch: Partial<Omit<Mailbox, 'address'>> = {};
		const name = stringOption(options, 'name');
		const role = roleOption(context);
		if (name !== undefined) {
			patch.name = name;
		}

		if (role !== undefined) {
			patch.role = role;
		}

		if (options.disabled || options.enabled) {
			patch.disabled = Boolean(options.disabled);
		}

		if (Object.keys(patch).length === 0) {
			throw usageError('nothing to change: give --name, --role, --disabled or --enabled', 'Usage: massmail user set ADDRESS [--name NAME] [--role ROLE] [--disabled|--enabled]');
		}

		const mailbox = changeDirectory(context, directory => directory.updateMailbox(context.args[0]!, patch), Object.keys(patch) as MailboxField[]);
		context.io.out(`Changed ${describeMailbox(mailbox)}.`);
		return 0;
	},
};

const userRemoveCommand: Command = {
	name: 'user remove',
	args: 'ADDRESS',
	arity: [1, 1],
	summary: 'Remove a mailbox from the directory.',
	async run(context) {
		changeDirectory(context, directory => directory.removeMailbox(context.args[0]!));
		context.io.out(`Removed ${printable(context.args[0]!)}.`);
		return 0;
	},
};

function describeMailbox(mailbox: Mailbox): string {
	const name = mailbox.name ? ` (${printable(mailbox.name)})` : '';
	return `${mailbox.address}${name}, ${mailbox.role}${mailbox.disabled ? ', disabled' : ''}`;
}

/** Asks on a terminal; with none, refuses (exit 2) rather than guess. */
export async function confirmOrRefuse(io: CommandContext['io'], question: string): Promise<void> {
	if (!io.canAsk) {
		throw new MassmailError('usage', 'refusing without a confirmation: there is no terminal to ask', {hint: 'Add --yes to confirm on the command line.'});
	}

	const answer = (await io.ask(question)).trim().toLowerCase();
	if (answer !== 'y' && answer !== 'yes') {
		throw new MassmailError('usage', 'not confirmed: nothing was changed or sent');
	}
}

export const directoryCommands: Command[] = [
	importCommand,
	domainsCommand,
	usersCommand,
	domainAddCommand,
	domainRemoveCommand,
	userAddCommand,
	userSetCommand,
	userRemoveCommand,
];
