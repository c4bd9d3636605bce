/**
 * One send spread over several relays (MASSMAIL_SMTP_URL holding several URLs, smtp.host naming
 * several servers), through the built command line against real servers: each relay takes
 * recipients from the one queue, a relay that dies or refuses the login is left and the others
 * take its recipients, and the record names the relay of each outcome.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {freePort} from '../../bench/lib/postfix.js';
import {lastJsonLine, runCli, startCli} from '../helpers/cli.js';
import {faultyServerFor} from '../helpers/faulty-smtp-server.js';
import {importedDirectory, numbered} from '../helpers/imported-directory.js';
import {startPostfix} from '../helpers/postfix-server.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {waitUntil} from '../helpers/wait.js';

interface ShownRecipient {
	address: string;
	status: string;
	ambiguous: boolean;
	relay?: string | null;
}

async function shown(dir: string, id: string): Promise<ShownRecipient[]> {
	const show = await runCli(['show', id, '--json'], {configDir: dir});
	return (JSON.parse(show.stdout) as {recipients: ShownRecipient[]}).recipients;
}

test('two Postfix relays, one killed mid-send: it is left, the other takes its recipients, exit 0; every recipient in exactly one Maildir once (but the ambiguous), and show --json names the relay where each landed', async t => {
	const locals = numbered('u', 400);
	const mailboxes = locals.map(local => `${local}@example.com`);
	const [first, second] = await Promise.all([startPostfix({mailboxes}), startPostfix({mailboxes})]);
	t.teardown(async () => Promise.all([first.stop(), second.stop()]));
	const dir = await importedDirectory(t, locals);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${first.port},smtp://127.0.0.1:${second.port}`};
	// 20 a second on each relay: the run lasts long enough for the second to die part-way.
	const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--rate', '20', '--concurrency', '2'], {configDir: dir, env});
	await waitUntil(() => second.delivered() >= 30, 'the second relay delivering 30');
	second.kill();
	const {code, stdout, stderr} = await running.result;
	t.is(code, 0, stderr);
	t.regex(stdout, /400 of 400 recipients sent/);
	const secondName = `127.0.0.1:${second.port}`;
	const firstName = `127.0.0.1:${first.port}`;
	t.regex(stderr, new RegExp(`left the relay ${secondName.replaceAll('.', '\\.')} \\(lost the SMTP server .*\\): the \\d+ recipients not sent yet go to ${firstName.replaceAll('.', '\\.')}`));

	// What the killed relay had accepted is in its queue: started again, it delivers it.
	await second.startAgain();
	const id = /Sending (\S+) to/.exec(stderr)![1]!;
	const recipients = await shown(dir, id);
	t.is(recipients.length, 400);
	t.true(recipients.every(recipient => recipient.status === 'sent' && (recipient.relay === firstName || recipient.relay === secondName)), JSON.stringify(recipients.filter(r => r.status !== 'sent' || !r.relay)));
	const bySecond = recipients.filter(recipient => recipient.relay === secondName).length;
	t.log(`${bySecond} through the killed relay, ${recipients.filter(recipient => recipient.ambiguous).length} ambiguous; ${stderr.split('\n').find(line => line.startsWith('left the relay'))}`);
	t.true(bySecond >= 30 && bySecond < 400, `${bySecond} through the second relay`);
	await first.waitForDelivered(400 - bySecond, 30_000);
	await second.waitForDelivered(bySecond, 30_000);

	const inFirst = first.countsByRecipient();
	const inSecond = second.countsByRecipient();
	for (const recipient of recipients) {
		const copies = (inFirst.get(recipient.address) ?? 0) + (inSecond.get(recipient.address) ?? 0);
		if (recipient.ambiguous) {
			// The connection died after its final dot: the dead relay may have queued it too.
			t.true(copies === 1 || copies === 2, `${recipient.address}: ${copies}`);
			t.is(inFirst.get(recipient.address) ?? 0, recipient.relay === firstName ? 1 : 0, recipient.address);
		} else {
			t.is(copies, 1, recipient.address);
			const where = recipient.relay === firstName ? inFirst : inSecond;
			t.is(where.get(recipient.address), 1, `${recipient.address} through ${recipient.relay}`);
		}
	}

	// The human view counts what each relay took.
	const human = await runCli(['show', id], {configDir: dir});
	t.regex(human.stdout, new RegExp(`Relays: ${firstName.replaceAll('.', '\\.')} ${400 - bySecond} sent · ${secondName.replaceAll('.', '\\.')} ${bySecond} sent`));
});

test('two relays by smtp.host, one refusing the login: it is left with a line naming it, the other sends everything (exit 0)', async t => {
	const good = await startTestSmtpServer({auth: {user: 'mailer', pass: 'right'}});
	const refusing = await startTestSmtpServer({auth: {user: 'mailer', pass: 'other'}});
	t.teardown(async () => Promise.all([good.close(), refusing.close()]));
	const dir = await importedDirectory(t, numbered('u', 20));
	for (const [key, value] of [['smtp.host', `127.0.0.1:${refusing.port}, 127.0.0.1:${good.port}`], ['smtp.user', 'mailer'], ['smtp.tls', 'opportunistic']]) {
		const set = await runCli(['config', 'set', key!, value!], {configDir: dir});
		t.is(set.code, 0, set.stderr);
	}

	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_PASSWORD: 'right'}});
	t.is(result.code, 0, result.stderr);
	t.like(lastJsonLine(result.stdout), {total: 20, sent: 20, failed: 0, status: 'finished'});
	const left = result.stdout.split('\n').filter(line => line.includes('"type":"relay-left"')).map(line => JSON.parse(line) as {relay: string; reason: string; remaining: number; relays: string[]});
	t.is(left.length, 1, result.stdout);
	t.like(left[0], {relay: `127.0.0.1:${refusing.port}`, remaining: 20, relays: [`127.0.0.1:${good.port}`]});
	t.regex(left[0]!.reason, /refused the login of "mailer"/);
	t.false(left[0]!.reason.includes('right'));
	t.is(good.messages.length, 20);
	t.is(refusing.messages.length, 0);

	// Without --json: the line for people.
	const again = await runCli(['send', '--to', 'all', '--subject', 'S2', '--message', 'M', '--yes'], {configDir: dir, env: {MASSMAIL_SMTP_PASSWORD: 'right'}});
	t.is(again.code, 0, again.stderr);
	t.regex(again.stderr, new RegExp(`left the relay 127\\.0\\.0\\.1:${refusing.port} \\(the SMTP server 127\\.0\\.0\\.1:${refusing.port} refused the login of "mailer": .*\\): the 20 recipients not sent yet go to 127\\.0\\.0\\.1:${good.port}`));
});

test('two relays that both refuse the login: nothing is sent, the error of the first, exit as with one', async t => {
	const one = await startTestSmtpServer({auth: {user: 'mailer', pass: 'x'}});
	const two = await startTestSmtpServer({auth: {user: 'mailer', pass: 'y'}});
	t.teardown(async () => Promise.all([one.close(), two.close()]));
	const dir = await importedDirectory(t, numbered('u', 5));
	const env = {MASSMAIL_SMTP_URL: `smtp://mailer@127.0.0.1:${one.port},smtp://mailer@127.0.0.1:${two.port}`, MASSMAIL_SMTP_PASSWORD: 'wrong'};
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env});
	const single = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env: {...env, MASSMAIL_SMTP_URL: `smtp://mailer@127.0.0.1:${one.port}`}});
	t.is(result.code, single.code);
	t.not(result.code, 0);
	t.regex(result.stderr, new RegExp(`127\\.0\\.0\\.1:${one.port} refused the login`));
	t.is(one.messages.length + two.messages.length, 0);
});

test('one relay: the record and show --json are as they always were (no relay in the log, no "relay" key)', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const dir = await importedDirectory(t, numbered('u', 5));
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}});
	t.is(result.code, 0, result.stderr);
	const {id} = lastJsonLine(result.stdout) as {id: string};
	t.false(result.stdout.includes('relay'));
	const log = readFileSync(path.join(dir, 'sends', id, 'outcomes.log'), 'utf8');
	t.regex(log, /^\d+\tS\t1\t250 /m);
	t.false(log.includes('@127.0.0.1'));
	const recipients = await shown(dir, id);
	t.true(recipients.every(recipient => !('relay' in recipient)));
	const human = await runCli(['show', id], {configDir: dir});
	t.false(human.stdout.includes('Relays:'));
	t.false((await runCli(['show', id, '--csv'], {configDir: dir})).stdout.includes('relay'));
});

test('config set smtp.host: several servers kept without the spaces; a wrong entry refused by its place, the value not repeated', async t => {
	const dir = await importedDirectory(t, ['u0']);
	const set = await runCli(['config', 'set', 'smtp.host', 'mx1.example.com, mx2.example.com:2525'], {configDir: dir});
	t.is(set.code, 0, set.stderr);
	t.is((await runCli(['config', 'get', 'smtp.host'], {configDir: dir})).stdout.trim(), 'mx1.example.com,mx2.example.com:2525');
	const wrong = await runCli(['config', 'set', 'smtp.host', 'mx1.example.com,mx2.example.com:hunter2'], {configDir: dir});
	t.is(wrong.code, 2);
	t.regex(wrong.stderr, /smtp\.host must be one server or several separated by commas \(mx1\.example\.com,mx2\.example\.com:2525\): the 2nd entry has a port that is not a number/);
	t.false(wrong.stderr.includes('hunter2'));
});

test('a relay that cannot be reached at the check before the send is left at once with a line naming it; the other sends everything', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const closed = await freePort();
	const dir = await importedDirectory(t, numbered('u', 10));
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${closed},smtp://127.0.0.1:${server.port}`};
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env});
	t.is(result.code, 0, result.stderr);
	t.true(result.stderr.includes(`Sending`) && result.stderr.includes(`via 127.0.0.1:${closed}, 127.0.0.1:${server.port} (STARTTLS when offered)`), result.stderr);
	t.regex(result.stderr, new RegExp(`left the relay 127\\.0\\.0\\.1:${closed} \\(cannot reach the SMTP server 127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED.*\\): the 10 recipients not sent yet go to 127\\.0\\.0\\.1:${server.port}`));
	t.is(server.messages.length, 10);
	const id = /Sending (\S+) to/.exec(result.stderr)![1]!;
	const recipients = await shown(dir, id);
	t.true(recipients.every(recipient => recipient.relay === `127.0.0.1:${server.port}`), JSON.stringify(recipients));
	// The CSV report names the relay too, in a last column.
	const csv = (await runCli(['show', id, '--csv'], {configDir: dir})).stdout.trim().split('\n');
	t.regex(csv[0]!, /,relay$/);
	t.is(csv.length, 11);
	t.true(csv.slice(1).every(line => line.endsWith(`,127.0.0.1:${server.port}`)), csv.join('\n'));
});

test('retry with a relay that cannot be reached: the check of the resumed send leaves it once the other relay is ready, rather than trying it again through the backoff', async t => {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const closed = await freePort();
	const dir = await importedDirectory(t, ['ann', 'bob', 'defer-once+cy']);
	t.is((await runCli(['config', 'set', 'delivery.maxAttempts', '1'], {configDir: dir})).code, 0);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${closed},smtp://127.0.0.1:${server.port}`};
	const sent = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env});
	const summary = lastJsonLine(sent.stdout);
	t.like(summary, {sent: 2, failed: 1}, sent.stderr);

	const retried = await runCli(['retry', summary.id as string, '--yes'], {configDir: dir, env});
	t.is(retried.code, 0, retried.stderr);
	// The backoff would try it 5 times in all (1 + 2 + 4 + 8 s of waits), saying so each time. It
	// waits for the other relay's first answer before it says it will try again: it does not.
	t.notRegex(retried.stderr, /trying again/, retried.stderr);
	t.regex(retried.stderr, new RegExp(`left the relay 127\\.0\\.0\\.1:${closed} .*ECONNREFUSED`));
	t.deepEqual(server.messages.map(message => message.envelope.to[0]).sort(), ['ann@example.com', 'bob@example.com', 'defer-once+cy@example.com']);
});

test('a relay dies with a message past its final dot: that recipient is recorded ambiguous, as with one server, and goes to the other relay', async t => {
	const first = await faultyServerFor(t);
	const second = await faultyServerFor(t);
	// Every other recipient's reply to the final dot takes 3 s (slow-data+): the second relay dies holding one.
	const locals = numbered('u', 12).map((local, index) => index % 2 === 1 ? `slow-data+${local}` : local);
	const dir = await importedDirectory(t, locals);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${first.port},smtp://127.0.0.1:${second.port}`};
	const running = startCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--concurrency', '1'], {configDir: dir, env});
	await waitUntil(() => second.messagesRead > second.messages.length && second.rcpts.at(-1)?.rule === 'slow-data', 'the second relay holding a message read');
	await second.kill();
	const {code, stderr} = await running.result;
	t.is(code, 0, stderr);
	const held = second.unanswered.map(message => message.to[0]);
	t.is(held.length, 1);

	const id = /Sending (\S+) to/.exec(stderr)![1]!;
	const recipients = await shown(dir, id);
	const firstName = `127.0.0.1:${first.port}`;
	for (const recipient of recipients) {
		t.is(recipient.status, 'sent', recipient.address);
		if (recipient.address === held[0]) {
			// As with one server: the dead relay may have it, so the record says so; the other relay took it.
			t.like(recipient, {ambiguous: true, relay: firstName});
			t.is(first.acceptedCount(recipient.address), 1);
		} else {
			t.false(recipient.ambiguous, recipient.address);
			const where = recipient.relay === firstName ? first : second;
			t.is(first.acceptedCount(recipient.address) + second.acceptedCount(recipient.address), 1, recipient.address);
			t.is(where.acceptedCount(recipient.address), 1, `${recipient.address} through ${recipient.relay}`);
		}
	}
});
