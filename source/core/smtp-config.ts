/**
 * From settings and the environment to where mail goes: an SMTP server (host, port, TLS mode,
 * user, the CAs to trust, and a way to get the password when needed) or the local capture server.
 *
 * The password is never stored here: `password()` reads MASSMAIL_SMTP_PASSWORD or runs the
 * `smtp.passwordCommand` at the moment of login.
 */
import {execFile} from 'node:child_process';
import net from 'node:net';
import {MassmailError} from './errors.js';
import {ordinal, parseHostList, readCaFile, relayName, urlParts, urlPassword, urlSyntaxProblem} from './settings.js';
import type {Settings, TlsMode} from './types.js';

/** One server of several relays (`smtp.host` naming several, or MASSMAIL_SMTP_URL holding several URLs). */
export interface RelayServer {
	host: string;
	port: number;
	tls: TlsMode;
	user: string;
}

export type SmtpTarget =
	| {
		kind: 'server';
		/** The first relay's (the only one's, mostly). */
		host: string;
		port: number;
		tls: TlsMode;
		user: string;
		/** Every relay, the first included; they share the CAs, the certificate check and the password. */
		servers: RelayServer[];
		allowUnverifiedTls: boolean;
		/** The CAs to trust for the server's certificate, as PEM text (`smtp.caFile`); absent: Node's own list. */
		ca?: string;
		/** Where the password comes from (for display; never the password). */
		passwordSource: 'environment' | 'command' | 'none';
		password?: () => Promise<string>;
	}
	| {kind: 'capture'};

/**
 * True for `localhost` and the loopback addresses: the names that may default to plain SMTP.
 * Only a first guard: whether a password may go unencrypted is decided again from the address
 * actually connected to (delivery/transport.ts), since a name can resolve anywhere. Names under
 * `.localhost` are not trusted: this system's resolver may send them to DNS.
 */
export function isLoopbackHost(host: string): boolean {
	const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
	if (bare === 'localhost') {
		return true;
	}

	if (net.isIPv4(bare)) {
		return bare.startsWith('127.');
	}

	return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || bare === '::ffff:127.0.0.1';
}

/**
 * Runs a password command with /bin/sh; its standard output, less one trailing newline, is the password.
 * @param setting the setting it came from, for the error (`smtp.passwordCommand`, `directory.passwordCommand`)
 */
export async function runPasswordCommand(command: string, setting = 'smtp.passwordCommand'): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile('/bin/sh', ['-c', command], {timeout: 60_000, maxBuffer: 64 * 1024}, (error, stdout, stderr: string) => {
			if (error) {
				const code = typeof error.code === 'number' ? `exit status ${error.code}` : error.killed ? 'timed out after 60 s' : String(error.code ?? 'failed');
				// Its error output is not shown: a failing secret tool may print the secret there.
				const said = stderr.trim() === '' ? '' : ' (its error output is not shown: it may hold the password)';
				reject(new MassmailError('auth', `the password command (${setting}) failed: ${code}${said}`, {
					hint: `massmail config get ${setting} shows it; run it yourself to see what it says`,
				}));
				return;
			}

			resolve(stdout.replace(/\r?\n$/, ''));
		});
	});
}

const smtpUrlExamples = 'write it as smtp://user@mail.example.com:587 or smtps://mail.example.com:465; the password goes in MASSMAIL_SMTP_PASSWORD (or smtp.passwordCommand), never in the URL';
const tlsParameterModes: readonly TlsMode[] = ['implicit', 'starttls', 'opportunistic'];

/**
 * Reads MASSMAIL_SMTP_URL. No message repeats it or any part of it (the user, a parameter's
 * value): a password may be anywhere in it — pasted whole into the variable, typed after the
 * user without the `@`, or as a parameter. Each says which part is wrong instead.
 */
function parseSmtpUrl(text: string, which = 'MASSMAIL_SMTP_URL'): RelayServer {
	const usage = (problem: string, hint = smtpUrlExamples) => new MassmailError('usage', `${which} ${problem}`, {hint});
	if (text.trim() === '') {
		throw usage('is empty (two commas, or a comma at an end)', 'separate several URLs with commas: smtp://mx1.example.com:25,smtp://mx2.example.com:2525');
	}

	const scheme = urlParts(text)?.scheme.toLowerCase();
	if (scheme !== 'smtp' && scheme !== 'smtps') {
		throw usage('must start with smtp:// or smtps:// (what it holds is not shown: it may be a password)');
	}

	const password = urlPassword(text);
	if (password !== undefined) {
		throw usage(
			`holds a password ${password === 'userinfo' ? 'after the user name (user:PASSWORD@)' : 'in a parameter (?…=)'}; it is never read from there`,
			'remove it from the URL, and put the password in MASSMAIL_SMTP_PASSWORD, or set smtp.passwordCommand',
		);
	}

	const syntax = urlSyntaxProblem(text);
	if (syntax !== undefined) {
		throw usage(`is not a URL: ${syntax}`);
	}

	const url = new URL(text.trim());
	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (host === '') {
		throw usage('names no host', 'example: smtp://user@mail.example.com:587');
	}

	let user: string;
	try {
		user = decodeURIComponent(url.username);
	} catch {
		throw usage('has a % in the user name that is not followed by two hex digits', 'write a % in a user name as %25, an @ as %40');
	}

	let tls: TlsMode;
	let port: number;
	if (url.protocol === 'smtps:') {
		tls = 'implicit';
		port = url.port === '' ? 465 : Number(url.port);
	} else {
		// Off the loopback interface STARTTLS is required; a local relay often has no certificate.
		tls = isLoopbackHost(host) ? 'opportunistic' : 'starttls';
		port = url.port === '' ? (isLoopbackHost(host) ? 25 : 587) : Number(url.port);
	}

	for (const [name, value] of url.searchParams) {
		if (name !== 'tls') {
			// Not named: a parameter is as likely as any part to be something pasted by mistake.
			throw usage('takes one parameter, tls=implicit|starttls|opportunistic, and has another');
		}

		if (!tlsParameterModes.includes(value as TlsMode)) {
			throw usage(`has a tls= value that is not one of ${tlsParameterModes.join(', ')} (the value is not shown)`, 'for example: smtp://mail.example.com:465?tls=implicit');
		}

		tls = value as TlsMode;
	}

	return {host, port, tls, user};
}

/**
 * Where mail goes, from the settings and the environment (MASSMAIL_SMTP_URL and
 * MASSMAIL_SMTP_PASSWORD override the settings). No host: the local capture server.
 * A password over a connection that may stay unencrypted is refused unless the host is loopback.
 */
export function resolveSmtpTarget(settings: Settings, env: NodeJS.ProcessEnv = process.env): SmtpTarget {
	const {tls, user} = settings.smtp;
	const url = env.MASSMAIL_SMTP_URL;
	let relays: RelayServer[];
	if (url !== undefined && url !== '') {
		const urls = url.split(',');
		relays = urls.map((text, index) => parseSmtpUrl(text, urls.length === 1 ? 'MASSMAIL_SMTP_URL' : `MASSMAIL_SMTP_URL's ${ordinal(index + 1)} URL`));
		const names = relays.map(relay => relayName(relay).toLowerCase());
		const twice = names.findIndex((name, index) => names.indexOf(name) !== index);
		if (twice !== -1) {
			throw new MassmailError('usage', `MASSMAIL_SMTP_URL's ${ordinal(twice + 1)} URL names a server already in the list`, {hint: 'name each relay once'});
		}
	} else {
		if (settings.smtp.host.includes('@')) {
			// Written into settings.json by hand; what precedes the @ may be a password: not repeated.
			throw new MassmailError('usage', 'smtp.host in the settings file holds a user or password before @, which massmail never stores', {hint: 'remove it: massmail config set smtp.host mail.example.com; the user goes in smtp.user, the password in MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand'});
		}

		const hosts = parseHostList(settings.smtp.host, settings.smtp.port);
		if ('problem' in hosts) {
			// Written into settings.json by hand: the check when it is set never saw it.
			throw new MassmailError('usage', `smtp.host must be one server or several separated by commas: ${hosts.problem}`, {hint: 'massmail config set smtp.host mx1.example.com,mx2.example.com:2525'});
		}

		relays = hosts.map(({host, port}) => ({host, port, tls, user}));
	}

	if (relays.length === 0) {
		return {kind: 'capture'};
	}

	const [{host, port}] = relays as [RelayServer];

	const environmentPassword = env.MASSMAIL_SMTP_PASSWORD;
	const command = settings.smtp.passwordCommand;
	let password: (() => Promise<string>) | undefined;
	let passwordSource: 'environment' | 'command' | 'none' = 'none';
	if (environmentPassword !== undefined && environmentPassword !== '') {
		passwordSource = 'environment';
		password = async () => environmentPassword;
	} else if (command !== '') {
		passwordSource = 'command';
		password = async () => runPasswordCommand(command);
	}

	for (const relay of relays) {
		if (relay.user !== '' && relay.tls === 'opportunistic' && !isLoopbackHost(relay.host)) {
			throw new MassmailError('usage', `a password for ${relay.host} could travel unencrypted (TLS mode "opportunistic")`, {
				hint: 'set smtp.tls to starttls or implicit; only a loopback server may log in without TLS',
			});
		}
	}

	// Read now, so that a missing or broken file is said before anything is sent (exit 2), naming it.
	const caFile = settings.smtp.caFile ?? '';
	const ca = caFile === '' ? undefined : readCaFile(caFile, 'smtp.caFile');
	return {kind: 'server', host, port, tls: relays[0]!.tls, user: relays[0]!.user, servers: relays, allowUnverifiedTls: settings.smtp.allowUnverifiedTls, ...(ca === undefined ? {} : {ca}), passwordSource, password};
}

const tlsLabels: Record<TlsMode, string> = {implicit: 'TLS', starttls: 'STARTTLS', opportunistic: 'STARTTLS when offered'};

/** How describeTarget names the local capture server: the words a screen keeps whole when it cuts the line. */
export const captureName = 'local capture';

/** One line for headers and summaries: `smtp.example.com:587 (STARTTLS)` or the local capture notice. */
export function describeTarget(target: SmtpTarget): string {
	if (target.kind === 'capture') {
		return `${captureName}: nothing leaves this machine`;
	}

	const unverified = target.allowUnverifiedTls ? ', certificate not verified' : '';
	const {servers: relays} = target;
	if (relays.every(relay => relay.tls === relays[0]!.tls)) {
		// `mx1.example.com:25, mx2.example.com:2525 (STARTTLS)`
		return `${relays.map(relay => relayName(relay)).join(', ')} (${tlsLabels[relays[0]!.tls]}${unverified})`;
	}

	return relays.map(relay => `${relayName(relay)} (${tlsLabels[relay.tls]}${unverified})`).join(', ');
}
