/**
 * The directory from the mail server itself: read the configured source whole, compare it with
 * the directory, and apply the difference all or nothing under the store's lock.
 *
 * A sync never changes anything when the source cannot be read (exit 3) or holds a row that
 * breaks the directory's rules (exit 2, naming the row and the rule). Names, roles and disabled
 * flags the source does not supply (Dovecot has none) are kept from the directory, so local
 * edits of them survive every sync.
 */
import {addressKey, displayAddress, displayDomain, domainOf, normalizeAddress} from './address.js';
import {Directory, type DirectoryOrigin} from './directory.js';
import {MassmailError} from './errors.js';
import {plural, printable} from './format.js';
import {runPasswordCommand} from './smtp-config.js';
import {directorySource, directorySources} from './sources/index.js';
import type {DirectorySource, SourceDescriptor, SourceMailbox} from './sources/source.js';
import type {Store} from './store.js';
import type {Mailbox, Settings} from './types.js';

/** How long a whole read of a source may take. */
export const syncTimeoutMs = 120_000;

/** A sync that would remove more than this share of the mailboxes asks first. */
export const removalGuardShare = 0.1;

export type MailboxField = 'name' | 'role' | 'disabled';

export interface SyncChanges {
	/** The source's label. */
	source: string;
	added: Mailbox[];
	removed: Mailbox[];
	changed: Array<{address: string; fields: MailboxField[]; before: Mailbox; after: Mailbox}>;
	domainsAdded: string[];
	domainsRemoved: string[];
	/** Mailboxes after the sync. */
	total: number;
	/** Mailboxes before it. */
	before: number;
	/** Why it must be confirmed (too many removals, a domain emptied); empty: it need not be. */
	guard: string[];
}

export interface SyncPlan {
	changes: SyncChanges;
	/** The directory as the sync makes it. */
	next: Directory;
}

/** Where the password of a directory source comes from: MASSMAIL_DIRECTORY_PASSWORD, else directory.passwordCommand. */
async function directoryPassword(settings: Settings, env: NodeJS.ProcessEnv): Promise<string | undefined> {
	const fromEnvironment = env.MASSMAIL_DIRECTORY_PASSWORD;
	if (fromEnvironment !== undefined && fromEnvironment !== '') {
		return fromEnvironment;
	}

	const command = settings.directory.passwordCommand;
	return command === '' ? undefined : runPasswordCommand(command, 'directory.passwordCommand');
}

/** What sync can read from: `sql, ldap, dovecot or smartermail`. */
function sourceChoices(): string {
	const kinds = directorySources.map(source => source.kind);
	return kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}` : kinds.join('');
}

/** The configured source's own settings, trimmed: `{url, query, caFile}` for `sql`. */
function sourceValues(settings: Settings, source: SourceDescriptor): Record<string, string> {
	const group = (settings.directory as unknown as Record<string, Record<string, string> | undefined>)[source.kind] ?? {};
	return Object.fromEntries(Object.keys(source.settings).map(name => [name, String(group[name] ?? '').trim()]));
}

/**
 * The configured source (`directory.source`), ready to read; `local` has none (MassmailError
 * 'usage'), nor has a source whose needed setting is not set (its key named). The sources load
 * their client libraries only when chosen.
 */
export async function openConfiguredSource(settings: Settings, env: NodeJS.ProcessEnv = process.env): Promise<DirectorySource> {
	const source = directorySource(settings.directory.source);
	if (!source) {
		throw new MassmailError('usage', 'directory.source is local: there is nothing to sync from', {
			hint: `set it to ${sourceChoices()} (massmail config set directory.source ldap) and that source's settings`,
		});
	}

	const values = sourceValues(settings, source);
	for (const [name, spec] of Object.entries(source.settings)) {
		if (spec.needed !== undefined && values[name] === '') {
			const key = `directory.${source.kind}.${name}`;
			throw new MassmailError('usage', `${key} is not set`, {hint: `massmail config set ${key} VALUE (see massmail config)`});
		}
	}

	return source.open(values, {password: async () => directoryPassword(settings, env)});
}

/** The label of the configured source for people (`ldap://…`), or undefined for `local`. */
export function configuredSourceLabel(settings: Settings): string | undefined {
	const source = directorySource(settings.directory.source);
	return source?.label(sourceValues(settings, source));
}

/**
 * The directory as the source says it is, and what that changes. All or nothing: every row is
 * checked, and any bad one (a bad address, a duplicate, a second primary in a domain) is a
 * MassmailError 'validation' naming each bad row (key) and its rule; nothing is changed.
 */
export function planSync(current: Directory, rows: readonly SourceMailbox[], source: string, now = new Date()): SyncPlan {
	const next = Directory.empty();
	const problems: string[] = [];
	const seen = new Map<string, string>();
	const supplies = new Set<MailboxField>();
	for (const row of rows) {
		let address: string;
		let domain: string;
		try {
			// The directory's own rules decide what an address is (IDNs stored in ASCII form).
			address = normalizeAddress(row.email.trim());
			domain = domainOf(address);
			if (!next.hasDomain(domain)) {
				next.addDomain(domain);
			}
		} catch (error) {
			problems.push(`${row.key}: ${JSON.stringify(row.email)}: ${(error as Error).message}`);
			continue;
		}

		const key = addressKey(address);
		const earlier = seen.get(key);
		if (earlier !== undefined) {
			problems.push(`${row.key}: ${address} is also ${earlier} (addresses are unique ignoring case)`);
			continue;
		}

		seen.set(key, row.key);
		const old = current.find(address);
		for (const field of ['name', 'role', 'disabled'] as const) {
			if (row[field] !== undefined) {
				supplies.add(field);
			}
		}

		try {
			next.addMailbox({
				address,
				name: row.name ?? old?.name ?? '',
				role: row.role ?? old?.role ?? 'user',
				disabled: row.disabled ?? old?.disabled ?? false,
			});
		} catch (error) {
			problems.push(`${row.key}: ${address}: ${(error as Error).message}`);
		}
	}

	if (problems.length > 0) {
		throw new MassmailError('validation', `${source}: ${plural(problems.length, 'row')} ${problems.length === 1 ? 'breaks' : 'break'} the directory's rules; nothing was changed`, {
			details: problems.length > 20 ? [...problems.slice(0, 20), `… and ${problems.length - 20} more`] : problems,
			hint: 'fix them in the source (or its query or filter), then sync again',
		});
	}

	const origin: DirectoryOrigin = {source, syncedAt: now.toISOString(), supplies: [...supplies]};
	next.origin = origin;
	return {next, changes: compare(current, next, source)};
}

function compare(current: Directory, next: Directory, source: string): SyncChanges {
	const changes: SyncChanges = {source, added: [], removed: [], changed: [], domainsAdded: [], domainsRemoved: [], total: next.mailboxCount, before: current.mailboxCount, guard: []};
	for (const mailbox of next.allMailboxes()) {
		const before = current.find(mailbox.address);
		if (before === undefined) {
			changes.added.push(mailbox);
			continue;
		}

		const fields = (['name', 'role', 'disabled'] as const).filter(field => before[field] !== mailbox[field]);
		// An address whose case changed in the source counts as changed too, under its new spelling.
		if (fields.length > 0 || before.address !== mailbox.address) {
			changes.changed.push({address: mailbox.address, fields, before, after: mailbox});
		}
	}

	const emptied: string[] = [];
	for (const mailbox of current.allMailboxes()) {
		if (next.find(mailbox.address) === undefined) {
			changes.removed.push(mailbox);
		}
	}

	for (const domain of current.domainNames()) {
		if (!next.hasDomain(domain)) {
			changes.domainsRemoved.push(domain);
		}

		if (current.domain(domain).users > 0 && (!next.hasDomain(domain) || next.domain(domain).users === 0)) {
			emptied.push(domain);
		}
	}

	for (const domain of next.domainNames()) {
		if (!current.hasDomain(domain)) {
			changes.domainsAdded.push(domain);
		}
	}

	if (changes.before > 0 && changes.removed.length > changes.before * removalGuardShare) {
		changes.guard.push(`it removes ${plural(changes.removed.length, 'mailbox', 'mailboxes')} of ${changes.before} (more than ${removalGuardShare * 100}%)`);
	}

	if (emptied.length > 0) {
		changes.guard.push(`it removes every mailbox of ${emptied.length === 1 ? emptied[0] : `${emptied.length} domains (${emptied.slice(0, 5).join(', ')}${emptied.length > 5 ? ', …' : ''})`}`);
	}

	return changes;
}

/** True when the sync changes nothing in the mailboxes (the origin's time aside). */
export function isUnchanged(changes: SyncChanges): boolean {
	return changes.added.length === 0 && changes.removed.length === 0 && changes.changed.length === 0 && changes.domainsAdded.length === 0 && changes.domainsRemoved.length === 0;
}

/** Reads the configured source whole and plans the sync against the directory as it is now. */
export async function readAndPlan(store: Store, env: NodeJS.ProcessEnv = process.env, options: {signal?: AbortSignal; timeoutMs?: number} = {}): Promise<SyncPlan & {rows: SourceMailbox[]}> {
	const source = await openConfiguredSource(store.settings.get(), env);
	const rows = await source.read({timeoutMs: options.timeoutMs ?? syncTimeoutMs, signal: options.signal});
	return {...planSync(store.directory(), rows, source.label), rows};
}

/**
 * Applies a plan under the directory's lock, planned again against the latest directory (another
 * process may have changed it since) from the same rows: all or nothing.
 */
export function applySync(store: Store, rows: readonly SourceMailbox[], source: string, now = new Date()): SyncChanges {
	let changes: SyncChanges | undefined;
	store.editDirectory(latest => {
		const plan = planSync(latest, rows, source, now);
		changes = plan.changes;
		return plan.next;
	});
	return changes!;
}

/** Changes counted per domain, for the summary people read. */
export function changesByDomain(changes: SyncChanges): Array<{domain: string; added: number; removed: number; changed: number}> {
	const counts = new Map<string, {domain: string; added: number; removed: number; changed: number}>();
	const count = (address: string, kind: 'added' | 'removed' | 'changed') => {
		const domain = domainOf(address);
		const entry = counts.get(domain) ?? {domain, added: 0, removed: 0, changed: 0};
		entry[kind]++;
		counts.set(domain, entry);
	};

	for (const mailbox of changes.added) {
		count(mailbox.address, 'added');
	}

	for (const mailbox of changes.removed) {
		count(mailbox.address, 'removed');
	}

	for (const {address} of changes.changed) {
		count(address, 'changed');
	}

	// A domain that goes or comes without a mailbox (an empty one added by hand) is a change too.
	for (const domain of [...changes.domainsAdded, ...changes.domainsRemoved]) {
		if (!counts.has(domain)) {
			counts.set(domain, {domain, added: 0, removed: 0, changed: 0});
		}
	}

	return [...counts.values()].sort((a, b) => a.domain.localeCompare(b.domain));
}

/** The changes for people, a few lines: counts, then per domain. */
export function describeChanges(changes: SyncChanges, limit = 10): string[] {
	if (isUnchanged(changes)) {
		return [`No change: the directory already holds the ${plural(changes.total, 'mailbox', 'mailboxes')} of ${changes.source}.`];
	}

	const lines = [`${changes.source}: ${changes.added.length} added, ${changes.removed.length} removed, ${changes.changed.length} changed; ${plural(changes.total, 'mailbox', 'mailboxes')} after (${changes.before} before).`];
	const domains = changesByDomain(changes);
	for (const {domain, added, removed, changed} of domains.slice(0, limit)) {
		lines.push(`  ${displayDomain(domain)}: +${added} -${removed} ~${changed}${changes.domainsAdded.includes(domain) ? ' (new domain)' : changes.domainsRemoved.includes(domain) ? ' (domain removed)' : ''}`);
	}

	if (domains.length > limit) {
		lines.push(`  … and ${domains.length - limit} more domains`);
	}

	return lines;
}

/**
 * What a changed mailbox's fields were and are, for people (the command line's listing and the
 * dashboard's Sync screen): `name "Ann" → "Ann Smith", role user → admin, disabled`.
 */
export function describeFieldChanges(change: SyncChanges['changed'][number], arrow: string): string {
	const parts = change.fields.map(field => {
		switch (field) {
			case 'name': {
				return `name "${printable(change.before.name)}" ${arrow} "${printable(change.after.name)}"`;
			}

			case 'role': {
				return `role ${change.before.role} ${arrow} ${change.after.role}`;
			}

			case 'disabled': {
				return change.after.disabled ? 'disabled' : 'enabled';
			}
		}
	});
	if (change.before.address !== change.after.address) {
		parts.push(`spelled ${displayAddress(change.before.address)} before`);
	}

	return parts.join(', ');
}

/** The `--json` shape of a sync. */
export function changesJson(changes: SyncChanges): {source: string; added: string[]; removed: string[]; changed: Array<{address: string; fields: MailboxField[]}>; total: number} {
	return {
		source: changes.source,
		added: changes.added.map(mailbox => mailbox.address),
		removed: changes.removed.map(mailbox => mailbox.address),
		changed: changes.changed.map(({address, fields}) => ({address, fields})),
		total: changes.total,
	};
}

/** Whether the directory is older than directory.maxAge (a synced source only; `local` never is). */
export function directoryIsStale(settings: Settings, directory: Pick<Directory, 'origin'>, now = Date.now()): boolean {
	if (settings.directory.source === 'local' || settings.directory.maxAge === 0) {
		return false;
	}

	const syncedAt = directory.origin === undefined ? Number.NaN : Date.parse(directory.origin.syncedAt);
	return Number.isNaN(syncedAt) || now - syncedAt > settings.directory.maxAge * 1000;
}

/**
 * While the mailboxes come from a source, they are changed there: adding or removing mailboxes
 * or domains (and importing) is refused with the reason, and a name, role or disabled flag may be
 * set here only where the source supplies none (its value would be replaced at the next sync).
 * `local`: anything goes. Throws MassmailError 'usage'.
 */
export function checkLocalEdit(settings: Settings, directory: Directory, edit: 'mailboxes' | readonly MailboxField[]): void {
	const label = configuredSourceLabel(settings);
	if (label === undefined) {
		return;
	}

	const where = `the mailboxes come from ${settings.directory.source} (${label}); change them there`;
	if (edit === 'mailboxes') {
		throw new MassmailError('usage', where, {hint: 'massmail sync reads them again; directory.source local goes back to local edits'});
	}

	if (directory.origin === undefined) {
		throw new MassmailError('usage', `the mailboxes come from ${settings.directory.source} (${label}), and the directory was never synced from it`, {
			hint: 'massmail sync reads them first; then names and roles the source does not supply can be set here',
		});
	}

	const supplied = edit.filter(field => directory.origin!.supplies.includes(field));
	if (supplied.length > 0) {
		throw new MassmailError('usage', `${where}: ${settings.directory.source} supplies ${supplied.join(' and ')}`, {
			hint: 'a value set here would be replaced at the next sync',
		});
	}
}
