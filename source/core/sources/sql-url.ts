/**
 * `directory.sql.url` read into what a connection needs. Apart from the reader (sql-read.ts, with
 * pg and mysql2) so that `config set` checks a URL by the same rules as `sync`, without loading
 * the drivers: a URL that `sync` would refuse is refused when it is set.
 */
import {MassmailError} from '../errors.js';
import {urlPassword, urlSyntaxProblem} from '../settings/url-secrets.js';
import type {SqlDialect} from './sql-queries.js';

export interface SqlTarget {
	dialect: SqlDialect;
	user: string;
	/** As written in the URL, without IPv6 brackets. */
	host: string;
	port: number;
	database: string;
	/** The URL without any password, for people and the directory's record. */
	label: string;
}

const schemes: Record<string, SqlDialect> = {
	'postgres:': 'postgres',
	'postgresql:': 'postgres',
	'mysql:': 'mysql',
	'mariadb:': 'mysql',
};

const defaultPorts: Record<SqlDialect, number> = {postgres: 5432, mysql: 3306};
const urlForm = 'postgres://user@host:port/database or mysql://user@host:port/database';
export const passwordHint = 'put the password in MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand';

/** What a URL reads as: its target, what is wrong with it (the setting's name left out), or where it holds a password. */
type Reading = {target: SqlTarget} | {problem: string} | {password: 'userinfo' | 'parameter'};

function read(text: string): Reading {
	const trimmed = text.trim();
	const scheme = /^([a-z][a-z\d+.-]*):\/\//i.exec(trimmed)?.[1].toLowerCase();
	if (scheme === undefined || schemes[`${scheme}:`] === undefined) {
		return {problem: 'must start with postgres://, postgresql://, mysql:// or mariadb://'};
	}

	// Before the URL is parsed: `user:pass/word@host` parses as the host `user` and port `pass`.
	const password = urlPassword(trimmed);
	if (password !== undefined) {
		return {password};
	}

	const syntax = urlSyntaxProblem(trimmed);
	if (syntax !== undefined) {
		return {problem: `is not a URL: ${syntax}`};
	}

	const url = new URL(trimmed);
	const dialect = schemes[url.protocol]!;
	let user: string;
	let database: string;
	try {
		user = decodeURIComponent(url.username);
		database = decodeURIComponent(url.pathname.replace(/^\//, ''));
	} catch {
		return {problem: 'has a bad %-escape in the user or the database'};
	}

	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (host === '') {
		return {problem: 'names no host'};
	}

	if (user === '') {
		return {problem: 'names no user (the part before @)'};
	}

	if (database === '' || database.includes('/')) {
		return {problem: 'must name one database after the host: …/database'};
	}

	if (url.search !== '' || url.hash !== '') {
		return {problem: 'takes no parameters (?… or #…): TLS is chosen by the address, the password comes from elsewhere'};
	}

	const port = url.port === '' ? defaultPorts[dialect] : Number(url.port);
	if (port < 1) {
		return {problem: 'has port 0'};
	}

	return {target: {dialect, user, host, port, database, label: `${url.protocol}//${url.username}@${url.host}${url.pathname}`}};
}

/**
 * Reads a `directory.sql.url`. Refuses a password in it, and never repeats the URL in an error
 * (it may hold one).
 */
export function parseSqlUrl(text: string): SqlTarget {
	const reading = read(text);
	if ('password' in reading) {
		const where = reading.password === 'userinfo' ? '' : ' (in a parameter)';
		throw new MassmailError('validation', `directory.sql.url holds a password${where}: a password never goes in the URL, which is shown and stored`, {
			hint: `remove it from the URL and ${passwordHint}`,
		});
	}

	if ('problem' in reading) {
		throw new MassmailError('validation', `directory.sql.url ${reading.problem}`, {hint: `write it as ${urlForm}`});
	}

	return reading.target;
}

/** What is wrong with a URL other than a password in it (the setting's check says that first), as `must …`; undefined: nothing. */
export function sqlUrlProblem(text: string): string | undefined {
	const reading = read(text);
	return 'problem' in reading ? reading.problem : undefined;
}
