import {MassmailError} from './errors.js';
import type {DomainSummary, Mailbox, Role} from './types.js';
import {addressKey, displayDomain, domainOf, hasControlCharacter, normalizeAddress, normalizeDomain} from './address.js';
import {badShape} from './json-file.js';
import {isObject} from './values.js';

export const roles: readonly Role[] = ['user', 'admin', 'primary'];

export function isRole(value: unknown): value is Role {
	return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

interface DomainEntry {
	name: string;
	/** By addressKey. */
	mailboxes: Map<string, Mailbox>;
	/** Administrators, the primary included; kept as mailboxes change. */
	admins: number;
	/** addressKey of the primary administrator. */
	primary: string | null;
	/** Mailboxes sorted by key; dropped on change, rebuilt on demand. */
	sorted?: readonly Mailbox[];
}

// A dot-atom: what normalizeAddress accepts unquoted.
const plainLocalPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const isAdmin = (role: Role) => role !== 'user';

/** Checks a display name: any text on one line. Returns it trimmed. */
export function checkDisplayName(name: string): string {
	if (typeof name !== 'string') {
		throw new MassmailError('validation', 'the name must be text');
	}

	if (hasControlCharacter(name)) {
		throw new MassmailError('validation', `the name ${JSON.stringify(name)} contains a line break or control character`);
	}

	return name.trim();
}

/**
 * The domains and mailboxes massmail sends to, with their rules:
 * addresses valid and unique ignoring case, domains in one normal form,
 * at most one primary administrator per domain, names without control characters.
 *
 * Everything is kept in maps with counts maintained as mailboxes change, so that
 * 100,000 mailboxes in 5,000 domains list and resolve without scanning.
 * Mailboxes handed out are frozen: change them through {@link Directory.updateMailbox}.
 */
/** Where a synced directory came from, and when (absent: local, CSV import and local edits). */
export interface DirectoryOrigin {
	/** The source's label, never holding a password: `ldap://127.0.0.1:3890`. */
	source: string;
	/** ISO time of the last sync that read the source completely. */
	syncedAt: string;
	/** The fields the source gave values for; the others are the directory's own (local edits keep them). */
	supplies: Array<'name' | 'role' | 'disabled'>;
}

export class Directory {
	static empty(): Directory {
		return new Directory();
	}

	/** Loads what {@link Directory.toJSON} wrote; anything else is a MassmailError('store') naming the file. */
	static fromJSON(data: unknown, file: string): Directory {
		const directory = new Directory();
		if (!isObject(data)) {
			throw badShape(file, 'not a massmail directory file (expected an object with "version", "domains" and "mailboxes")');
		}

		if (data.version !== 1) {
			throw badShape(file, `unsupported version ${JSON.stringify(data.version)} (expected 1)`);
		}

		if (!Array.isArray(data.domains)) {
			throw badShape(file, '"domains" must be a list of domain names');
		}

		if (!Array.isArray(data.mailboxes)) {
			throw badShape(file, '"mailboxes" must be a list');
		}

		for (const [index, name] of data.domains.entries()) {
			if (typeof name !== 'string') {
				throw badShape(file, `domains[${index}] must be a domain name, found ${JSON.stringify(name)}`);
			}

			try {
				directory.addDomain(name);
			} catch (error) {
				throw badShape(file, `domains[${index}]: ${(error as Error).message}`);
			}
		}

		const items = data.mailboxes as unknown[];
		for (let index = 0; index < items.length; index++) {
			const item = items[index];
			if (isObject(item) && directory.#addLoaded(item)) {
				continue;
			}

			// Anything the quick path above did not take is checked (and its fault named) in full.
			const where = `mailboxes[${index}]`;
			if (!isObject(item)) {
				throw badShape(file, `${where} must be an object with "address", "name", "role" and "disabled"`);
			}

			if (typeof item.address !== 'string') {
				throw badShape(file, `${where}: "address" must be text`);
			}

			if (item.name !== undefined && typeof item.name !== 'string') {
				throw badShape(file, `${where} (${item.address}): "name" must be text`);
			}

			if (item.role !== undefined && !isRole(item.role)) {
				throw badShape(file, `${where} (${item.address}): "role" must be one of ${roles.join(', ')}, found ${JSON.stringify(item.role)}`);
			}

			if (item.disabled !== undefined && typeof item.disabled !== 'boolean') {
				throw badShape(file, `${where} (${item.address}): "disabled" must be true or false`);
			}

			try {
				directory.addMailbox({address: item.address, name: item.name, role: item.role, disabled: item.disabled});
			} catch (error) {
				throw badShape(file, `${where}: ${(error as Error).message}`);
			}
		}

		if (data.origin !== undefined) {
			const origin = data.origin as Partial<DirectoryOrigin> | null;
			if (!isObject(origin) || typeof origin.source !== 'string' || typeof origin.syncedAt !== 'string' || Number.isNaN(Date.parse(origin.syncedAt))
				|| !Array.isArray(origin.supplies) || !origin.supplies.every(field => field === 'name' || field === 'role' || field === 'disabled')) {
				throw badShape(file, '"origin" must be {"source", "syncedAt" (an ISO time), "supplies": [name|role|disabled…]}');
			}

			directory.origin = {source: origin.source, syncedAt: origin.syncedAt, supplies: [...origin.supplies]};
		}

		return directory;
	}

	/** Set by a sync: where the mailboxes came from and when. */
	origin?: DirectoryOrigin;

	#domains = new Map<string, DomainEntry>();
	/**
	 * How many mailboxes all domains hold. There is no index of every mailbox beside the domains'
	 * own: a key's domain part is its domain's name, so a key is found through its domain (one map
	 * less to fill when 100,000 mailboxes are loaded at start).
	 */
	#mailboxCount = 0;
	#sortedDomains?: readonly string[];

	/** The file form: `{version: 1, domains: [name…], mailboxes: [{address, name, role, disabled}…]}`. */
	toJSON(): {version: 1; origin?: DirectoryOrigin; domains: string[]; mailboxes: Mailbox[]} {
		return {version: 1, ...(this.origin ? {origin: this.origin} : {}), domains: [...this.#domainNames()], mailboxes: [...this.allMailboxes()]};
	}

	/**
	 * The file text: like JSON.stringify(toJSON()) but one mailbox per line, so a
	 * 100,000-mailbox file stays readable, diffable and quick to write.
	 */
	toFileText(): string {
		return [...this.fileTextLines()].join('');
	}

	/** {@link toFileText} a line at a time: a million mailboxes are written without the whole text as one string. */
	* fileTextLines(): Iterable<string> {
		yield '{\n\t"version": 1,\n';
		if (this.origin) {
			yield `\t"origin": ${JSON.stringify(this.origin)},\n`;
		}

		yield `\t"domains": ${JSON.stringify(this.#domainNames())},\n\t"mailboxes": [\n`;
		let first = true;
		for (const mailbox of this.allMailboxes()) {
			yield `${first ? '' : ',\n'}\t\t${JSON.stringify({address: mailbox.address, name: mailbox.name, role: mailbox.role, disabled: mailbox.disabled})}`;
			first = false;
		}

		yield `${first ? '' : '\n'}\t]\n}\n`;
	}

	get domainCount(): number {
		return this.#domains.size;
	}

	get mailboxCount(): number {
		return this.#mailboxCount;
	}

	/** One summary per domain, sorted by (stored, ASCII) name. */
	domains(): DomainSummary[] {
		return this.#domainNames().map(name => {
			const entry = this.#domains.get(name)!;
			return {
				name,
				users: entry.mailboxes.size,
				admins: entry.admins,
				primary: entry.primary === null ? null : entry.mailboxes.get(entry.primary)!.address,
			};
		});
	}

	/** The summary of one domain (name normalized); unknown -> validation error. */
	domain(name: string): DomainSummary {
		const entry = this.#entry(name);
		return {
			name: entry.name,
			users: entry.mailboxes.size,
			admins: entry.admins,
			primary: entry.primary === null ? null : entry.mailboxes.get(entry.primary)!.address,
		};
	}

	/** Stored domain names, sorted. */
	domainNames(): readonly string[] {
		return this.#domainNames();
	}

	hasDomain(name: string): boolean {
		try {
			return this.#domains.has(normalizeDomain(name));
		} catch {
			return false;
		}
	}

	/** The mailboxes of one domain, sorted by address ignoring case. */
	mailboxes(domain: string): Mailbox[] {
		return [...this.#sorted(this.#entry(domain))];
	}

	/** Every mailbox: domains in name order, mailboxes in address order. */
	* allMailboxes(): Iterable<Mailbox> {
		for (const name of this.#domainNames()) {
			yield * this.#sorted(this.#domains.get(name)!);
		}
	}

	/** The mailbox with this address, ignoring case (the domain may be in Unicode form). */
	find(address: string): Mailbox | undefined {
		const direct = this.#byKey(addressKey(address));
		if (direct) {
			return direct;
		}

		try {
			return this.#byKey(addressKey(normalizeAddress(address)));
		} catch {
			return undefined;
		}
	}

	/** Adds a domain; returns its stored name. */
	addDomain(name: string): string {
		const normalized = normalizeDomain(name);
		if (this.#domains.has(normalized)) {
			throw new MassmailError('validation', `domain "${displayDomain(normalized)}" already exists`);
		}

		this.#domains.set(normalized, {name: normalized, mailboxes: new Map(), admins: 0, primary: null});
		this.#sortedDomains = undefined;
		return normalized;
	}

	/** Removes a domain and its mailboxes; returns how many mailboxes went with it. */
	removeDomain(name: string): number {
		const entry = this.#entry(name);
		this.#mailboxCount -= entry.mailboxes.size;
		this.#domains.delete(entry.name);
		this.#sortedDomains = undefined;
		return entry.mailboxes.size;
	}

	/** Adds a mailbox to an existing domain. Role defaults to user, disabled to false. */
	addMailbox(m: {address: string; name?: string; role?: Role; disabled?: boolean}): Mailbox {
		const address = this.#normalize(m.address);
		const key = addressKey(address);
		const existing = this.#byKey(key);
		if (existing) {
			throw new MassmailError('validation', `mailbox "${address}" already exists${existing.address === address ? '' : ` (as ${existing.address})`}`, {
				hint: 'addresses are unique ignoring case',
			});
		}

		const entry = this.#entry(domainOf(address));
		const role = m.role ?? 'user';
		if (!isRole(role)) {
			throw new MassmailError('validation', `unknown role ${JSON.stringify(role)} (use ${roles.join(', ')})`);
		}

		this.#checkPrimary(entry, key, role);
		const mailbox: Mailbox = Object.freeze({
			address,
			name: checkDisplayName(m.name ?? ''),
			role,
			disabled: checkDisabled(m.disabled ?? false),
		});
		entry.mailboxes.set(key, mailbox);
		this.#mailboxCount++;
		this.#count(entry, key, mailbox, 1);
		entry.sorted = undefined;
		return mailbox;
	}

	/** Changes name, role or disabled of a mailbox, with the same rules as adding it. */
	updateMailbox(address: string, patch: Partial<Omit<Mailbox, 'address'>>): Mailbox {
		const old = this.#existing(address);
		const key = addressKey(old.address);
		const entry = this.#domains.get(domainOf(old.address))!;
		const role = patch.role ?? old.role;
		if (!isRole(role)) {
			throw new MassmailError('validation', `unknown role ${JSON.stringify(role)} (use ${roles.join(', ')})`);
		}

		this.#checkPrimary(entry, key, role);
		const mailbox: Mailbox = Object.freeze({
			address: old.address,
			name: patch.name === undefined ? old.name : checkDisplayName(patch.name),
			role,
			disabled: patch.disabled === undefined ? old.disabled : checkDisabled(patch.disabled),
		});
		this.#count(entry, key, old, -1);
		entry.mailboxes.set(key, mailbox);
		this.#count(entry, key, mailbox, 1);
		entry.sorted = undefined;
		return mailbox;
	}

	removeMailbox(address: string): void {
		const old = this.#existing(address);
		const key = addressKey(old.address);
		const entry = this.#domains.get(domainOf(old.address))!;
		this.#count(entry, key, old, -1);
		entry.mailboxes.delete(key);
		this.#mailboxCount--;
		entry.sorted = undefined;
	}

	/** An independent copy (mailboxes are frozen, so they are shared). */
	clone(): Directory {
		const copy = new Directory();
		for (const [name, entry] of this.#domains) {
			copy.#domains.set(name, {name, mailboxes: new Map(entry.mailboxes), admins: entry.admins, primary: entry.primary, sorted: entry.sorted});
		}

		copy.#mailboxCount = this.#mailboxCount;
		copy.#sortedDomains = this.#sortedDomains;
		copy.origin = this.origin;
		return copy;
	}

	/** The mailbox whose addressKey is `key`, through its domain. */
	#byKey(key: string): Mailbox | undefined {
		return this.#domains.get(key.slice(key.lastIndexOf('@') + 1))?.mailboxes.get(key);
	}

	/**
	 * Adds a mailbox of directory.json when it is in the form the file is written in (a plain
	 * address on a stored domain, every field given and valid, a new address, no second primary):
	 * what {@link addMailbox} would add, in a third of its time (100,000 of them at start). Returns
	 * false, having changed nothing, for anything else: addMailbox then checks it and says what
	 * is wrong.
	 */
	#addLoaded(item: Record<string, unknown>): boolean {
		const {address, name, role, disabled} = item;
		if (typeof address !== 'string' || typeof name !== 'string' || typeof disabled !== 'boolean'
			|| (role !== 'user' && role !== 'admin' && role !== 'primary') || hasControlCharacter(name)) {
			return false;
		}

		const at = address.lastIndexOf('@');
		if (at <= 0 || at > 64) {
			return false;
		}

		const entry = this.#domains.get(address.slice(at + 1));
		if (entry === undefined || !plainLocalPart.test(address.slice(0, at))) {
			return false;
		}

		const key = addressKey(address);
		if (entry.mailboxes.has(key) || (role === 'primary' && entry.primary !== null)) {
			return false;
		}

		// The parsed object itself when it is exactly what would be made (the same fields in the same
		// order, the name already trimmed): 100,000 objects fewer to make and collect.
		const trimmed = name.trim();
		const fields: Mailbox = trimmed === name && hasMailboxFieldsOnly(item) ? item as unknown as Mailbox : {address, name: trimmed, role, disabled};
		const mailbox = Object.freeze(fields);
		entry.mailboxes.set(key, mailbox);
		this.#mailboxCount++;
		this.#count(entry, key, mailbox, 1);
		entry.sorted = undefined;
		return true;
	}

	/** normalizeAddress, with a shortcut for the usual case of a plain address on a stored domain (loading 100,000 of them). */
	#normalize(input: string): string {
		const at = input.lastIndexOf('@');
		if (at > 0 && at <= 64 && this.#domains.has(input.slice(at + 1)) && plainLocalPart.test(input.slice(0, at))) {
			return input;
		}

		return normalizeAddress(input);
	}

	#domainNames(): readonly string[] {
		this.#sortedDomains ??= [...this.#domains.keys()].sort(byKey);
		return this.#sortedDomains;
	}

	#sorted(entry: DomainEntry): readonly Mailbox[] {
		if (!entry.sorted) {
			const keys = [...entry.mailboxes.keys()].sort(byKey);
			entry.sorted = keys.map(key => entry.mailboxes.get(key)!);
		}

		return entry.sorted;
	}

	#entry(domain: string): DomainEntry {
		let normalized: string;
		try {
			normalized = normalizeDomain(domain);
		} catch {
			normalized = domain.trim().toLowerCase();
		}

		const entry = this.#domains.get(normalized);
		if (!entry) {
			const shown = displayDomain(normalized);
			throw new MassmailError('validation', `unknown domain "${shown}"`, {hint: `add it first: massmail domain add ${shown}`});
		}

		return entry;
	}

	#existing(address: string): Mailbox {
		const mailbox = this.find(address);
		if (!mailbox) {
			throw new MassmailError('validation', `no mailbox "${address.trim()}" in the directory`, {hint: 'list a domain\'s mailboxes with: massmail users DOMAIN'});
		}

		return mailbox;
	}

	#checkPrimary(entry: DomainEntry, key: string, role: Role): void {
		if (role === 'primary' && entry.primary !== null && entry.primary !== key) {
			const current = entry.mailboxes.get(entry.primary)!.address;
			throw new MassmailError('validation', `domain "${displayDomain(entry.name)}" already has a primary administrator: ${current}`, {
				hint: `a domain has at most one; make ${current} an admin or user first`,
			});
		}
	}

	#count(entry: DomainEntry, key: string, mailbox: Mailbox, sign: 1 | -1): void {
		if (isAdmin(mailbox.role)) {
			entry.admins += sign;
		}

		if (mailbox.role === 'primary') {
			entry.primary = sign === 1 ? key : null;
		}
	}
}

const mailboxFields = ['address', 'name', 'role', 'disabled'];

/** Whether an object's own fields are a Mailbox's, in the order a Mailbox has them. */
function hasMailboxFieldsOnly(item: Record<string, unknown>): boolean {
	let index = 0;
	for (const field in item) {
		// A parsed object's fields are all its own (for…in sees no inherited ones on a plain object).
		if (field !== mailboxFields[index++]) {
			return false;
		}
	}

	return index === mailboxFields.length;
}

function checkDisabled(value: unknown): boolean {
	if (typeof value !== 'boolean') {
		throw new MassmailError('validation', `disabled must be true or false, found ${JSON.stringify(value)}`);
	}

	return value;
}
