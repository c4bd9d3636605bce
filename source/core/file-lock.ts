/**
 * One writer at a time for a file that several massmail processes change (the directory,
 * the settings): a proper-lockfile lock beside it (`FILE.lock`, a folder, mode 0700), taken
 * with a bounded wait and held only while a synchronous read-modify-write runs. (The other
 * kind, held while a process works on a send, is storage/process-lock.ts.)
 */
import fs from 'node:fs';
import {createRequire} from 'node:module';
import type lockfileModule from 'proper-lockfile';
import {MassmailError} from './errors.js';

// proper-lockfile (with graceful-fs, which patches fs) costs ~20 ms to load; commands that only read never need it.
let lockfile: typeof lockfileModule | undefined;
function loadLockfile(): typeof lockfileModule {
	lockfile ??= createRequire(import.meta.url)('proper-lockfile') as typeof lockfileModule;
	return lockfile;
}

/** How long to wait for a lock another process holds before giving up (MASSMAIL_LOCK_WAIT_MS). */
export const defaultLockWaitMs = 10_000;
/**
 * A lock not refreshed for this long belongs to a process that died (MASSMAIL_LOCK_STALE_MS,
 * at least 2,000, proper-lockfile's minimum). The holder never refreshes it: it holds the lock
 * for one synchronous edit only, far shorter than this (about a second at 100,000 mailboxes).
 */
export const defaultLockStaleMs = 10_000;

export interface LockOptions {
	/** For the message: "the directory", "the settings". */
	what: string;
	env?: NodeJS.ProcessEnv;
}

const held = new Set<string>();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleep(ms: number): void {
	Atomics.wait(sleeper, 0, 0, ms);
}

function positive(raw: string | undefined, fallback: number): number {
	const value = Number(raw);
	return raw !== undefined && raw.trim() !== '' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

// proper-lockfile creates its folder with mkdir's default mode; ours are 0700.
const privateFs = {
	...fs,
	mkdirSync: (target: fs.PathLike) => fs.mkdirSync(target, {mode: 0o700}),
};

/** The lock of `file`: the folder `FILE.lock`. */
export function lockPathOf(file: string): string {
	return `${file}.lock`;
}

/**
 * Runs `edit` while holding the lock of `file`, and releases it whatever happens.
 * Waits for another process's lock up to MASSMAIL_LOCK_WAIT_MS (10 s), retrying every
 * 10–100 ms; a lock left by a process that died is taken over once it is stale
 * (MASSMAIL_LOCK_STALE_MS, 10 s). Not getting it in time is MassmailError('locked') (exit 2).
 * The wait blocks the thread: the edits it guards are synchronous and short.
 *
 * @example withFileLock(paths.directoryFile, {what: 'the directory'}, () => rewrite(paths.directoryFile))
 */
export function withFileLock<T>(file: string, options: LockOptions, edit: () => T): T {
	const lockPath = lockPathOf(file);
	if (held.has(lockPath)) {
		throw new Error(`${lockPath} is already held by this process: an edit of ${options.what} inside another`);
	}

	const env = options.env ?? process.env;
	const waitMs = positive(env.MASSMAIL_LOCK_WAIT_MS, defaultLockWaitMs);
	const stale = Math.max(2000, positive(env.MASSMAIL_LOCK_STALE_MS, defaultLockStaleMs));
	const deadline = Date.now() + waitMs;
	let delay = 10;
	let release: () => void;
	for (;;) {
		try {
			release = loadLockfile().lockSync(file, {lockfilePath: lockPath, realpath: false, stale, fs: privateFs});
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
				throw new MassmailError('store', `${lockPath}: cannot take the lock of ${options.what}: ${(error as Error).message}`, {cause: error});
			}
		}

		const left = deadline - Date.now();
		if (left <= 0) {
			throw new MassmailError('locked', `another massmail process is changing ${options.what} (lock ${lockPath} held); try again`, {
				hint: `if no other massmail is running, the lock is taken over ${Math.round(stale / 1000)} s after that process stopped`,
			});
		}

		// Jittered, so that processes started together do not retry in step.
		sleep(Math.min(left, delay * (0.5 + Math.random())));
		delay = Math.min(100, delay * 2);
	}

	held.add(lockPath);
	try {
		return edit();
	} finally {
		held.delete(lockPath);
		try {
			release();
		} catch {
			// Taken over meanwhile (it went stale): the edit is written; nothing more to undo.
		}
	}
}
