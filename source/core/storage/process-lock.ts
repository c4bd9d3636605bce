/**
 * A lock held by one process for as long as it runs (a send being delivered): a file created
 * exclusively, holding `{pid, host, since, bootId, startTime}`. A holder that is gone is told
 * apart from one that runs without waiting for a timeout: on this host, its PID must be alive, in
 * this boot of the machine, with the start time the lock recorded (Linux's /proc; elsewhere the
 * PID alone). A lock of another host always counts as held. No word of what is locked: the
 * caller says that in its errors. (file-lock.ts is the other kind: a short edit of a shared file.)
 *
 * @example
 * const taken = takeProcessLock(path.join(folder, 'lock'));
 * if ('lock' in taken) { work(); taken.lock.release(); } else if ('holder' in taken) console.log('held by', taken.holder.pid);
 */
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import {isObject} from '../values.js';
import {writeAllSync} from './durable.js';

/** A held lock. */
export interface ProcessLock {
	/** Removes the lock file if it is still ours; twice is harmless. */
	release(): void;
}

/** Who holds a lock. */
export interface LockHolder {
	/** 0 when the lock file does not say (torn by a crash, or not a lock). */
	pid: number;
	host: string;
	/** The holder runs (always true for another host). */
	alive: boolean;
	/** The lock file's text, to take it over only if it is still the same. */
	raw: string;
}

/** What a lock file holds. */
interface LockFile {
	pid: number;
	host: string;
	since: string;
	/** The boot the holder ran in. */
	bootId?: string;
	/** The holder's start time: the PID with another start time is another process. */
	startTime?: string;
}

function processIsAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function readText(file: string): string | undefined {
	try {
		return fs.readFileSync(file, 'utf8').trim();
	} catch {
		return undefined;
	}
}

let bootIdCache: string | null | undefined;

/** This boot of the machine (Linux): a lock written before a reboot names a process that is gone. */
function currentBootId(): string | undefined {
	bootIdCache ??= readText('/proc/sys/kernel/random/boot_id') ?? null;
	return bootIdCache ?? undefined;
}

/**
 * When a process started, in clock ticks since boot (Linux: /proc/PID/stat field 22), as text;
 * undefined where there is no /proc. Two processes that share a PID never share a start time.
 */
function processStartTime(pid: number): string | undefined {
	const stat = readText(`/proc/${pid}/stat`);
	if (stat === undefined) {
		return undefined;
	}

	// Field 2 is the command name in parentheses, and may hold spaces and parentheses itself.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const startTime = fields[22 - 3];
	return startTime !== undefined && /^\d+$/.test(startTime) ? startTime : undefined;
}

/** When this machine booted, in ms since the epoch (Linux: /proc/stat btime). */
function bootTimeMs(): number | undefined {
	const match = /^btime (\d+)$/m.exec(readText('/proc/stat') ?? '');
	return match ? Number(match[1]) * 1000 : undefined;
}

/** Clock ticks per second of /proc/PID/stat: USER_HZ, 100 on every Linux that Node runs on. */
const ticksPerSecond = 100;

/**
 * Whether the holder of a lock on this host still runs: its PID is alive, in the same boot, with
 * the start time the lock recorded. A lock of an older version (no start time) counts as stale
 * when the process now using its PID started after the lock was written.
 */
function holderIsAlive(holder: Partial<LockFile>, pid: number, writtenMs: number | undefined): boolean {
	if (pid <= 0) {
		return false;
	}

	const bootId = currentBootId();
	if (typeof holder.bootId === 'string' && bootId !== undefined && holder.bootId !== bootId) {
		return false;
	}

	if (!processIsAlive(pid)) {
		return false;
	}

	const started = processStartTime(pid);
	if (started === undefined) {
		return true; // No /proc: the PID is all there is to go by.
	}

	if (typeof holder.startTime === 'string') {
		return holder.startTime === started;
	}

	const booted = bootTimeMs();
	if (booted === undefined || writtenMs === undefined) {
		return true;
	}

	// Two seconds of slack for the clock's granularity.
	return booted + (Number(started) * 1000 / ticksPerSecond) <= writtenMs + 2000;
}

/** Who holds the lock `file`, if anyone (a lock torn by a crash: a dead holder of PID 0). */
export function lockHolder(file: string): LockHolder | undefined {
	let raw: string;
	let writtenMs: number | undefined;
	try {
		raw = fs.readFileSync(file, 'utf8');
		writtenMs = fs.statSync(file).mtimeMs;
	} catch {
		return undefined;
	}

	let holder: Partial<LockFile>;
	try {
		const parsed = JSON.parse(raw) as unknown;
		holder = isObject(parsed) ? parsed as Partial<LockFile> : {};
	} catch {
		// A torn lock: never one being written (createWhole links it in whole), so one left by a crash.
		return {pid: 0, host: os.hostname(), alive: false, raw};
	}

	const pid = typeof holder.pid === 'number' && Number.isSafeInteger(holder.pid) ? holder.pid : 0;
	const host = typeof holder.host === 'string' ? holder.host : os.hostname();
	const alive = host === os.hostname() ? holderIsAlive(holder, pid, writtenMs) : true;
	return {pid, host, alive, raw};
}

/**
 * Takes the lock `file` (created 0600, whole and fsynced: see createWhole): `{lock}`; or `{holder}` when a
 * live process holds it; or `{contended}` when others kept taking it over meanwhile. The lock of a
 * holder that is gone is taken over at once. Throws Node's error when the file cannot be made.
 */
export function takeProcessLock(file: string): {lock: ProcessLock} | {holder: LockHolder} | {contended: true} {
	const held: LockFile = {pid: process.pid, host: os.hostname(), since: new Date().toISOString()};
	const bootId = currentBootId();
	const startTime = processStartTime(process.pid);
	if (bootId !== undefined) {
		held.bootId = bootId;
	}

	if (startTime !== undefined) {
		held.startTime = startTime;
	}

	const content = JSON.stringify(held);
	for (let attempt = 0; attempt < 5; attempt++) {
		if (createWhole(file, content)) {
			return {lock: releaser(file)};
		}

		const holder = lockHolder(file);
		if (holder?.alive) {
			return {holder};
		}

		// The holder is gone: take the lock over, unless someone else just did. (No holder: the file
		// was removed as it was read, and what is there now may be a new holder's: try again.)
		try {
			const before = fs.readFileSync(file, 'utf8');
			if (holder !== undefined && before === holder.raw) {
				fs.unlinkSync(file);
			}
		} catch {
			// Removed meanwhile: try again.
		}
	}

	return {contended: true};
}

/**
 * Creates `file` holding `content` only if it does not exist: false when it does. The content is
 * written to a file of its own first and linked in under the lock's name, so the lock file never
 * exists empty or half written. Created empty and then written, it did for a moment, and a process
 * taking the same lock then read it as the torn lock of a crashed holder, removed it and took the
 * lock too: two run-due both started one scheduled send.
 */
function createWhole(file: string, content: string): boolean {
	const draft = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.new`;
	const fd = fs.openSync(draft, 'wx', 0o600);
	try {
		try {
			writeAllSync(fd, content);
			fs.fsyncSync(fd);
		} finally {
			fs.closeSync(fd);
		}

		fs.linkSync(draft, file);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
			return false;
		}

		throw error;
	} finally {
		fs.rmSync(draft, {force: true});
	}
}

function releaser(file: string): ProcessLock {
	let released = false;
	return {
		release() {
			if (released) {
				return;
			}

			released = true;
			try {
				const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as {pid: number};
				if (holder.pid === process.pid) {
					fs.unlinkSync(file);
				}
			} catch {
				// Already gone.
			}
		},
	};
}
