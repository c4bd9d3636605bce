/**
 * This machine's fully qualified name, as its mail server would give it: the domain of the
 * default sender (and so of every Message-ID) and the name the client greets a server with
 * (EHLO) unless `smtp.heloName` says otherwise.
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface HostNameSources {
	/** Debian's name of the mail domain; default `/etc/mailname`. */
	mailnameFile?: string;
	/** Default: os.hostname(). */
	hostName?: string;
	/** The resolver's canonical name of a host name, or undefined; default `hostname --fqdn`. */
	canonicalName?: (hostName: string) => string | undefined;
}

/** Asks the resolver (getaddrinfo's canonical name, as `hostname --fqdn` prints it), within a second. */
function resolverCanonicalName(hostName: string): string | undefined {
	if (hostName !== os.hostname()) {
		// `hostname --fqdn` answers for this machine only.
		return undefined;
	}

	try {
		return execFileSync('hostname', ['--fqdn'], {encoding: 'utf8', timeout: 1000, stdio: ['ignore', 'pipe', 'ignore']}).trim() || undefined;
	} catch {
		// No `hostname` program, or the resolver did not answer in time.
		return undefined;
	}
}

function firstLine(file: string): string {
	try {
		return fs.readFileSync(file, 'utf8').split('\n', 1)[0]!.trim();
	} catch {
		// No /etc/mailname: not Debian, or no MTA installed.
		return '';
	}
}

/** This machine's mail name and where it was found, for people: "/etc/mailname", "the host name", … */
export interface MailHostName {
	/** The fully qualified name, lower case; undefined when no source gives a name with a dot. */
	name: string | undefined;
	/** Where `name` came from, or why there is none (`host name "vm" has no domain, no /etc/mailname, the resolver knows no other name`). */
	from: string;
}

let cached: MailHostName | undefined;

/**
 * This machine's fully qualified name from the first of: /etc/mailname, the host name, the
 * resolver's canonical name of the host name — each only when it has a dot. Never a name without
 * a dot: servers refuse it in EHLO (Postfix's `reject_non_fqdn_helo_hostname`) and nobody can
 * answer a sender address in it. Found once per process (the resolver may take a moment) unless
 * `sources` are given.
 *
 * @example mailHostName() // {name: 'mail.example.org', from: '/etc/mailname'}
 * @example mailHostName({mailnameFile: '/none', hostName: 'vm', canonicalName: () => undefined}).name // undefined
 */
export function mailHostName(sources?: HostNameSources): MailHostName {
	if (sources === undefined && cached !== undefined) {
		return cached;
	}

	const mailnameFile = sources?.mailnameFile ?? '/etc/mailname';
	const mailname = firstLine(mailnameFile);
	const hostName = sources?.hostName ?? os.hostname();
	let found: MailHostName;
	if (mailname.includes('.')) {
		found = {name: mailname.toLowerCase(), from: mailnameFile};
	} else if (hostName.includes('.')) {
		found = {name: hostName.toLowerCase(), from: 'the host name'};
	} else {
		const canonical = (sources?.canonicalName ?? resolverCanonicalName)(hostName);
		found = canonical?.includes('.')
			? {name: canonical.toLowerCase(), from: 'the resolver (hostname --fqdn)'}
			: {name: undefined, from: `the host name ${JSON.stringify(hostName)} has no domain, ${mailname ? `${mailnameFile} says ${JSON.stringify(mailname)}` : `there is no ${mailnameFile}`} and the resolver knows no longer name`};
	}

	if (sources === undefined) {
		cached = found;
	}

	return found;
}

/**
 * The first fully qualified name of: /etc/mailname, the resolver's canonical name of the host
 * name, the host name itself; the host name when none has a dot.
 *
 * @example fullyQualifiedHostName() // 'mail.example.org'
 */
export function fullyQualifiedHostName(sources?: HostNameSources): string {
	return mailHostName(sources).name ?? (sources?.hostName ?? os.hostname()).toLowerCase();
}

/**
 * The name to greet a server with (EHLO) when `smtp.heloName` is not set: this machine's fully
 * qualified name, else the address literal of this end of the connection (RFC 5321 §4.1.4), as
 * `[192.0.2.1]` or `[IPv6:2001:db8::1]` — never a name without a dot.
 *
 * @example greetingName(undefined, '::ffff:127.0.0.1') // '[127.0.0.1]'
 */
export function greetingName(qualifiedName: string | undefined, localAddress: string | undefined): string {
	if (qualifiedName) {
		return qualifiedName;
	}

	const address = (localAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
	return address.includes(':') ? `[IPv6:${address}]` : `[${address}]`;
}
