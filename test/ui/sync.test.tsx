/**
 * The directory from its source, in the dashboard at 80×24, against real servers: a private
 * Dovecot (its userdb listed by doveadm), the SmarterMail stand-in, and the SMTP test server for
 * the send. What is asserted is what a person reads, and the directory file after.
 */
import fs from 'node:fs';
import test, {type ExecutionContext} from 'ava';
import {Directory} from '../../source/core/directory.js';
import {originText} from '../../source/ui/components/frame.js';
import {formatAge} from '../../source/ui/components/text.js';
import type {Store} from '../../source/core/store.js';
import {startDovecot, type DovecotServer} from '../helpers/dovecot-server.js';
import {startSmarterMailStandIn} from '../helpers/smartermail-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {CTRL_S, CTRL_T, CTRL_U, DOWN, ENTER, ESC, RIGHT, SHIFT_TAB, UP, renderDashboard, type Dashboard, type DashboardOptions} from './harness.js';

async function dovecot(t: ExecutionContext, users: string[]): Promise<DovecotServer> {
	const server = await startDovecot({users});
	t.teardown(async () => server.stop());
	return server;
}

/** A directory of these addresses (the first of each domain its primary), last synced `syncedAgoMs` ago (undefined: never). */
function directoryOf(addresses: string[], syncedAgoMs?: number, source = 'an earlier source'): Directory {
	const directory = Directory.empty();
	for (const address of addresses) {
		const domain = address.split('@')[1];
		if (!directory.hasDomain(domain)) {
			directory.addDomain(domain);
		}

		directory.addMailbox({address, name: address.split('@')[0].toUpperCase()});
	}

	if (syncedAgoMs !== undefined) {
		directory.origin = {source, syncedAt: new Date(Date.now() - syncedAgoMs).toISOString(), supplies: []};
	}

	return directory;
}

function env(t: ExecutionContext, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	const environment: NodeJS.ProcessEnv = {...tempConfigDir(t).env, LANG: 'en_US.UTF-8', NO_COLOR: '1', ...extra};
	delete environment.MASSMAIL_SMTP_URL;
	delete environment.MASSMAIL_DIRECTORY_PASSWORD;
	return {...environment, ...extra};
}

async function open(t: ExecutionContext, options: DashboardOptions & {command: string; addresses: string[]; syncedAgoMs?: number}): Promise<Dashboard> {
	const {command, addresses, syncedAgoMs, ...rest} = options;
	const dashboard = await renderDashboard(t, {
		env: env(t),
		...rest,
		setup(store: Store) {
			store.settings.update({directory: {source: 'dovecot', dovecot: {command}}});
			store.saveDirectory(directoryOf(addresses, syncedAgoMs));
			rest.setup?.(store);
		},
	});
	t.teardown(async () => dashboard.unmount());
	return dashboard;
}

function addresses(store: Store): string[] {
	return [...store.directory().allMailboxes()].map(mailbox => mailbox.address).sort();
}

function assertFits(t: ExecutionContext, dashboard: Dashboard): void {
	const lines = dashboard.lines();
	t.is(lines.length, 23);
	t.true(lines.every(line => line.length <= 80), lines.find(line => line.length > 80));
}

/** The screen's words on one line (wrapped lines joined), a dialog's frame taken off. */
function dialogWords(screen: string): string {
	return screen.split('\n').map(line => line.replace(/^[\s│╭╰─╮╯]+|[\s│╭╰─╮╯]+$/g, '')).filter(Boolean).join(' ');
}

/** On the Send Email form: a subject and a message, then Ctrl+S (Review). */
async function composeAndReview(d: Dashboard): Promise<void> {
	await d.focusField('Subject');
	await d.type('Maintenance tonight');
	await d.focusField('Message');
	await d.type('The server restarts at 22:00.');
	await d.press(CTRL_S);
}

test.serial('s on Domains reads Dovecot, shows the changes per domain and per mailbox before applying them; Enter applies; the header says where from and how old', async t => {
	const staff = Array.from({length: 9}, (_, index) => `u${index + 1}@example.com`);
	const server = await dovecot(t, ['ann@example.com', ...staff, 'bob@example.com', 'cy@other.org']);
	const d = await open(t, {command: server.command, addresses: ['ann@example.com', ...staff, 'old@example.com']});
	// Never synced: the header says so, the label cut to fit 80 columns (it is a long command).
	t.regex(d.lines()[0], /massmail │ Domains +11 mailboxes from \/usr\/bin\/doveadm -c .*… · never synced$/);
	assertFits(t, d);
	t.regex(d.lines().at(-1)!, /h History {2}s Sync {2}q Quit {2}\? Help$/, 'the footer shows the Sync key, and still Quit');

	await d.press('s');
	t.regex(d.lines()[0], /massmail │ Sync/);
	await d.settle(screen => screen.includes('applies these changes') || screen.includes('could not be read'));
	const screen = d.screen();
	assertFits(t, d);
	t.regex(dialogWords(screen), /doveadm -c .* user '\*': 2 added, 1 removed, 0 changed; 12 mailboxes after \(11 before\)\./);
	t.regex(screen, /^ {3}example\.com: \+1 -1 ~0$/m);
	t.regex(screen, /^ {3}other\.org: \+1 -0 ~0 \(new domain\)$/m);
	t.regex(screen, /^ \+ bob@example\.com$/m);
	t.regex(screen, /^ \+ cy@other\.org$/m);
	t.regex(screen, /^ - old@example\.com$/m);
	t.regex(screen, /Enter or y applies these changes, all at once; Esc or n changes nothing\./);
	t.regex(screen, /Enter\/y Apply +r Read again +Esc\/n Leave unchanged/);
	t.deepEqual(addresses(d.store), ['ann@example.com', 'old@example.com', ...staff], 'nothing is applied before Enter');

	await d.press(ENTER);
	t.regex(d.screen(), /✓ Synced: the directory holds 12 mailboxes from \/usr\/bin\/doveadm/);
	const file = JSON.parse(fs.readFileSync(d.store.paths.directoryFile, 'utf8')) as {mailboxes: Array<{address: string; name: string}>; origin: {source: string}};
	t.deepEqual(file.mailboxes.map(mailbox => mailbox.address).sort(), ['ann@example.com', 'bob@example.com', 'cy@other.org', ...staff]);
	t.is(file.mailboxes.find(mailbox => mailbox.address === 'ann@example.com')?.name, 'ANN', 'Dovecot has no names: the local one stays');
	t.is(file.origin.source, server.command);
	t.regex(d.lines()[0], /12 mailboxes from \/usr\/bin\/doveadm -c .*… · synced just now$/);

	await d.press(ENTER);
	t.regex(d.lines()[0], /massmail │ Domains/);
	t.regex(d.screen(), /other\.org +1 +0/);
});

test.serial('Esc after the changes are shown leaves the directory exactly as it was; a sync that changes nothing records only its time', async t => {
	const server = await dovecot(t, ['ann@example.com']);
	const d = await open(t, {command: server.command, addresses: ['ann@example.com', 'bob@example.com', 'old@example.com']});
	const before = fs.readFileSync(d.store.paths.directoryFile, 'utf8');
	// Through the Actions menu this time.
	await d.press('a');
	t.true(d.screen().includes('Sync directory'), d.screen());
	await d.focusField('Sync directory', {key: DOWN});

	t.true(dialogWords(d.screen()).includes('the changes are shown before they are applied'), d.screen());
	await d.press(ENTER);
	await d.settle(screen => screen.includes('Leave unchanged'));
	t.regex(dialogWords(d.screen()), /0 added, 2 removed/);
	await d.press(ESC);
	t.regex(d.lines()[0], /Domains/);
	t.is(fs.readFileSync(d.store.paths.directoryFile, 'utf8'), before);

	// The same with n.
	await d.press('s');
	await d.settle(screen => screen.includes('Leave unchanged'));
	await d.press('n');
	t.is(fs.readFileSync(d.store.paths.directoryFile, 'utf8'), before);

	// Esc while the source is read stops the read.
	server.setUsers(['ann@example.com', 'bob@example.com', 'old@example.com']);
	await d.press('s');
	t.true(d.screen().includes('Reading the mailboxes from /usr/bin/doveadm'), d.screen());
	await d.press(ESC);
	t.regex(d.lines()[0], /Domains/);
	t.is(fs.readFileSync(d.store.paths.directoryFile, 'utf8'), before);

	await d.press('s');
	await d.settle(screen => screen.includes('Synced:'));
	t.regex(dialogWords(d.screen()), /No change: the directory already holds the 3 mailboxes of \/usr\/bin\/doveadm/);
	t.regex(d.screen(), /Enter\/Esc Done/);
	t.deepEqual(addresses(d.store), ['ann@example.com', 'bob@example.com', 'old@example.com']);
	t.truthy(d.store.directory().origin, 'the time of the sync is recorded');
});

test.serial('a sync that empties a domain warns and takes y only (Enter does nothing); a source that cannot be read shows its words and changes nothing', async t => {
	const server = await dovecot(t, ['ann@example.com', 'bob@example.com']);
	const d = await open(t, {command: server.command, addresses: ['ann@example.com', 'bob@example.com', 'eve@other.org', 'fay@other.org']});
	const before = fs.readFileSync(d.store.paths.directoryFile, 'utf8');
	await d.press('s');
	await d.settle(screen => screen.includes('Apply anyway'));
	const screen = dialogWords(d.screen());
	t.regex(screen, /This sync needs a confirmation: it removes 2 mailboxes of 4 \(more than 10%\); it removes every mailbox of other\.org\./);
	t.regex(screen, /y applies it anyway, all at once; Esc or n changes nothing\./);
	t.false(/Enter\/y Apply/.test(screen), 'Enter is not an answer here');
	await d.press(ENTER);
	t.is(fs.readFileSync(d.store.paths.directoryFile, 'utf8'), before);
	await d.press('y');
	t.regex(d.screen(), /Synced: the directory holds 2 mailboxes/);
	t.deepEqual(addresses(d.store), ['ann@example.com', 'bob@example.com']);
	await d.press(ENTER);

	const synced = fs.readFileSync(d.store.paths.directoryFile, 'utf8');
	await server.halt();
	await d.press('s');
	await d.settle(screen => screen.includes('could not be read'));
	const failed = d.screen();
	t.regex(failed, /The mailboxes could not be read from \/usr\/bin\/doveadm/);
	t.regex(dialogWords(failed), /cannot reach Dovecot's auth service: Error: auth-master: userdb list: connect\(.*\/run\/auth-userdb\) failed: (Connection refused|No such file or directory)/);
	t.regex(failed, /Nothing was changed\. r reads again; Esc goes back\./);
	t.regex(d.lines().at(-1)!, /r Read again +Esc Back +\? Help$/);
	t.is(fs.readFileSync(d.store.paths.directoryFile, 'utf8'), synced);
	assertFits(t, d);
});

test.serial('while a source is set, adding and removing domains and mailboxes is refused with the reason; names the source does not supply may be set', async t => {
	const server = await dovecot(t, ['ann@example.com', 'bob@example.com']);
	const d = await open(t, {command: server.command, addresses: ['ann@example.com', 'bob@example.com'], syncedAgoMs: 1000});
	const before = fs.readFileSync(d.store.paths.directoryFile, 'utf8');
	await d.press('a');
	await d.focusField('Add domain', {key: DOWN});

	await d.press(ENTER);
	const words = dialogWords(d.screen());
	t.true(words.includes('Add domain: not here'), words);
	t.true(words.includes(`The mailboxes come from dovecot (${server.command}); change them there.`), words);
	t.true(words.includes('Sync (s on the domains) reads them again'), words);
	await d.press(ENTER);

	// Import, in the same menu.
	await d.press('a');
	await d.focusField('Import CSV', {key: DOWN});

	await d.press(ENTER);
	t.true(dialogWords(d.screen()).includes('Import CSV: not here'), d.screen());
	await d.press(ENTER);

	// The users of a domain: add and remove refused, a name (Dovecot has none) allowed.
	await d.press('a');
	await d.focusField('View users', {key: DOWN});

	await d.press(ENTER);
	await d.press('a');
	t.true(dialogWords(d.screen()).includes('Not here: add a mailbox to example.com'), d.screen());
	await d.press(ENTER);
	await d.press('x');
	t.true(dialogWords(d.screen()).includes('Not here: remove ann@example.com'), d.screen());
	await d.press(ENTER);
	t.is(fs.readFileSync(d.store.paths.directoryFile, 'utf8'), before);

	await d.press('n', CTRL_U);
	await d.type('Ann Lee');
	await d.press(ENTER);
	t.regex(d.screen(), /Renamed ann@example\.com\./);
	t.is(d.store.directory().find('ann@example.com')?.name, 'Ann Lee');
});

test.serial('names and roles a source supplies (SmarterMail) are not set locally', async t => {
	const smartermail = await startSmarterMailStandIn({
		admin: {user: 'admin', password: 'Admin-Pw9x'},
		domains: [{name: 'example.com', mainDomainAdmin: 'ann', users: [{userName: 'ann', fullName: 'Ann Lee'}, {userName: 'bob', fullName: 'Bob Stone'}]}],
	});
	t.teardown(async () => smartermail.close());
	const d = await renderDashboard(t, {
		env: env(t, {MASSMAIL_DIRECTORY_PASSWORD: 'Admin-Pw9x'}),
		setup(store) {
			store.settings.update({directory: {source: 'smartermail', smartermail: {url: smartermail.url, user: 'admin'}}});
		},
	});
	t.teardown(async () => d.unmount());
	t.true(d.screen().includes('The directory is empty.'), d.screen());
	t.true(d.screen().includes('Its mailboxes come from the mail server: s reads them (Sync).'));
	await d.press('s');
	await d.settle(screen => screen.includes('applies these changes'));
	t.regex(d.screen(), /^ \+ ann@example\.com {2}Ann Lee \(primary\)$/m);
	await d.press(ENTER, ENTER);
	t.regex(d.lines()[0], /2 mailboxes from http:\/\/127\.0\.0\.1:\d+ · synced just now$/);

	await d.press(ENTER);
	await d.focusField('View users', {key: DOWN});
	await d.press(ENTER);
	t.regex(d.lines()[0], /Users of example\.com/);
	await d.press('n');
	const words = dialogWords(d.screen());
	t.true(words.includes(`The mailboxes come from smartermail (${smartermail.url}); change them there: smartermail supplies name.`), words);
	await d.press(ENTER, 'r');
	t.true(dialogWords(d.screen()).includes('smartermail supplies role'), d.screen());
	await d.press(ENTER);
	t.is(d.store.directory().find('ann@example.com')?.role, 'primary');
});

test.serial('Settings: the Directory source section shows the chosen source\'s fields, saves them, and Test source reports the count or the source\'s words', async t => {
	const server = await dovecot(t, ['ann@example.com', 'bob@example.com', 'cy@example.com']);
	const d = await renderDashboard(t, {env: env(t), route: {screen: 'settings'}});
	t.teardown(async () => d.unmount());
	t.regex(d.screen(), /Directory source: where the mailboxes come from/);
	t.regex(d.screen(), /Source +local \(CSV import and edits here\)/);
	assertFits(t, d);
	// Up from the first field, past [Test connection] and [Save].
	await d.focusField('Source', {key: UP});
	t.regex(d.screen(), /❯ Source +local/);
	await d.press(RIGHT);
	t.regex(d.screen(), /Source +SQL database/);
	t.regex(d.screen(), /Database URL/);
	await d.press(RIGHT);
	t.regex(d.screen(), /LDAP URL/);
	t.regex(d.screen(), /Search base/);
	assertFits(t, d);
	await d.press(RIGHT);
	t.regex(d.screen(), /Source +Dovecot's userdb/);
	t.false(d.screen().includes('LDAP URL'));
	await d.focusField('Command');
	t.regex(d.screen(), /❯ Command +doveadm user '\*'/);
	await d.press(CTRL_U);
	await d.type(server.command);
	await d.focusField('Sync if older than');
	await d.press(CTRL_U);
	await d.type('30min');

	await d.press(CTRL_T);
	t.true(d.screen().includes('Save the changes and test them?'), d.screen());
	await d.press('y');
	await d.settle(screen => screen.includes('found') || screen.includes('could not be read'));
	t.regex(d.screen(), /3 mailboxes found/);
	t.true(dialogWords(d.screen()).includes(`in ${server.command}. Nothing was changed`), d.screen());
	await d.press(ENTER);
	const saved = d.store.settings.get().directory;
	t.is(saved.source, 'dovecot');
	t.is(saved.dovecot.command, server.command);
	t.is(saved.maxAge, 1800);
	t.is(d.store.directory().mailboxCount, 0, 'a test changes nothing');
	t.regex(d.lines()[0], /0 mailboxes from \/usr\/bin\/doveadm .* · never synced$/);

	await server.halt();
	await d.press(CTRL_T);
	await d.settle(screen => screen.includes('found') || screen.includes('could not be read'));
	t.true(d.screen().includes('The source could not be read'), d.screen());
	t.regex(dialogWords(d.screen()), /cannot reach Dovecot's auth service: Error: auth-master: userdb list: connect\(.*\) failed/);
	await d.press(ENTER);

	// A field of the source left empty is said before saving.
	await d.focusField('Command', {key: SHIFT_TAB});
	await d.press(CTRL_U, CTRL_S);
	t.regex(d.screen(), /Command: type the command that lists the users/);
});

test.serial('a send on a directory older than directory.maxAge syncs first: Review shows what changed, and exactly the source\'s mailboxes receive it', async t => {
	const staff = Array.from({length: 9}, (_, index) => `u${index + 1}@example.com`);
	const server = await dovecot(t, ['ann@example.com', ...staff, 'bob@example.com', 'cy@example.com']);
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const d = await open(t, {
		env: env(t, {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`}),
		command: server.command,
		addresses: ['ann@example.com', ...staff, 'old@example.com'],
		syncedAgoMs: 2 * 3600 * 1000,
	});
	t.regex(d.lines()[0], /· synced 2 h ago$/);
	await d.press(ENTER, ENTER);
	t.regex(d.screen(), /Domain +example\.com/);
	await composeAndReview(d);
	await d.settle(screen => screen.includes('Synced:') || screen.includes('could not be synced'));
	const review = d.screen();
	assertFits(t, d);
	t.regex(review, /Recipients +12 \(All Users on a Domain: example\.com\)/);
	t.regex(review, /Directory +Synced: 2 added, 1 removed, 0 changed; 12 mailboxes \(was 11\)\.\n +example\.com \+2 -1 ~0\n/);
	t.deepEqual(addresses(d.store), ['ann@example.com', 'bob@example.com', 'cy@example.com', ...staff]);
	t.regex(d.lines()[0], /· synced just now$/);

	// Review left open past directory.maxAge: Send syncs again, finds no change, and sends as reviewed.
	d.store.editDirectory(latest => {
		const older = latest.clone();
		older.origin = {...latest.origin!, syncedAt: new Date(Date.now() - (2 * 3600 * 1000)).toISOString()};
		return older;
	});
	await d.press('s');
	await d.settle(screen => screen.includes('Finished'));
	t.regex(d.screen(), /Finished: 12 of 12 sent/);
	t.true(Date.now() - Date.parse(d.store.directory().origin!.syncedAt) < 60_000, 'synced again at Send');
	t.deepEqual(smtp.messages.map(message => message.envelope.to).flat().sort(), ['ann@example.com', 'bob@example.com', 'cy@example.com', ...staff]);
});

test.serial('the sync before a send that would need a confirmation refuses the send, pointing to Sync; nothing is sent', async t => {
	const server = await dovecot(t, ['ann@example.com']);
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const d = await open(t, {
		env: env(t, {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`}),
		command: server.command,
		addresses: ['ann@example.com', 'bob@example.com', 'cy@example.com'],
		syncedAgoMs: 2 * 3600 * 1000,
	});
	const before = fs.readFileSync(d.store.paths.directoryFile, 'utf8');
	await d.press(ENTER, ENTER);
	await composeAndReview(d);
	await d.settle(screen => screen.includes('needs a confirmation') || screen.includes('Synced:'));
	const words = dialogWords(d.screen());
	t.regex(words, /The sync before this send needs a confirmation: it removes 2 mailboxes of 3 \(more than 10%\)\. Nothing was sent\./);
	t.regex(words, /Review it with Sync \(s on the domains\), then send again\./);
	t.false(d.screen().includes('s/Enter Send'), 'Send is off');
	await d.press('s');
	await d.settle();
	t.is(smtp.messages.length, 0);
	t.is(fs.readFileSync(d.store.paths.directoryFile, 'utf8'), before);
	assertFits(t, d);
});

test('the header\'s directory text fits: the label is cut first, then the size goes, never the age', t => {
	const origin = {size: '12 mailboxes', label: 'ldap://127.0.0.1:3890', syncedAt: new Date(Date.now() - (3 * 60_000)).toISOString(), isStale: () => false};
	const text = ({size, label, age}: {size: string; label: string; age: string}) => `${size}${label}${age}`;
	// The Domains screen at 80 columns: " massmail │ Domains" leaves 59.
	t.is(text(originText(origin, Date.now(), 80 - 2 - 19, true)), '12 mailboxes from ldap://127.0.0.1:3890 · synced 3 min ago');
	t.is(text(originText(origin, Date.now(), 46, true)), 'from ldap://127.0.0.1:3890 · synced 3 min ago');
	t.is(text(originText(origin, Date.now(), 40, true)), 'from ldap://127.0.0.… · synced 3 min ago');
	t.is(text(originText({...origin, syncedAt: undefined}, Date.now(), 59, false)), '12 mailboxes from ldap://127.0.0.1:3890, never synced');
	t.deepEqual([0, 59_999, 60_000, 3_599_999, 7_200_000, 3 * 86_400_000, -5000, Number.NaN].map(ms => formatAge(ms)), ['just now', 'just now', '1 min ago', '59 min ago', '2 h ago', '3 days ago', 'just now', 'just now']);
});
