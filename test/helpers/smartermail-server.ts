/**
 * A stand-in for SmarterMail's web API on 127.0.0.1, for the tests of the SmarterMail directory
 * source. It is a stand-in because no SmarterMail server can run on these machines (it is a
 * licensed Windows/.NET product): it answers only the calls the source makes, with the paths,
 * headers and JSON shapes that public code talking to real servers relies on (the list of those
 * sources is at the top of source/core/sources/smartermail.ts):
 *
 * - `POST /api/v1/auth/authenticate-user`, JSON `{username, password}`:
 *   200 `{emailAddress, changePasswordNeeded, isAdmin, isDomainAdmin, accessToken, refreshToken,
 *   accessTokenExpiration, username, success: true, resultCode: 200, message: ""}`;
 *   refused: 401 `{"success": false, "resultCode": 401, "message": "USERNAME_OR_PASSWORD_INCORRECT"}`.
 *   The system administrator logs in by bare user name; a domain user by `user@domain` (isAdmin false).
 * - `GET /api/v1/settings/sysadmin/domain-names`: `{data: [names], success: true, message: ""}`;
 *   403 for a token that is not a system administrator's.
 * - `GET /api/v1/settings/domain/domain` and `GET /api/v1/settings/domain/list-users`, the domain
 *   named by the header `X-SmarterMailDomain`: `{domainSettings: {name, mainDomainAdmin, isEnabled},
 *   success, message}` and `{userData: [{userName, emailAddress, fullName, securityFlags:
 *   {isDomainAdmin, isDisabled, …}}], success, message}`.
 * - Every call but the login: 401 with the reason phrase `Unauthorized` and no body without a valid
 *   `Authorization: Bearer` token (the phrase is what real servers send; the empty body is ours).
 *
 * Its own choices, where nothing public says what SmarterMail does: a domain call without
 * `X-SmarterMailDomain`, or naming an unknown domain, gets 400 `{success: false, message: …}`; an
 * unknown path 404; a fault 500 `{success: false, message: …}`.
 *
 * Faults: `slowMs` holds back every reply matching `slowPaths` (all by default) for that long;
 * `serverError` answers 500 to the paths it matches; `malformed` answers `{success: true}` with
 * nothing else to the paths it matches; `echoSecrets` puts the password it was sent, and the
 * token, into its error messages (a careless server, to prove the source keeps them out of its own).
 */
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import crypto from 'node:crypto';

export interface StandInUser {
	userName: string;
	fullName?: string;
	isDomainAdmin?: boolean;
	isDisabled?: boolean;
	/** Lets this user log in as `userName@domain` (not a system administrator). */
	password?: string;
}

export interface StandInDomain {
	name: string;
	/** The primary domain administrator's user name. */
	mainDomainAdmin?: string;
	users: StandInUser[];
}

export interface SmarterMailStandInOptions {
	/** The system administrator; default `admin` / `admin-password`. */
	admin?: {user: string; password: string};
	domains: StandInDomain[];
	/** Every reply to a path matching `slowPaths` (default: every path) comes this late. */
	slowMs?: number;
	slowPaths?: RegExp;
	/** Paths (with `?domain=NAME` appended for domain calls) answered with a 500. */
	serverError?: RegExp;
	/** Paths (with `?domain=NAME` appended for domain calls) answered `{success: true}` and nothing else. */
	malformed?: RegExp;
	/** Error messages repeat the password and the token the server was sent. */
	echoSecrets?: boolean;
}

export interface StandInRequest {
	method: string;
	path: string;
	/** The Authorization header as sent, if any. */
	authorization?: string;
	/** The X-SmarterMailDomain header as sent, if any. */
	domain?: string;
}

export interface SmarterMailStandIn {
	url: string;
	port: number;
	/** Every request, in arrival order. */
	requests: StandInRequest[];
	/** Tokens handed out by successful logins, in order. */
	tokens: string[];
	/** The most domain calls that were being answered at the same time. */
	peakDomainCalls: number;
	close(): Promise<void>;
}

interface Grant {
	admin: boolean;
	user: string;
}

export async function startSmarterMailStandIn(options: SmarterMailStandInOptions): Promise<SmarterMailStandIn> {
	const admin = options.admin ?? {user: 'admin', password: 'admin-password'};
	const grants = new Map<string, Grant>();
	const timers = new Set<NodeJS.Timeout>();
	const state: SmarterMailStandIn = {
		url: '',
		port: 0,
		requests: [],
		tokens: [],
		peakDomainCalls: 0,
		close: async () => undefined,
	};
	let domainCalls = 0;

	const server = http.createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const path = new URL(request.url ?? '/', 'http://stand-in').pathname;
			const domainHeader = header(request, 'x-smartermaildomain');
			state.requests.push({method: request.method ?? '', path, authorization: header(request, 'authorization'), domain: domainHeader});
			const isDomainCall = path.startsWith('/api/v1/settings/domain/');
			if (isDomainCall) {
				domainCalls++;
				state.peakDomainCalls = Math.max(state.peakDomainCalls, domainCalls);
			}

			const reply = answer(request.method ?? '', path, domainHeader, header(request, 'authorization'), Buffer.concat(chunks).toString('utf8'), header(request, 'content-type'));
			const send = () => {
				if (isDomainCall) {
					domainCalls--;
				}

				if (response.destroyed) {
					return;
				}

				const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
				response.writeHead(reply.status, reply.statusText, body === '' ? {} : {'content-type': 'application/json; charset=utf-8'});
				response.end(body);
			};

			const slow = options.slowMs !== undefined && (options.slowPaths ?? /./).test(path);
			if (slow) {
				const timer = setTimeout(() => {
					timers.delete(timer);
					send();
				}, options.slowMs);
				timers.add(timer);
			} else {
				send();
			}
		});
	});

	function answer(method: string, path: string, domainHeader: string | undefined, authorization: string | undefined, text: string, contentType: string | undefined): {status: number; statusText?: string; body?: unknown} {
		if (method === 'POST' && path === '/api/v1/auth/authenticate-user') {
			return login(text, contentType);
		}

		const grant = grantOf(authorization);
		if (!grant) {
			return {status: 401, statusText: 'Unauthorized'};
		}

		const secretWords = (words: string) => options.echoSecrets ? `${words} (token ${authorization ?? ''})` : words;
		const faultKey = domainHeader ? `${path}?domain=${domainHeader}` : path;
		if (options.serverError?.test(faultKey)) {
			return {status: 500, statusText: 'Internal Server Error', body: {success: false, resultCode: 500, message: secretWords('An unexpected error occurred')}};
		}

		if (options.malformed?.test(faultKey)) {
			return {status: 200, body: {success: true}};
		}

		if (method === 'GET' && path === '/api/v1/settings/sysadmin/domain-names') {
			if (!grant.admin) {
				return {status: 403, statusText: 'Forbidden', body: {success: false, resultCode: 403, message: 'Forbidden'}};
			}

			return {status: 200, body: {data: options.domains.map(domain => domain.name), success: true, resultCode: 200, message: ''}};
		}

		if (method === 'GET' && (path === '/api/v1/settings/domain/domain' || path === '/api/v1/settings/domain/list-users')) {
			if (!grant.admin) {
				return {status: 403, statusText: 'Forbidden', body: {success: false, resultCode: 403, message: 'Forbidden'}};
			}

			if (!domainHeader) {
				return {status: 400, statusText: 'Bad Request', body: {success: false, resultCode: 400, message: 'X-SmarterMailDomain is required on domain calls by a system administrator'}};
			}

			const domain = options.domains.find(candidate => candidate.name.toLowerCase() === domainHeader.toLowerCase());
			if (!domain) {
				return {status: 400, statusText: 'Bad Request', body: {success: false, resultCode: 400, message: 'DOMAIN_NOT_FOUND'}};
			}

			if (path === '/api/v1/settings/domain/domain') {
				return {status: 200, body: {domainSettings: {name: domain.name, mainDomainAdmin: domain.mainDomainAdmin ?? '', isEnabled: true}, success: true, resultCode: 200, message: ''}};
			}

			return {status: 200, body: {userData: domain.users.map(user => userData(domain, user)), success: true, resultCode: 200, message: ''}};
		}

		return {status: 404, statusText: 'Not Found'};
	}

	function login(text: string, contentType: string | undefined): {status: number; statusText?: string; body?: unknown} {
		let fields: Record<string, unknown>;
		try {
			fields = contentType?.includes('application/x-www-form-urlencoded')
				? Object.fromEntries(new URLSearchParams(text))
				: JSON.parse(text) as Record<string, unknown>;
		} catch {
			return {status: 400, statusText: 'Bad Request', body: {success: false, resultCode: 400, message: 'Invalid input parameters'}};
		}

		const username = typeof fields.username === 'string' ? fields.username : '';
		const password = typeof fields.password === 'string' ? fields.password : '';

		const refusal = {success: false, resultCode: 401, message: options.echoSecrets ? `USERNAME_OR_PASSWORD_INCORRECT|${password}` : 'USERNAME_OR_PASSWORD_INCORRECT'};
		let grant: Grant | undefined;
		if (username.toLowerCase() === admin.user.toLowerCase() && password === admin.password) {
			grant = {admin: true, user: admin.user};
		} else {
			const [local, domainName] = username.split('@');
			const domain = options.domains.find(candidate => candidate.name.toLowerCase() === (domainName ?? '').toLowerCase());
			const user = domain?.users.find(candidate => candidate.userName.toLowerCase() === local.toLowerCase());
			if (user?.password !== undefined && user.password === password && !user.isDisabled) {
				grant = {admin: false, user: username};
			}
		}

		if (!grant) {
			return {status: 401, statusText: 'Unauthorized', body: refusal};
		}

		const token = crypto.randomBytes(24).toString('base64url');
		grants.set(token, grant);
		state.tokens.push(token);
		const isDomainAdmin = !grant.admin && (options.domains.some(domain => domain.users.some(user => `${user.userName}@${domain.name}`.toLowerCase() === grant.user.toLowerCase() && user.isDomainAdmin)));
		return {
			status: 200,
			body: {
				emailAddress: grant.admin ? '' : grant.user,
				changePasswordNeeded: false,
				displayWelcomeWizard: false,
				isAdmin: grant.admin,
				isDomainAdmin,
				isLicensed: true,
				autoLoginToken: '',
				autoLoginUrl: '',
				localeId: 'en',
				isImpersonating: false,
				canViewPasswords: false,
				accessToken: token,
				refreshToken: crypto.randomBytes(24).toString('base64url'),
				accessTokenExpiration: new Date(Date.now() + 20 * 60_000).toISOString(),
				username: grant.user,
				success: true,
				resultCode: 200,
				message: '',
			},
		};
	}

	function grantOf(authorization: string | undefined): Grant | undefined {
		const match = /^Bearer (.+)$/.exec(authorization ?? '');
		return match ? grants.get(match[1]) : undefined;
	}

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			resolve();
		});
	});
	const {port} = server.address() as AddressInfo;
	state.port = port;
	state.url = `http://127.0.0.1:${port}`;
	state.close = async () => {
		for (const timer of timers) {
			clearTimeout(timer);
		}

		timers.clear();
		server.closeAllConnections();
		await new Promise<void>(resolve => {
			server.close(() => {
				resolve();
			});
		});
	};

	return state;
}

function userData(domain: StandInDomain, user: StandInUser): Record<string, unknown> {
	return {
		userName: user.userName,
		emailAddress: `${user.userName}@${domain.name}`,
		fullName: user.fullName ?? '',
		domain: domain.name,
		isPasswordExpired: false,
		maxMailboxSize: 0,
		securityFlags: {
			authType: 0,
			authenticatingWindowsDomain: null,
			isDisabled: user.isDisabled ?? false,
			isPrimarySystemAdmin: false,
			isDomainAdmin: user.isDomainAdmin ?? false,
			isSystemAdmin: false,
		},
	};
}

function header(request: http.IncomingMessage, name: string): string | undefined {
	const value = request.headers[name];
	return Array.isArray(value) ? value[0] : value;
}
