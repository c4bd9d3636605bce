/**
 * `massmail track` over TLS, as a child process (dist/cli.js) against a real Dovecot serving IMAPS
 * with a certificate from a private CA of the test's own: without tracking.imap.caFile the
 * certificate does not verify (exit 3, what to set, no stack trace, the password nowhere, nothing
 * recorded); with `config set tracking.imap.caFile` the report is folded and moved; that file
 * gone later is exit 2, naming it.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {SendLog} from '../../source/core/journal.js';
import {processedFolder} from '../../source/core/tracking/fold.js';
import {bounceUser, folderMessages, imapClient, startBounceMailbox} from '../helpers/bounce-mailbox.js';
import {runCli} from '../helpers/cli.js';
import {startImapServer} from '../helpers/imap-server.js';
import {messageIds, postfixBounce} from '../helpers/report-messages.js';
import {acceptedSend} from '../helpers/send-records.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const full = 'full@example.com';

test('track over implicit TLS: a private CA\'s certificate is refused until tracking.imap.caFile names the CA (exit 3, no stack trace, nothing recorded), then the report is folded', async t => {
	const mailbox = await startBounceMailbox(t);
	const {password} = mailbox.login();
	const server = await startImapServer({users: [{user: bounceUser, password, maildir: mailbox.maildir}], tls: {}});
	t.teardown(async () => server.stop());
	const {imapsPort, caFile} = server.tls!;

	const {dir} = tempConfigDir(t);
	const sends = new SendLog(path.join(dir, 'sends'));
	const {record, release} = await acceptedSend(sends, [full]);
	release();
	mailbox.deliver([postfixBounce(record.id, 0, full, 1)]);
	fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({
		tracking: {returnPath: bounceUser, imap: {host: '127.0.0.1', port: imapsPort, tls: 'implicit', user: bounceUser}},
	}), {mode: 0o600});
	const env = {MASSMAIL_TRACKING_PASSWORD: password};

	const refused = await runCli(['track'], {configDir: dir, env});
	t.is(refused.code, 3, refused.stderr);
	t.is(refused.stdout, '');
	t.regex(refused.stderr, new RegExp(`TLS with the IMAP server 127\\.0\\.0\\.1:${imapsPort} failed: unable to verify the first certificate`));
	t.regex(refused.stderr, /set tracking\.imap\.caFile to that CA's PEM file; if you trust this server as it is, set tracking\.imap\.allowUnverifiedTls true/);
	t.notRegex(refused.stderr, /\n\s+at /);
	t.false(refused.stderr.includes(password));
	t.false(fs.existsSync(path.join(dir, 'sends', record.id, 'reports.log')));

	const ownCaFile = path.join(dir, 'private-ca.pem');
	fs.copyFileSync(caFile, ownCaFile);
	const set = await runCli(['config', 'set', 'tracking.imap.caFile', ownCaFile], {configDir: dir});
	t.is(set.code, 0, set.stderr);
	const folded = await runCli(['track'], {configDir: dir, env});
	t.is(folded.code, 0, folded.stderr);
	t.regex(folded.stdout, new RegExp(`^Folded 1 report from 127\\.0\\.0\\.1:${imapsPort} \\(TLS\\) as bounces@example\\.com$`, 'm'));
	t.true(folded.stdout.includes(`  Accepted 1 · Delivered 0 · Bounced 1 · Delayed 0\n  Bounced:\n    ${full}  5.2.2  mailbox full\n`), folded.stdout);
	const show = JSON.parse((await runCli(['show', record.id, '--json'], {configDir: dir})).stdout) as {recipients: Array<{delivery: Record<string, unknown>}>};
	t.like(show.recipients[0]!.delivery, {state: 'bounced', status: '5.2.2', diagnostic: 'mailbox full'});

	const client = await imapClient(mailbox.login());
	t.teardown(async () => client.logout().catch(() => undefined));
	t.deepEqual((await folderMessages(client, 'INBOX')).map(each => each.messageId), []);
	t.deepEqual((await folderMessages(client, processedFolder)).map(each => each.messageId), [messageIds.postfixBounce(1)]);

	// The CA file gone since it was set: said before anything connects (exit 2), naming it.
	fs.rmSync(ownCaFile);
	const gone = await runCli(['track'], {configDir: dir, env});
	t.is(gone.code, 2, gone.stderr);
	t.true(gone.stderr.includes(`tracking.imap.caFile: ${ownCaFile} cannot be read: ENOENT`), gone.stderr);
	t.notRegex(gone.stderr, /\n\s+at /);
});
