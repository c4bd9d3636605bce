/**
 * The scheduled sends of one data folder: `schedule/<ID>.json`, one file each (0600, written
 * atomically), and `schedule/<ID>.lock` while a process works on one. The ID is a send id
 * (journal's newSendId): it sorts with the sends, and becomes the send's own id when it runs —
 * so `sends/<ID>/` existing is the proof that it started.
 *
 * A record holds what the send needs when nobody is there: the draft, the group as typed (never
 * the addresses: the directory changes), the count when it was scheduled, who scheduled it and
 * when, the time to run, and its state with the reason when it was not sent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {MassmailError} from '../errors.js';
import {tryReadJsonFile, writeFileAtomic} from '../json-file.js';
import {idPattern, newSendId} from '../journal/record.js';
import {keepPrivate, takeProcessLock, type ProcessLock} from '../storage/index.js';
import type {MessageDraft, Operator, SendKind} from '../types.js';
import {isObject} from '../values.js';

/** scheduled: waiting for its time; started: its send record exists (sends/<ID>/); the others: not sent, and why. */
export type ScheduleState = 'scheduled' | 'started' | 'cancelled' | 'missed' | 'refused';

const states: readonly ScheduleState[] = ['scheduled', 'started', 'cancelled', 'missed', 'refused'];

/** What `schedule/<ID>.json` holds (and `scheduled --json` prints). */
export interface ScheduledSend {
	id: string;
	kind: SendKind;
	draft: MessageDraft;
	/** The group as typed (`domain:example.com`), or `send:ID`: resolved when it runs. */
	audience: string;
	/** user:ADDRESS may name an address outside the directory (--allow-external). */
	allowExternal: boolean;
	/** Recipients when it was scheduled: run-due refuses when the audience changed by more than schedule.maxChange. */
	count: number;
	followUpOf?: string;
	operator: Operator;
	createdAt: string;
	/** When it runs (ISO, UTC). */
	at: string;
	/** The zone it was scheduled in, to show its time as it was typed. */
	zone: string;
	/** --concurrency and --rate given when it was scheduled. */
	overrides: {concurrency?: number; rate?: number};
	state: ScheduleState;
	/** Why it was refused, missed or cancelled. */
	reason?: string;
	/** When the state last changed. */
	changedAt?: string;
}

/** What a caller gives to schedule a send; the book adds the id, createdAt and the state. */
export type ScheduleInput = Omit<ScheduledSend, 'id' | 'createdAt' | 'state' | 'reason' | 'changedAt'>;

/** Why a parsed file is not a scheduled send of this id, or undefined when it is one. */
function recordProblem(value: unknown, id: string): string | undefined {
	if (!isObject(value) || value.id !== id) {
		return 'not a scheduled send of this id';
	}

	if (!states.includes(value.state as ScheduleState)) {
		return `"state" is not one of ${states.join(', ')}`;
	}

	if (typeof value.at !== 'string' || Number.isNaN(Date.parse(value.at))) {
		return '"at" is not a date-time';
	}

	if (typeof value.audience !== 'string' || typeof value.count !== 'number' || !isObject(value.draft) || typeof value.draft.subject !== 'string') {
		return '"audience", "count" or "draft" is missing';
	}

	return undefined;
}

/** A scheduled send that cannot be read: listed with the reason, never hiding the others. */
export interface DamagedSchedule {
	id: string;
	file: string;
	problem: string;
}

/**
 * The scheduled sends of a data folder.
 *
 * @example
 * const book = new ScheduleBook(scheduleDir(store.paths));
 * const scheduled = book.add({...what, at: when.at.toISOString()}, now());
 * book.cancel(scheduled.id, now());
 */
export class ScheduleBook {
	constructor(readonly dir: string) {}

	/** Writes a new scheduled send (fsynced, 0600) and returns it; its id sorts with the sends'. */
	add(input: ScheduleInput, now: Date, sendsDir?: string): ScheduledSend {
		fs.mkdirSync(this.dir, {recursive: true, mode: 0o700});
		keepPrivate(this.dir);
		let id = newSendId(now);
		while (fs.existsSync(this.file(id)) || (sendsDir !== undefined && fs.existsSync(path.join(sendsDir, id)))) {
			id = newSendId(now);
		}

		const record: ScheduledSend = {id, ...input, createdAt: now.toISOString(), state: 'scheduled'};
		this.write(record);
		return record;
	}

	/** Every readable scheduled send, by time (the next first), and the files that cannot be read. */
	list(): {sends: ScheduledSend[]; damaged: DamagedSchedule[]} {
		let names: string[];
		try {
			names = fs.readdirSync(this.dir);
		} catch {
			return {sends: [], damaged: []};
		}

		const sends: ScheduledSend[] = [];
		const damaged: DamagedSchedule[] = [];
		for (const name of names) {
			const id = name.endsWith('.json') ? name.slice(0, -5) : '';
			if (id === '' || !idPattern.test(id)) {
				continue;
			}

			const read = this.read(id);
			if ('problem' in read) {
				damaged.push({id, file: this.file(id), problem: read.problem});
			} else {
				sends.push(read.send);
			}
		}

		sends.sort((a, b) => a.at < b.at ? -1 : a.at > b.at ? 1 : (a.id < b.id ? -1 : 1));
		return {sends, damaged};
	}

	/** Whether a scheduled send of this id exists. */
	has(id: string): boolean {
		return idPattern.test(id) && fs.existsSync(this.file(id));
	}

	/** One scheduled send. Unknown id -> MassmailError 'usage'; damaged file -> 'store', naming it. */
	get(id: string): ScheduledSend {
		if (!this.has(id)) {
			throw new MassmailError('usage', `no scheduled send with id ${JSON.stringify(id)}`, {hint: 'massmail scheduled lists them'});
		}

		const read = this.read(id);
		if ('problem' in read) {
			throw new MassmailError('store', `${this.file(id)}: ${read.problem}`, {file: this.file(id)});
		}

		return read.send;
	}

	/** Sets a send's state (and why), written atomically; returns the record as written. */
	mark(id: string, state: ScheduleState, now: Date, reason?: string): ScheduledSend {
		const record: ScheduledSend = {...this.get(id), state, changedAt: now.toISOString()};
		if (reason === undefined) {
			delete record.reason;
		} else {
			record.reason = reason;
		}

		this.write(record);
		return record;
	}

	/** Writes a changed record whole (its id and file unchanged): call with its lock held. */
	replace(record: ScheduledSend): ScheduledSend {
		this.get(record.id);
		this.write(record);
		return record;
	}

	/**
	 * Takes the lock of one scheduled send: `{lock}`, or `{busy}` saying who holds it. The lock of a
	 * process that is gone (killed, or before a reboot) is taken over at once.
	 */
	lock(id: string): {lock: ProcessLock} | {busy: string} {
		fs.mkdirSync(this.dir, {recursive: true, mode: 0o700});
		let taken: ReturnType<typeof takeProcessLock>;
		try {
			taken = takeProcessLock(path.join(this.dir, `${id}.lock`));
		} catch (error) {
			throw new MassmailError('store', `cannot lock scheduled send ${id}: ${(error as Error).message}`);
		}

		if ('lock' in taken) {
			return taken;
		}

		if ('holder' in taken) {
			return {busy: `being run by process ${taken.holder.pid}${taken.holder.host === os.hostname() ? '' : ` on ${taken.holder.host}`}`};
		}

		return {busy: 'another process is taking it'};
	}

	private read(id: string): {send: ScheduledSend} | {problem: string} {
		const read = tryReadJsonFile(this.file(id));
		if ('missing' in read) {
			return {problem: 'gone'};
		}

		if ('why' in read) {
			return {problem: read.why};
		}

		const problem = recordProblem(read.value, id);
		return problem === undefined ? {send: read.value as ScheduledSend} : {problem};
	}

	private write(record: ScheduledSend): void {
		writeFileAtomic(this.file(record.id), JSON.stringify(record, null, '\t') + '\n', 0o600);
	}

	private file(id: string): string {
		return path.join(this.dir, `${id}.json`);
	}
}
