/**
 * The SmarterMail directory source's reader: the server's own list of domains and users, read
 * over its web API (`directory.source = smartermail`; its HTTP and where the password may go:
 * smartermail-http.ts). Loaded only when the source is opened (smartermail.ts).
 *
 * No SmarterMail server runs on these machines, so the calls below follow what public code that
 * talks to real servers does, not a server we could watch (test/helpers/smartermail-server.ts is
 * a stand-in built from the same sources):
 * - `POST api/v1/auth/authenticate-user` with JSON `{username, password}` answers
 *   `{accessToken, refreshToken, username, isAdmin, isDomainAdmin, success, resultCode, message}`;
 *   the token goes as `Authorization: Bearer …` — joelywz/smartermail-tools
 *   internal/smartermailapi/authenticate.go, FuseCP/SolidCP SmarterMail100.cs (class AuthToken).
 *   A refused login is a JSON body `{"success": false, "message": "USERNAME_OR_PASSWORD_INCORRECT"}`
 *   with HTTP 401 (or 400, 403, even 200), the message sometimes `CODE|detail`; a 200 whose message
 *   is `TWO_FACTOR_REQUIRED|…`, or with `changePasswordNeeded`, carries a token no call accepts —
 *   Carbonitex/smartermail-agent src/Core/Auth/AuthenticationResult.cs, src/Agent/Auth/SmarterMailAuth.cs
 *   and tests/SmarterMail.Tests/StartupSignInTests.cs. Other 401s carry only the reason phrase
 *   (`Unauthorized`, `Token has expired`) — joelywz/smartermail-tools internal/smartermailapi/errors.go.
 * - `GET api/v1/settings/sysadmin/domain-names` answers `{data: ["example.com", …], success, message}`
 *   — joelywz/smartermail-tools (ListDomainNamesResponse), sriccio's gist "Export all SmarterMail
 *   users, aliases, mailinglists for every domain" (gist.github.com/sriccio/1bd635237ca5fcb4504f4e016f9b0517).
 * - A system administrator's token works on a domain's own calls (`api/v1/settings/domain/…`) when
 *   the request names the domain in the header `X-SmarterMailDomain` — the same gist, and a Go
 *   client calling `settings/domain/get-user` and `settings/domain/user-put` that way.
 * - `GET api/v1/settings/domain/list-users` answers `{userData: [{userName, emailAddress, fullName,
 *   securityFlags: {isDomainAdmin, isDisabled, …}, …}], success, message}`, the whole domain in one
 *   reply (no paging) — FuseCP/SolidCP SmarterMail100.cs GetAccounts (its sysadmin twin
 *   `sysadmin/list-users/{domain}`), zjs81/SmarterToolsPythonWrapper ListUsersDomain; the fields of
 *   a user as in joelywz/smartermail-tools internal/smartermailapi/user.go (GetUserResponse).
 * - `GET api/v1/settings/domain/domain` answers `{domainSettings: {mainDomainAdmin, isEnabled, …}}`,
 *   `mainDomainAdmin` being the primary administrator's user name — AstralInternet/WHMCS-SmarterMail-Server-Module
 *   lib/SmarterMailApi.php (getDomainSettings, which cites the API reference at
 *   mail.smartertools.com/Documentation/api), and the domain-put calls there that set it to the
 *   admin user name.
 * - A failed call answers `{success: false, message: "…"}`, sometimes with HTTP 200 — SolidCP
 *   (`if (!success) throw new Exception(result["message"])`), the WHMCS module's execute().
 *
 * Whatever the user list says about a field we do not find, we leave undefined: a missing
 * `fullName` keeps the directory's name, a missing `isDisabled` its flag.
 */
import {setMaxListeners} from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import {MassmailError, type ErrorKind} from '../errors.js';
import {urlPassword, urlSyntaxProblem} from '../settings/url-secrets.js';
import {tlsProblem, withoutSecret} from '../tls.js';
import type {Role} from '../types.js';
import {isObject} from '../values.js';
import {withDeadline} from './plumbing.js';
import {httpWords, jsonRequest, PlainTextRefused, secretsMayGo, type Reply} from './smartermail-http.js';
import type {DirectorySource, ReadOptions, SourceMailbox} from './source.js';

export interface SmarterMailOptions {
	/** Where SmarterMail's web interface answers: `https://mail.example.com` (a path prefix is kept). */
	url: string;
	/** A system administrator (one without `@domain`). */
	user: string;
	password: string;
}

/** How many domains are read at once: each is two calls, so twice as many requests in flight. */
const domainsAtOnce = 8;

/**
 * The SmarterMail web API as a directory source: logs in as a system administrator, lists the
 * domains, then each domain's users (a few domains at once), all within `timeoutMs`.
 *
 * @example
 * const source = openSmarterMailSource({url: 'https://mail.example.com', user: 'admin', password});
 * const mailboxes = await source.read({timeoutMs: 60_000});
 * // [{key: 'example.com/ann', email: 'ann@example.com', name: 'Ann', role: 'primary', disabled: false}, …]
 */
export function openSmarterMailSource(options: SmarterMailOptions): DirectorySource {
	const base = parseBaseUrl(options.url);
	const label = base.href.replace(/\/$/, '');
	return {
		label,
		async read({timeoutMs, signal}: ReadOptions): Promise<SourceMailbox[]> {
			let session: Session | undefined;
			return withDeadline(`SmarterMail at ${label}`, timeoutMs, signal, async stop => {
				session = new Session(base, label, options, stop);
				try {
					return await session.readAll();
				} finally {
					session.close();
				}
			}, {during: () => session?.waitingFor()});
		},
	};
}

function parseBaseUrl(text: string): URL {
	// No message repeats any part of it: a password may be anywhere in it (settings/url-secrets.ts).
	if (!/^https?:\/\//i.test(text.trim())) {
		throw new MassmailError('usage', 'directory.smartermail.url must be https:// (or http:// to a loopback address)');
	}

	const userOrPassword = new MassmailError('usage', 'directory.smartermail.url must not hold a user or password', {
		hint: 'set directory.smartermail.user, and the password in MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand',
	});
	if (urlPassword(text) !== undefined) {
		throw userOrPassword;
	}

	const syntax = urlSyntaxProblem(text);
	if (syntax !== undefined) {
		throw new MassmailError('usage', `directory.smartermail.url is not a URL: ${syntax}`, {
			hint: 'set it to the address of SmarterMail\'s web interface, e.g. https://mail.example.com',
		});
	}

	const url = new URL(text.trim());
	if (url.username !== '') {
		throw userOrPassword;
	}

	url.search = '';
	url.hash = '';
	if (!url.pathname.endsWith('/')) {
		url.pathname += '/';
	}

	return url;
}

/** One read: the login, its token, the calls in flight and the connections, closed at the end. */
class Session {
	private token: string | undefined;
	private readonly stop = new AbortController();
	private readonly signal: AbortSignal;
	private readonly agent: http.Agent;
	/** The calls awaiting their reply, oldest first: what a read stopped at its deadline was waiting for. */
	private readonly inFlight = new Set<string>();

	/** `stopped`: the read's deadline or cancel (withDeadline), which ends every request in flight. */
	constructor(
		private readonly base: URL,
		private readonly label: string,
		private readonly credentials: SmarterMailOptions,
		stopped: AbortSignal,
	) {
		this.signal = AbortSignal.any([stopped, this.stop.signal]);
		// Every request in flight listens to it.
		setMaxListeners(domainsAtOnce * 4, this.signal);
		const agentOptions = {keepAlive: true, maxSockets: domainsAtOnce * 2};
		this.agent = base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
	}

	close(): void {
		this.stop.abort();
		this.agent.destroy();
	}

	/** `waiting for GET api/v1/…`: the oldest call in flight, if any. */
	waitingFor(): string | undefined {
		const [call] = this.inFlight;
		return call === undefined ? undefined : `waiting for ${call}`;
	}

	async readAll(): Promise<SourceMailbox[]> {
		this.refusePlainTextLiteral();
		await this.login();
		const domains = await this.domainNames();
		const perDomain = await this.eachDomain(domains, async domain => this.domainMailboxes(domain));
		return perDomain.flat();
	}

	/** An IP address in an http:// URL is checked before connecting (a name is checked once resolved). */
	private refusePlainTextLiteral(): void {
		const host = this.base.hostname.replace(/^\[|\]$/g, '');
		if (net.isIP(host) !== 0 && !secretsMayGo(this.base.protocol, host)) {
			throw this.plainTextError(host);
		}
	}

	private plainTextError(address: string): MassmailError {
		return new MassmailError('connection', `${this.label} is plain http to ${address}, not a loopback address: the password is not sent over an unencrypted connection`, {
			hint: 'use https:// in directory.smartermail.url',
		});
	}

	private async login(): Promise<void> {
		const call = 'POST api/v1/auth/authenticate-user';
		const reply = await this.request('POST', 'api/v1/auth/authenticate-user', {
			body: {username: this.credentials.user, password: this.credentials.password},
		});
		const body = objectOf(reply.json);
		const message = typeof body?.message === 'string' ? body.message : '';
		const refused = (words: string) => this.error('auth', `SmarterMail at ${this.label} refused the login of ${this.credentials.user}: ${words}`, {
			hint: 'check directory.smartermail.user and the password (MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand)',
		});

		if (reply.status >= 500) {
			throw this.serverFault(call, reply);
		}

		if (reply.status === 404 || (reply.status >= 300 && reply.status < 400)) {
			throw this.notTheApi(call, reply);
		}

		if (reply.status >= 400 || body?.success === false) {
			throw refused(message === '' ? httpWords(reply) : message);
		}

		// A login that needs a second step answers 200 with a token for that step only.
		if (message.startsWith('TWO_FACTOR_REQUIRED')) {
			throw refused(`${message} (this account needs two-step authentication, which a directory source cannot do)`);
		}

		if (body?.changePasswordNeeded === true || body?.passwordExpired === true) {
			throw refused('the password must be changed in SmarterMail\'s web interface first');
		}

		const token = body?.accessToken;
		if (!reply.bodyIsJson || typeof token !== 'string' || token === '') {
			throw this.badShape(call, 'no accessToken in the reply');
		}

		this.token = token;
		if (body?.isAdmin === false) {
			throw this.error('auth', `SmarterMail at ${this.label} logged in ${this.credentials.user}, but not as a system administrator: only one may list every domain`, {
				hint: 'set directory.smartermail.user to a system administrator',
			});
		}
	}

	private async domainNames(): Promise<string[]> {
		const call = 'GET api/v1/settings/sysadmin/domain-names';
		const body = await this.callJson('GET', 'api/v1/settings/sysadmin/domain-names');
		const data = body.data;
		if (!Array.isArray(data) || !data.every(name => typeof name === 'string')) {
			throw this.badShape(call, 'data is not a list of domain names');
		}

		return (data as string[]).map(name => name.trim().toLowerCase()).filter(name => name !== '');
	}

	private async domainMailboxes(domain: string): Promise<SourceMailbox[]> {
		const [settings, users] = await Promise.all([
			this.callJson('GET', 'api/v1/settings/domain/domain', domain),
			this.callJson('GET', 'api/v1/settings/domain/list-users', domain),
		]);

		const domainSettings = objectOf(settings.domainSettings);
		if (!domainSettings) {
			throw this.badShape(`GET api/v1/settings/domain/domain for ${domain}`, 'no domainSettings in the reply');
		}

		const primary = typeof domainSettings.mainDomainAdmin === 'string' ? domainSettings.mainDomainAdmin.trim().toLowerCase() : '';
		const list = users.userData;
		if (!Array.isArray(list)) {
			throw this.badShape(`GET api/v1/settings/domain/list-users for ${domain}`, 'userData is not a list');
		}

		return list.map((entry, index) => {
			const user = objectOf(entry);
			const userName = typeof user?.userName === 'string' ? user.userName.trim() : '';
			if (!user || userName === '') {
				throw this.badShape(`GET api/v1/settings/domain/list-users for ${domain}`, `user ${index + 1} has no userName`);
			}

			const email = typeof user.emailAddress === 'string' && user.emailAddress.trim() !== ''
				? user.emailAddress.trim()
				: `${userName}@${domain}`;
			const flags = objectOf(user.securityFlags);
			const isPrimary = primary !== '' && (primary === userName.toLowerCase() || primary === email.toLowerCase());
			let role: Role | undefined;
			if (isPrimary) {
				role = 'primary';
			} else if (typeof flags?.isDomainAdmin === 'boolean') {
				role = flags.isDomainAdmin ? 'admin' : 'user';
			}

			const mailbox: SourceMailbox = {key: `${domain}/${userName}`, email};
			const name = typeof user.fullName === 'string' ? user.fullName.trim() : '';
			if (name !== '') {
				mailbox.name = name;
			}

			if (role) {
				mailbox.role = role;
			}

			if (typeof flags?.isDisabled === 'boolean') {
				mailbox.disabled = flags.isDisabled;
			}

			return mailbox;
		});
	}

	/** Runs `work` on every domain, a few at once; the first failure stops the others. */
	private async eachDomain<T>(domains: string[], work: (domain: string) => Promise<T>): Promise<T[]> {
		const results: T[] = Array.from({length: domains.length});
		let next = 0;
		let failure: {error: unknown} | undefined;
		const worker = async () => {
			while (!failure && next < domains.length) {
				const index = next++;
				try {
					results[index] = await work(domains[index]);
				} catch (error) {
					failure ??= {error};
					this.stop.abort();
				}
			}
		};

		await Promise.all(Array.from({length: Math.min(domainsAtOnce, domains.length)}, worker));
		if (failure) {
			throw failure.error;
		}

		return results;
	}

	/** A call after the login: its JSON object, or the error its reply means. */
	private async callJson(method: 'GET' | 'POST', path: string, domain?: string): Promise<Record<string, unknown>> {
		const call = `${method} ${path}${domain ? ` for ${domain}` : ''}`;
		const reply = await this.request(method, path, {domain});
		const body = objectOf(reply.json);
		const message = typeof body?.message === 'string' && body.message !== '' ? body.message : httpWords(reply);
		if (reply.status >= 500) {
			throw this.serverFault(call, reply);
		}

		if (reply.status === 401) {
			throw this.error('auth', `SmarterMail at ${this.label} refused the login's token on ${call}: ${message}`);
		}

		if (reply.status === 403) {
			throw this.error('auth', `SmarterMail at ${this.label} does not let ${this.credentials.user} make ${call}: ${message}`, {
				hint: 'set directory.smartermail.user to a system administrator',
			});
		}

		if (reply.status === 404 || (reply.status >= 300 && reply.status < 400)) {
			throw this.notTheApi(call, reply);
		}

		if (reply.status >= 400 || body?.success === false) {
			throw this.error('validation', `SmarterMail at ${this.label} refused ${call}: ${message}`);
		}

		if (!body) {
			throw this.badShape(call, reply.bodyIsJson ? 'the reply is not a JSON object' : 'the reply is not JSON');
		}

		return body;
	}

	private serverFault(call: string, reply: Reply): MassmailError {
		const body = objectOf(reply.json);
		const words = typeof body?.message === 'string' && body.message !== '' ? `${httpWords(reply)}: ${body.message}` : httpWords(reply);
		return this.error('connection', `SmarterMail at ${this.label} failed on ${call}: ${words}`);
	}

	private notTheApi(call: string, reply: Reply): MassmailError {
		return this.error('validation', `${this.label} answered ${httpWords(reply)} to ${call}: it does not look like SmarterMail's web API`, {
			hint: 'set directory.smartermail.url to the address of SmarterMail\'s web interface',
		});
	}

	private badShape(call: string, what: string): MassmailError {
		return this.error('validation', `SmarterMail at ${this.label} gave an unexpected reply to ${call}: ${what}`);
	}

	/** Every error of a read is made here, so that neither the password nor the token can be in it. */
	private error(kind: ErrorKind, message: string, options: {hint?: string} = {}): MassmailError {
		return new MassmailError(kind, this.scrub(message), {hint: options.hint});
	}

	private scrub(text: string): string {
		return withoutSecret(withoutSecret(text, this.credentials.password), this.token);
	}

	private async request(method: 'GET' | 'POST', path: string, options: {body?: unknown; domain?: string}): Promise<Reply> {
		const url = new URL(path, this.base);
		const headers: Record<string, string> = {accept: 'application/json'};
		let payload: Buffer | undefined;
		if (options.body !== undefined) {
			payload = Buffer.from(JSON.stringify(options.body));
			headers['content-type'] = 'application/json';
			headers['content-length'] = String(payload.length);
		}

		if (this.token) {
			headers.authorization = `Bearer ${this.token}`;
		}

		if (options.domain) {
			headers['x-smartermaildomain'] = options.domain;
		}

		const call = `${method} ${path}${options.domain ? ` for ${options.domain}` : ''}`;
		this.inFlight.add(call);
		try {
			return await jsonRequest(url, {method, headers, payload, agent: this.agent, signal: this.signal, tooLarge: limit => this.badShape(call, `a reply larger than ${limit}`)});
		} catch (error) {
			throw this.failureOf(error, call);
		} finally {
			this.inFlight.delete(call);
		}
	}

	/**
	 * A request that got no reply, as the MassmailError it means. One ended by the read's deadline
	 * or cancel gets any: withDeadline has said why the read stopped.
	 */
	private failureOf(error: unknown, call: string): MassmailError {
		if (error instanceof MassmailError) {
			return error;
		}

		if (error instanceof PlainTextRefused) {
			return this.plainTextError(error.address);
		}

		return this.error('connection', `cannot reach SmarterMail at ${this.label} (${call}): ${error instanceof Error ? error.message : String(error)}`, {
			hint: tlsProblem(error) === 'certificate' ? 'the server\'s certificate is not trusted: install a certificate for its name, or add its CA with NODE_EXTRA_CA_CERTS' : undefined,
		});
	}
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
	return isObject(value) ? value : undefined;
}
