/**
 * The LDAP directory source's reader (`directory.source = ldap`; loaded only when the source is
 * opened: ldap.ts): every entry under a base that a filter returns is a mailbox, its address in
 * one attribute (`mail`) and its name in another (`cn`); three more filters, each run as base +
 * `(&FILTER X)`, mark the entries that are disabled, administrators and primary administrators.
 *
 * TLS follows the SMTP rule: `ldaps://` is TLS from the start; `ldap://` upgrades with StartTLS
 * whenever the server offers it (its Root DSE lists 1.3.6.1.4.1.1466.20037), and a bind with a
 * password over a connection StartTLS did not protect is refused unless the address actually
 * connected to is loopback. Certificates are always verified, against the system's CAs or a CA file.
 *
 * Built on ldapts; searches are paged (a server's size limit is usually below a large tree's size).
 */
import net from 'node:net';
import tls from 'node:tls';
import {Client, FilterParser, ResultCodeError, type Entry} from 'ldapts';
import {MassmailError} from '../errors.js';
import type {Role} from '../types.js';
import {urlPassword, urlSyntaxProblem} from '../settings/url-secrets.js';
import {isLoopbackAddress, readCaFile, tlsProblem} from '../tls.js';
import {withDeadline} from './plumbing.js';
import type {DirectorySource, ReadOptions, SourceMailbox} from './source.js';

export interface LdapSourceOptions {
	/** `ldap://host:389` (StartTLS when offered) or `ldaps://host:636`. */
	url: string;
	/** The DN to bind as; absent: an anonymous read. */
	bindDn?: string;
	/** The bind DN's password (never stored, never shown). */
	password?: string;
	/** Where the mailboxes are: `o=domains,dc=example,dc=com`. Searched with scope sub. */
	base: string;
	/** Which entries are mailboxes. Default `(mail=*)`. */
	filter?: string;
	/** The attribute holding the address. Default `mail`. */
	mailAttribute?: string;
	/** The attribute holding the name. Default `cn`. */
	nameAttribute?: string;
	/** Marks disabled mailboxes. Absent: the source does not say (the directory's own flag is kept). */
	disabledFilter?: string;
	/** Marks administrators. With neither this nor primaryFilter, the source supplies no roles. */
	adminFilter?: string;
	/** Marks primary administrators; wins over adminFilter. */
	primaryFilter?: string;
	/** A PEM file of the CA(s) to trust instead of the system's, for a server with a private CA. */
	caFile?: string;
	/** Entries per page (default 500; a server may refuse a page above its own limit). */
	pageSize?: number;
}

const startTlsOid = '1.3.6.1.4.1.1466.20037';

export type LdapTlsDecision =
	/** ldaps://: TLS from the first byte. */
	| 'implicit'
	/** The server offers StartTLS: always use it. */
	| 'starttls'
	/** No StartTLS, and nothing secret to protect (no password, or a loopback address). */
	| 'plain'
	/** No StartTLS and a password would go in clear to a non-loopback address: refuse. */
	| 'refuse';

/**
 * Whether and how to protect an LDAP connection, decided after connecting, from the address actually
 * connected to (a name that looks local may resolve elsewhere).
 * @example ldapTlsDecision({secure: false, startTlsOffered: false, passwordBind: true, peerAddress: '192.0.2.7'}) // 'refuse'
 */
export function ldapTlsDecision(connection: {secure: boolean; startTlsOffered: boolean; passwordBind: boolean; peerAddress: string | undefined}): LdapTlsDecision {
	if (connection.secure) {
		return 'implicit';
	}

	if (connection.startTlsOffered) {
		return 'starttls';
	}

	return !connection.passwordBind || isLoopbackAddress(connection.peerAddress) ? 'plain' : 'refuse';
}

/** A filter in parentheses, as `(&A B)` needs its parts. */
function parenthesized(filter: string): string {
	const trimmed = filter.trim();
	return trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
}

/**
 * Refuses a filter that is not one: ldapts's parser completes a missing final parenthesis
 * (`(&(a=b)(c=d)`) where a server would refuse it, so the parentheses are counted here too.
 * A parenthesis inside a value is always escaped (`\28`), so every one left is structure.
 */
function checkFilter(setting: string, filter: string): void {
	let depth = 0;
	let problem: string | undefined;
	for (const character of filter) {
		depth += character === '(' ? 1 : (character === ')' ? -1 : 0);
		if (depth < 0) {
			problem = `a ")" closes nothing: ${filter}`;
			break;
		}
	}

	if (problem === undefined && depth > 0) {
		problem = `${depth === 1 ? 'a "(" is' : `${depth} "(" are`} never closed: ${filter}`;
	}

	if (problem === undefined) {
		try {
			FilterParser.parseString(filter);
		} catch (error) {
			problem = (error as Error).message;
		}
	}

	if (problem !== undefined) {
		throw new MassmailError('validation', `${setting} is not an LDAP filter: ${problem}`, {
			hint: 'an LDAP filter looks like (mail=*) or (&(objectClass=mailUser)(accountStatus=active))',
		});
	}
}

/** `NoSuchObjectError` → `no such object`, `InvalidDNSyntaxError` → `invalid DN syntax`. */
function resultName(error: ResultCodeError): string {
	const words = error.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').split(' ');
	return words.map(word => (/^[A-Z]{2,}$/.test(word) ? word : word.toLowerCase())).join(' ');
}

/** What the server said, without ldapts's ` Code: 0x20` suffix; `no such object (32)` when it said nothing. */
function serverWords(error: ResultCodeError): string {
	const words = error.message.replace(/\s*Code: 0x[\da-f]+$/i, '').trim();
	const name = resultName(error);
	return words === '' || words.toLowerCase() === name.toLowerCase() ? `${name} (LDAP result ${error.code})` : `${words} (${name}, LDAP result ${error.code})`;
}

const authCodes = new Set([7, 8, 13, 48, 49, 50, 53]);
const unavailableCodes = new Set([51, 52, 80]);

type Stage = 'connect' | 'bind' | 'search';

/** Any failure of the read as the MassmailError the user sees. */
function ldapFailure(error: unknown, label: string, stage: Stage, what: string, bindDn: string | undefined): MassmailError {
	if (error instanceof MassmailError) {
		return error;
	}

	if (error instanceof ResultCodeError) {
		if (unavailableCodes.has(error.code)) {
			return new MassmailError('connection', `the LDAP server ${label} is unavailable: ${serverWords(error)}`, {hint: 'try again later'});
		}

		if (stage === 'bind' && authCodes.has(error.code)) {
			return new MassmailError('auth', `the LDAP server ${label} refused the login of ${bindDn ?? 'anonymous'}: ${serverWords(error)}`, {
				hint: 'check directory.ldap.bindDn and the password (MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand)',
			});
		}

		if (stage === 'connect') {
			return new MassmailError('connection', `the LDAP server ${label} refused ${what}: ${serverWords(error)}`, {
				hint: 'use ldaps:// if the server offers it (massmail config set directory.ldap.url ldaps://…)',
			});
		}

		if (error.code === 4) {
			return new MassmailError('validation', `the LDAP server ${label} stopped ${what} at its size limit: ${serverWords(error)}`, {
				hint: 'the server limits paged searches in total too (OpenLDAP: size.prtotal); raise the limit for the bind DN',
			});
		}

		return new MassmailError('validation', `the LDAP server ${label} refused ${what}: ${serverWords(error)}`, {
			hint: stage === 'bind' ? 'check directory.ldap.bindDn' : 'check directory.ldap.base and the filters (massmail config get directory.ldap.base)',
		});
	}

	const text = (error as {message?: string}).message ?? String(error);
	const tls = tlsProblem(error);
	if (tls !== undefined) {
		return new MassmailError('connection', `TLS with the LDAP server ${label} failed: ${text}`, {
			hint: tls === 'certificate'
				? 'if the server\'s certificate comes from a private CA, set directory.ldap.caFile to that CA\'s PEM file'
				: 'check directory.ldap.url (ldaps:// for port 636, ldap:// for 389)',
		});
	}

	return new MassmailError('connection', `cannot reach the LDAP server ${label}: ${text.split('\n')[0]}`, {
		hint: 'check directory.ldap.url (massmail config get directory.ldap.url)',
	});
}

/** The values of an attribute, looked up without regard to case (servers answer in their own spelling). */
function values(entry: Entry, attribute: string): string[] {
	let value: Entry[string] | undefined = entry[attribute];
	if (value === undefined || (Array.isArray(value) && value.length === 0)) {
		const wanted = attribute.toLowerCase();
		const key = Object.keys(entry).find(name => name.toLowerCase() === wanted);
		value = key === undefined ? undefined : entry[key];
	}

	if (value === undefined) {
		return [];
	}

	return (Array.isArray(value) ? value : [value]).map(item => (Buffer.isBuffer(item) ? item.toString('utf8') : item));
}

/**
 * The URL as shown and recorded: scheme, host and port, never a user or password. No message
 * repeats any part of it: a password may be anywhere in it (settings/url-secrets.ts).
 */
function parseLdapUrl(text: string): {label: string; secure: boolean; host: string} {
	if (!/^ldaps?:\/\//i.test(text.trim())) {
		throw new MassmailError('usage', 'directory.ldap.url must start with ldap:// or ldaps://');
	}

	const userOrPassword = new MassmailError('usage', 'directory.ldap.url holds a user or password; it is never read from there', {
		hint: 'set directory.ldap.bindDn, and the password in MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand',
	});
	if (urlPassword(text) !== undefined) {
		throw userOrPassword;
	}

	const syntax = urlSyntaxProblem(text);
	if (syntax !== undefined) {
		throw new MassmailError('usage', `directory.ldap.url is not a URL: ${syntax}`, {
			hint: 'examples: ldap://ldap.example.com (StartTLS), ldaps://ldap.example.com:636',
		});
	}

	const url = new URL(text.trim());
	if (url.username !== '') {
		throw userOrPassword;
	}

	if (url.hostname === '') {
		throw new MassmailError('usage', 'directory.ldap.url names no host', {hint: 'example: ldap://ldap.example.com'});
	}

	return {label: `${url.protocol}//${url.host}`, secure: url.protocol === 'ldaps:', host: url.hostname.replace(/^\[|\]$/g, '')};
}

/**
 * An LDAP directory source. Nothing is contacted until `read`.
 *
 * - `key` of each mailbox is its entry's DN; `email` the first value of `mailAttribute` (an entry
 *   with several takes the first the server returns); `name` the first value of `nameAttribute`,
 *   or `''` when the entry has none.
 * - `disabled` is set only when `disabledFilter` is; `role` only when `adminFilter` or
 *   `primaryFilter` is (then every other entry is a `user`); otherwise the directory keeps its own.
 * - An entry without the mail attribute fails the whole read ('validation', naming every such DN).
 *
 * @example
 * const source = openLdapSource({url: 'ldap://127.0.0.1:389', bindDn: 'cn=vmail,dc=example,dc=com',
 *   password, base: 'o=domains,dc=example,dc=com', adminFilter: '(enabledService=domainadmin)'});
 * const mailboxes = await source.read({timeoutMs: 30_000});
 */
export function openLdapSource(options: LdapSourceOptions): DirectorySource {
	const {label, secure, host} = parseLdapUrl(options.url);
	const filter = parenthesized(options.filter ?? '(mail=*)');
	const mailAttribute = options.mailAttribute ?? 'mail';
	const nameAttribute = options.nameAttribute ?? 'cn';
	const pageSize = options.pageSize ?? 500;
	const markers = {
		disabled: options.disabledFilter,
		admin: options.adminFilter,
		primary: options.primaryFilter,
	};

	return {
		label,
		async read({timeoutMs, signal}: ReadOptions): Promise<SourceMailbox[]> {
			// Settings first: a wrong filter or base is a validation error before anything is contacted.
			if (options.base.trim() === '') {
				throw new MassmailError('validation', 'directory.ldap.base is empty', {hint: 'example: massmail config set directory.ldap.base o=domains,dc=example,dc=com'});
			}

			checkFilter('directory.ldap.filter', filter);
			const searches: Array<{kind: 'mailboxes' | keyof typeof markers; filter: string}> = [{kind: 'mailboxes', filter}];
			for (const kind of ['disabled', 'admin', 'primary'] as const) {
				const marker = markers[kind];
				if (marker !== undefined && marker.trim() !== '') {
					checkFilter(`directory.ldap.${kind}Filter`, parenthesized(marker));
					searches.push({kind, filter: `(&${filter}${parenthesized(marker)})`});
				}
			}

			const ca = options.caFile === undefined || options.caFile === '' ? undefined : readCaFile(options.caFile, 'directory.ldap.caFile');
			const tlsOptions: tls.ConnectionOptions = {rejectUnauthorized: true, ...(ca ? {ca: [ca]} : {})};
			const sockets: net.Socket[] = [];
			const client = new Client({
				url: options.url,
				// Our own deadline below covers the whole read and speaks first; these are ldapts's own.
				connectTimeout: timeoutMs + 1000,
				timeout: timeoutMs + 1000,
				// Only for ldaps://: ldapts speaks TLS from the first byte whenever tlsOptions are given.
				...(secure ? {tlsOptions} : {}),
				// Ours, to learn the address actually connected to and to end the connection on a deadline.
				createConnection: ((port: number, connectHost: string) => {
					const socket = net.connect(port, connectHost);
					sockets.push(socket);
					return socket;
				}) as typeof net.connect,
				createSecureConnection: ((...args: Parameters<typeof tls.connect>) => {
					const socket = tls.connect(...args);
					sockets.push(socket);
					return socket;
				}) as typeof tls.connect,
			});

			let stage: Stage = 'connect';
			let what = `the search of ${options.base}`;
			const passwordBind = options.bindDn !== undefined && options.bindDn !== '' && options.password !== undefined && options.password !== '';

			// Unbind if still connected, and end every socket whatever its state: when the read ends, and at once when it is stopped.
			const close = () => {
				client.unbind().catch(() => undefined);
				for (const socket of sockets) {
					socket.destroy();
				}
			};

			const work = async (stop: AbortSignal): Promise<SourceMailbox[]> => {
				// ldapts would reconnect for the next operation after a stop: each step checks.
				const proceed = () => {
					stop.throwIfAborted();
				};

				let startTlsOffered = false;
				if (!secure) {
					try {
						const rootDse = await client.search('', {scope: 'base', filter: '(objectClass=*)', attributes: ['supportedExtension']});
						const entry = rootDse.searchEntries[0];
						startTlsOffered = entry !== undefined && values(entry, 'supportedExtension').includes(startTlsOid);
					} catch (error) {
						// A server that hides its Root DSE offers nothing we can see; anything else is a failure.
						if (!(error instanceof ResultCodeError)) {
							throw error;
						}
					}
				}

				proceed();
				const peerAddress = sockets.at(-1)?.remoteAddress;
				const decision = ldapTlsDecision({secure, startTlsOffered, passwordBind, peerAddress});
				if (decision === 'refuse') {
					throw new MassmailError('connection', `the LDAP server ${label} (${peerAddress ?? 'unknown address'}) offers no StartTLS: the password is not sent over an unencrypted connection`, {
						hint: 'use ldaps:// (massmail config set directory.ldap.url ldaps://…), or enable StartTLS on the server',
					});
				}

				if (decision === 'starttls') {
					what = 'StartTLS';
					await client.startTLS({...tlsOptions, host, ...(net.isIP(host) === 0 ? {servername: host} : {})});
				}

				proceed();
				if (options.bindDn !== undefined && options.bindDn !== '') {
					stage = 'bind';
					what = `the bind DN ${options.bindDn}`;
					await client.bind(options.bindDn, options.password ?? '');
				}

				stage = 'search';
				const matched: Record<keyof typeof markers, Set<string> | undefined> = {disabled: undefined, admin: undefined, primary: undefined};
				const mailboxes: SourceMailbox[] = [];
				const missing: string[] = [];
				// One after another: a server keeps one paged search per connection. Page by page, so that
				// the client's objects for a page are garbage as soon as the page is read (a third of the memory).
				for (const search of searches) {
					proceed();
					what = `the search of ${options.base} with ${search.filter}`;
					const attributes = search.kind === 'mailboxes' ? [mailAttribute, nameAttribute] : ['1.1'];
					const dns = new Set<string>();
					for await (const page of client.searchPaginated(options.base, {scope: 'sub', filter: search.filter, attributes, paged: {pageSize}})) {
						proceed();
						for (const entry of page.searchEntries) {
							if (search.kind !== 'mailboxes') {
								dns.add(entry.dn.toLowerCase());
								continue;
							}

							const email = values(entry, mailAttribute)[0]?.trim();
							if (email === undefined || email === '') {
								missing.push(entry.dn);
							} else {
								mailboxes.push({key: entry.dn, email, name: values(entry, nameAttribute)[0]?.trim() ?? ''});
							}
						}
					}

					if (search.kind === 'mailboxes') {
						if (missing.length > 0) {
							throw missingMail(missing, label, mailAttribute);
						}
					} else {
						matched[search.kind] = dns;
					}
				}

				await client.unbind();
				mark(mailboxes, matched);
				return mailboxes;
			};

			return withDeadline(`the LDAP server ${label}`, timeoutMs, signal, async stop => {
				stop.addEventListener('abort', close, {once: true});
				try {
					return await work(stop);
				} catch (error) {
					throw ldapFailure(error, label, stage, what, options.bindDn);
				} finally {
					stop.removeEventListener('abort', close);
					close();
				}
			}, {
				during: () => (stage === 'search' ? `waiting for ${what}` : 'still connecting and logging in'),
				hint: 'check directory.ldap.url; a large tree may need a longer deadline',
			});
		},
	};
}

function missingMail(dns: string[], label: string, attribute: string): MassmailError {
	const entries = dns.length === 1 ? 'an entry' : `${dns.length} entries`;
	return new MassmailError('validation', `${entries} of ${label} ${dns.length === 1 ? 'has' : 'have'} no ${attribute}: ${dns[0]}${dns.length > 1 ? ' …' : ''}`, {
		hint: `narrow directory.ldap.filter to entries with an address, e.g. (&(objectClass=mailUser)(${attribute}=*)), or set directory.ldap.mailAttribute`,
		details: dns.map(dn => `${dn}: no ${attribute}`),
	});
}

/** Sets role and disabled from the DNs the marking filters returned; leaves them absent when no filter says. */
function mark(mailboxes: SourceMailbox[], matched: Record<'disabled' | 'admin' | 'primary', Set<string> | undefined>): void {
	const {disabled, admin, primary} = matched;
	if (!disabled && !admin && !primary) {
		return;
	}

	for (const mailbox of mailboxes) {
		const dn = mailbox.key.toLowerCase();
		if (admin || primary) {
			const role: Role = primary?.has(dn) ? 'primary' : (admin?.has(dn) ? 'admin' : 'user');
			mailbox.role = role;
		}

		if (disabled) {
			mailbox.disabled = disabled.has(dn);
		}
	}
}
