/**
 * The `sql` directory source, described (source.ts): one SELECT against the mail server's own
 * database, PostgreSQL or MySQL/MariaDB. Its reader (sql-read.ts, with pg and mysql2) is loaded
 * only when the source is opened.
 */
import {caFile, multiline, url} from '../settings/spec.js';
import {shownUrl} from '../settings/url-secrets.js';
import {defineSource, unlessEmpty} from './source.js';
import {sqlUrlProblem} from './sql-url.js';

const schemes = 'postgres://, postgresql://, mysql:// or mariadb://';

export const sqlSource = defineSource({
	kind: 'sql',
	title: 'SQL database (PostgreSQL, MariaDB, MySQL)',
	settings: {
		url: {
			description: 'postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB (no password here)',
			example: 'postgres://mailreader@127.0.0.1:5432/postfix',
			...url({schemes: /^(?:postgres|postgresql|mysql|mariadb):\/\//i, expected: schemes, passwordFrom: 'MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand', problem: sqlUrlProblem}),
			label: 'Database URL',
			default: '',
			needed: 'the database\'s address: postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB',
		},
		query: {
			description: 'one SELECT giving the columns email, name, role, disabled (massmail config shows ready ones for PostfixAdmin and iRedMail)',
			example: 'SELECT username AS email, name, \'user\' AS role, active = 0 AS disabled FROM mailbox',
			...multiline,
			label: 'Query',
			default: '',
			needed: 'one SELECT giving email, name, role, disabled (massmail config shows ready ones)',
		},
		caFile: {
			description: 'a PEM file of the CAs to trust for the database\'s TLS certificate; empty: Node\'s own list',
			example: '/etc/ssl/private-ca.pem',
			...caFile,
			label: 'CA file',
			default: '',
		},
	},
	fields: ['url', 'query', 'caFile', 'directory.passwordCommand', 'directory.maxAge'],
	// A URL is refused with a password when set; one written into the file is shown without it.
	label: values => shownUrl(values.url),
	async open(values, context) {
		const {openSqlSource} = await import('./sql-read.js');
		return openSqlSource({url: values.url, query: values.query, password: await context.password(), caFile: unlessEmpty(values.caFile)});
	},
});
