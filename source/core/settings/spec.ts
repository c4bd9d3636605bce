/**
 * How one setting is read, checked and shown: the kinds of value a setting takes (text, a whole
 * number, a boolean, one of a few words, a URL, a CA file, a duration, a pace), each as `parse`
 * (what a person typed -> a value), `check` (a value from the form, `config set` or the file ->
 * the value kept, or an Invalid saying why not) and `show` (the value as a person would type it).
 * No setting's key is here: the settings and the directory sources build their definitions
 * from these (table.ts, sources/*.ts).
 */
import path from 'node:path';
import {hasControlCharacter} from '../address.js';
import {caCertificates} from '../tls.js';
import {shownUrl, urlPassword, urlSyntaxProblem} from './url-secrets.js';

/** A value refused: its message is the problem, said after the key (`smtp.port must be a whole number …`). */
export class Invalid extends Error {}

/**
 * One setting's definition without its key: what it means, a value it takes, how its text is
 * read, checked and shown, and how the Settings form names it.
 */
export interface FieldSpec {
	/** What it means, for `config list`, `config --help`, the Settings screen's hint and README's table. */
	description: string;
	/** A value it takes, as typed. */
	example: string;
	/** From text (the command line, a form field) to a value. Throws an Invalid. */
	parse: (raw: string) => unknown;
	/** Checks a value (parsed, from update() or the file); returns it, or throws an Invalid. `loading`: from the file. */
	check: (value: unknown, loading: boolean) => unknown;
	/**
	 * The stored value as a person would type it: `parse(show(value))` gives the value back —
	 * except a secret a file holds (a password in a URL), which is never shown (see storedProblem).
	 */
	show: (value: unknown) => string;
	/**
	 * What is wrong with a value read from the file that must be said wherever it is shown (a URL
	 * written by hand, or by an old version, holding a password): `config list|get` and the
	 * Settings form say it. Absent, or undefined: nothing.
	 */
	storedProblem?: (value: unknown) => string | undefined;
	/** Its label in the Settings form; absent: not a field of the form (`config` only). */
	label?: string;
	/** More than one line can say, for README's table of settings only (Markdown), after the meaning. */
	note?: string;
}

/** One line of text without control characters. */
export const text = (value: unknown): string => {
	if (typeof value !== 'string') {
		throw new Invalid(`must be text, found ${JSON.stringify(value)}`);
	}

	if (hasControlCharacter(value)) {
		throw new Invalid('must be one line without control characters');
	}

	return value;
};

/** A value shown as it is stored. */
export const shownAsIs = (value: unknown): string => String(value);

/** A whole number from `min` to `max`. */
export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => {
	const range = `from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`;
	return {
		parse(raw: string): unknown {
			if (!/^\s*\d+\s*$/.test(raw)) {
				throw new Invalid(`must be a whole number ${range}, found ${JSON.stringify(raw)}`);
			}

			return Number(raw);
		},
		check(value: unknown): unknown {
			if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
				throw new Invalid(`must be a whole number ${range}, found ${JSON.stringify(value)}`);
			}

			return value;
		},
		show: shownAsIs,
	};
};

export const booleanWords: Record<string, boolean> = {true: true, yes: true, on: true, 1: true, false: false, no: false, off: false, 0: false};

/** true or false, typed as yes/no, on/off, 1/0 too. */
export const boolean = {
	parse(raw: string): unknown {
		const word = raw.trim().toLowerCase();
		if (!Object.hasOwn(booleanWords, word)) {
			throw new Invalid(`must be true or false (yes/no, on/off, 1/0), found ${JSON.stringify(raw)}`);
		}

		return booleanWords[word];
	},
	check(value: unknown): unknown {
		if (typeof value !== 'boolean') {
			throw new Invalid(`must be true or false, found ${JSON.stringify(value)}`);
		}

		return value;
	},
	show: shownAsIs,
};

/** One line of text, trimmed. */
export const plain = {parse: (raw: string): unknown => raw.trim(), check: (value: unknown): unknown => text(value).trim(), show: shownAsIs};

/** Text that may span lines (an SQL query): tabs and line breaks allowed, other control characters not. */
export const multiline = {
	parse: (raw: string): unknown => raw.trim(),
	check(value: unknown): unknown {
		if (typeof value !== 'string') {
			throw new Invalid(`must be text, found ${JSON.stringify(value)}`);
		}

		if (hasControlCharacter(value.replaceAll(/[\t\r\n]/g, ' '))) {
			throw new Invalid('must not hold control characters other than tabs and line breaks');
		}

		return value.trim();
	},
	show: shownAsIs,
};

/** One of a few words. */
export const oneOf = <T extends string>(choices: readonly T[]) => ({
	parse: (raw: string): unknown => raw.trim().toLowerCase(),
	check(value: unknown): unknown {
		if (!choices.includes(value as T)) {
			throw new Invalid(`must be one of ${choices.join(', ')}, found ${JSON.stringify(value)}`);
		}

		return value;
	},
	show: shownAsIs,
});

/**
 * Empty, or a URL starting with one of these schemes, holding no password (checked when set; a
 * stored one is read as it is, shown without its password, and said to hold one).
 * - `expected`: the schemes as the message gives them (`ldap:// or ldaps://`)
 * - `passwordFrom`: where the password comes from instead (`MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand`)
 * - `userIn`: the setting that holds the user, when the URL may not (`directory.ldap.bindDn`)
 * - `problem`: the source's own reading of a URL, so that one it would refuse is refused when set
 *   (`must name one database …`; undefined: nothing wrong)
 * No message repeats the URL: it may hold a password.
 */
export const url = ({schemes, expected, passwordFrom, userIn, problem}: {schemes: RegExp; expected: string; passwordFrom: string; userIn?: string; problem?: (address: string) => string | undefined}) => {
	const passwordProblem = (address: string): string | undefined => {
		const where = urlPassword(address);
		if (where === undefined) {
			return undefined;
		}

		const part = where === 'userinfo' ? 'after the user name (user:PASSWORD@)' : 'in a parameter (?password=…)';
		return `holds a password ${part}, which massmail never stores: remove it from the URL, and set ${passwordFrom} instead`;
	};

	return {
		parse: (raw: string): unknown => raw.trim(),
		check(value: unknown, loading: boolean): unknown {
			const address = text(value).trim();
			if (loading || address === '') {
				return address;
			}

			// The password first: whatever else is wrong, that is what must not be stored.
			const password = passwordProblem(address);
			if (password !== undefined) {
				throw new Invalid(password);
			}

			if (!schemes.test(address) || /\s/.test(address)) {
				throw new Invalid(`must start with ${expected}`);
			}

			const syntax = urlSyntaxProblem(address);
			if (syntax !== undefined) {
				throw new Invalid(`is not a URL: ${syntax}`);
			}

			if (userIn !== undefined && new URL(address).username !== '') {
				throw new Invalid(`holds a user name (before @): it goes in ${userIn}, and the password in ${passwordFrom}`);
			}

			const refused = problem?.(address);
			if (refused !== undefined) {
				throw new Invalid(refused);
			}

			return address;
		},
		show: (value: unknown): string => shownUrl(String(value)),
		storedProblem(value: unknown): string | undefined {
			const address = typeof value === 'string' ? value.trim() : '';
			if (address === '') {
				return undefined;
			}

			// shownUrl shows text that is not a URL as *** (a password pasted whole): say why.
			return passwordProblem(address) ?? (schemes.test(address) ? undefined : `must start with ${expected} (what it holds is not shown: it may be a password)`);
		},
	};
};

/** A file of CA certificates: a relative path is taken from the current folder; checked when set. */
export const caFile = {
	parse(raw: string): unknown {
		const file = raw.trim();
		return file === '' ? '' : path.resolve(file);
	},
	check(value: unknown, loading: boolean): unknown {
		const file = text(value).trim();
		const read = !loading && file !== '' ? caCertificates(file) : undefined;
		if (read && 'problem' in read) {
			throw new Invalid(read.problem);
		}

		return file;
	},
	show: shownAsIs,
};

/** `3600`, `90s`, `30min`, `1h`, `2d` -> seconds. */
export function parseDuration(raw: string): number {
	const match = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$/i.exec(raw);
	if (!match) {
		throw new Error(`must be a duration such as 3600 (seconds), 30min, 1h or 0 (never), found ${JSON.stringify(raw)}`);
	}

	const unit = (match[2] ?? 's').toLowerCase();
	const factor = unit === 'd' ? 86_400 : unit === 'h' ? 3600 : unit === 'm' || unit === 'min' ? 60 : 1;
	return Math.round(Number(match[1]) * factor);
}

/**
 * A pace in messages a second as a person writes it: the smallest unit in which it is a whole
 * number (a second, bare; `/min`; `/h`), else the number a second.
 * @example showRate(2) // '2'
 * @example showRate(0.5) // '30/min'
 * @example showRate(1000 / 3600) // '1000/h'
 * @example showRate(2.5) // '150/min'
 */
export function showRate(perSecond: number): string {
	const whole = (value: number) => Math.abs(value - Math.round(value)) < 1e-9 * Math.max(1, value);
	if (whole(perSecond)) {
		return String(Math.round(perSecond));
	}

	for (const [unit, seconds] of [['min', 60], ['h', 3600]] as const) {
		if (whole(perSecond * seconds)) {
			return `${Math.round(perSecond * seconds)}/${unit}`;
		}
	}

	return String(perSecond);
}

/** 3600 -> `1h`, 1800 -> `30min`, 90 -> `90`: a duration in seconds as people write it. */
export function showDuration(seconds: number): string {
	if (seconds > 0 && seconds % 3600 === 0) {
		return `${seconds / 3600}h`;
	}

	if (seconds > 0 && seconds % 60 === 0) {
		return `${seconds / 60}min`;
	}

	return String(seconds);
}

/** A setting in seconds that people may also write 30min or 1h (parseDuration), shown the short way. */
export const duration = {
	...integer(0),
	parse(raw: string): unknown {
		try {
			return parseDuration(raw);
		} catch (error) {
			throw new Invalid((error as Error).message);
		}
	},
	show: (value: unknown) => showDuration(value as number),
};
