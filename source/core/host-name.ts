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

let cached: string | undefined;

/**
 * The first fully qualified name of: /etc/mailname, the resolver's canonical name of the host
 * name, the host name itself; the host name when none has a dot. Found once per process (the
 * resolver may take a moment) unless `sources` are given.
 *
 * @example fullyQualifiedHostName() // 'mail.example.org'
 * @example fullyQualifiedHostName({mailnameFile: '/none', hostName: 'vm', canonicalName: () => 'vm.example.net'}) // 'vm.example.net'
 */
export function fullyQualifiedHostName(sources?: HostNameSources): string {
	if (sources === undefined && cached !== undefined) {
		return cached;
	}

	const mailname = firstLine(sources?.mailnameFile ?? '/etc/mailname');
	const hostName = sources?.hostName ?? os.hostname();
	let name = mailname;
	if (!name.includes('.') && hostName.includes('.')) {
		name = hostName;
	}

	if (!name.includes('.')) {
		const canonical = (sources?.canonicalName ?? resolverCanonicalName)(hostName);
		name = canonical?.includes('.') ? canonical : (mailname || hostName);
	}

	name = name.toLowerCase();
	if (sources === undefined) {
		cached = name;
	}

	return name;
}
