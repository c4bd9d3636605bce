/**
 * The Dovecot directory source against a real Dovecot (test/helpers/dovecot-server.ts): its auth
 * service iterating a passwd-file userdb, asked by `doveadm -c CONF user '*'`.
 */
import fs from 'node:fs';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {defaultDovecotCommand, openDovecotSource} from '../../source/core/sources/dovecot.js';
import {startDovecot, type DovecotServer} from '../helpers/dovecot-server.js';

let dovecot: DovecotServer;

test.before(async () => {
	dovecot = await startDovecot({users: ['ann@a.test', 'bob@a.test', 'Cid@B.test']});
});

test.after.always(async () => {
	await dovecot?.stop();
});

async function failure(promise: Promise<unknown>): Promise<MassmailError> {
	const error = await promise.then(() => undefined, (error: unknown) => error);
	if (!(error instanceof MassmailError)) {
		throw new Error(`expected a MassmailError, got ${error === undefined ? 'success' : String(error)}`);
	}

	return error;
}

test.serial('lists every user of the userdb, one per line, with no names, roles or disabled marks', async t => {
	const source = openDovecotSource({command: dovecot.command});
	t.is(source.label, dovecot.command);
	const mailboxes = await source.read({timeoutMs: 20_000});
	t.deepEqual(mailboxes, [
		{key: 'line 1', email: 'ann@a.test'},
		{key: 'line 2', email: 'bob@a.test'},
		{key: 'line 3', email: 'Cid@B.test'},
	]);
});

test.serial('follows the userdb as it changes', async t => {
	t.teardown(() => dovecot.setUsers(['ann@a.test', 'bob@a.test', 'Cid@B.test']));
	dovecot.setUsers(['ann@a.test', 'dee@c.test']);
	const mailboxes = await openDovecotSource({command: dovecot.command}).read({timeoutMs: 20_000});
	t.deepEqual(mailboxes.map(mailbox => mailbox.email), ['ann@a.test', 'dee@c.test']);
});

test.serial('a user without a domain fails the read, naming its line', async t => {
	t.teardown(() => dovecot.setUsers(['ann@a.test', 'bob@a.test', 'Cid@B.test']));
	dovecot.setUsers(['ann@a.test', 'carl', 'bob@a.test']);
	const error = await failure(openDovecotSource({command: dovecot.command}).read({timeoutMs: 20_000}));
	t.is(error.kind, 'validation');
	t.is(error.message, `${dovecot.command} listed a user that is not an address: line 2: "carl" is not an address (a user without a domain)`);
	t.deepEqual(error.details, ['line 2: "carl" is not an address (a user without a domain)']);
});

test('Dovecot not running is a connection error in doveadm\'s words', async t => {
	const stopped = await startDovecot({users: ['ann@a.test'], start: false});
	t.teardown(async () => stopped.stop());
	const error = await failure(openDovecotSource({command: stopped.command}).read({timeoutMs: 20_000}));
	t.is(error.kind, 'connection');
	t.is(error.message, `${stopped.command} cannot reach Dovecot's auth service: Error: auth-master: userdb list: connect(${stopped.folder}/run/auth-userdb) failed: No such file or directory`);
});

test('Dovecot stopped after it ran (its socket left behind) is a connection error too', async t => {
	const halted = await startDovecot({users: ['ann@a.test']});
	t.teardown(async () => halted.stop());
	t.deepEqual((await openDovecotSource({command: halted.command}).read({timeoutMs: 20_000})).map(mailbox => mailbox.email), ['ann@a.test']);
	await halted.halt();
	t.true(fs.existsSync(halted.folder));
	const error = await failure(openDovecotSource({command: halted.command}).read({timeoutMs: 20_000}));
	t.is(error.kind, 'connection');
	t.regex(error.message, /cannot reach Dovecot's auth service: Error: auth-master: userdb list: connect\(.*\/run\/auth-userdb\) failed: (Connection refused|No such file or directory)$/);
});

test('any other failing command is a validation error with its exit status and first line of error output', async t => {
	const error = await failure(openDovecotSource({command: 'echo "doveadm: Unknown command" >&2; echo more >&2; exit 64'}).read({timeoutMs: 20_000}));
	t.is(error.kind, 'validation');
	t.is(error.message, 'echo "doveadm: Unknown command" >&2; echo more >&2; exit 64 failed (exit status 64): doveadm: Unknown command');

	const missing = await failure(openDovecotSource({command: '/nonexistent/doveadm user \'*\''}).read({timeoutMs: 20_000}));
	t.is(missing.kind, 'validation');
	t.regex(missing.message, /failed \(exit status 127\): .*not found/);
});

test('the deadline ends a command that never finishes, and everything it started', async t => {
	// A sleep of an unlikely length marks both the shell's command line and the sleep's own.
	const marker = `30.${process.pid}${Date.now() % 100_000}`;
	const read = openDovecotSource({command: `sleep ${marker}; true`}).read({timeoutMs: 300});
	t.true(await new Promise<boolean>(resolve => setTimeout(() => resolve(processesMentioning(marker) === 2), 150)), 'the shell and its sleep were running');
	const error = await failure(read);
	t.is(error.kind, 'connection');
	t.regex(error.message, /did not finish within 0\.3 s$/);
	// The shell and its sleep are gone (the group was killed): no process mentions the marker.
	for (let wait = 0; wait < 100 && processesMentioning(marker) > 0; wait++) {
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	t.is(processesMentioning(marker), 0);
});

test('an abort ends the command as interrupted', async t => {
	const controller = new AbortController();
	const read = openDovecotSource({command: 'sleep 30'}).read({timeoutMs: 60_000, signal: controller.signal});
	setTimeout(() => controller.abort(), 100);
	const error = await failure(read);
	t.is(error.kind, 'interrupted');
	t.is(error.message, 'reading the directory from sleep 30 was cancelled');
});

test('the default command is doveadm user \'*\'', t => {
	t.is(openDovecotSource().label, defaultDovecotCommand);
	t.is(defaultDovecotCommand, 'doveadm user \'*\'');
});

function processesMentioning(marker: string): number {
	let count = 0;
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) {
			continue;
		}

		try {
			if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) {
				count++;
			}
		} catch {
			// Gone.
		}
	}

	return count;
}
