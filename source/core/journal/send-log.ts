/**
 * SendLog: the send records of one data folder, read ({@link SendReader}) and written — a new
 * record, the lock of a send, its outcome log opened for appending, how a run ended.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {MassmailError} from '../errors.js';
import {writeFileAtomic} from '../json-file.js';
import {fsyncDirectory, keepPrivate, openForAppend, takeProcessLock, type ProcessLock} from '../storage/index.js';
import type {Recipient, SendStatus} from '../types.js';
import {OutcomeWriter, outcomesFile, type OutcomeGrouping, type OutcomeLine} from './outcome-log.js';
import {SendReader} from './read.js';
import {encodeRecipients, encodeRecord, encodeRunState, newSendId, recipientsFile, type RunState, type SendRecord} from './record.js';

/** A held lock on one send. */
export type SendLock = ProcessLock;

/**
 * The send records of one data folder. Files are 0600, folders 0700.
 *
 * @example
 * const sends = new SendLog(store.paths.sendsDir);
 * const {record, lock} = sends.create({...what, recipients});
 * const writer = sends.openOutcomes(record.id, group => console.log(group.length, 'on disk'));
 */
export class SendLog extends SendReader {
	/**
	 * Creates the record of a new send and takes its lock: send.json and the recipients are on
	 * disk (fsynced) before this returns, so before the first message.
	 *
	 * `id`: the id a scheduled send was given when it was scheduled, so that its record's existence
	 * says it started (a second run-due finds it, and resumes instead of sending again). A folder of
	 * that id that exists already refuses (MassmailError 'locked'): another process made it first.
	 */
	create(input: Omit<SendRecord, 'id' | 'createdAt' | 'total'> & {recipients: Recipient[]; id?: string}): {record: SendRecord; lock: SendLock} {
		fs.mkdirSync(this.sendsDir, {recursive: true, mode: 0o700});
		keepPrivate(this.sendsDir);
		const {id: chosen, ...what} = input;
		let id = chosen ?? newSendId();
		while (chosen === undefined && fs.existsSync(path.join(this.sendsDir, id))) {
			id = newSendId();
		}

		try {
			fs.mkdirSync(path.join(this.sendsDir, id), {mode: 0o700});
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
				throw new MassmailError('locked', `send ${id} exists already: another process started it`, {hint: `massmail show ${id}`});
			}

			throw new MassmailError('store', `cannot create the record of send ${id}: ${(error as Error).message}`, {cause: error});
		}

		const lock = this.lock(id);
		try {
			const {recipients, ...rest} = what;
			const record: SendRecord = {id, createdAt: new Date().toISOString(), total: recipients.length, ...rest};
			writeFileAtomic(this.file(id, recipientsFile), encodeRecipients(recipients));
			writeFileAtomic(this.file(id, outcomesFile), '');
			// send.json last: a folder without it is not a send (a crash half-way leaves no broken record).
			writeFileAtomic(this.file(id, 'send.json'), encodeRecord(record));
			fsyncDirectory(this.sendsDir);
			return {record, lock};
		} catch (error) {
			lock.release();
			throw error;
		}
	}

	/**
	 * Takes the lock of a send. A lock held by a live process refuses with MassmailError 'locked';
	 * the lock of a process that is gone (on this host: its PID is dead, reused by another process,
	 * or from before a reboot) is taken over at once.
	 */
	lock(id: string): SendLock {
		const file = this.file(id, 'lock');
		let taken: ReturnType<typeof takeProcessLock>;
		try {
			taken = takeProcessLock(file);
		} catch (error) {
			throw new MassmailError('store', `cannot lock send ${id}: ${(error as Error).message}`);
		}

		if ('lock' in taken) {
			return taken.lock;
		}

		if ('holder' in taken) {
			const {holder} = taken;
			throw new MassmailError('locked', `send ${id} is being worked on by process ${holder.pid}${holder.host === os.hostname() ? '' : ' on ' + holder.host}`, {
				hint: holder.host === os.hostname()
					? 'wait for it to finish, or stop that process first'
					: `if no massmail runs on ${holder.host}, delete ${file}`,
			});
		}

		throw new MassmailError('locked', `cannot take the lock of send ${id}`, {hint: 'another massmail may be starting on it; try again'});
	}

	/** Opens the outcome log for appending (cutting off a torn last line first, however long). Call with the lock held. */
	openOutcomes(id: string, onDurable: (group: OutcomeLine[]) => void, options?: OutcomeGrouping, onFailure?: (error: Error) => void): OutcomeWriter {
		const file = this.file(id, outcomesFile);
		let fd: number;
		try {
			fd = openForAppend(file);
		} catch (error) {
			throw new MassmailError('store', `${file}: cannot be prepared for appending: ${(error as Error).message}`, {cause: error, file});
		}

		return new OutcomeWriter(fd, onDurable, options, onFailure);
	}

	/** Whether the last run of a send recorded how it ended (a run killed mid-way did not). */
	ended(id: string): boolean {
		return fs.existsSync(this.file(id, 'state.json'));
	}

	/** Forgets how the last run ended (a new run starts). Call with the lock held. */
	clearState(id: string): void {
		fs.rmSync(this.file(id, 'state.json'), {force: true});
	}

	/** Records how this run ended. Call with the lock held, after the outcome log is closed. */
	finish(id: string, status: Exclude<SendStatus, 'running'>, counts: {sent: number; failed: number}, stoppedBy?: RunState['stoppedBy']): void {
		writeFileAtomic(this.file(id, 'state.json'), encodeRunState({status, endedAt: new Date().toISOString(), sent: counts.sent, failed: counts.failed, ...(stoppedBy === undefined ? {} : {stoppedBy})}));
	}

	/** Removes a send's folder (used when a send never started, e.g. the login failed after all). */
	remove(id: string): void {
		fs.rmSync(path.join(this.sendsDir, id), {recursive: true, force: true});
	}
}
