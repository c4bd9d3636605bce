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
 * editScheduled(book, store, id, {at: parseWhen('Sat 19:00', {now: now()})}, now());
 * cancelScheduled(book, store, id, now(), 'ann');
 * const {startDue, dueSends} = await import('./run.js');
 */
import path from 'node:path';
import fs from 'node:fs';
import {MassmailError} from '../errors.js';
import type {Store} from '../store.js';
import {ScheduleBook, type ScheduledSend} from './book.js';
import {formatTime} from './when.js';

export {ScheduleBook, type DamagedSchedule, type ScheduledSend, type ScheduleInput, type ScheduleState} from './book.js';
// parseWhen is in parse-when.ts, imported where a time is read: chrono-node takes 50-60 ms to load.
export {describeWhen, formatTime, machineZone, type When} from './when.js';

/** The scheduled sends of a store: `schedule/` in its data folder, beside `sends/`. */
export function openSchedule(store: Pick<Store, 'paths'>): ScheduleBook {
	return new ScheduleBook(path.join(store.paths.root, 'schedule'));
}

/** The next scheduled send, for a header or `scheduled` (undefined when none waits). */
export function nextScheduled(book: ScheduleBook): ScheduledSend | undefined {
	return book.list().sends.find(send => send.state === 'scheduled');
}

/** What `scheduled edit` (or the dashboard) may change of a send that has not started: its time, its text. */
export interface ScheduleEdit {
	at?: {at: Date; zone: string};
	subject?: string;
	body?: string;
	/** For an email whose new body is HTML (detected or said). */
	html?: boolean;
}

/**
 * Changes the time or the text of a scheduled send that has not started, under its lock (a
 * run-due starting it at that moment either started first, and this refuses, or sends the
 * edited one). A follow-up of a send that has not run stays after it. MassmailError 'usage'
 * when it is not waiting; 'locked' when a run-due works on it now.
 */
export function editScheduled(book: ScheduleBook, store: Pick<Store, 'paths'>, id: string, edit: ScheduleEdit, now: Date): ScheduledSend {
	const taken = book.lock(id);
	if ('busy' in taken) {
		throw new MassmailError('locked', `scheduled send ${id} is ${taken.busy}: it cannot be edited now`, {hint: `massmail show ${id}`});
	}

	try {
		const send = waiting(book, store, id, 'edited');
		if (edit.at !== undefined && send.followUpOf !== undefined && book.has(send.followUpOf) && !fs.existsSync(path.join(store.paths.sendsDir, send.followUpOf))) {
			const original = book.get(send.followUpOf);
			if (edit.at.at.getTime() <= Date.parse(original.at)) {
				throw new MassmailError('usage', `${id} follows up ${original.id}, which runs ${formatTime(new Date(original.at), original.zone)} and has not been sent: its time must be after that`);
			}
		}

		// Its follow-ups wait for it: it must not move to or past one of them.
		const [blocked] = edit.at === undefined ? [] : scheduledFollowUps(book, id).filter(followUp => Date.parse(followUp.at) <= edit.at!.at.getTime());
		if (blocked) {
			throw new MassmailError('usage', `${id} is followed up by ${blocked.id}, scheduled ${formatTime(new Date(blocked.at), blocked.zone)}: its time must be before that`, {hint: `move the follow-up first: massmail scheduled edit ${blocked.id} --at WHEN`});
		}

		return book.replace({
			...send,
			...(edit.at === undefined ? {} : {at: edit.at.at.toISOString(), zone: edit.at.zone}),
			draft: {...send.draft, ...(edit.subject === undefined ? {} : {subject: edit.subject}), ...(edit.body === undefined ? {} : {body: edit.body}), ...(edit.html === undefined ? {} : {html: edit.html})},
			changedAt: now.toISOString(),
		});
	} finally {
		taken.lock.release();
	}
}

/** The scheduled sends still waiting that follow up `id` (remind --follow-up ID --at …). */
export function scheduledFollowUps(book: ScheduleBook, id: string): ScheduledSend[] {
	return book.list().sends.filter(send => send.followUpOf === id && send.state === 'scheduled');
}

/** A scheduled send that is still waiting, read under its lock; else why it cannot be `what`. */
function waiting(book: ScheduleBook, store: Pick<Store, 'paths'>, id: string, what: string): ScheduledSend {
	const send = book.get(id);
	if (fs.existsSync(path.join(store.paths.sendsDir, id)) || send.state === 'started') {
		throw new MassmailError('usage', `scheduled send ${id} has started: it cannot be ${what}`, {hint: `massmail show ${id}; a running send stops with Ctrl+C where it runs`});
	}

	if (send.state !== 'scheduled') {
		throw new MassmailError('usage', `scheduled send ${id} is ${send.state} already${send.reason ? `: ${send.reason}` : ''}`);
	}

	return send;
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
		waiting(book, store, id, 'cancelled');
		return book.mark(id, 'cancelled', now, `cancelled by ${by}`);
	} finally {
		taken.lock.release();
	}
}
