/**
 * The directory's overview: its domains with their counts and primary administrators, what the
 * dashboard's first screen shows. directory.json of 100,000 mailboxes takes ~0.25 s to read,
 * parse and index (and as long again in garbage collection on a loaded machine); the overview of
 * its 5,000 domains, a few milliseconds. So it is kept beside the directory
 * (`directory-overview.json`), written after each write of directory.json (and after a load that
 * found none), carrying the stamp of the very version of directory.json it was made from: a
 * reader uses it only while directory.json still has that stamp. Anything else (missing, another
 * stamp, not JSON, a field of the wrong kind, counts that do not add up) is ignored and the
 * directory is read in full, as it was before the overview existed: the file is a cache, never a
 * second source of truth.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {Directory, DirectoryOrigin} from './directory.js';
import type {DomainSummary} from './types.js';
import {writeAtomicSync} from './storage/index.js';
import {isObject} from './values.js';

export interface DirectoryOverview {
	domainCount: number;
	mailboxCount: number;
	/** As {@link Directory.domains}: sorted by stored name. */
	domains: readonly DomainSummary[];
	origin?: DirectoryOrigin;
}

const formatVersion = 1;

/** Where the overview of `directoryFile` is kept: beside it. */
export function overviewFileOf(directoryFile: string): string {
	return path.join(path.dirname(directoryFile), 'directory-overview.json');
}

/** The overview of a loaded directory. */
export function overviewOf(directory: Directory): DirectoryOverview {
	return {
		domainCount: directory.domainCount,
		mailboxCount: directory.mailboxCount,
		domains: directory.domains(),
		...(directory.origin ? {origin: directory.origin} : {}),
	};
}

/**
 * Writes the overview of the version of directory.json whose stamp is `stamp` (mode 0600: it
 * names the primary administrators). Never throws: a failure leaves the readers reading
 * directory.json in full; an older overview left behind carries an older stamp and is not used.
 */
export function writeOverviewFile(file: string, overview: DirectoryOverview, stamp: string): void {
	try {
		writeAtomicSync(file, JSON.stringify({version: formatVersion, stamp, ...overview}), 0o600);
	} catch {
		// A cache: the directory is read in full instead.
	}
}

/**
 * The overview kept for the version of directory.json whose stamp is `stamp`, or undefined when
 * there is none that can be trusted. Never throws.
 */
export function readOverviewFile(file: string, stamp: string): DirectoryOverview | undefined {
	let data: unknown;
	try {
		data = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}

	if (!isObject(data) || data.version !== formatVersion || data.stamp !== stamp || !Array.isArray(data.domains)
		|| !isCount(data.domainCount) || !isCount(data.mailboxCount) || data.domainCount !== data.domains.length) {
		return undefined;
	}

	const domains: DomainSummary[] = [];
	let mailboxes = 0;
	let previous: string | undefined;
	for (const item of data.domains as unknown[]) {
		if (!isObject(item) || typeof item.name !== 'string' || !isCount(item.users) || !isCount(item.admins) || item.admins > item.users
			|| (item.primary !== null && typeof item.primary !== 'string') || (previous !== undefined && !(previous < item.name))) {
			return undefined;
		}

		previous = item.name;
		mailboxes += item.users;
		domains.push({name: item.name, users: item.users, admins: item.admins, primary: item.primary as string | null});
	}

	if (mailboxes !== data.mailboxCount) {
		return undefined;
	}

	const origin = data.origin === undefined ? undefined : originOf(data.origin);
	if (origin === null) {
		return undefined;
	}

	return {domainCount: data.domainCount, mailboxCount: data.mailboxCount, domains, ...(origin ? {origin} : {})};
}

function isCount(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The origin as Directory.fromJSON accepts it; null for anything else. */
function originOf(value: unknown): DirectoryOrigin | null {
	if (!isObject(value) || typeof value.source !== 'string' || typeof value.syncedAt !== 'string' || !Array.isArray(value.supplies)
		|| !value.supplies.every(field => field === 'name' || field === 'role' || field === 'disabled')) {
		return null;
	}

	return {source: value.source, syncedAt: value.syncedAt, supplies: [...value.supplies] as DirectoryOrigin['supplies']};
}
