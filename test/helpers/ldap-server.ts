/**
 * A real OpenLDAP server for a test: a private slapd (`slapd -h ldap://127.0.0.1:PORT/ -f slapd.conf`,
 * mdb backend) in a temporary folder, with a config of the test's own, holding a tree laid out as
 * iRedMail lays out its own:
 *
 *     dc=example,dc=test                                        suffix (rootdn cn=Manager,…)
 *     cn=vmail,dc=example,dc=test                               the reader, a DN with a password
 *     o=domains,dc=example,dc=test                              `base`
 *     domainName=a.test,o=domains,…                             a mailDomain
 *     mail=ann@a.test,ou=Users,domainName=a.test,o=domains,…    an inetOrgPerson + mailUser
 *
 * The schema is core, cosine, inetorgperson and nis from /etc/ldap/schema, plus a few of iRedMail's
 * attributes (accountStatus, domainStatus, enabledService, domainGlobalAdmin, domainAdmin, under
 * iRedMail's own OIDs, so that its filters apply as written) in a file of our own.
 *
 * The reader (and anyone but the rootdn) meets a size limit below the tree's size: a search without
 * paged results fails with "Size limit exceeded"; a paged search may return any number of entries
 * (`size.prtotal=unlimited`), in pages of any size up to the limit the client asks for.
 *
 * Entries are loaded with slapadd before the server starts (fast: 100,000 entries in seconds), or
 * with ldapadd afterwards (`add`). Needs Debian's slapd and ldap-utils, and openssl for StartTLS
 * (`bash scripts/test-prerequisites.sh`); runs as any user that may write the temporary folder.
 */
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {promisify} from 'node:util';
import {freePort} from '../../bench/lib/postfix.js';
import {endAtExit, forgetAtExit} from './end-at-exit.js';
import {processAlive} from './processes.js';

const run = promisify(execFile);
export const ldapInstallCommand = 'bash scripts/test-prerequisites.sh';
const slapdBinary = '/usr/sbin/slapd';
const slapaddBinary = '/usr/sbin/slapadd';
const ldapaddBinary = '/usr/bin/ldapadd';
const opensslBinary = '/usr/bin/openssl';
const schemaFolder = '/etc/ldap/schema';
const moduleFolder = '/usr/lib/ldap';

export const ldapSuffix = 'dc=example,dc=test';
/** Where the mail domains are: the `base` a test gives the source. */
export const ldapBase = `o=domains,${ldapSuffix}`;

export interface LdapServerOptions {
	/** LDIF loaded with slapadd before the server starts, after the suffix, the reader and `base`. */
	ldif?: string;
	/** LDIF files loaded the same way, after `ldif` (the benchmark's generated tree). */
	ldifFiles?: string[];
	/** The size limit every DN but the rootdn meets in one search (default 100). */
	sizeLimit?: number;
	/** Offer StartTLS, with a certificate for localhost and 127.0.0.1 signed by a CA of the test's own (`caFile`). */
	startTls?: boolean;
	/**
	 * Refuse a simple bind over a connection without TLS ("confidentiality required", slapd's
	 * `security simple_bind=`): a bind that succeeds proves StartTLS was used. Needs `startTls`.
	 */
	requireTlsForBind?: boolean;
	/** The address to listen on (default 127.0.0.1): another of this machine's own, to test what is refused off loopback. */
	host?: string;
}

export interface LdapServer {
	/** `ldap://127.0.0.1:PORT`. */
	url: string;
	host: string;
	port: number;
	suffix: string;
	base: string;
	rootDn: string;
	rootPassword: string;
	/** A DN that may read the tree (iRedMail's cn=vmail), and its password. */
	readerDn: string;
	readerPassword: string;
	/** The CA certificate (PEM) that signed the server's certificate, when `startTls`. */
	caFile?: string;
	/** The server's temporary folder (config, database, certificates). */
	folder: string;
	/** Adds entries to the running server with ldapadd, as the rootdn. */
	add: (ldif: string) => Promise<void>;
	/** Stops slapd (SIGTERM, then SIGKILL) and removes the folder. Safe to call twice. */
	stop: () => Promise<void>;
}

/** One mail domain of the tree, iRedMail style: the domain entry and its ou=Users. */
export function ldapDomainLdif(domain: string, base = ldapBase, options: {disabled?: boolean; admins?: string[]} = {}): string {
	const dn = `domainName=${domain},${base}`;
	return [
		`dn: ${dn}`,
		'objectClass: mailDomain',
		`domainName: ${domain}`,
		`accountStatus: ${options.disabled ? 'disabled' : 'active'}`,
		...(options.admins ?? []).map(admin => `domainAdmin: ${admin}`),
		'',
		`dn: ou=Users,${dn}`,
		'objectClass: organizationalUnit',
		'ou: Users',
		'',
		'',
	].join('\n');
}

export interface LdapUser {
	/** The whole address; its domain must have been given to ldapDomainLdif first. */
	mail: string;
	/** cn; absent: no cn (an inetOrgPerson needs one, so the entry is a plain `account`). */
	name?: string;
	/** accountStatus: `disabled` when true (iRedMail's mark of a disabled account). */
	disabled?: boolean;
	/** domainStatus: disabled, as iRedMail marks the users of a disabled domain. */
	domainDisabled?: boolean;
	/** enabledService: domainadmin (iRedMail's domain administrator). */
	admin?: boolean;
	/** domainGlobalAdmin: yes, with enabledService: domainadmin (iRedMail's global administrator). */
	globalAdmin?: boolean;
	/** More mail values after the first. */
	moreMail?: string[];
	/** No mail attribute at all (an entry the filter still returns, to test the rule). */
	noMail?: boolean;
}

/** One mail user, iRedMail style: mail=ADDRESS,ou=Users,domainName=DOMAIN,BASE. */
export function ldapUserLdif(user: LdapUser, base = ldapBase): string {
	const at = user.mail.lastIndexOf('@');
	const local = user.mail.slice(0, at);
	const domain = user.mail.slice(at + 1).toLowerCase();
	const lines = [`dn: ${user.noMail ? `uid=${local}` : `mail=${user.mail}`},ou=Users,domainName=${domain},${base}`];
	// Without mail an entry cannot be a mailUser: extensibleObject lets it keep accountStatus.
	// (slapadd wants the values of one attribute together.)
	lines.push(user.name === undefined ? 'objectClass: account' : 'objectClass: inetOrgPerson');
	lines.push(user.noMail ? 'objectClass: extensibleObject' : 'objectClass: mailUser', `uid: ${local}`);
	if (user.name !== undefined) {
		lines.push(`cn: ${user.name}`, `sn: ${user.name.split(' ').at(-1) ?? user.name}`);
	}

	if (!user.noMail) {
		lines.push(`mail: ${user.mail}`, ...(user.moreMail ?? []).map(mail => `mail: ${mail}`), 'enabledService: mail');
	}

	lines.push(`accountStatus: ${user.disabled ? 'disabled' : 'active'}`);
	if (user.domainDisabled) {
		lines.push('domainStatus: disabled');
	}

	if (user.admin || user.globalAdmin) {
		lines.push('enabledService: domainadmin');
	}

	if (user.globalAdmin) {
		lines.push('domainGlobalAdmin: yes');
	}

	return lines.join('\n') + '\n\n';
}

// A few of iRedMail's attributes and classes, written for these tests; iRedMail's OIDs and names,
// so that a filter written for a real iRedMail server means the same here.
const iredmailLikeSchema = `
attributetype ( 1.3.6.1.4.1.32349.1.2.1.1 NAME 'domainName'
	EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreSubstringsMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{255} SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32349.1.2.1.3 NAME 'domainStatus'
	EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32349.1.2.1.4 NAME 'domainAdmin'
	EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{320} )
attributetype ( 1.3.6.1.4.1.32349.1.2.1.5 NAME 'domainGlobalAdmin'
	EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32349.1.2.2.9 NAME 'accountStatus'
	EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32349.1.2.2.13 NAME 'enabledService'
	EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )
objectclass ( 1.3.6.1.4.1.32349.1.2.4.1 NAME 'mailDomain' SUP top STRUCTURAL
	MUST domainName MAY ( cn $ domainAdmin $ accountStatus $ enabledService ) )
objectclass ( 1.3.6.1.4.1.32349.1.2.4.3 NAME 'mailUser' SUP top AUXILIARY
	MUST ( mail $ uid ) MAY ( accountStatus $ domainStatus $ enabledService $ domainGlobalAdmin ) )
`;

function slapdConf(folder: string, options: Required<Pick<LdapServerOptions, 'sizeLimit'>> & LdapServerOptions, secrets: {root: string}): string {
	const lines = [
		...['core', 'cosine', 'inetorgperson', 'nis'].map(name => `include ${schemaFolder}/${name}.schema`),
		`include ${path.join(folder, 'iredmail-like.schema')}`,
		`modulepath ${moduleFolder}`,
		'moduleload back_mdb',
		`pidfile ${path.join(folder, 'slapd.pid')}`,
		`argsfile ${path.join(folder, 'slapd.args')}`,
		'loglevel 0',
	];
	if (options.startTls) {
		lines.push(
			`TLSCACertificateFile ${path.join(folder, 'ca.pem')}`,
			`TLSCertificateFile ${path.join(folder, 'server.pem')}`,
			`TLSCertificateKeyFile ${path.join(folder, 'server.key')}`,
		);
	}

	if (options.requireTlsForBind) {
		// A simple bind needs a security strength factor only TLS gives (any cipher TLS 1.2+ offers is ≥ 128).
		lines.push('security simple_bind=128');
	}

	lines.push(
		'database mdb',
		`suffix "${ldapSuffix}"`,
		`rootdn "cn=Manager,${ldapSuffix}"`,
		`rootpw ${secrets.root}`,
		`directory ${path.join(folder, 'db')}`,
		'maxsize 4294967296',
		// Below the tree's size for one search, unlimited in total for a paged one (as on a real server with paging).
		`sizelimit size.soft=${options.sizeLimit} size.hard=${options.sizeLimit} size.prtotal=unlimited`,
		'index objectClass eq',
		'index mail,domainName eq,pres',
		'index accountStatus,domainStatus,enabledService,domainGlobalAdmin eq,pres',
		'access to dn.base="" by * read',
		'access to dn.base="cn=Subschema" by * read',
		'access to attrs=userPassword by anonymous auth by * none',
		`access to dn.subtree="${ldapSuffix}" by dn.exact="cn=vmail,${ldapSuffix}" read by * none`,
	);
	return lines.join('\n') + '\n';
}

function baseLdif(readerPassword: string): string {
	return [
		`dn: ${ldapSuffix}`,
		'objectClass: dcObject',
		'objectClass: organization',
		'dc: example',
		'o: massmail test',
		'',
		`dn: cn=vmail,${ldapSuffix}`,
		'objectClass: organizationalRole',
		'objectClass: simpleSecurityObject',
		'cn: vmail',
		`userPassword: ${readerPassword}`,
		'',
		`dn: ${ldapBase}`,
		'objectClass: organization',
		'o: domains',
		'',
		'',
	].join('\n');
}

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it (EC keys: fast). */
async function makeCertificates(folder: string): Promise<void> {
	const file = (name: string) => path.join(folder, name);
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	await run(opensslBinary, ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=massmail test CA'], {timeout: 20_000});
	await run(opensslBinary, ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost'], {timeout: 20_000});
	fs.writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
	await run(opensslBinary, ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext')], {timeout: 20_000});
}

/** True while the process runs: a zombie is dead (a daemon's parent, PID 1 here, may reap it a second later). */
function readPid(folder: string): number | undefined {
	try {
		const pid = Number(fs.readFileSync(path.join(folder, 'slapd.pid'), 'utf8').trim());
		return Number.isInteger(pid) && pid > 0 ? pid : undefined;
	} catch {
		return undefined;
	}
}

async function accepts(host: string, port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({host, port});
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => {
			resolve(false);
		});
	});
}

/** Throws, naming the install command, when a program the server needs is missing. */
export function assertLdapInstalled(startTls = false): void {
	const needed = [slapdBinary, slapaddBinary, ldapaddBinary, ...(startTls ? [opensslBinary] : [])];
	const missing = needed.filter(program => !fs.existsSync(program));
	if (missing.length > 0 || !fs.existsSync(path.join(schemaFolder, 'inetorgperson.schema'))) {
		throw new Error(`OpenLDAP is not installed (${missing.join(', ') || `${schemaFolder}/inetorgperson.schema`} not found): install it with \`${ldapInstallCommand}\` (as root, or with sudo).`);
	}
}

/** Starts a private slapd; stop it with `stop()` (in `t.teardown` or `test.after.always`). */
export async function startLdapServer(options: LdapServerOptions = {}): Promise<LdapServer> {
	assertLdapInstalled(options.startTls);
	if (options.requireTlsForBind && !options.startTls) {
		throw new Error('startLdapServer: requireTlsForBind needs startTls');
	}

	const settings = {sizeLimit: 100, ...options};
	const host = options.host ?? '127.0.0.1';
	const hostInUrl = net.isIPv6(host) ? `[${host}]` : host;
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-slapd-'));
	const rootPassword = randomBytes(12).toString('hex');
	const readerPassword = randomBytes(12).toString('hex');
	const conf = path.join(folder, 'slapd.conf');
	let port: number | undefined;
	const pid = () => readPid(folder);
	const kill = async () => {
		const id = pid();
		if (id === undefined) {
			return;
		}

		try {
			process.kill(id, 'SIGTERM');
		} catch {
			return;
		}

		for (let wait = 0; wait < 100 && processAlive(id); wait++) {
			await sleep(20);
		}

		if (processAlive(id)) {
			process.kill(id, 'SIGKILL');
			for (let wait = 0; wait < 50 && processAlive(id); wait++) {
				await sleep(20);
			}
		}
	};

	try {
		fs.mkdirSync(path.join(folder, 'db'));
		fs.writeFileSync(path.join(folder, 'iredmail-like.schema'), iredmailLikeSchema);
		if (settings.startTls) {
			await makeCertificates(folder);
		}

		fs.writeFileSync(conf, slapdConf(folder, settings, {root: rootPassword}), {mode: 0o600});
		const base = path.join(folder, 'base.ldif');
		fs.writeFileSync(base, baseLdif(readerPassword) + (settings.ldif ?? ''));
		for (const file of [base, ...(settings.ldifFiles ?? [])]) {
			try {
				// -q: no consistency checks, the fast way to load a large tree.
				await run(slapaddBinary, ['-q', '-f', conf, '-l', file], {timeout: 300_000, maxBuffer: 16 * 1024 * 1024});
			} catch (error) {
				throw new Error(`slapadd -f ${conf} -l ${file} failed: ${String((error as {stderr?: string}).stderr ?? error).trim()}`, {cause: error});
			}
		}

		// The port is free when asked but could be taken before slapd binds it: then try another.
		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			try {
				// slapd forks once its listener is bound and the database opened; the parent then exits.
				await run(slapdBinary, ['-h', `ldap://${hostInUrl}:${port}/`, '-f', conf], {timeout: 30_000});
			} catch (error) {
				const output = `${(error as {stderr?: string}).stderr ?? ''}${(error as Error).message}`;
				if (attempt < 3 && /errno=98|address already in use/i.test(output)) {
					continue;
				}

				throw new Error(`slapd -f ${conf} failed to start: ${output.trim()}`, {cause: error});
			}

			break;
		}

		endAtExit(folder, () => {
			const id = pid();
			if (id !== undefined) {
				process.kill(id, 'SIGKILL');
			}
		});
		const deadline = Date.now() + 10_000;
		while (!(await accepts(host, port))) {
			if (Date.now() > deadline) {
				throw new Error(`slapd on ${hostInUrl}:${port} did not accept connections within 10 s`);
			}

			await sleep(20);
		}
	} catch (error) {
		await kill();
		forgetAtExit(folder);
		fs.rmSync(folder, {recursive: true, force: true});
		throw error;
	}

	const rootDn = `cn=Manager,${ldapSuffix}`;
	const url = `ldap://${hostInUrl}:${port}`;
	let stopped: Promise<void> | undefined;
	return {
		url,
		host,
		port,
		suffix: ldapSuffix,
		base: ldapBase,
		rootDn,
		rootPassword,
		readerDn: `cn=vmail,${ldapSuffix}`,
		readerPassword,
		caFile: settings.startTls ? path.join(folder, 'ca.pem') : undefined,
		folder,
		async add(ldif) {
			const file = path.join(folder, `add-${randomBytes(4).toString('hex')}.ldif`);
			fs.writeFileSync(file, ldif);
			try {
				await run(ldapaddBinary, ['-x', '-H', url, '-D', rootDn, '-w', rootPassword, '-f', file], {timeout: 60_000});
			} catch (error) {
				throw new Error(`ldapadd failed: ${String((error as {stderr?: string}).stderr ?? error).trim()}`, {cause: error});
			} finally {
				fs.rmSync(file, {force: true});
			}
		},
		async stop() {
			stopped ??= (async () => {
				await kill();
				forgetAtExit(folder);
				fs.rmSync(folder, {recursive: true, force: true});
			})();
			return stopped;
		},
	};
}
