import test from 'ava';
import {maximumReconnectDelayMs, maximumRetryDelayMs, reconnectDelay, retryDelay, RetryQueue} from '../../source/core/delivery/retry-queue.js';

test('a retry waits the base delay, then twice as long each time, at most 15 minutes', t => {
	t.deepEqual([1, 2, 3, 4].map(attempt => retryDelay(2000, attempt)), [2000, 4000, 8000, 16_000]);
	t.is(retryDelay(2000, 0), 2000);
	t.is(retryDelay(2000, 40), maximumRetryDelayMs);
});

test('a connection is opened again after the base delay, doubling with each failure in a row, at most 32 times it and 30 s', t => {
	t.deepEqual([1, 2, 3, 4, 5, 6, 7].map(failures => reconnectDelay(20, failures)), [20, 40, 80, 160, 320, 640, 640]);
	t.deepEqual([1, 5, 6, 9].map(failures => reconnectDelay(1000, failures)), [1000, 16_000, maximumReconnectDelayMs, maximumReconnectDelayMs]);
});

test('retries come due in order of their time; equal delays in the order they were added', t => {
	const queue = new RetryQueue();
	queue.add(1, 1000, 1000);
	queue.add(2, 500, 500);
	queue.add(3, 1000, 1000);
	t.is(queue.nextDue(), 500);
	const ready: number[] = [];
	queue.takeDue(999, ready);
	t.deepEqual(ready, [2]);
	queue.takeDue(1000, ready);
	t.deepEqual(ready, [2, 1, 3]);
	t.is(queue.size, 0);
	t.is(queue.nextDue(), Number.POSITIVE_INFINITY);
});
