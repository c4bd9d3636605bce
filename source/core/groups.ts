import {MassmailError} from './errors.js';
import type {Mailbox, Recipient, RecipientGroup, Resolution} from './types.js';
import type {Directory} from './directory.js';
import {addressKey, displayAddress, displayDomain, normalizeAddress, normalizeDomain} from './address.js';

/** The command-line forms of a group, for help texts and hints. */
export const groupForms = ['all', 'domain:NAME[,NAME…]', 'admins', 'primary-admins', 'user:ADDRESS', 'send:ID'] as const;

const formsHint = `a group is one of: ${groupForms.join(' | ')}`;

/**
 * Parses a group as typed on the command line.
 * Domain names and addresses are normalized; a domain named twice stays twice
 * (the resolution reports the duplicates).
 * @example parseGroup('domain:a.com,B.org') // {kind: 'domain', domains: ['a.com', 'b.org']}
 */
export function parseGroup(text: string): RecipientGroup {
	const trimmed = text.trim();
	const colon = trimmed.indexOf(':');
	const kind = (colon === -1 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
	const argument = colon === -1 ? undefined : trimmed.slice(colon + 1).trim();
	const usage = (message: string) => new MassmailError('usage', message, {hint: formsHint});
	const noArgument = (group: RecipientGroup) => {
		if (argument !== undefined) {
			throw usage(`the group "${kind}" takes nothing after it: ${JSON.stringify(text)}`);
		}

		return group;
	};

	switch (kind) {
		case 'all': {
			return noArgument({kind: 'all'});
		}

		case 'admins': {
			return noArgument({kind: 'admins'});
		}

		case 'primary-admins': {
			return noArgument({kind: 'primary-admins'});
		}

		case 'domain':
		case 'domains': {
			if (!argument) {
				throw usage('domain: needs a domain name, e.g. domain:example.com or domain:a.com,b.org');
			}

			const domains = argument.split(',').map(name => name.trim());
			if (domains.includes('')) {
				throw usage(`an empty domain name in ${JSON.stringify(text)}`);
			}

			return {
				kind: 'domain', domains: domains.map(name => {
					try {
						return normalizeDomain(name);
					} catch (error) {
						throw usage((error as Error).message);
					}
				}),
			};
		}

		case 'user': {
			if (!argument) {
				throw usage('user: needs an address, e.g. user:ann@example.com');
			}

			try {
				return {kind: 'user', address: normalizeAddress(argument)};
			} catch (error) {
				throw usage((error as Error).message);
			}
		}

		case 'send': {
			if (!argument) {
				throw usage('send: needs a send id, e.g. send:ID (see massmail history)');
			}

			return {kind: 'send', sendId: argument};
		}

		default: {
			throw usage(`unknown recipient group ${JSON.stringify(text)}`);
		}
	}
}

/** The command-line form: parseGroup(formatGroup(g)) equals g. */
export function formatGroup(group: RecipientGroup): string {
	switch (group.kind) {
		case 'all':
		case 'admins':
		case 'primary-admins': {
			return group.kind;
		}

		case 'domain': {
			return `domain:${group.domains.join(',')}`;
		}

		case 'user': {
			return `user:${group.address}`;
		}

		case 'send': {
			return `send:${group.sendId}`;
		}
	}
}

/** The group's name as the dashboard shows it, domains in Unicode form. */
export function describeGroup(group: RecipientGroup): string {
	switch (group.kind) {
		case 'all': {
			return 'All Users';
		}

		case 'domain': {
			const names = group.domains.map(name => displayDomain(name));
			return names.length === 1 ? `All Users on a Domain: ${names[0]}` : `Selected Domains: ${names.join(', ')}`;
		}

		case 'admins': {
			return 'All Domain Administrators';
		}

		case 'primary-admins': {
			return 'All Primary Domain Administrators';
		}

		case 'user': {
			return `Specific User: ${displayAddress(group.address)}`;
		}

		case 'send': {
			return `Recipients of send ${group.sendId}`;
		}
	}
}

/**
 * Who a group reaches: disabled mailboxes are skipped, an address reached twice is
 * kept once, each reported in `skipped`. Order: domains in name order, then addresses.
 *
 * An unknown domain, or a `user:` address not in the directory, is a validation error —
 * unless `allowExternal` is set, which lets `user:` name any valid address.
 * The `send` kind is resolved from the earlier send's record, not here.
 */
export function resolveGroup(directory: Directory, group: RecipientGroup, options: {allowExternal?: boolean} = {}): Resolution {
	const recipients: Recipient[] = [];
	const skipped: Resolution['skipped'] = [];
	/** Each address reached, and whether it was skipped as disabled (reported once, as that). */
	const seen = new Map<string, boolean>();
	const take = (mailbox: Mailbox) => {
		const key = addressKey(mailbox.address);
		const disabled = seen.get(key);
		if (disabled !== undefined) {
			if (!disabled) {
				skipped.push({address: mailbox.address, reason: 'duplicate'});
			}

			return;
		}

		seen.set(key, mailbox.disabled);
		if (mailbox.disabled) {
			skipped.push({address: mailbox.address, reason: 'disabled'});
			return;
		}

		recipients.push({address: mailbox.address, name: mailbox.name});
	};

	switch (group.kind) {
		case 'all': {
			for (const mailbox of directory.allMailboxes()) {
				take(mailbox);
			}

			break;
		}

		case 'domain': {
			// Check every name first: an unknown one stops the whole send.
			const lists = group.domains.map(name => directory.mailboxes(name));
			for (const list of lists) {
				for (const mailbox of list) {
					take(mailbox);
				}
			}

			break;
		}

		case 'admins': {
			for (const mailbox of directory.allMailboxes()) {
				if (mailbox.role !== 'user') {
					take(mailbox);
				}
			}

			break;
		}

		case 'primary-admins': {
			for (const summary of directory.domains()) {
				if (summary.primary !== null) {
					take(directory.find(summary.primary)!);
				}
			}

			break;
		}

		case 'user': {
			const mailbox = directory.find(group.address);
			if (mailbox) {
				take(mailbox);
				break;
			}

			if (!options.allowExternal) {
				throw new MassmailError('validation', `${group.address} is not in the directory`, {
					hint: 'check the address, or pass --allow-external to send to an address outside the directory',
				});
			}

			recipients.push({address: normalizeAddress(group.address), name: ''});
			break;
		}

		case 'send': {
			throw new Error('resolveGroup: a send:ID group is resolved from the send record');
		}
	}

	return {recipients, skipped};
}
