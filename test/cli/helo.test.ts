/**
 * A machine whose host name has no dot (no /etc/mailname, a resolver that knows no longer name):
 * the name massmail greets a server with — a real Postfix 3.7 with the common
 * `reject_non_fqdn_helo_hostname` refuses every recipient of a client that says `EHLO vm` —
 * and the sender it would default to (there is none: never `postmaster@vm.localdomain`).
 * The command line runs in a UTS namespace of its own (`unshare -u`, root, as CI is) whose
 * host name is `nodot`, whatever this machine's name is.
 */
import {existsSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {lastJsonLine, runCli, type CliResult} from '../helpers/cli.js';
import {startPostfix} from '../helpers/postfix-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

/** The built command line with `nodot` as the host name. */
async function runWithoutDomain(args: string[], configDir: string, env: Record<string, string>): Promise<CliResult> {
	return runCli(args, {configDir, env, wrapper: ['unshare', '-u', 'sh', '-c', 'hostname nodot && exec "$0" "$@"']});
}

test('a host name without a dot: EHLO is the address literal [127.0.0.1], which a Postfix with reject_non_fqdn_helo_hostname takes', async t => {
	// /etc/mailname with a full name would be used instead (and greet just as well); this test is about the fallback.
	t.false(existsSync('/etc/mailname'), 'this test needs a machine without /etc/mailname');
	const mailboxes = ['ann@example.com', 'bob@example.com'];
	const postfix = await startPostfix({mailboxes, extraMain: {smtpd_helo_required: 'yes', smtpd_helo_restrictions: 'reject_non_fqdn_helo_hostname'}});
	t.teardown(async () => postfix.stop());
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...mailboxes.map(address => `${address},,user,`)].join('\n'));
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${postfix.port}`};
	t.is((await runWithoutDomain(['import', csv], dir, env)).code, 0);
	t.is((await runWithoutDomain(['config', 'set', 'sender.address', 'it@example.com'], dir, env)).code, 0);

	const result = await runWithoutDomain(['send', '--to', 'all', '--subject', 'Maintenance', '--message', 'Tonight.', '--yes', '--json'], dir, env);
	t.is(result.code, 0, result.stdout + result.stderr);
	t.like(lastJsonLine(result.stdout), {total: 2, sent: 2, failed: 0});
	await postfix.waitForDelivered(2, 30_000);
	t.deepEqual([...postfix.countsByRecipient().entries()].sort(), [['ann@example.com', 1], ['bob@example.com', 1]]);
	const received = postfix.messages('ann@example.com')[0]!.toString('utf8');
	t.regex(received, /^Received: from \[127\.0\.0\.1\] \(unknown \[127\.0\.0\.1\]\)/m, 'Postfix\'s Received line shows the greeting [127.0.0.1]');
});

test('a host name without a dot and no sender.address: a send or dry run to a real server is refused (exit 2) saying how to set one; the capture server takes postmaster@localhost', async t => {
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const {dir} = tempConfigDir(t, {bare: true});
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, 'email,name,role,disabled\nann@example.com,Ann,user,\n');
	t.is((await runWithoutDomain(['import', csv], dir, {})).code, 0);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`};
	for (const extra of [['--dry-run'], ['--yes']]) {
		const refused = await runWithoutDomain(['send', '--to', 'all', '--subject', 'S', '--message', 'M', ...extra], dir, env);
		t.is(refused.code, 2, refused.stderr);
		t.regex(refused.stderr, /no sender address: sender\.address is not set and this machine has no fully qualified name to make one from \(the host name "nodot" has no domain/);
		t.regex(refused.stderr, /massmail config set sender\.address postmaster@example\.com/);
	}

	t.is(smtp.messages.length, 0);
	const listed = await runWithoutDomain(['config'], dir, {});
	t.regex(listed.stdout, /^The sender address is not set, and there is no default: the host name "nodot" has no domain/m);

	const captured = await runWithoutDomain(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run'], dir, {});
	t.is(captured.code, 0, captured.stderr);
	t.regex(captured.stdout, /^From: System Administrator <postmaster@localhost> \(no sender address is set: the local capture server takes this one; nothing leaves this machine\)$/m);

	t.is((await runWithoutDomain(['config', 'set', 'sender.address', 'it@example.com'], dir, {})).code, 0);
	const set = await runWithoutDomain(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--dry-run'], dir, env);
	t.regex(set.stdout, /^From: System Administrator <it@example\.com> \(set in the settings \(sender\.address\)\)$/m);
	const sent = await runWithoutDomain(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], dir, env);
	t.is(sent.code, 0, sent.stderr);
	t.deepEqual(smtp.messages.map(message => message.envelope.from), ['it@example.com']);
});
