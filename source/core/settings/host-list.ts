/**
 * Several relays in one setting: `smtp.host` as `mx1.example.com,mx2.example.com:2525`. Each entry
 * is a host name or IP address with an optional `:PORT` (`[2001:db8::1]:2525` for an IPv6 address
 * with a port; a bare IPv6 address has no port). An entry without a port takes the default given.
 * A wrong entry is named by its place (1st, 2nd…) and what is wrong with it, never repeated: a
 * password pasted by mistake may be anywhere.
 */

/** One relay of the list. */
export interface HostEntry {
	host: string;
	port: number;
}

/** `1st`, `2nd`, `3rd`, `4th`… */
export function ordinal(position: number): string {
	const tens = position % 100;
	const suffix = tens >= 11 && tens <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][position % 10] ?? 'th';
	return `${position}${suffix}`;
}

/** A port as written after a host's `:`, or why it is not one. */
export function portProblem(text: string): string | undefined {
	if (!/^\d{1,5}$/.test(text)) {
		return text === '' ? 'has a : with no port after it' : 'has a port that is not a number';
	}

	const port = Number(text);
	return port < 1 || port > 65_535 ? 'has a port out of 1–65535' : undefined;
}

/**
 * The entries of a comma-separated host list, or why one is wrong (`the 2nd entry has a port that
 * is not a number`). '' is no entry at all (the local capture server).
 * @example parseHostList('mx1.example.com, mx2.example.com:2525', 25) // [{host: 'mx1.example.com', port: 25}, {host: 'mx2.example.com', port: 2525}]
 */
export function parseHostList(text: string, defaultPort: number): HostEntry[] | {problem: string} {
	const trimmed = text.trim();
	if (trimmed === '') {
		return [];
	}

	const parts = trimmed.split(',');
	const entries: HostEntry[] = [];
	const seen = new Set<string>();
	for (const [index, part] of parts.entries()) {
		const entry = part.trim();
		const which = parts.length === 1 ? 'it' : `the ${ordinal(index + 1)} entry`;
		const wrong = (problem: string) => ({problem: `${which} ${problem}`});
		if (entry === '') {
			return wrong('is empty (two commas, or a comma at an end)');
		}

		if (/\s/.test(entry)) {
			return wrong('holds a space: separate the servers with commas only');
		}

		let host = entry;
		let port = defaultPort;
		if (entry.startsWith('[')) {
			const close = entry.indexOf(']');
			if (close === -1) {
				return wrong('opens a [ without closing it');
			}

			host = entry.slice(1, close);
			const rest = entry.slice(close + 1);
			if (rest !== '') {
				if (!rest.startsWith(':')) {
					return wrong('has something after ] that is not :PORT');
				}

				const problem = portProblem(rest.slice(1));
				if (problem !== undefined) {
					return wrong(problem);
				}

				port = Number(rest.slice(1));
			}
		} else if (entry.indexOf(':') === entry.lastIndexOf(':') && entry.includes(':')) {
			// One colon: HOST:PORT. More than one: a bare IPv6 address, which takes no port.
			const colon = entry.indexOf(':');
			host = entry.slice(0, colon);
			const problem = portProblem(entry.slice(colon + 1));
			if (problem !== undefined) {
				return wrong(problem);
			}

			port = Number(entry.slice(colon + 1));
		}

		if (host === '') {
			return wrong('names no host before its port');
		}

		const key = `${host.toLowerCase()}:${port}`;
		if (seen.has(key)) {
			return wrong('names a server already in the list');
		}

		seen.add(key);
		entries.push({host, port});
	}

	return entries;
}

/** How a relay is named in the record and on screen: `mx1.example.com:25`, `[2001:db8::1]:25`. */
export function relayName(entry: HostEntry): string {
	return `${entry.host.includes(':') ? `[${entry.host}]` : entry.host}:${entry.port}`;
}
