/**
 * sync: the directory from the mail server's own user database (directory.source). Reads the
 * source whole, shows what changes per domain, and applies it all or nothing under the
 * directory's lock; a sync that removes many mailboxes (or empties a domain) asks first.
 * Also the sync a send makes first when the directory is older than directory.maxAge.
 */
import {MassmailError} from '../core/errors.js';
import type {Directory} from '../core/directory.js';
import type {Store} from '../core/store.js';
import {applySync, changesJson, describeChanges, directoryIsStale, isUnchanged, readAndPlan, type SyncChanges} from '../core/sync.js';
import type {Command, CommandContext} from './command.js';
import {confirmOrRefuse} from './directory-commands.js';
import {json} from './output.js';

const syncCommand: Command = {
	name: 'sync',
	arity: [0, 0],
	summary: 'Read the mailboxes from the mail server (directory.source: sql, ldap, dovecot, smartermail) and apply the changes, all or nothing.',
	options: {
		'dry-run': {type: 'boolean', description: 'show what would change; change nothing'},
		yes: {type: 'boolean', description: 'apply a sync that removes more than 10% of the mailboxes or every mailbox of a domain without asking (needed without a terminal)'},
		json: {type: 'boolean', description: 'print {"source","added","removed","changed","total"}'},
	},
	async run({options, io, store, env}) {
		const plan = await readAndPlan(store(), env);
		const {changes} = plan;
		const say = options.json ? io.err : io.out;
		for (const line of describeChanges(changes)) {
			say(line);
		}

		if (options['dry-run']) {
			if (options.json) {
				io.out(json(changesJson(changes)));
			}

			say('Dry run: nothing was changed.');
			return 0;
		}

		if (changes.guard.length > 0 && !options.yes) {
			io.err(`This sync needs a confirmation: ${changes.guard.join('; ')}. A wrong query or filter looks like this.`);
			await confirmOrRefuse(io, `Apply it? [y/N] `);
		}

		const applied = applySync(store(), plan.rows, changes.source);
		if (options.json) {
			io.out(json(changesJson(applied)));
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
