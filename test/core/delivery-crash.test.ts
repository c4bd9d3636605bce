import {spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import test, {type ExecutionContext} from 'ava';
import {openStore} from '../../source/core/store.js';
import {openDeliveryContext, reopenDelivery} from '../../source/core/delivery/index.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempFolder} from '../helpers/temp-dir.js';

const child = fileURLToPath(new URL('delivery-crash-child.ts', import.meta.url));

async function crashAndResume(t: ExecutionContext, strict: boolean): Promise<{twice: string[]; concurrency: number}> {
	const count = 3000;
	const concurrency = 10;
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const dir = tempFolder(t, 'massmail-crash-');
	const worker = spawn(process.execPath, ['--import=tsx', child, dir, String(server.port), String(count), String(concurrency), strict ? 'strict' : 'grouped'], {stdio: ['ignore', 'pipe', 'inherit']});
	let output = '';
	worker.stdout.on('data', (chunk: Buffer) => {
		output += chunk.toString();
	});
	const exited = new Promise(resolve => worker.once('exit', resolve));
	// Kill it mid-way: once the server has a third of the messages.
	await new Promise<void>(resolve => {
		const poll = setInterval(() => {
			if (server.messages.length >= count / 3) {
				worker.kill('SIGKILL');
				clearInterval(poll);
				resolve();
			}
		}, 1);
	});
	await exited;
	const id = output.trim();
	const env = {MASSMAIL_CONFIG_DIR: dir, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`};
	const ctx = openDeliveryContext(openStore({env}), env);
	t.is(ctx.sends.summary(id).status, 'interrupted');
	const journaled = ctx.sends.outcomes(id);
	const receivedBefore = new Set(server.messages.map(m => m.envelope.to[0]));
	t.true(journaled.sent <= receivedBefore.size);

	const resumed = await reopenDelivery(ctx, id, {only: 'unfinished'}, {concurrency});
	t.is(resumed.total, count - journaled.sent - journaled.failed);
	t.like(await resumed.start(), {total: count, sent: count, failed: 0, status: 'finished'});

	const times = new Map<string, number>();
	for (const message of server.messages) {
		times.set(message.envelope.to[0], (times.get(message.envelope.to[0]) ?? 0) + 1);
	}

	t.is(times.size, count);
	const twice = [...times].filter(([, n]) => n > 1).map(([address]) => address);
	t.true([...times.values()].every(n => n <= 2));
	// Only messages the server had but the journal did not can come twice: in flight, or accepted but not yet fsynced.
	const addresses = ctx.sends.readRecipients(id).addresses;
	const sentAtCrash = new Set(addresses.filter((_, index) => journaled.status[index] === 1));
	t.true(twice.every(address => !sentAtCrash.has(address)));
	t.log(`killed with ${receivedBefore.size} received, ${journaled.sent} journaled: ${twice.length} sent twice`);
	await ctx.close();
	return {twice, concurrency};
}

test('after kill -9, resume sends to everyone not journaled as accepted; duplicates stay within the unjournaled window', async t => {
	const {twice, concurrency} = await crashAndResume(t, false);
	// At most 200 accepted outcomes wait for the disk (the engine pauses beyond that), plus what is in flight.
	t.true(twice.length <= 200 + (2 * concurrency), `${twice.length} duplicates`);
});

test('strict journal: after kill -9 at most one message per connection is sent twice', async t => {
	const {twice, concurrency} = await crashAndResume(t, true);
	t.true(twice.length <= concurrency, `${twice.length} duplicates`);
});
