/**
 * URLs that may hold a secret: the URL settings (`directory.sql.url`, …), MASSMAIL_SMTP_URL and the
 * directory sources' readers read them through these, so that a password typed into one is
 * found, refused and never repeated.
 *
 * - `urlPassword`: where a URL holds a password (`user:PASSWORD@`, or a parameter such as `?password=`)
 * - `shownUrl`: the URL as it may be shown (a stored one, a source's label): every part that could
 *   be a secret replaced by `***`
 * - `urlSyntaxProblem`: why a text does not read as a URL, naming the part, never repeating it
 *
 * A password may hold any character, `:`, `/`, `@` and `?` included, and people paste it as it is:
 * so the user and password are everything before the last `@` of the part after `//` (up to a `?`
 * or `#`), as a person would read it, whatever the URL parser makes of it (`smtp://ann:12/pw@host`
 * is to the WHATWG parser the host `ann`, port 12 and path `/pw@host`). An `@` after the host is
 * written `%40`.
 */

/** A URL's parts as written, split the way a person reads them, not decoded. */
export interface UrlParts {
	/** Before `://`, as written. */
	scheme: string;
	/** Before the first `:` of what precedes the last `@`; undefined without an `@`. */
	user?: string;
	/** After that `:`; undefined without one. */
	password?: string;
	/** The host as written (`[::1]` with its brackets), before any `:PORT`. */
	host: string;
	/** After the host's `:`, as written (not checked to be a number); undefined without one. */
	port?: string;
	/** From the `/` after the host to a `?` or `#`. */
	path: string;
	/** After `?`, up to a `#`; undefined without one. */
	query?: string;
	/** After `#`; undefined without one. */
	fragment?: string;
}

/**
 * The parts of `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`, or undefined
 * when the text does not start with a scheme and `//`.
 * @example urlParts('postgres://reader:pw@db:5432/postfix') // {scheme: 'postgres', user: 'reader', password: 'pw', host: 'db', port: '5432', path: '/postfix'}
 */
export function urlParts(text: string): UrlParts | undefined {
	const start = /^([a-z][a-z\d+.-]*):\/\//i.exec(text.trim());
	if (!start) {
		return undefined;
	}

	const rest = text.trim().slice(start[0].length);
	const queryAt = rest.search(/[?#]/);
	const body = queryAt === -1 ? rest : rest.slice(0, queryAt);
	const tail = queryAt === -1 ? '' : rest.slice(queryAt);
	const at = body.lastIndexOf('@');
	const userinfo = at === -1 ? undefined : body.slice(0, at);
	const afterUser = body.slice(at + 1);
	const slash = afterUser.indexOf('/');
	const hostPort = slash === -1 ? afterUser : afterUser.slice(0, slash);
	// `[::1]:25`: the port's `:` is the one after the brackets.
	const bracketEnd = hostPort.startsWith('[') ? hostPort.indexOf(']') + 1 : 0;
	const colon = hostPort.indexOf(':', bracketEnd);
	const colonInUser = userinfo?.indexOf(':') ?? -1;
	const fragmentAt = tail.indexOf('#');
	return {
		scheme: start[1],
		...(userinfo === undefined ? {} : {user: colonInUser === -1 ? userinfo : userinfo.slice(0, colonInUser)}),
		...(colonInUser === -1 ? {} : {password: userinfo!.slice(colonInUser + 1)}),
		host: colon === -1 ? hostPort : hostPort.slice(0, colon),
		...(colon === -1 ? {} : {port: hostPort.slice(colon + 1)}),
		path: slash === -1 ? '' : afterUser.slice(slash),
		...(tail.startsWith('?') ? {query: tail.slice(1, fragmentAt === -1 ? undefined : fragmentAt)} : {}),
		...(fragmentAt === -1 ? {} : {fragment: tail.slice(fragmentAt + 1)}),
	};
}

/**
 * A parameter's name that says it carries a secret: `password` (pg, mysql2), `sslpassword`,
 * `passwd`, `pwd`, `x-bindpw` (LDAP), a token or an API key.
 */
const secretParameter = /pass|pwd|pw$|secret|token|api_?key/i;

/** The names of a query's parameters: `a=1&b=2`, `;` too, and LDAP's `?attrs?scope?filter?!ext=…,ext=…`. */
function parameterNames(query: string): string[] {
	return query.split(/[&;?,]/).map(parameter => {
		const name = parameter.split('=')[0]!.replace(/^!/, '');
		try {
			return decodeURIComponent(name);
		} catch {
			return name;
		}
	});
}

/**
 * Where a URL holds a password: `userinfo` (`user:PASSWORD@host`), `parameter` (`?password=…`),
 * or undefined. A user name alone (`postgres://reader@host/db`) holds none.
 * @example urlPassword('postgres://reader:S3cret@db/postfix') // 'userinfo'
 * @example urlPassword('mysql://reader@db/postfix?password=S3cret') // 'parameter'
 * @example urlPassword('postgres://reader@db/postfix') // undefined
 */
export function urlPassword(text: string): 'userinfo' | 'parameter' | undefined {
	const parts = urlParts(text);
	if (parts === undefined) {
		return undefined;
	}

	if ((parts.password ?? '') !== '') {
		return 'userinfo';
	}

	try {
		if (new URL(text.trim()).password !== '') {
			return 'userinfo';
		}
	} catch {
		// Said by urlSyntaxProblem where it matters.
	}

	return parameterNames(parts.query ?? '').some(name => secretParameter.test(name)) ? 'parameter' : undefined;
}

/**
 * The URL as it may be shown: the password (`user:***@`), a port that is not a number (a password
 * typed where the `@` was forgotten: `smtp://ann:***`), every parameter's value (a parameter
 * without `=` whole) and the fragment replaced by `***`; text that does not start with `scheme://` (a password pasted whole) shown
 * as `***`. For a URL without secrets, the URL as it is.
 * @example shownUrl('postgres://reader:S3cret@db:5432/postfix') // 'postgres://reader:***@db:5432/postfix'
 * @example shownUrl('smtp://ann:Hunter2') // 'smtp://ann:***'
 * @example shownUrl('mysql://reader@db/postfix?password=S3cret') // 'mysql://reader@db/postfix?password=***'
 */
export function shownUrl(text: string): string {
	const parts = urlParts(text);
	if (parts === undefined) {
		return text.trim() === '' ? text : '***';
	}

	const {scheme, user, password, host, port, path, query, fragment} = parts;
	const userinfo = user === undefined ? '' : `${user}${password === undefined ? '' : ':***'}@`;
	const shownPort = port === undefined ? '' : /^\d*$/.test(port) ? `:${port}` : ':***';
	// Each parameter's value; a parameter without a name=value form whole.
	const shownQuery = query === undefined ? '' : `?${query.replaceAll(/[^&;?,]+/g, parameter => (parameter.includes('=') ? `${parameter.slice(0, parameter.indexOf('='))}=***` : '***'))}`;
	return `${scheme}://${userinfo}${host}${shownPort}${path}${shownQuery}${fragment === undefined ? '' : '#***'}`;
}

/**
 * Why a text does not read as a URL (the WHATWG parser refuses it), naming the part and never
 * repeating it (it may hold a password); undefined when it reads.
 * @example urlSyntaxProblem('smtp://ann:Hunter2') // 'its port (after the host and ":") is not a number'
 */
export function urlSyntaxProblem(text: string): string | undefined {
	const trimmed = text.trim();
	try {
		new URL(trimmed);
		return undefined;
	} catch {
		// Which part, below.
	}

	const parts = urlParts(trimmed);
	if (parts === undefined) {
		return 'it does not start with a scheme and "//" (such as smtp://)';
	}

	if (/[\s\p{Cc}]/u.test(trimmed)) {
		return 'it holds a space or a control character';
	}

	if (parts.host === '') {
		return 'it names no host';
	}

	if (parts.port !== undefined && !/^\d*$/.test(parts.port)) {
		return 'its port (after the host and ":") is not a number';
	}

	if (parts.port !== undefined && Number(parts.port) > 65_535) {
		return 'its port is above 65535';
	}

	if (parts.host.startsWith('[')) {
		return 'its host in [ ] is not an IPv6 address';
	}

	return 'its host is not a host name or IP address';
}
