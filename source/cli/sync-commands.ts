/**
 * sync: the directory from the mail server's own user database (directory.source). Reads the
 * source whole, shows what changes, per domain and per mailbox, and applies it all or nothing
 * under the directory's lock; a sync that removes many mailboxes (or empties a domain) asks
 * first, naming them. Also the sync a send makes first when the directory is older than
 * directory.maxAge.
 *
 * The listing, one line per mailbox as apt and git summarize a change:
 *
 *     postgres://…/postfix: 2 added, 2 removed, 4 changed; 22 mailboxes after (22 before).
 *       globex.test: +1 -2 ~2
 *         + tnew@globex.test (Tina New, user)
 *         - sberg@globex.test
 *         ~ hfischer@globex.test: role user → admin
 *         ~ jdoe@globex.test: name "John Doe" → "John D. Doe", disabled
 *
 * A pipe or a file gets every line (scripts grep it); a terminal gets what fits on its screen
 * with the question, then `… and N more mailboxes` and how to see them all.
 */
import {displayAddress, displayDomain, domainOf} from '../core/address.js';
import {MassmailError} from '../core/errors.js';
import type {Directory} from '../core/directory.js';
import {formatCount, plural, printable} from '../core/format.js';
import type {Store} from '../core/store.js';
import {applySync, changesJson, describeChanges, describeFieldChanges, directoryIsStale, isUnchanged, readAndPlan, type SyncChanges} from '../core/sync.js';
import type {Mailbox} from '../core/types.js';
import {supportsUnicode} from '../core/format.js';
import type {Command, CommandContext} from './command.js';
import {confirmOrRefuse} from './directory-commands.js';
import {json} from './output.js';

interface Symbols {
	arrow: string;
	ellipsis: string;
}

/** `→` and `…` where the locale is UTF-8 (and not the Linux console), `->` and `...` elsewhere. */
const symbolsFor = (env: NodeJS.ProcessEnv): Symbols => supportsUnicode(env) ? {arrow: '→', ellipsis: '…'} : {arrow: '->', ellipsis: '...'};

/** Control characters in a name from the source cannot move the cursor. */

// Stored addresses are in their normal (ASCII-domain) form: code-unit order is quick on 100,000 of them.
const byAddress = (a: {address: string}, b: {address: string}): number => a.address < b.address ? -1 : (a.address > b.address ? 1 : 0);

type Change = SyncChanges['changed'][number];

interface DomainChanges {
	domain: string;
	added: Mailbox[];
	removed: Mailbox[];
	changed: Change[];
}

/** The changes grouped per domain, domains and mailboxes in address order. */
function changesPerDomain(changes: SyncChanges): DomainChanges[] {
	const domains = new Map<string, DomainChanges>();
	const of = (domain: string): DomainChanges => {
		let entry = domains.get(domain);
		if (entry === undefined) {
			entry = {domain, added: [], removed: [], changed: []};
			domains.set(domain, entry);
		}

		return entry;
	};

	// A domain added or removed with no mailbox of its own still gets its line.
	for (const domain of [...changes.domainsAdded, ...changes.domainsRemoved]) {
		of(domain);
	}

	for (const mailbox of changes.added) {
		of(domainOf(mailbox.address)).added.push(mailbox);
	}

	for (const mailbox of changes.removed) {
		of(domainOf(mailbox.address)).removed.push(mailbox);
	}

	for (const change of changes.changed) {
		of(domainOf(change.address)).changed.push(change);
	}

	return [...domains.values()]
		.sort((a, b) => a.domain.localeCompare(b.domain))
		.map(entry => ({...entry, added: entry.added.sort(byAddress), removed: entry.removed.sort(byAddress), changed: entry.changed.sort(byAddress)}));
}

/** `+ ann@example.com (Ann Lee, admin)`, `+ cy@example.com (user, disabled)` */
function addedLine(mailbox: Mailbox, address: string): string {
	const facts = [...(mailbox.name === '' ? [] : [printable(mailbox.name)]), mailbox.role, ...(mailbox.disabled ? ['disabled'] : [])];
	return `+ ${address} (${facts.join(', ')})`;
}

/** Per domain, its counts, then one line per mailbox: added (+), removed (-), changed (~). */
function mailboxLines(changes: SyncChanges, symbols: Symbols): string[] {
	const lines: string[] = [];
	const domainsAdded = new Set(changes.domainsAdded);
	const domainsRemoved = new Set(changes.domainsRemoved);
	for (const {domain, added, removed, changed} of changesPerDomain(changes)) {
		// The domain's Unicode form once, not once per mailbox (a first sync lists 100,000 of them).
		const shownDomain = displayDomain(domain);
		const shown = (address: string) => `${address.slice(0, address.lastIndexOf('@'))}@${shownDomain}`;
		const note = domainsAdded.has(domain) ? ' (new domain)' : (domainsRemoved.has(domain) ? ' (domain removed)' : '');
		// A loop, not push(...spread): one domain may hold more mailboxes than a call takes arguments.
		lines.push(`  ${shownDomain}: +${added.length} -${removed.length} ~${changed.length}${note}`);
		for (const mailbox of added) {
			lines.push(`    ${addedLine(mailbox, shown(mailbox.address))}`);
		}

		for (const mailbox of removed) {
			lines.push(`    - ${shown(mailbox.address)}`);
		}

		for (const change of changed) {
			lines.push(`    ~ ${shown(change.address)}: ${describeFieldChanges(change, symbols.arrow)}`);
		}
	}

	return lines;
}

/**
 * Rows kept free below the listing on a terminal: the notice of a dry run or the guard's lines
 * and question (which may wrap), the line after the sync, and the shell's prompt.
 */
const rowsBelowListing = 8;

/**
 * The changes as people read them: the summary line, then every domain and mailbox. `screen`:
 * the terminal's size, when the lines go to one; the listing is then cut to fit the screen with
 * what follows it (a long line counts the rows it wraps onto), and says how many mailboxes it
 * left out and how to read them all.
 */
export function syncLines(changes: SyncChanges, options: {symbols: Symbols; screen?: {rows: number; columns: number}}): string[] {
	const [summary] = describeChanges(changes, 0);
	if (isUnchanged(changes)) {
		return [summary!];
	}

	const lines = mailboxLines(changes, options.symbols);
	const {screen} = options;
	if (screen === undefined) {
		return [summary!, ...lines];
	}

	const rowsOf = (line: string) => Math.max(1, Math.ceil(line.length / Math.max(1, screen.columns)));
	const room = Math.max(6, screen.rows - rowsBelowListing);
	let used = rowsOf(summary!);
	let shown = 0;
	while (shown < lines.length && used + rowsOf(lines[shown]!) <= room - 1) {
		used += rowsOf(lines[shown]!);
		shown++;
	}

	// The last line fits where the line saying what is left out would go.
	if (shown === lines.length - 1 && used + rowsOf(lines[shown]!) <= room) {
		shown++;
	}

	if (shown === lines.length) {
		return [summary!, ...lines];
	}

	const hidden = lines.slice(shown);
	const mailboxes = hidden.filter(line => line.startsWith('    ')).length;
	const more = mailboxes > 0 ? plural(mailboxes, 'more mailbox', 'more mailboxes') : plural(hidden.length, 'more domain', 'more domains');
	return [summary!, ...lines.slice(0, shown), `  ${options.symbols.ellipsis} and ${more} (all of them: massmail sync --dry-run | less)`];
}

/** `a, b and c`; past `limit`, the first ones and `and N more`. */
function someOf(names: string[], limit: number): string {
	if (names.length <= limit) {
		return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
	}

	return `${names.slice(0, limit).join(', ')} and ${formatCount(names.length - limit)} more`;
}

/** The removed mailboxes in the listing's order, for the guard's question. */
const removedAddresses = (changes: SyncChanges): string[] =>
	changesPerDomain(changes).flatMap(({removed}) => removed.map(mailbox => displayAddress(mailbox.address)));

/** The size of the terminal a stream shows on; undefined for a pipe or a file, which get every line. */
function terminalSize(stream: NodeJS.WriteStream): {rows: number; columns: number} | undefined {
	return stream.isTTY ? {rows: stream.rows ?? 24, columns: stream.columns ?? 80} : undefined;
}

const fields = ({name, role, disabled}: Mailbox) => ({name, role, disabled});

/**
 * The `--json` document: `{"source", "added", "removed", "changed", "total"}` as before, with
 * each change's values (`changed[].before`/`.after`), the mailboxes added and removed whole
 * (`addedMailboxes`, `removedMailboxes`: the shape of `users --json`), and whether the sync
 * needs a confirmation (`needsConfirmation`, `guard`: the reasons).
 */
function syncJson(changes: SyncChanges) {
	const whole = (mailbox: Mailbox) => ({address: mailbox.address, ...fields(mailbox)});
	return {
		...changesJson(changes),
		changed: changes.changed.map(({address, fields: changedFields, before, after}) => ({address, fields: changedFields, before: fields(before), after: fields(after)})),
		addedMailboxes: changes.added.map(whole),
		removedMailboxes: changes.removed.map(whole),
		needsConfirmation: changes.guard.length > 0,
		guard: changes.guard,
	};
}

const syncCommand: Command = {
	name: 'sync',
	arity: [0, 0],
	summary: 'Read the mailboxes from the mail server (directory.source: sql, ldap, dovecot, smartermail) and apply the changes, all or nothing.',
	options: {
		'dry-run': {type: 'boolean', description: 'show what would change, mailbox by mailbox, and whether the sync will ask; change nothing'},
		yes: {type: 'boolean', description: 'apply a sync that removes more than 10% of the mailboxes or every mailbox of a domain without asking (needed without a terminal)'},
		json: {type: 'boolean', description: 'print the changes as one JSON document: {"source","added","removed","changed","total",…} (README)'},
	},
	async run({options, io, store, env}) {
		const plan = await readAndPlan(store(), env);
		const {changes} = plan;
		const symbols = symbolsFor(env);
		// With --json the document is stdout's; people read the changes on stderr.
		const say = options.json ? io.err : io.out;
		// One write: a first sync into a pipe lists every mailbox, 100,000 lines perhaps.
		say(syncLines(changes, {symbols, screen: terminalSize(options.json ? process.stderr : process.stdout)}).join('\n'));

		if (options['dry-run']) {
			if (options.json) {
				io.out(json(syncJson(changes)));
			}

			say('Dry run: nothing was changed.');
			if (changes.guard.length > 0) {
				say(`massmail sync will need a confirmation: ${changes.guard.join('; ')}. It asks on a terminal; without one (cron, a script) it needs --yes.`);
			}

			return 0;
		}

		if (changes.guard.length > 0 && !options.yes) {
			io.err(`This sync needs a confirmation: ${changes.guard.join('; ')}. A wrong query or filter looks like this.`);
			const removed = removedAddresses(changes);
			if (removed.length > 0) {
				io.err(`It removes ${someOf(removed, 5)}.`);
			}

			await confirmOrRefuse(io, 'Apply it? [y/N] ');
		}

		const applied = applySync(store(), plan.rows, changes.source);
		if (options.json) {
			io.out(json(syncJson(applied)));
		} else if (!isUnchanged(applied)) {
			io.out(`Synced: ${applied.total} mailboxes from ${applied.source}.`);
		}

		return 0;
	},
};

/**
 * Before a send: the directory to resolve the audience against. Synced first when it is older
 * than directory.maxAge; a dry run plans the sync without applying it. A sync that would need a
 * confirmation (the guard) stops the send: it is reviewed with `massmail sync` first.
 */
export async function directoryForSend(store: Store, context: Pick<CommandContext, 'env' | 'io'>, options: {dryRun: boolean}): Promise<{directory: Directory; synced?: SyncChanges}> {
	const settings = store.settings.get();
	if (!directoryIsStale(settings, store.directory())) {
		return {directory: store.directory()};
	}

	context.io.err(`The directory is older than directory.maxAge: syncing from ${settings.directory.source} first…`);
	const plan = await readAndPlan(store, context.env);
	if (plan.changes.guard.length > 0) {
		throw new MassmailError('validation', `the sync before this send needs a confirmation: ${plan.changes.guard.join('; ')}; nothing was sent`, {
			hint: 'review it with massmail sync (it asks), then send again',
		});
	}

	for (const line of describeChanges(plan.changes)) {
		context.io.err(line);
	}

	if (options.dryRun) {
		return {directory: plan.next, synced: plan.changes};
	}

	applySync(store, plan.rows, plan.changes.source);
	return {directory: store.directory(), synced: plan.changes};
}

export const syncCommands: Command[] = [syncCommand];
