/**
 * An OpenLDAP tree for the sync benchmark: N mailboxes in M domains, laid out and marked as iRedMail
 * does (test/helpers/ldap-server.ts), loaded with slapadd before slapd starts (100,000 entries in a
 * few seconds, where ldapadd would take minutes).
 *
 * The mailboxes are those of `writeDirectoryCsv` (bench/lib/fixtures.ts): `user{i}@d{NNNN}.example.com`
 * spread evenly over the domains, each domain with one primary administrator, two administrators
 * and users, none disabled.
 */
import {once} from 'node:events';
import {createWriteStream, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {ldapBase, ldapDomainLdif, ldapUserLdif, startLdapServer, type LdapServer, type LdapServerOptions} from '../../test/helpers/ldap-server.js';
import {domainName} from './fixtures.js';

/** The directory.ldap filters that read this tree (and a real iRedMail one) with its marks. */
export const iredmailLdapFilters = {
	filter: '(&(objectClass=mailUser)(mail=*))',
	disabledFilter: '(|(!(accountStatus=active))(domainStatus=disabled))',
	adminFilter: '(enabledService=domainadmin)',
	primaryFilter: '(domainGlobalAdmin=yes)',
} as const;

/** Writes the LDIF of the domains and their mailboxes (the base entry itself comes with the server). */
export async function writeLdapDirectoryLdif(file: string, mailboxes: number, domains: number, base = ldapBase): Promise<void> {
	const out = createWriteStream(file);
	const flush = async (chunk: string) => {
		if (!out.write(chunk)) {
			await once(out, 'drain');
		}
	};

	let chunk = '';
	for (let domain = 0; domain < domains; domain++) {
		chunk += ldapDomainLdif(domainName(domain), base);
	}

	// slapadd -q wants parents first: every domain before any mailbox.
	for (let index = 0; index < mailboxes; index++) {
		const domain = index % domains;
		const slot = Math.floor(index / domains);
		chunk += ldapUserLdif({
			mail: `user${index}@${domainName(domain)}`,
			name: `User ${index} Bench`,
			globalAdmin: slot === 0,
			admin: slot === 1 || slot === 2,
		}, base);
		if (chunk.length > 256 * 1024) {
			await flush(chunk);
			chunk = '';
		}
	}

	out.end(chunk);
	await once(out, 'finish');
}

export interface LdapDirectory {
	server: LdapServer;
	/** What `openLdapSource` needs to read the whole tree as the reader (cn=vmail). */
	source: {url: string; bindDn: string; password: string; base: string} & typeof iredmailLdapFilters;
	/** Seconds spent writing the LDIF and loading it (slapadd), for the benchmark's notes. */
	loadSeconds: number;
}

/**
 * Starts a private slapd holding `mailboxes` mailboxes in `domains` domains; `server.stop()` ends it.
 * @example const {server, source} = await startLdapDirectory({mailboxes: 100_000, domains: 5_000});
 */
export async function startLdapDirectory(options: {mailboxes?: number; domains?: number} & Omit<LdapServerOptions, 'ldif' | 'ldifFiles'> = {}): Promise<LdapDirectory> {
	const {mailboxes = 100_000, domains = 5000, ...serverOptions} = options;
	const folder = mkdtempSync(path.join(os.tmpdir(), 'massmail-bench-ldif-'));
	const started = performance.now();
	try {
		const file = path.join(folder, 'directory.ldif');
		await writeLdapDirectoryLdif(file, mailboxes, domains);
		const server = await startLdapServer({...serverOptions, ldifFiles: [file]});
		return {
			server,
			source: {url: server.url, bindDn: server.readerDn, password: server.readerPassword, base: server.base, ...iredmailLdapFilters},
			loadSeconds: (performance.now() - started) / 1000,
		};
	} finally {
		rmSync(folder, {recursive: true, force: true});
	}
}
