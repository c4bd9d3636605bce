/**
 * `massmail sync` and the sync before a send, through the built command line, against the real
 * servers a mail system keeps its users in: PostgreSQL with PostfixAdmin's tables, OpenLDAP with
 * an iRedMail-like tree, Dovecot's userdb, and a stand-in for SmarterMail's web API. What each
 * test asserts is what a person sees: the directory after (`users --json`), the exit status,
 * what the SMTP server received.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {setTimeout as sleep} from 'node:timers/promises';
import {createMailSchema} from '../../bench/lib/sql-directory.js';
import {freePort} from '../../bench/lib/postfix.js';
import {readyQueries} from '../../source/core/sources/sql-queries.js';
import {runCli, type CliResult} from '../helpers/cli.js';
import {startDovecot} from '../helpers/dovecot-server.js';
import {ldapBase, ldapDomainLdif, ldapUserLdif, startLdapServer} from '../helpers/ldap-server.js';
import {startPostgres, type SqlTestServer} from '../helpers/postgres-server.js';
import {startSmarterMailStandIn} from '../helpers/smartermail-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {spawnTerminal} from '../helpers/terminal.js';

interface Synced {
	source: string;
	added: string[];
	removed: string[];
	changed: Array<{address: string; fields: string[]; before: Fields; after: Fields}>;
	total: number;
	addedMailboxes: Listed[];
	removedMailboxes: Listed[];
	needsConfirmation: boolean;
	guard: string[];
}

type Fields = Omit<Listed, 'address'>;

interface Listed {
	address: string;
	name: string;
	role: string;
	disabled: boolean;
}

let postgres: SqlTestServer | undefined;
let database = 0;

test.before(async () => {
	postgres = await startPostgres();
});

test.after.always(async () => {
	await postgres?.stop();
});

/** A PostfixAdmin database of its own for one test, with the ready query set up. */
async function postfixAdmin(t: ExecutionContext, rows: string): Promise<{dir: string; env: Record<string, string>; sql: (text: string) => Promise<unknown>}> {
	const name = `postfix${++database}`;
	await createMailSchema(postgres!, 'postfixadmin', name);
	await postgres!.sql(rows, name);
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_DIRECTORY_PASSWORD: postgres!.reader.password};
	for (const [key, value] of [['directory.source', 'sql'], ['directory.sql.url', postgres!.url(name)], ['directory.sql.query', readyQueries.postfixadmin.postgres]]) {
		const set = await runCli(['config', 'set', key!, value!], {configDir: dir, env});
		t.is(set.code, 0, set.stderr);
	}

	return {dir, env, sql: async (text: string) => postgres!.sql(text, name)};
}

const domains = `INSERT INTO domain (domain, description, active) VALUES ('example.com', 'Example', TRUE), ('other.org', 'Other', TRUE);`;
const mailbox = (address: string, name: string, active = true) => {
	const [local, domain] = address.split('@');
	return `('${address}', '${name}', '${domain}/${local}/', '${local}', '${domain}', ${active ? 'TRUE' : 'FALSE'})`;
};

const mailboxes = (...values: string[]) => `INSERT INTO mailbox (username, name, maildir, local_part, domain, active) VALUES ${values.join(', ')};`;

async function cli(args: string[], dir: string, env: Record<string, string>): Promise<CliResult> {
	return runCli(args, {configDir: dir, env});
}

async function users(dir: string, domain: string): Promise<Listed[]> {
	const listed = await runCli(['users', domain, '--json'], {configDir: dir});
	return (JSON.parse(listed.stdout) as Listed[]).map(({address, name, role, disabled}) => ({address, name, role, disabled}));
}

function directoryFile(dir: string): string {
	return fs.readFileSync(path.join(dir, 'directory.json'), 'utf8');
}

function noStack(t: ExecutionContext, result: CliResult): void {
	t.notRegex(result.stderr, /internal error|\n\s+at .+:\d+:\d+/, result.stderr);
}

test.serial('PostgreSQL (PostfixAdmin): a dry run changes nothing; sync adds, removes and changes exactly what the database says', async t => {
	const db = await postfixAdmin(t, `${domains}
		${mailboxes(mailbox('ann@example.com', 'Ann Lee'), mailbox('bob@example.com', 'Bob Stone'), mailbox('cy@example.com', 'Cy Gone', false), mailbox('eve@other.org', 'Eve Other'))}
		INSERT INTO domain_admins (username, domain, active) VALUES ('ann@example.com', 'example.com', TRUE);`);
	// What was there before, imported by hand while the directory was local: one still in the database, one not.
	fs.writeFileSync(path.join(db.dir, 'old.csv'), 'email,name,role,disabled\nann@example.com,Ann (old),user,false\nold@example.com,Old Timer,user,false\n');
	t.is((await cli(['config', 'set', 'directory.source', 'local'], db.dir, db.env)).code, 0);
	t.is((await runCli(['import', path.join(db.dir, 'old.csv')], {configDir: db.dir})).code, 0);
	t.is((await cli(['config', 'set', 'directory.source', 'sql'], db.dir, db.env)).code, 0);
	const before = directoryFile(db.dir);

	const dry = await cli(['sync', '--dry-run', '--json'], db.dir, db.env);
	t.is(dry.code, 0, dry.stderr);
	const planned = JSON.parse(dry.stdout) as Synced;
	t.deepEqual(planned.added.sort(), ['bob@example.com', 'cy@example.com', 'eve@other.org']);
	t.deepEqual(planned.removed, ['old@example.com']);
	t.deepEqual(planned.changed.map(({address, fields}) => ({address, fields})), [{address: 'ann@example.com', fields: ['name', 'role']}]);
	t.is(planned.total, 4);
	t.true(planned.source.startsWith('postgres://'), planned.source);
	t.false(planned.source.includes(postgres!.reader.password), 'no password in the label');
	t.is(directoryFile(db.dir), before, 'the dry run wrote nothing');

	// Removing 1 of 2 is more than 10%: without a terminal it needs --yes.
	const refused = await cli(['sync'], db.dir, db.env);
	t.is(refused.code, 2, refused.stderr);
	t.regex(refused.stderr, /removes 1 mailbox of 2 \(more than 10%\)/);
	t.is(directoryFile(db.dir), before);

	const applied = await cli(['sync', '--yes'], db.dir, db.env);
	t.is(applied.code, 0, applied.stderr);
	t.regex(applied.stdout, /3 added, 1 removed, 1 changed/);
	t.regex(applied.stdout, /example\.com: \+2 -1 ~1/);
	t.deepEqual(await users(db.dir, 'example.com'), [
		{address: 'ann@example.com', name: 'Ann Lee', role: 'admin', disabled: false},
		{address: 'bob@example.com', name: 'Bob Stone', role: 'user', disabled: false},
		{address: 'cy@example.com', name: 'Cy Gone', role: 'user', disabled: true},
	]);

	// The database changes; the next sync follows it, and a second one finds nothing to do.
	await db.sql(`UPDATE mailbox SET name = 'Bob B. Stone' WHERE username = 'bob@example.com'; ${mailboxes(mailbox('dee@example.com', 'Dee New'))}`);
	const next = JSON.parse((await cli(['sync', '--json'], db.dir, db.env)).stdout) as Synced;
	t.deepEqual(next.added, ['dee@example.com']);
	t.deepEqual(next.changed.map(({address, fields}) => ({address, fields})), [{address: 'bob@example.com', fields: ['name']}]);
	const again = await cli(['sync'], db.dir, db.env);
	t.regex(again.stdout, /No change/);

	// The header of the data: where it came from and when.
	const origin = (JSON.parse(directoryFile(db.dir)) as {origin: {source: string; syncedAt: string}}).origin;
	t.is(origin.source, planned.source);
	t.true(Date.now() - Date.parse(origin.syncedAt) < 60_000);
});

/** Two domains of a company's mail server, in PostfixAdmin's tables. */
const companyDomains = `INSERT INTO domain (domain, description, active) VALUES ('acme.test', 'Acme', TRUE), ('globex.test', 'Globex', TRUE);`;
/** A UTF-8 locale in a terminal that is not the Linux console: `→` and `…`. */
const utf8 = {LC_ALL: 'C.UTF-8', TERM: 'xterm-256color'};

test.serial('sync names each mailbox it adds, removes and changes, per domain; a pipe gets every line, and --json each change\'s values', async t => {
	// 22 mailboxes: removing 2 stays under the guard's 10%, so a plain sync applies.
	const acme = Array.from({length: 7}, (_, index) => mailbox(`staff${index}@acme.test`, `Staff ${index}`));
	const globex = Array.from({length: 8}, (_, index) => mailbox(`staff${index}@globex.test`, `Staff ${index}`));
	const db = await postfixAdmin(t, `${companyDomains}
		${mailboxes(mailbox('aweber@acme.test', 'Anna Weber'), mailbox('jdoe@acme.test', 'John Doe'), mailbox('mkay@acme.test', 'Mia Kay'), ...acme,
		mailbox('sberg@globex.test', 'Sven Berg'), mailbox('pwolf@globex.test', 'Paul Wolf'), mailbox('hfischer@globex.test', 'Hans Fischer'), mailbox('lroth@globex.test', 'Lena Roth'), ...globex)}
		INSERT INTO domain_admins (username, domain, active) VALUES ('lroth@globex.test', 'globex.test', TRUE);`);
	const env = {...db.env, ...utf8};
	const first = await cli(['sync'], db.dir, env);
	t.is(first.code, 0, first.stderr);

	// The scenario: 2 added, 2 deleted, 1 deactivated, 1 renamed, 2 role changes.
	await db.sql(`${mailboxes(mailbox('tnew@acme.test', 'Tina New'), mailbox('ozimmer@globex.test', 'Olga Zimmer'))}
		DELETE FROM mailbox WHERE username IN ('sberg@globex.test', 'pwolf@globex.test');
		UPDATE mailbox SET active = FALSE WHERE username = 'mkay@acme.test';
		UPDATE mailbox SET name = 'John D. Doe' WHERE username = 'jdoe@acme.test';
		INSERT INTO domain_admins (username, domain, active) VALUES ('hfischer@globex.test', 'globex.test', TRUE);
		DELETE FROM domain_admins WHERE username = 'lroth@globex.test';`);
	const label = (JSON.parse((await cli(['sync', '--dry-run', '--json'], db.dir, env)).stdout) as Synced).source;
	const listing = [
		`${label}: 2 added, 2 removed, 4 changed; 22 mailboxes after (22 before).`,
		'  acme.test: +1 -0 ~2',
		'    + tnew@acme.test (Tina New, user)',
		'    ~ jdoe@acme.test: name "John Doe" → "John D. Doe"',
		'    ~ mkay@acme.test: disabled',
		'  globex.test: +1 -2 ~2',
		'    + ozimmer@globex.test (Olga Zimmer, user)',
		'    - pwolf@globex.test',
		'    - sberg@globex.test',
		'    ~ hfischer@globex.test: role user → admin',
		'    ~ lroth@globex.test: role admin → user',
	];

	const dry = await cli(['sync', '--dry-run'], db.dir, env);
	t.is(dry.code, 0, dry.stderr);
	t.is(dry.stdout, [...listing, 'Dry run: nothing was changed.', ''].join('\n'), 'no confirmation needed: the dry run says nothing of one');

	// Without a UTF-8 locale, ASCII arrows.
	const ascii = await cli(['sync', '--dry-run'], db.dir, {...db.env, LC_ALL: 'C'});
	t.true(ascii.stdout.includes('    ~ hfischer@globex.test: role user -> admin\n'), ascii.stdout);

	// --json: the lines go to stderr, and the document gains each change's values.
	const dryJson = await cli(['sync', '--dry-run', '--json'], db.dir, env);
	t.is(dryJson.stderr, [...listing, 'Dry run: nothing was changed.', ''].join('\n'));
	const planned = JSON.parse(dryJson.stdout) as Synced;
	t.deepEqual(planned.added.sort(), ['ozimmer@globex.test', 'tnew@acme.test']);
	t.deepEqual(planned.addedMailboxes.sort((a, b) => a.address.localeCompare(b.address)), [
		{address: 'ozimmer@globex.test', name: 'Olga Zimmer', role: 'user', disabled: false},
		{address: 'tnew@acme.test', name: 'Tina New', role: 'user', disabled: false},
	]);
	t.deepEqual(planned.removedMailboxes.map(({address, name}) => ({address, name})).sort((a, b) => a.address.localeCompare(b.address)), [
		{address: 'pwolf@globex.test', name: 'Paul Wolf'},
		{address: 'sberg@globex.test', name: 'Sven Berg'},
	]);
	t.deepEqual(planned.changed.find(change => change.address === 'hfischer@globex.test'), {
		address: 'hfischer@globex.test',
		fields: ['role'],
		before: {name: 'Hans Fischer', role: 'user', disabled: false},
		after: {name: 'Hans Fischer', role: 'admin', disabled: false},
	});
	t.like(planned, {needsConfirmation: false, guard: []});

	const applied = await cli(['sync'], db.dir, env);
	t.is(applied.code, 0, applied.stderr);
	t.is(applied.stdout, [...listing, `Synced: 22 mailboxes from ${label}.`, ''].join('\n'));
});

/** 100 mailboxes, of which the source then loses 81 of globex.test's 90: the guard's case. */
async function massRemoval(t: ExecutionContext): Promise<Awaited<ReturnType<typeof postfixAdmin>> & {label: string}> {
	const number = (index: number) => String(index).padStart(3, '0');
	const db = await postfixAdmin(t, `${companyDomains}
		${mailboxes(...Array.from({length: 10}, (_, index) => mailbox(`staff${index}@acme.test`, `Staff ${index}`)), ...Array.from({length: 90}, (_, index) => mailbox(`u${number(index + 1)}@globex.test`, `User ${index + 1}`)))}`);
	const first = await cli(['sync'], db.dir, db.env);
	t.is(first.code, 0, first.stderr);
	await db.sql(`DELETE FROM mailbox WHERE domain = 'globex.test' AND username > 'u009@globex.test'`);
	const label = (JSON.parse((await cli(['sync', '--dry-run', '--json'], db.dir, db.env)).stdout) as Synced).source;
	return {...db, label};
}

test.serial('the guard names the mailboxes it would remove; a dry run says the real sync will need a confirmation (and --yes without a terminal)', async t => {
	const db = await massRemoval(t);
	const env = {...db.env, ...utf8};
	const before = directoryFile(db.dir);
	const removed = Array.from({length: 81}, (_, index) => `    - u${String(index + 10).padStart(3, '0')}@globex.test`);

	const dry = await cli(['sync', '--dry-run'], db.dir, env);
	t.is(dry.code, 0, dry.stderr);
	t.is(dry.stdout, [
		`${db.label}: 0 added, 81 removed, 0 changed; 19 mailboxes after (100 before).`,
		'  globex.test: +0 -81 ~0',
		...removed,
		'Dry run: nothing was changed.',
		'massmail sync will need a confirmation: it removes 81 mailboxes of 100 (more than 10%). It asks on a terminal; without one (cron, a script) it needs --yes.',
		'',
	].join('\n'), 'a pipe gets all 81 names, then the notice');
	const dryJson = JSON.parse((await cli(['sync', '--dry-run', '--json'], db.dir, env)).stdout) as Synced;
	t.like(dryJson, {needsConfirmation: true, guard: ['it removes 81 mailboxes of 100 (more than 10%)']});
	t.is(dryJson.removedMailboxes.length, 81);

	// No terminal to ask and no --yes: refused, naming the first of them; nothing changed.
	const refused = await cli(['sync'], db.dir, env);
	t.is(refused.code, 2, refused.stderr);
	t.true(refused.stderr.startsWith([
		'This sync needs a confirmation: it removes 81 mailboxes of 100 (more than 10%). A wrong query or filter looks like this.',
		'It removes u010@globex.test, u011@globex.test, u012@globex.test, u013@globex.test, u014@globex.test and 76 more.',
		'',
	].join('\n')), refused.stderr);
	t.regex(refused.stderr, /refusing without a confirmation/);
	t.is(directoryFile(db.dir), before);
});

test.serial('on a terminal the list is cut to the screen with how many are left and how to read them all, and the question names the removals', async t => {
	const db = await massRemoval(t);
	const before = directoryFile(db.dir);
	// 132 columns: no line wraps, so each row of the screen is one line.
	const term = spawnTerminal(['sync'], {env: {...db.env, ...utf8, MASSMAIL_CONFIG_DIR: db.dir, NO_COLOR: '1'}, columns: 132, rows: 24});
	t.teardown(() => {
		term.kill();
	});
	const screen = await term.waitFor('[y/N]');
	const lines = await term.lines();
	// Nothing scrolled away: the summary is the top line, the question the last one written.
	t.is(lines[0], `${db.label}: 0 added, 81 removed, 0 changed; 19 mailboxes after (100 before).`);
	t.deepEqual(lines.slice(1, 16), [
		'  globex.test: +0 -81 ~0',
		...Array.from({length: 13}, (_, index) => `    - u${String(index + 10).padStart(3, '0')}@globex.test`),
		'  … and 68 more mailboxes (all of them: massmail sync --dry-run | less)',
	], screen);
	t.deepEqual(lines.slice(16, 19), [
		'This sync needs a confirmation: it removes 81 mailboxes of 100 (more than 10%). A wrong query or filter looks like this.',
		'It removes u010@globex.test, u011@globex.test, u012@globex.test, u013@globex.test, u014@globex.test and 76 more.',
		'Apply it? [y/N] ',
	], screen);
	term.type('n\r');
	t.is((await term.waitForExit()).exitCode, 2);
	t.is(directoryFile(db.dir), before, 'not confirmed: nothing changed');
});

test.serial('PostgreSQL: a row that breaks the rules, a refused login or an unreachable server change nothing', async t => {
	const db = await postfixAdmin(t, `${domains} ${mailboxes(mailbox('ann@example.com', 'Ann'), mailbox('bob@example.com', 'Bob'))}`);
	t.is((await cli(['sync'], db.dir, db.env)).code, 0);
	let before = directoryFile(db.dir);

	// A bad address in the database: exit 2, the row and the rule named.
	await db.sql(mailboxes(mailbox('not an address@example.com', 'Bad')));
	const bad = await cli(['sync', '--yes'], db.dir, db.env);
	t.is(bad.code, 2, bad.stderr);
	noStack(t, bad);
	t.regex(bad.stderr, /row \d+.*not an address@example\.com/);
	t.regex(bad.stderr, /nothing was changed/);
	t.is(directoryFile(db.dir), before);
	await db.sql(`DELETE FROM mailbox WHERE username = 'not an address@example.com'`);

	// Two primaries in one domain, from a query that makes everyone primary.
	t.is((await cli(['sync', '--yes'], db.dir, db.env)).code, 0);
	before = directoryFile(db.dir);
	t.is((await cli(['config', 'set', 'directory.sql.query', 'SELECT username AS email, name, \'primary\' AS role, FALSE AS disabled FROM mailbox'], db.dir, db.env)).code, 0);
	const twoPrimaries = await cli(['sync', '--yes'], db.dir, db.env);
	t.is(twoPrimaries.code, 2, twoPrimaries.stderr);
	t.regex(twoPrimaries.stderr, /primary/);
	t.is(directoryFile(db.dir), before);
	t.is((await cli(['config', 'set', 'directory.sql.query', readyQueries.postfixadmin.postgres], db.dir, db.env)).code, 0);

	// A refused login: exit 3, the server's refusal, no password in it.
	const refused = await cli(['sync', '--yes'], db.dir, {MASSMAIL_DIRECTORY_PASSWORD: 'wrong-Pw9x'});
	t.is(refused.code, 3, refused.stderr);
	noStack(t, refused);
	t.notRegex(refused.stderr, /wrong-Pw9x/);
	t.is(directoryFile(db.dir), before);

	// Nobody listening: exit 3.
	const port = await freePort();
	t.is((await cli(['config', 'set', 'directory.sql.url', `postgres://reader@127.0.0.1:${port}/x`], db.dir, db.env)).code, 0);
	const unreachable = await cli(['sync', '--yes'], db.dir, db.env);
	t.is(unreachable.code, 3, unreachable.stderr);
	noStack(t, unreachable);
	t.is(directoryFile(db.dir), before);
});

test.serial('while the mailboxes come from a source, local adds, removals and supplied fields are refused with the reason', async t => {
	const db = await postfixAdmin(t, `${domains} ${mailboxes(mailbox('ann@example.com', 'Ann'))}`);
	// Before the first sync, nothing is set locally either: the source has not been read yet.
	const early = await cli(['user', 'set', 'ann@example.com', '--name', 'Ann'], db.dir, db.env);
	t.is(early.code, 2);
	t.regex(early.stderr, /the directory was never synced from it/);
	t.is((await cli(['sync'], db.dir, db.env)).code, 0);
	for (const args of [['user', 'add', 'new@example.com'], ['user', 'remove', 'ann@example.com'], ['domain', 'add', 'new.example'], ['domain', 'remove', 'example.com', '--yes'], ['user', 'set', 'ann@example.com', '--name', 'Local Ann']]) {
		const result = await cli(args, db.dir, db.env);
		t.is(result.code, 2, args.join(' '));
		t.regex(result.stderr, /the mailboxes come from sql \(postgres:\/\/.*\); change them there/, args.join(' '));
	}

	t.deepEqual((await users(db.dir, 'example.com')).map(user => user.name), ['Ann']);
});

test.serial('a send whose directory is older than directory.maxAge syncs first, and reaches exactly the mailboxes the database holds', async t => {
	// Twelve mailboxes: the one removal below stays under the guard's 10%.
	const others = Array.from({length: 10}, (_, index) => mailbox(`u${index}@other.org`, `U${index}`));
	const db = await postfixAdmin(t, `${domains} ${mailboxes(mailbox('ann@example.com', 'Ann'), mailbox('bob@example.com', 'Bob'), ...others)}`);
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const env = {...db.env, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	t.is((await cli(['sync'], db.dir, env)).code, 0);
	await db.sql(`${mailboxes(mailbox('cy@example.com', 'Cy'), mailbox('dee@example.com', 'Dee', false))} DELETE FROM mailbox WHERE username = 'bob@example.com'`);

	// Not yet stale (an hour, the default): the send goes to the directory as it is (ann, bob) — told by the dry run.
	const fresh = await cli(['send', '--to', 'domain:example.com', '--subject', 'S', '--message', 'M', '--dry-run', '--json'], db.dir, env);
	t.deepEqual((JSON.parse(fresh.stdout) as {recipients: string[]}).recipients, ['ann@example.com', 'bob@example.com']);

	// A second's maxAge, and more than a second since the sync: stale.
	t.is((await cli(['config', 'set', 'directory.maxAge', '1'], db.dir, env)).code, 0);
	await sleep(1500);
	const sent = await cli(['send', '--to', 'domain:example.com', '--subject', 'S', '--message', 'M', '--yes'], db.dir, env);
	t.is(sent.code, 0, sent.stderr);
	t.regex(sent.stderr, /older than directory\.maxAge: syncing from sql first/);
	t.regex(sent.stderr, /2 added, 1 removed/);
	const received = smtp.messages.flatMap(message => message.envelope.to).sort();
	t.deepEqual(received, ['ann@example.com', 'cy@example.com'], 'the enabled mailboxes the database holds, once each');
});

test.serial('OpenLDAP (iRedMail-like tree): sync reads users, admins and disabled accounts through the configured filters; a refused bind changes nothing', async t => {
	const ldap = await startLdapServer({
		ldif: [
			ldapDomainLdif('example.com'),
			ldapUserLdif({mail: 'ann@example.com', name: 'Ann Lee', admin: true}),
			ldapUserLdif({mail: 'bob@example.com', name: 'Bob Stone'}),
			ldapUserLdif({mail: 'cy@example.com', name: 'Cy Gone', disabled: true}),
		].join('\n'),
	});
	t.teardown(async () => ldap.stop());
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_DIRECTORY_PASSWORD: ldap.readerPassword};
	for (const [key, value] of [
		['directory.source', 'ldap'], ['directory.ldap.url', ldap.url], ['directory.ldap.bindDn', ldap.readerDn], ['directory.ldap.base', ldapBase],
		['directory.ldap.filter', '(&(objectClass=mailUser)(mail=*))'], ['directory.ldap.disabledFilter', '(!(accountStatus=active))'], ['directory.ldap.adminFilter', '(enabledService=domainadmin)'],
	]) {
		t.is((await cli(['config', 'set', key!, value!], dir, env)).code, 0, key);
	}

	const synced = await cli(['sync', '--json'], dir, env);
	t.is(synced.code, 0, synced.stderr);
	t.like(JSON.parse(synced.stdout), {source: ldap.url, total: 3});
	t.deepEqual(await users(dir, 'example.com'), [
		{address: 'ann@example.com', name: 'Ann Lee', role: 'admin', disabled: false},
		{address: 'bob@example.com', name: 'Bob Stone', role: 'user', disabled: false},
		{address: 'cy@example.com', name: 'Cy Gone', role: 'user', disabled: true},
	]);
	const before = directoryFile(dir);
	const refused = await cli(['sync'], dir, {MASSMAIL_DIRECTORY_PASSWORD: 'wrong'});
	t.is(refused.code, 3, refused.stderr);
	noStack(t, refused);
	t.is(directoryFile(dir), before);
});

test.serial('Dovecot: the users doveadm lists; names set locally survive every sync, as Dovecot has none; Dovecot down changes nothing', async t => {
	const dovecot = await startDovecot({users: ['ann@example.com', 'bob@example.com']});
	t.teardown(async () => dovecot.stop());
	const {dir} = tempConfigDir(t);
	for (const [key, value] of [['directory.source', 'dovecot'], ['directory.dovecot.command', dovecot.command]]) {
		t.is((await cli(['config', 'set', key!, value!], dir, {})).code, 0);
	}

	const first = await cli(['sync', '--json'], dir, {});
	t.is(first.code, 0, first.stderr);
	t.deepEqual((JSON.parse(first.stdout) as Synced).added, ['ann@example.com', 'bob@example.com']);
	const named = await cli(['user', 'set', 'ann@example.com', '--name', 'Ann Lee', '--role', 'primary'], dir, {});
	t.is(named.code, 0, named.stderr);

	dovecot.setUsers(['ann@example.com', 'bob@example.com', 'cy@example.com']);
	const second = JSON.parse((await cli(['sync', '--json'], dir, {})).stdout) as Synced;
	t.deepEqual(second.added, ['cy@example.com']);
	t.deepEqual(second.changed, []);
	t.deepEqual((await users(dir, 'example.com'))[0], {address: 'ann@example.com', name: 'Ann Lee', role: 'primary', disabled: false});

	const before = directoryFile(dir);
	await dovecot.halt();
	const down = await cli(['sync'], dir, {});
	t.is(down.code, 3, down.stderr);
	noStack(t, down);
	t.is(directoryFile(dir), before);
});

test.serial('SmarterMail (a stand-in following its web API): domains, users, the primary administrator; a refused login changes nothing', async t => {
	const smartermail = await startSmarterMailStandIn({
		admin: {user: 'admin', password: 'Admin-Pw9x'},
		domains: [
			{name: 'example.com', mainDomainAdmin: 'ann', users: [{userName: 'ann', fullName: 'Ann Lee'}, {userName: 'bob', fullName: 'Bob Stone', isDomainAdmin: true}, {userName: 'cy', isDisabled: true}]},
			{name: 'other.org', users: [{userName: 'eve', fullName: 'Eve'}]},
		],
	});
	t.teardown(async () => smartermail.close());
	const {dir} = tempConfigDir(t);
	const env = {MASSMAIL_DIRECTORY_PASSWORD: 'Admin-Pw9x'};
	for (const [key, value] of [['directory.source', 'smartermail'], ['directory.smartermail.url', smartermail.url], ['directory.smartermail.user', 'admin']]) {
		t.is((await cli(['config', 'set', key!, value!], dir, env)).code, 0);
	}

	const synced = await cli(['sync', '--json'], dir, env);
	t.is(synced.code, 0, synced.stderr);
	t.is((JSON.parse(synced.stdout) as Synced).total, 4);
	t.deepEqual(await users(dir, 'example.com'), [
		{address: 'ann@example.com', name: 'Ann Lee', role: 'primary', disabled: false},
		{address: 'bob@example.com', name: 'Bob Stone', role: 'admin', disabled: false},
		{address: 'cy@example.com', name: '', role: 'user', disabled: true},
	]);
	const before = directoryFile(dir);
	const refused = await cli(['sync'], dir, {MASSMAIL_DIRECTORY_PASSWORD: 'nope'});
	t.is(refused.code, 3, refused.stderr);
	t.regex(refused.stderr, /USERNAME_OR_PASSWORD_INCORRECT|refused|incorrect/i);
	t.notRegex(refused.stderr, /Admin-Pw9x|nope/);
	t.is(directoryFile(dir), before);
});
