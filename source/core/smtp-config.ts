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
import {readCaFile} from './settings.js';
import type {Settings, TlsMode} from './types.js';

export type SmtpTarget =
	| {
		kind: 'server';
		host: string;
		port: number;
		tls: TlsMode;
		user: string;
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

/**
 * The URL as it may be shown: everything before the last `@` of the part after `scheme://` is
 * the user and perhaps a password (which may itself hold `:`, `/` or `@`), so none of it is shown.
 */
export function shownSmtpUrl(text: string): string {
	const start = text.indexOf('//');
	const at = text.lastIndexOf('@');
	return at > start && start !== -1 ? `${text.slice(0, start + 2)}***${text.slice(at)}` : text;
}

function parseSmtpUrl(text: string): {host: string; port: number; tls: TlsMode; user: string} {
	const examples = 'examples: smtp://user@mail.example.com:587, smtps://mail.example.com:465 (the password goes in MASSMAIL_SMTP_PASSWORD)';
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new MassmailError('usage', `MASSMAIL_SMTP_URL is not a URL: ${JSON.stringify(shownSmtpUrl(text))}`, {hint: examples});
	}

	if (url.password !== '') {
		throw new MassmailError('usage', 'MASSMAIL_SMTP_URL holds a password; it is never read from there', {
			hint: 'put the password in MASSMAIL_SMTP_PASSWORD, or set smtp.passwordCommand',
		});
	}

	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (host === '') {
		throw new MassmailError('usage', 'MASSMAIL_SMTP_URL names no host', {hint: 'example: smtp://user@mail.example.com:587'});
	}

	let user: string;
	try {
		user = decodeURIComponent(url.username);
	} catch {
		throw new MassmailError('usage', 'MASSMAIL_SMTP_URL: the user name holds a % that is not followed by two hex digits', {
			hint: 'write a % in a user name as %25, an @ as %40',
		});
	}

	let tls: TlsMode;
	let port: number;
	if (url.protocol === 'smtps:') {
		tls = 'implicit';
		port = url.port === '' ? 465 : Number(url.port);
	} else if (url.protocol === 'smtp:') {
		// Off the loopback interface STARTTLS is required; a local relay often has no certificate.
		tls = isLoopbackHost(host) ? 'opportunistic' : 'starttls';
		port = url.port === '' ? (isLoopbackHost(host) ? 25 : 587) : Number(url.port);
	} else {
		throw new MassmailError('usage', `MASSMAIL_SMTP_URL must start with smtp:// or smtps://, not ${url.protocol}//`);
	}

	const mode = url.searchParams.get('tls');
	if (mode !== null) {
		if (mode !== 'implicit' && mode !== 'starttls' && mode !== 'opportunistic') {
			throw new MassmailError('usage', `MASSMAIL_SMTP_URL: tls=${mode} is not one of implicit, starttls, opportunistic`);
		}

		tls = mode;
	}

	return {host, port, tls, user};
}

/**
 * Where mail goes, from the settings and the environment (MASSMAIL_SMTP_URL and
 * MASSMAIL_SMTP_PASSWORD override the settings). No host: the local capture server.
 * A password over a connection that may stay unencrypted is refused unless the host is loopback.
 */
export function resolveSmtpTarget(settings: Settings, env: NodeJS.ProcessEnv = process.env): SmtpTarget {
	let {host, port, tls, user} = settings.smtp;
	const url = env.MASSMAIL_SMTP_URL;
	if (url !== undefined && url !== '') {
		({host, port, tls, user} = parseSmtpUrl(url));
	}

	if (host === '') {
		return {kind: 'capture'};
	}

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

	if (user !== '' && tls === 'opportunistic' && !isLoopbackHost(host)) {
		throw new MassmailError('usage', `a password for ${host} could travel unencrypted (TLS mode "opportunistic")`, {
			hint: 'set smtp.tls to starttls or implicit; only a loopback server may log in without TLS',
		});
	}

	// Read now, so that a missing or broken file is said before anything is sent (exit 2), naming it.
	const caFile = settings.smtp.caFile ?? '';
	const ca = caFile === '' ? undefined : readCaFile(caFile, 'smtp.caFile');
	return {kind: 'server', host, port, tls, user, allowUnverifiedTls: settings.smtp.allowUnverifiedTls, ...(ca === undefined ? {} : {ca}), passwordSource, password};
}

const tlsLabels: Record<TlsMode, string> = {implicit: 'TLS', starttls: 'STARTTLS', opportunistic: 'STARTTLS when offered'};

/** One line for headers and summaries: `smtp.example.com:587 (STARTTLS)` or the local capture notice. */
export function describeTarget(target: SmtpTarget): string {
	if (target.kind === 'capture') {
		return 'local capture: nothing leaves this machine';
	}

	const host = target.host.includes(':') ? `[${target.host}]` : target.host;
	return `${host}:${target.port} (${tlsLabels[target.tls]}${target.allowUnverifiedTls ? ', certificate not verified' : ''})`;
}
