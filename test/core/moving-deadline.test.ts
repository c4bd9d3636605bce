import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {setTimeout as sleep} from 'node:timers/promises';
import test from 'ava';
import {MovingDeadline} from '../../source/core/delivery/moving-deadline.js';

test('a deadline moved later expires at the last time set, not at the first', async t => {
	const deadline = new MovingDeadline();
	const start = performance.now();
	let expiredAt: number | undefined;
	deadline.set(60, () => {
		t.fail('the first deadline was replaced');
	});
	await sleep(40);
	deadline.set(100, () => {
		expiredAt = performance.now() - start;
	});
	await sleep(80);
	t.is(expiredAt, undefined, 'the timer of the first deadline fired, found the deadline moved, and waited on');
	await sleep(120);
	t.true(expiredAt !== undefined && expiredAt >= 139 && expiredAt < 220, `expired after ${expiredAt} ms`);
	deadline.dispose();
});

test('a deadline moved earlier expires at the earlier time', async t => {
	const deadline = new MovingDeadline();
	const start = performance.now();
	let expiredAt: number | undefined;
	deadline.set(5000, () => {
		t.fail('the first deadline was replaced');
	});
	deadline.set(50, () => {
		expiredAt = performance.now() - start;
	});
	await sleep(200);
	t.true(expiredAt !== undefined && expiredAt >= 49 && expiredAt < 180, `expired after ${expiredAt} ms`);
	deadline.dispose();
});

test('a cleared deadline never expires, and a deadline set after it does', async t => {
	const deadline = new MovingDeadline();
	let expired = 0;
	deadline.set(30, () => {
		expired++;
	});
	deadline.clear();
	await sleep(80);
	t.is(expired, 0);
	deadline.set(30, () => {
		expired++;
	});
	await sleep(80);
	t.is(expired, 1);
	deadline.dispose();
});

test('a deadline keeps the process alive while set, and not once cleared', async t => {
	const module = new URL('../../source/core/delivery/moving-deadline.ts', import.meta.url).href;
	const run = async (body: string) => {
		const started = performance.now();
		const {stdout} = await promisify(execFile)(process.execPath, ['--import=tsx', '--input-type=module', '-e', `import {MovingDeadline} from ${JSON.stringify(module)}; const d = new MovingDeadline(); ${body}`], {encoding: 'utf8', timeout: 20_000});
		return {output: stdout.trim(), ms: performance.now() - started};
	};

	const waited = await run('d.set(1500, () => console.log("expired"));');
	t.is(waited.output, 'expired');
	const cleared = await run('d.set(1500, () => console.log("expired")); d.set(8000, () => console.log("expired")); d.clear();');
	t.is(cleared.output, '');
	t.true(cleared.ms < waited.ms + 4000, `the cleared one took ${cleared.ms} ms, the waiting one ${waited.ms} ms`);
});
