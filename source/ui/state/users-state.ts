/**
 * Changing the directory from the dashboard, as plain functions: each change is made on a
 * copy with the directory's own rules (one primary per domain, valid unique addresses), so a
 * refused change leaves the directory as it was and its message explains the rule.
 */
import {Directory} from '../../core/directory.js';
import {displayAddress} from '../../core/address.js';
import type {Mailbox, Role} from '../../core/types.js';
import {filterItems} from './list.js';

export type DirectoryChange =
	| {type: 'add-mailbox'; address: string; name: string; role: Role}
	| {type: 'remove-mailbox'; address: string}
	| {type: 'set-role'; address: string; role: Role}
	| {type: 'set-disabled'; address: string; disabled: boolean}
	| {type: 'rename'; address: string; name: string}
	| {type: 'add-domain'; name: string}
	| {type: 'remove-domain'; name: string};

/** The directory after the change (a copy); throws the directory's MassmailError when a rule refuses it. */
export function applyChange(directory: Directory, change: DirectoryChange): Directory {
	const copy = directory.clone();
	switch (change.type) {
		case 'add-mailbox': {
			copy.addMailbox({address: change.address, name: change.name, role: change.role});
			break;
		}

		case 'remove-mailbox': {
			copy.removeMailbox(change.address);
			break;
		}

		case 'set-role': {
			copy.updateMailbox(change.address, {role: change.role});
			break;
		}

		case 'set-disabled': {
			copy.updateMailbox(change.address, {disabled: change.disabled});
			break;
		}

		case 'rename': {
			copy.updateMailbox(change.address, {name: change.name});
			break;
		}

		case 'add-domain': {
			copy.addDomain(change.name);
			break;
		}

		case 'remove-domain': {
			copy.removeDomain(change.name);
			break;
		}
	}

	return copy;
}

export const roleLabels: Record<Role, string> = {
	user: 'user',
	admin: 'administrator',
	primary: 'primary administrator',
};

/** The two lines of rules above the users of a domain. */
export function directoryRules(primary: string | null): [string, string] {
	return [
		`One primary administrator per domain (${primary === null ? 'none yet' : `now ${displayAddress(primary)}`}).`,
		'Addresses valid and unique; a disabled mailbox stays, but every send skips it.',
	];
}

/** Completes a typed local part (`ann`) with the domain; a full address is kept. */
export function addressIn(domain: string, typed: string): string {
	const text = typed.trim();
	return text.includes('@') ? text : `${text}@${domain}`;
}

export function shownMailboxes(mailboxes: readonly Mailbox[], filter: string): readonly Mailbox[] {
	return filterItems(mailboxes, filter, m => `${m.address} ${displayAddress(m.address)} ${m.name} ${roleLabels[m.role]} ${m.disabled ? 'disabled' : 'active'}`);
}
