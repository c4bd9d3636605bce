/**
 * The rows of the `sql` source's query as mailboxes: the CSV import's columns `email, name, role,
 * disabled` in any order, each row checked and every bad one named (`row 12 (ann@example.com): …`).
 */
import {isRole, roles} from '../directory.js';
import {MassmailError} from '../errors.js';
import {csvColumns} from '../import.js';
import type {Role} from '../types.js';
import type {SourceMailbox} from './source.js';

function textOf(value: unknown): string | undefined {
	if (typeof value === 'string') {
		return value;
	}

	if (Buffer.isBuffer(value)) {
		return value.toString('utf8');
	}

	if (typeof value === 'number' || typeof value === 'bigint') {
		return String(value);
	}

	return undefined;
}

function shown(value: unknown): string {
	if (Buffer.isBuffer(value)) {
		return `0x${value.toString('hex')}`;
	}

	return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const disabledWords: Record<string, boolean> = {
	'': false, f: false, false: false, no: false, 0: false, t: true, true: true, yes: true, 1: true,
};

function disabledOf(value: unknown): boolean | undefined {
	if (value === null || value === undefined) {
		return false;
	}

	if (typeof value === 'boolean') {
		return value;
	}

	if (typeof value === 'number' || typeof value === 'bigint') {
		return value === 1 || value === 1n ? true : value === 0 || value === 0n ? false : undefined;
	}

	if (Buffer.isBuffer(value)) {
		// A MySQL BIT(1).
		return value.length === 1 && value[0] <= 1 ? value[0] === 1 : undefined;
	}

	if (typeof value === 'string') {
		const word = value.trim().toLowerCase();
		return Object.hasOwn(disabledWords, word) ? disabledWords[word] : undefined;
	}

	return undefined;
}

/**
 * The mailboxes of a query's result (`columns` as the server named them, `rows` as arrays in that
 * order). `name`, `role` and `disabled` may be absent: those fields are then left out. A NULL name is
 * '', a NULL or empty role is user, a NULL disabled is false.
 *
 * Fails with a MassmailError('validation') naming every bad row (`row 3 (ann@example.com): …`), or the
 * columns found when they are not the CSV import's.
 */
export function mailboxesFromRows(columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>): SourceMailbox[] {
	const names = columns.map(name => name.trim().toLowerCase());
	const found = columns.length === 0 ? 'none' : columns.map(name => JSON.stringify(name)).join(', ');
	const hint = `name the columns ${csvColumns.join(', ')} (e.g. SELECT username AS email, …)`;
	const unknown = names.filter(name => !(csvColumns as readonly string[]).includes(name));
	const twice = names.filter((name, index) => names.indexOf(name) !== index);
	if (!names.includes('email')) {
		throw new MassmailError('validation', `the directory query returns no email column (columns found: ${found})`, {hint});
	}

	if (unknown.length > 0 || twice.length > 0) {
		const parts = [
			...(unknown.length > 0 ? [`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map(name => JSON.stringify(name)).join(', ')}`] : []),
			...(twice.length > 0 ? [`column${twice.length > 1 ? 's' : ''} ${[...new Set(twice)].join(', ')} given twice`] : []),
		];
		throw new MassmailError('validation', `the directory query returns ${parts.join(' and ')} (columns found: ${found})`, {hint});
	}

	const email = names.indexOf('email');
	const name = names.indexOf('name');
	const role = names.indexOf('role');
	const disabled = names.indexOf('disabled');
	const problems: string[] = [];
	const mailboxes: SourceMailbox[] = [];
	for (let index = 0; index < rows.length; index++) {
		const row = rows[index];
		const key = `row ${index + 1}`;
		const address = textOf(row[email]);
		const reasons: string[] = [];
		if (address === undefined) {
			reasons.push(row[email] === null || row[email] === undefined ? 'email is NULL' : `email is not text (${shown(row[email])})`);
		} else if (address.trim() === '') {
			reasons.push('email is empty');
		}

		const mailbox: SourceMailbox = {key, email: address ?? ''};
		if (name !== -1) {
			const value = row[name];
			const text = value === null || value === undefined ? '' : textOf(value);
			if (text === undefined) {
				reasons.push(`name is not text (${shown(value)})`);
			} else {
				mailbox.name = text;
			}
		}

		if (role !== -1) {
			const value = row[role];
			const text = value === null || value === undefined ? '' : textOf(value)?.trim().toLowerCase();
			const given = text === '' ? 'user' : text;
			if (isRole(given)) {
				mailbox.role = given as Role;
			} else {
				reasons.push(`unknown role ${shown(value)} (use ${roles.join(', ')}, or empty or NULL for user)`);
			}
		}

		if (disabled !== -1) {
			const value = disabledOf(row[disabled]);
			if (value === undefined) {
				reasons.push(`disabled must be a boolean, 0/1, t/f or true/false (NULL for false), found ${shown(row[disabled])}`);
			} else {
				mailbox.disabled = value;
			}
		}

		if (reasons.length > 0) {
			problems.push(`${address === undefined || address.trim() === '' ? key : `${key} (${address})`}: ${reasons.join('; ')}`);
			continue;
		}

		mailboxes.push(mailbox);
	}

	if (problems.length > 0) {
		const more = problems.length > 1 ? ` (and ${problems.length - 1} more bad ${problems.length === 2 ? 'row' : 'rows'})` : '';
		throw new MassmailError('validation', `the directory query returns a bad row: ${problems[0]}${more}`, {details: problems});
	}

	return mailboxes;
}
