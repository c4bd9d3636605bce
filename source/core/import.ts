import {MassmailError} from './errors.js';
import type {Role} from './types.js';
import {Directory, checkDisplayName, isRole, roles} from './directory.js';
import {parseCsv} from './csv.js';
import {addressKey, displayDomain, domainOf, normalizeAddress} from './address.js';

export interface ImportResult {
	/** Mailboxes that were not in the directory. */
	added: number;
	/** Mailboxes already there (ignoring case), replaced by the file's name, role and disabled. */
	updated: number;
	/** Domains created because a row needed them, in stored form, in order of first appearance. */
	domainsAdded: string[];
	/** Mailboxes in the directory after the import. */
	total: number;
}

export const csvColumns = ['email', 'name', 'role', 'disabled'] as const;

const disabledValues: Record<string, boolean> = {
	'': false, false: false, no: false, 0: false, true: true, yes: true, 1: true,
};

interface Row {
	line: number;
	address: string;
	key: string;
	name: string;
	role: Role;
	disabled: boolean;
}

/**
 * Imports mailboxes from CSV with the header `email,name,role,disabled` into a copy of
 * `directory`; the directory passed in is never changed.
 *
 * All or nothing: every row is checked first, and if any is bad a
 * MassmailError('validation') lists each bad row as `line N: reason` in `details`.
 * Missing domains are created. A row for an address already there (ignoring case)
 * replaces its name, role and disabled flag.
 *
 * @param source how to name the input in the error (the file name)
 */
export function importCsv(directory: Directory, text: string, source = 'input'): {directory: Directory; result: ImportResult} {
	let parsed: {rows: string[][]; lines: number[]};
	try {
		parsed = parseCsv(text);
	} catch (error) {
		throw new MassmailError('validation', `${source}: not valid CSV, nothing imported`, {details: [(error as Error).message]});
	}

	const {rows, lines} = parsed;
	const header = rows[0];
	if (header === undefined || (header.length === 1 && header[0].trim() === '')) {
		throw new MassmailError('validation', `${source}: the file is empty; the first line must be the header ${csvColumns.join(',')}`);
	}

	const headerProblem = checkHeader(header);
	if (headerProblem) {
		throw new MassmailError('validation', `${source}: line ${lines[0]}: ${headerProblem}; nothing imported`, {
			hint: `the first line must be: ${csvColumns.join(',')}`,
		});
	}

	const column = Object.fromEntries(header.map((name, index) => [name.trim().toLowerCase(), index])) as Record<(typeof csvColumns)[number], number>;
	const problems: Array<{line: number; text: string}> = [];
	const bad = (line: number, text: string) => {
		problems.push({line, text});
	};

	const good: Row[] = [];
	const firstLineOf = new Map<string, number>();
	for (let index = 1; index < rows.length; index++) {
		const fields = rows[index];
		const line = lines[index];
		if (fields.length === 1 && fields[0].trim() === '') {
			continue; // An empty line.
		}

		if (fields.length !== csvColumns.length) {
			bad(line, `expected ${csvColumns.length} fields (${csvColumns.join(',')}), found ${fields.length}`);
			continue;
		}

		const reasons: string[] = [];
		let address = '';
		try {
			address = normalizeAddress(fields[column.email]);
		} catch (error) {
			reasons.push((error as Error).message);
		}

		let name = '';
		try {
			name = checkDisplayName(fields[column.name]);
		} catch (error) {
			reasons.push((error as Error).message);
		}

		const roleText = fields[column.role].trim().toLowerCase();
		const role = roleText === '' ? 'user' : roleText;
		if (!isRole(role)) {
			reasons.push(`unknown role ${JSON.stringify(fields[column.role])} (use ${roles.join(', ')} or leave it empty for user)`);
		}

		const disabledText = fields[column.disabled].trim().toLowerCase();
		const disabled = disabledValues[disabledText];
		if (!Object.hasOwn(disabledValues, disabledText)) {
			reasons.push(`disabled must be true/false/yes/no/1/0 or empty, found ${JSON.stringify(fields[column.disabled])}`);
		}

		if (address !== '') {
			const key = addressKey(address);
			const first = firstLineOf.get(key);
			if (first === undefined) {
				firstLineOf.set(key, line);
			} else {
				reasons.push(`${address} appears twice in the file (lines ${first} and ${line})`);
			}
		}

		if (reasons.length > 0) {
			bad(line, reasons.join('; '));
			continue;
		}

		good.push({line, address, key: addressKey(address), name, role: role as Role, disabled});
	}

	checkPrimaries(directory, good, bad);
	const result: ImportResult = {added: 0, updated: 0, domainsAdded: [], total: 0};
	const next = directory.clone();
	if (problems.length === 0) {
		// Demotions first, so that a file moving the primary role within a domain is accepted.
		const ordered = [...good.filter(row => row.role !== 'primary'), ...good.filter(row => row.role === 'primary')];
		for (const row of ordered) {
			try {
				const domain = domainOf(row.address);
				if (!next.hasDomain(domain)) {
					result.domainsAdded.push(next.addDomain(domain));
				}

				if (next.find(row.address)) {
					next.updateMailbox(row.address, {name: row.name, role: row.role, disabled: row.disabled});
					result.updated++;
				} else {
					next.addMailbox({address: row.address, name: row.name, role: row.role, disabled: row.disabled});
					result.added++;
				}
			} catch (error) {
				bad(row.line, (error as Error).message);
			}
		}
	}

	if (problems.length > 0) {
		problems.sort((a, b) => a.line - b.line);
		const count = problems.length;
		throw new MassmailError('validation', `${source}: ${count} bad ${count === 1 ? 'row' : 'rows'}, nothing imported`, {
			details: problems.map(problem => `line ${problem.line}: ${problem.text}`),
		});
	}

	result.total = next.mailboxCount;
	return {directory: next, result};
}

function checkHeader(header: string[]): string | undefined {
	const names = header.map(name => name.trim().toLowerCase());
	const got = JSON.stringify(header.join(','));
	const missing = csvColumns.filter(name => !names.includes(name));
	const unknown = names.filter(name => !(csvColumns as readonly string[]).includes(name));
	const twice = names.filter((name, index) => names.indexOf(name) !== index);
	const parts: string[] = [];
	if (missing.length > 0) {
		parts.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
	}

	if (unknown.length > 0) {
		parts.push(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map(name => JSON.stringify(name)).join(', ')}`);
	}

	if (twice.length > 0) {
		parts.push(`column${twice.length > 1 ? 's' : ''} ${twice.join(', ')} given twice`);
	}

	return parts.length === 0 ? undefined : `the header ${got} is not ${csvColumns.join(',')}: ${parts.join('; ')}`;
}

/** At most one primary per domain, counting the file and what stays of the directory. */
function checkPrimaries(directory: Directory, rows: Row[], bad: (line: number, text: string) => void): void {
	const fileRole = new Map<string, Role>();
	for (const row of rows) {
		fileRole.set(row.key, row.role);
	}

	const primaryLine = new Map<string, Row>();
	for (const row of rows) {
		if (row.role !== 'primary') {
			continue;
		}

		const domain = domainOf(row.address);
		const shown = displayDomain(domain);
		const earlier = primaryLine.get(domain);
		if (earlier) {
			bad(row.line, `a second primary administrator for ${shown}: ${row.address} (line ${row.line}) and ${earlier.address} (line ${earlier.line}); a domain has at most one`);
			continue;
		}

		primaryLine.set(domain, row);
		if (!directory.hasDomain(domain)) {
			continue;
		}

		const current = directory.domain(domain).primary;
		if (current !== null && addressKey(current) !== row.key && (fileRole.get(addressKey(current)) ?? 'primary') === 'primary') {
			bad(row.line, `${shown} already has a primary administrator, ${current}; make it admin or user in the file too, or give this row another role`);
		}
	}
}
