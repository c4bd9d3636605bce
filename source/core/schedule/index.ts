/**
 * Scheduled sends (`--at WHEN`, `massmail scheduled`, `cancel`, `run-due`): the core API the
 * command line and the dashboard share. Light: the engine loads only with run.ts.
 *
 *   schedule/<ID>.json   one scheduled send (book.ts): draft, group, count, who, when, state
 *   schedule/<ID>.lock   the process running it
 *
 * when.ts  `--at WHEN` read (chrono-node) and shown back in full
 * book.ts  ScheduleBook: the records, their states, the lock per send
 * run.ts   startDue / dueSends: run each due send exactly once (loads the engine)
 *
 * @example
 * const book = openSchedule(store);
 * const next = nextScheduled(book); // the dashboard's header
 * cancelScheduled(book, store, id, now(), 'ann');
 * const {startDue, dueSends} = await import('./run.js');
 */
import path from 'node:path';
import fs from 'node:fs';
import {MassmailError} from '../errors.js';
import type {Store} from '../store.js';
import {ScheduleBook, type ScheduledSend} from './book.js';

export {ScheduleBook, type DamagedSchedule, type ScheduledSend, type ScheduleInput, type ScheduleState} from './book.js';
export {describeWhen, formatTime, machineZone, parseWhen, type When} from './when.js';

/** The scheduled sends of a store: `schedule/` in its data folder, beside `sends/`. */
export function openSchedule(store: Pick<Store, 'paths'>): ScheduleBook {
	return new ScheduleBook(path.join(store.paths.root, 'schedule'));
}

/** The next scheduled send, for a header or `scheduled` (undefined when none waits). */
export function nextScheduled(book: ScheduleBook): ScheduledSend | undefined {
	return book.list().sends.find(send => send.state === 'scheduled');
}

/**
 * Cancels a scheduled send that has not started (under its lock: a run-due starting it at the same
 * moment either started first, and this refuses, or finds it cancelled). MassmailError 'usage'
 * when it is not waiting; 'locked' when a run-due works on it now.
 */
export function cancelScheduled(book: ScheduleBook, store: Pick<Store, 'paths'>, id: string, now: Date, by: string): ScheduledSend {
	const taken = book.lock(id);
	if ('busy' in taken) {
		throw new MassmailError('locked', `scheduled send ${id} is ${taken.busy}: it cannot be cancelled now`, {hint: `massmail show ${id}`});
	}

	try {
		const send = book.get(id);
		if (fs.existsSync(path.join(store.paths.sendsDir, id)) || send.state === 'started') {
			throw new MassmailError('usage', `scheduled send ${id} has started: it cannot be cancelled`, {hint: `massmail show ${id}; a running send stops with Ctrl+C where it runs`});
		}

		if (send.state !== 'scheduled') {
			throw new MassmailError('usage', `scheduled send ${id} is ${send.state} already${send.reason ? `: ${send.reason}` : ''}`);
		}

		return book.mark(id, 'cancelled', now, `cancelled by ${by}`);
	} finally {
		taken.lock.release();
	}
}
