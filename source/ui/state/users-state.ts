/**
 * Changing the directory from the dashboard, as plain functions: each change is made on a
 * copy with the directory's own rules (one primary per domain, valid unique addresses), so a
 * refused change leaves the directory as it was and its message explains the rule.
 */
import {Directory} from '../../core/directory.js';
import {displayAddress} from '../../core/address.js';
import {checkLocalEdit, type MailboxField} from '../../core/sync.js';
import type {Mailbox, Role, Settings} from '../../core/types.js';
import {filterItems} from './list.js';

export type DirectoryChange =
	| {type: 'add-mailbox'; address: string; name: string; role: Role}
	| {type: 'remove-mailbox'; address: string}
	| {type: 'set-role'; address: string; role: Role}
	| {type: 'set-disabled'; address: string; disabled: boolean}
	| {type: 'rename'; address: string; name: string}
	| {type: 'add-domain'; name: string}
	| {type: 'remove-domain'; name: string};

/** What a change edits, as checkLocalEdit names it: mailboxes and domains, or some of a mailbox's fields. */
export function editOf(change: DirectoryChange): 'mailboxes' | MailboxField[] {
	switch (change.type) {
		case 'set-role': {
			return ['role'];
		}

		case 'set-disabled': {
			return ['disabled'];
		}

		case 'rename': {
			return ['name'];
		}

		default: {
			return 'mailboxes';
		}
	}
}

/**
 * Why an edit may not be made here while the mailboxes come from a source (directory.source),
 * as the lines of a message; undefined when it may. The dashboard's words for what to do instead.
 */
export function localEditRefusal(settings: Settings, directory: Directory, edit: 'mailboxes' | readonly MailboxField[]): string[] | undefined {
	try {
		checkLocalEdit(settings, directory, edit);
		return undefined;
	} catch (error) {
		const {hint} = error as {hint?: string};
		const message = (error as Error).message;
		return [
			`${message.charAt(0).toUpperCase()}${message.slice(1)}.`,
			edit === 'mailboxes' ? 'Sync (s on the domains) reads them again; in Settings, Directory source "local" allows local edits again.' : hint ?? '',
		].filter(Boolean);
	}
}

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

/**
 * Why the directory's rules refuse the change, as lines (the rule, then what to do), or
 * undefined when they allow it. Nothing is saved: a form asks this before it lets go of what
 * was typed.
 *
 * @example
 * changeRefusal(directory, {type: 'add-mailbox', address: 'cy@example.com', name: 'Cy', role: 'primary'})
 * // ['Domain "example.com" already has a primary administrator: ann@example.com.', 'A domain has at most one; make ann@example.com an admin or user first.']
 */
export function changeRefusal(directory: Directory, change: DirectoryChange): string[] | undefined {
	try {
		applyChange(directory, change);
		return undefined;
	} catch (error) {
		const {hint} = error as {hint?: string};
		return [(error as Error).message, hint].filter((line): line is string => Boolean(line)).map(line => sentence(line));
	}
}

/** `domain "x" already has…` → `Domain "x" already has….` */
function sentence(text: string): string {
	const capital = text.charAt(0).toUpperCase() + text.slice(1);
	return /[.!?]$/.test(capital) ? capital : `${capital}.`;
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

/** What the Users filter looks in: `/bounced` lists the mailboxes whose last delivery report bounced. */
export function mailboxSearchText(m: Mailbox & {bounced?: {status: string | null}}): string {
	return `${m.address} ${displayAddress(m.address)} ${m.name} ${roleLabels[m.role]} ${m.disabled ? 'disabled' : 'active'}${m.bounced ? ` bounced ${m.bounced.status ?? ''}` : ''}`;
}

export function shownMailboxes<T extends Mailbox & {bounced?: {status: string | null}}>(mailboxes: readonly T[], filter: string): readonly T[] {
	return filterItems(mailboxes, filter, mailboxSearchText);
}
