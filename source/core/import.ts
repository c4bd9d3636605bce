import {MassmailError} from './errors.js';
import {quoted} from './format.js';
import type {Role} from './types.js';
import {Directory, checkDisplayName, isRole, roles} from './directory.js';
import {CsvReader} from './csv.js';
import {addressKey, displayDomain, domainOf, normalizeAddress} from './address.js';

export interface ImportResult {
	/** Mailboxes that were not in the directory. */
	added: number;
	/** Mailboxes already there (ignoring case): given the file's name, role and disabled, where its cells are not empty. */
	updated: number;
	/** Domains created because a row needed them, in stored form, in order of first appearance. */
	domainsAdded: string[];
	/** Mailboxes in the directory after the import. */
	total: number;
}

export const csvColumns = ['email', 'name', 'role', 'disabled'] as const;

/** Bad rows named one by one; the rest are counted. */
const shownProblems = 100;

const disabledValues: Record<string, boolean | undefined> = {
	'': undefined, false: false, no: false, 0: false, true: true, yes: true, 1: true,
};

/** A good row. An empty cell is undefined: a new mailbox takes the default, one already there keeps its value. */
interface Row {
	line: number;
	address: string;
	key: string;
	name: string | undefined;
	role: Role | undefined;
	disabled: boolean | undefined;
}

/**
 * Imports mailboxes from CSV with the header `email,name,role,disabled` into a copy of
 * `directory`; the directory passed in is never changed.
 *
 * All or nothing: every row is checked first, and if any is bad a
 * MassmailError('validation') lists each bad row as `line N: reason` in `details`.
 * Missing domains are created. A row for an address already there (ignoring case)
 * replaces its name, role and disabled flag where its cells are not empty: an empty cell keeps
 * the directory's value (a list of addresses does not enable a disabled mailbox, rename it to
 * nothing or demote an administrator), as a sync from a source that leaves a column out does.
 * A new mailbox's empty cells are the defaults: no name, user, enabled.
 *
 * @param source how to name the input in the error (the file name)
 */
export function importCsv(directory: Directory, text: string, source = 'input'): {directory: Directory; result: ImportResult} {
	const csvImport = new CsvImport(directory, source);
	csvImport.push(text);
	return csvImport.finish();
}

/**
 * {@link importCsv} a piece of text at a time (a file as it is decoded): each row is checked and
 * put into the copy as it is read, so that a million rows are never held as rows too. push()
 * never throws; finish() throws what importCsv would have, in the same order (not CSV, empty,
 * a bad header, the bad rows) and gives the copy only when every row was good.
 *
 * @example const csvImport = new CsvImport(directory, 'users.csv'); csvImport.push(text); csvImport.finish().result.added
 */
export class CsvImport {
	private readonly reader: CsvReader;
	private readonly next: Directory;
	private readonly result: ImportResult = {added: 0, updated: 0, domainsAdded: [], total: 0};
	/** The first CSV syntax error: it ends the reading, and is what finish() says. */
	private csvError?: Error;
	private header?: {column: Record<(typeof csvColumns)[number], number>} | {problem: string; line: number} | {empty: true};
	/** Bad rows (checked alone, and against the file and the directory). */
	private readonly problems: Array<{line: number; text: string}> = [];
	/** Rows that were good but could not be put into the copy: said only when no row is bad, as before. */
	private readonly applyProblems: Array<{line: number; text: string}> = [];
	private readonly firstLineOf = new Map<string, number>();
	/** Primary rows are put in last, after every demotion, so that a file moving the primary role within a domain is accepted. */
	private readonly primaries: Row[] = [];
	/** The directory's primaries that the file gives another role (a good row): they do not stand in the way of the file's primary. */
	private readonly demotedPrimaries = new Set<string>();

	constructor(private readonly directory: Directory, private readonly source = 'input') {
		this.next = directory.clone();
		this.reader = new CsvReader((fields, line) => {
			this.row(fields, line);
		});
	}

	/** Reads the rows `text` completes. */
	push(text: string): void {
		if (this.csvError) {
			return;
		}

		try {
			this.reader.push(text);
		} catch (error) {
			this.csvError = error as Error;
		}
	}

	/** The copy and the counts; a MassmailError('validation') when anything was wrong: nothing is imported then. */
	finish(): {directory: Directory; result: ImportResult} {
		if (!this.csvError) {
			try {
				this.reader.end();
			} catch (error) {
				this.csvError = error as Error;
			}
		}

		const {source} = this;
		if (this.csvError) {
			throw new MassmailError('validation', `${source}: not valid CSV, nothing imported`, {details: [this.csvError.message]});
		}

		if (this.header === undefined || 'empty' in this.header) {
			throw new MassmailError('validation', `${source}: the file is empty; the first line must be the header ${csvColumns.join(',')}`);
		}

		if ('problem' in this.header) {
			throw new MassmailError('validation', `${source}: line ${this.header.line}: ${this.header.problem}; nothing imported`, {
				hint: `the first line must be: ${csvColumns.join(',')}`,
			});
		}

		const bad = (line: number, text: string) => {
			this.problems.push({line, text});
		};

		checkPrimaries(this.directory, this.primaries, address => !this.demotedPrimaries.has(addressKey(address)), bad);
		if (this.problems.length === 0) {
			for (const row of this.primaries) {
				this.apply(row);
			}
		}

		const problems = this.problems.length > 0 ? this.problems : this.applyProblems;
		if (problems.length > 0) {
			problems.sort((a, b) => a.line - b.line);
			const count = problems.length;
			// A file that is wrong throughout (another table, the wrong delimiter) is not printed whole.
			const shown = problems.slice(0, shownProblems).map(problem => `line ${problem.line}: ${problem.text}`);
			throw new MassmailError('validation', `${source}: ${count.toLocaleString('en-US')} bad ${count === 1 ? 'row' : 'rows'}, nothing imported`, {
				details: count > shownProblems ? [...shown, `… and ${(count - shownProblems).toLocaleString('en-US')} more bad rows (the first ${shownProblems} are shown)`] : shown,
			});
		}

		this.result.total = this.next.mailboxCount;
		return {directory: this.next, result: this.result};
	}

	private row(fields: string[], line: number): void {
		if (this.header === undefined) {
			if (fields.length === 1 && fields[0].trim() === '') {
				this.header = {empty: true};
				return;
			}

			const problem = checkHeader(fields);
			this.header = problem === undefined
				? {column: Object.fromEntries(fields.map((name, index) => [name.trim().toLowerCase(), index])) as Record<(typeof csvColumns)[number], number>}
				: {problem, line};
			return;
		}

		if (!('column' in this.header)) {
			return; // Read on only for a CSV error further down, which is said first.
		}

		const {column} = this.header;
		if (fields.length === 1 && fields[0].trim() === '') {
			return; // An empty line.
		}

		if (fields.length !== csvColumns.length) {
			this.problems.push({line, text: `expected ${csvColumns.length} fields (${csvColumns.join(',')}), found ${fields.length}`});
			return;
		}

		const reasons: string[] = [];
		let address = '';
		try {
			address = normalizeAddress(fields[column.email]);
		} catch (error) {
			reasons.push((error as Error).message);
		}

		let name: string | undefined;
		try {
			const checked = checkDisplayName(fields[column.name]);
			name = checked === '' ? undefined : ownCopy(checked);
		} catch (error) {
			reasons.push((error as Error).message);
		}

		const roleText = fields[column.role].trim().toLowerCase();
		const role = roleText === '' ? undefined : roleText;
		if (role !== undefined && !isRole(role)) {
			reasons.push(`unknown role ${JSON.stringify(fields[column.role])} (use ${roles.join(', ')}, or leave it empty)`);
		}

		const disabledText = fields[column.disabled].trim().toLowerCase();
		const disabled = disabledValues[disabledText];
		if (!Object.hasOwn(disabledValues, disabledText)) {
			reasons.push(`disabled must be true/false/yes/no/1/0 or empty, found ${JSON.stringify(fields[column.disabled])}`);
		}

		const key = address === '' ? '' : addressKey(address);
		if (key !== '') {
			const first = this.firstLineOf.get(key);
			if (first === undefined) {
				this.firstLineOf.set(key, line);
			} else {
				reasons.push(`${address} appears twice in the file (lines ${first} and ${line})`);
			}
		}

		if (reasons.length > 0) {
			this.problems.push({line, text: reasons.join('; ')});
			return;
		}

		const good: Row = {line, address, key, name, role: role as Role | undefined, disabled};
		if (good.role === 'primary') {
			this.primaries.push(good);
			return;
		}

		if (good.role !== undefined && this.directory.find(address)?.role === 'primary') {
			this.demotedPrimaries.add(key);
		}

		if (this.problems.length === 0) {
			// Into the copy now (a bad row later throws the copy away); once a row is bad, only checked.
			this.apply(good);
		}
	}

	private apply(row: Row): void {
		const {next, result} = this;
		try {
			const domain = domainOf(row.address);
			if (!next.hasDomain(domain)) {
				result.domainsAdded.push(next.addDomain(domain));
			}

			if (next.find(row.address)) {
				next.updateMailbox(row.address, {
					...(row.name === undefined ? {} : {name: row.name}),
					...(row.role === undefined ? {} : {role: row.role}),
					...(row.disabled === undefined ? {} : {disabled: row.disabled}),
				});
				result.updated++;
			} else {
				next.addMailbox({address: row.address, name: row.name ?? '', role: row.role ?? 'user', disabled: row.disabled ?? false});
				result.added++;
			}
		} catch (error) {
			this.applyProblems.push({line: row.line, text: (error as Error).message});
		}
	}
}

/**
 * `text` as a string of its own. A field is a slice of the piece of the file it was read from,
 * and V8 keeps the whole piece alive for a slice of it: the names of a million rows kept the
 * whole file in memory besides the directory.
 */
function ownCopy(text: string): string {
	return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/** A list said in a message: five at most, and how many more. */
function fewOf(items: string[]): string {
	return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;
}

function checkHeader(header: string[]): string | undefined {
	const names = header.map(name => name.trim().toLowerCase());
	// A header can be anything a file holds (a million commas): quoted short, each name once, five at most.
	const got = quoted(header.join(','));
	const missing = csvColumns.filter(name => !names.includes(name));
	const unknown = [...new Set(names.filter(name => !(csvColumns as readonly string[]).includes(name)))];
	const twice = [...new Set(names.filter((name, index) => names.indexOf(name) !== index))];
	const parts: string[] = [];
	if (missing.length > 0) {
		parts.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
	}

	if (unknown.length > 0) {
		parts.push(`unknown column${unknown.length > 1 ? 's' : ''} ${fewOf(unknown.map(name => quoted(name, 40)))}`);
	}

	if (twice.length > 0) {
		parts.push(`column${twice.length > 1 ? 's' : ''} ${fewOf(twice.map(name => name.length > 40 || name === '' ? quoted(name, 40) : name))} given twice`);
	}

	return parts.length === 0 ? undefined : `the header ${got} is not ${csvColumns.join(',')}: ${parts.join('; ')}`;
}

/**
 * At most one primary per domain, counting the file and what stays of the directory.
 * `stillPrimary(address)`: the directory's primary keeps that role after the file's other rows.
 */
function checkPrimaries(directory: Directory, rows: Row[], stillPrimary: (address: string) => boolean, bad: (line: number, text: string) => void): void {
	const primaryLine = new Map<string, Row>();
	for (const row of rows) {
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
		if (current !== null && addressKey(current) !== row.key && stillPrimary(current)) {
			bad(row.line, `${shown} already has a primary administrator, ${current}; make it admin or user in the file too, or give this row another role`);
		}
	}
}
