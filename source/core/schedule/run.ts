/**
 * Running scheduled sends (`massmail run-due`, the dashboard's "run now"): each exactly once. A
 * lock per scheduled send; under it the record is read again, and the send record is created with
 * the schedule's own id — its existence is the proof that it started, so a run-due that died
 * after creating it is resumed by the next one, never sent again.
 *
 * A run cut off part-way — killed, stopped by SIGTERM or SIGHUP (a shutdown, the service manager),
 * the machine down, or stopped by the server or the network (what exits 75 by hand) — is resumed by the next run-due while its time is within schedule.grace, as a
 * send that never reached the server is tried again: a reminder is not finished hours after the
 * maintenance began. Past that, or stopped by a refused login, the disk or a person, it waits for
 * a person (`massmail resume ID`).
 *
 * Nobody is there to confirm, so a send is not sent (and the record says why) when its time
 * passed longer ago than schedule.grace (missed), or when the directory source cannot be read, or
 * the audience changed by more than schedule.maxChange since it was scheduled (refused).
 *
 * This file loads the engine (nodemailer): the listing commands import book.ts and when.ts only.
 */
import {createDelivery, reopenDelivery, type Delivery, type DeliveryContext} from '../delivery/index.js';
import type {Directory} from '../directory.js';
import {MassmailError} from '../errors.js';
import {followUpAudience} from '../follow-up.js';
import {formatCount, massmailCommand} from '../format.js';
import {parseGroup, resolveGroup} from '../groups.js';
import type {SendReader} from '../journal.js';
import {applySync, readAndPlan} from '../sync.js';
import type {Resolution} from '../types.js';
import {showDuration} from '../settings/spec.js';
import type {ScheduleBook, ScheduledSend} from './book.js';
import {describeWhen} from './when.js';

/**
 * A group as typed (`domain:example.com`, `send:ID`) resolved against the directory as it is now.
 * `send:ID`: whom that send reached; a damaged record of it refuses (MassmailError).
 */
export function resolveAudience(directory: Directory, sends: SendReader, audience: string, allowExternal: boolean): Resolution {
	const group = parseGroup(audience);
	if (group.kind === 'send') {
		sends.requireReadable(group.sendId, undefined);
		return followUpAudience(directory, sends.recipients(group.sendId));
	}

	return resolveGroup(directory, group, {allowExternal});
}

/** A send run-due must pick up again: its record exists, and its last run neither ended nor runs. */
function diedMidRun(sends: DeliveryContext['sends'], id: string): boolean {
	return sends.has(id) && !sends.ended(id) && sends.lockHolder(id)?.alive !== true;
}

/** A send whose last run the server or the network stopped (not a person, a signal, a login or the disk). */
function stoppedByServer(sends: DeliveryContext['sends'], id: string): boolean {
	if (!sends.has(id) || sends.lockHolder(id)?.alive === true) {
		return false;
	}

	const last = sends.lastRun(id);
	return last?.status === 'interrupted' && last.stoppedBy === 'connection';
}

/** Whether a SIGTERM or SIGHUP stopped its last run (a shutdown, the service manager): not a person. */
function stoppedBySignal(sends: DeliveryContext['sends'], id: string): boolean {
	if (!sends.has(id) || sends.lockHolder(id)?.alive === true) {
		return false;
	}

	const last = sends.lastRun(id);
	return last?.status === 'interrupted' && last.stoppedBy === 'signal';
}

/**
 * schedule.grace in milliseconds: 0 is no limit (never missed, however late), as a duration of 0
 * reads "never" elsewhere — a grace of nothing would miss every send, the timer being a little late.
 */
function graceMs(graceSeconds: number): number {
	return graceSeconds === 0 ? Number.POSITIVE_INFINITY : graceSeconds * 1000;
}

/** Whether a scheduled send's time passed no longer ago than schedule.grace. */
function withinGrace(send: ScheduledSend, now: Date, graceSeconds: number): boolean {
	return now.getTime() - Date.parse(send.at) <= graceMs(graceSeconds);
}

/** A started send run-due picks up again: its run was cut off (died, or the server stopped it). */
function cutOff(sends: DeliveryContext['sends'], id: string): boolean {
	return diedMidRun(sends, id) || stoppedByServer(sends, id) || stoppedBySignal(sends, id);
}

/**
 * What `run-due` works on now, in time order: each scheduled send whose time has come, and each
 * started one whose run was cut off (killed, the machine down, the server gone) while its time
 * is within schedule.grace.
 */
export function dueSends(book: ScheduleBook, sends: DeliveryContext['sends'], now: Date, graceSeconds: number): ScheduledSend[] {
	return book.list().sends.filter(send =>
		(send.state === 'scheduled' && Date.parse(send.at) <= now.getTime() && !sends.has(send.id))
		|| ((send.state === 'started' || send.state === 'scheduled') && cutOff(sends, send.id) && withinGrace(send, now, graceSeconds)));
}

/**
 * Started sends that stopped part-way and that run-due no longer takes up (past schedule.grace,
 * or stopped by a person, a refused login or the disk), each returned once with why: its record
 * keeps the reason, so that the timer's log names it the first time, not every minute after.
 */
export function newlyLeftToPeople(book: ScheduleBook, sends: DeliveryContext['sends'], now: Date, graceSeconds: number, command: string): Array<{send: ScheduledSend; reason: string}> {
	const left: Array<{send: ScheduledSend; reason: string}> = [];
	for (const send of book.list().sends) {
		const {id} = send;
		// The record's own fields first: the send's files are read only for one that started and was not said yet.
		if ((send.state !== 'started' && send.state !== 'scheduled') || send.reason !== undefined || !sends.has(id)) {
			continue;
		}

		const last = sends.lastRun(id);
		const stopped = last?.status === 'interrupted' || last?.status === 'cancelled' || diedMidRun(sends, id);
		// Running elsewhere, or resumed by run-due (cut off, within the grace): not left to anyone.
		if (!stopped || sends.lockHolder(id)?.alive === true || (cutOff(sends, id) && withinGrace(send, now, graceSeconds))) {
			continue;
		}

		const taken = book.lock(id);
		if ('busy' in taken) {
			continue;
		}

		try {
			if (book.get(id).reason === undefined) {
				const why = skipReason(sends, id, graceSeconds, command);
				left.push({send: book.mark(id, 'started', now, why), reason: why});
			}
		} finally {
			taken.lock.release();
		}
	}

	return left;
}

/** What became of one scheduled send in this run. */
export type DueStep =
	| {send: ScheduledSend; outcome: 'missed' | 'refused'; reason: string}
	/** Not touched: another process runs it, it is not due, or it is no longer scheduled. */
	| {send: ScheduledSend; outcome: 'skipped'; reason: string}
	/** Ready to run (the caller starts it): a new send, or a resumed one whose run died. */
	| {send: ScheduledSend; outcome: 'delivery'; delivery: Delivery; resumed: boolean};

/** How a scheduled send runs: the time, the environment, a way to say what happens before the send. */
export interface DueOptions {
	now: Date;
	env?: NodeJS.ProcessEnv;
	/** Run it now even if its time has not come (the dashboard's "run now"). */
	early?: boolean;
	/** A line for people: the sync before the send. */
	notice?: (text: string) => void;
}

/** The share by which the audience changed since it was scheduled, in percent. */
function changePercent(then: number, now: number): number {
	return then === 0 ? (now === 0 ? 0 : Number.POSITIVE_INFINITY) : Math.abs(now - then) * 100 / then;
}

/** The directory now: synced first from its source when one is set. Throws the reason it cannot be read. */
async function directoryNow(ctx: DeliveryContext, options: DueOptions): Promise<Directory> {
	const {store} = ctx;
	const settings = store.settings.get();
	if (settings.directory.source === 'local') {
		return store.directory();
	}

	options.notice?.(`Syncing the directory from ${settings.directory.source} first…`);
	let plan: Awaited<ReturnType<typeof readAndPlan>>;
	try {
		plan = await readAndPlan(store, options.env ?? ctx.env);
	} catch (error) {
		throw new Refusal(`the directory source (${settings.directory.source}) could not be read: ${(error as Error).message}`);
	}

	if (plan.changes.guard.length > 0) {
		throw new Refusal(`the sync before it needs a confirmation: ${plan.changes.guard.join('; ')}`);
	}

	applySync(store, plan.rows, plan.changes.source);
	return store.directory();
}

/** Why run-due leaves a started send alone. */
function skipReason(sends: DeliveryContext['sends'], id: string, graceSeconds: number, command: string): string {
	if (sends.lockHolder(id)?.alive) {
		return 'its send is running in another process';
	}

	if (cutOff(sends, id)) {
		const how = stoppedByServer(sends, id) ? 'the server stopped it' : stoppedBySignal(sends, id) ? 'its run was stopped by a signal (a shutdown, the service manager)' : 'its run was cut off (killed, or the machine went down)';
		return `${how}, and its time passed more than schedule.grace (${showDuration(graceSeconds)}) ago: resume it by hand (${command} resume ${id})`;
	}

	const last = sends.lastRun(id);
	if (last?.status === 'interrupted') {
		return `its run was stopped${last.stoppedBy === 'auth' ? ' by a refused login' : last.stoppedBy === 'store' ? ' by the disk' : ''}: resume it by hand (${command} resume ${id})`;
	}

	return 'it has run already';
}

/** A reason not to send that goes in the record. */
class Refusal extends Error {}

/**
 * Runs one scheduled send if it is due, exactly once: under its lock, its record read again.
 * Returns what became of it; a delivery it returns holds the send's lock and must be started
 * (`delivery.start()`). A connection or login that fails before the send record is created throws
 * (MassmailError 'connection'/'auth'): nothing was written, and the next run-due tries again
 * within the grace period.
 */
export async function startDue(ctx: DeliveryContext, book: ScheduleBook, id: string, options: DueOptions): Promise<DueStep> {
	const {now} = options;
	const taken = book.lock(id);
	if ('busy' in taken) {
		return {send: book.get(id), outcome: 'skipped', reason: taken.busy};
	}

	try {
		const send = book.get(id);
		const overrides = send.overrides;
		const settings = ctx.store.settings.get();
		if (ctx.sends.has(id)) {
			// Started before: the send record is the truth. Resumed when its run was cut off and its
			// time is still within the grace period.
			const resumable = cutOff(ctx.sends, id) && (options.early || withinGrace(send, now, settings.schedule.grace));
			if (!resumable) {
				return {send, outcome: 'skipped', reason: skipReason(ctx.sends, id, settings.schedule.grace, massmailCommand(ctx.store.paths.demo))};
			}

			const marked = send.state === 'started' ? send : book.mark(id, 'started', now);
			const delivery = await reopenDelivery(ctx, id, {only: 'unfinished', onRetry: options.notice}, overrides);
			return {send: marked, outcome: 'delivery', delivery, resumed: true};
		}

		if (send.state !== 'scheduled') {
			return {send, outcome: 'skipped', reason: `it is ${send.state}`};
		}

		const at = Date.parse(send.at);
		if (at > now.getTime() && !options.early) {
			return {send, outcome: 'skipped', reason: 'its time has not come'};
		}

		if (!withinGrace(send, now, settings.schedule.grace)) {
			const reason = `its time (${describeWhen(new Date(at), now, send.zone)}) passed more than schedule.grace (${showDuration(settings.schedule.grace)}) ago`;
			return {send: book.mark(id, 'missed', now, reason), outcome: 'missed', reason};
		}

		let recipients: Resolution['recipients'];
		try {
			if (send.followUpOf !== undefined && !ctx.sends.has(send.followUpOf)) {
				throw new Refusal(`the send it follows up, ${send.followUpOf}, has not been sent`);
			}

			const directory = await directoryNow(ctx, options);
			({recipients} = resolveAudience(directory, ctx.sends, send.audience, send.allowExternal));
			const change = changePercent(send.count, recipients.length);
			if (recipients.length === 0) {
				throw new Refusal(`${send.audience} has nobody to send to now (${formatCount(send.count)} when it was scheduled)`);
			}

			if (change > settings.schedule.maxChange) {
				throw new Refusal(`the audience ${send.audience} is ${formatCount(recipients.length)} now, ${formatCount(send.count)} when it was scheduled: a change of ${Math.round(change)}%, more than schedule.maxChange (${settings.schedule.maxChange}%)`);
			}
		} catch (error) {
			if (error instanceof Refusal || error instanceof MassmailError) {
				const reason = error.message;
				return {send: book.mark(id, 'refused', now, reason), outcome: 'refused', reason};
			}

			throw error;
		}

		const delivery = await createDelivery(ctx, {id, draft: send.draft, audience: send.audience, recipients, followUpOf: send.followUpOf}, overrides);
		return {send: book.mark(id, 'started', now), outcome: 'delivery', delivery, resumed: false};
	} finally {
		// The send's own lock (held by the delivery) guards it from here.
		taken.lock.release();
	}
}
