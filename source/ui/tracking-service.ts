/**
 * Delivery reports as the dashboard reads them (through `services.tracking`): the fold of the
 * bounce mailbox in the background while a screen watches (a send's page, History), at most once
 * per interval, stopped (AbortSignal) once no screen watches; what the last look found, for the
 * line that says so; and the mailboxes that bounce, for Users and Domains. The screens never
 * open the mailbox themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import {isMassmailError} from '../core/errors.js';
import {reportsFile, type DeliveryCounts, type SendReader} from '../core/journal/index.js';
import type {Store} from '../core/store.js';
import {bouncedMailboxes, noBouncedMailboxes, type BouncedMailboxes} from '../core/tracking/bounced-mailboxes.js';
import {recentSendIds} from '../core/tracking/results.js';
import {trackingTarget} from '../core/tracking/target.js';

/** What the last look at the bounce mailbox found. */
export interface TrackingStatus {
	/** The settings a fold still needs (delivery reports not set up); empty once set up. */
	missing: ReadonlyArray<{key: string; what: string}>;
	/** A fold is running now. */
	looking: boolean;
	/** When the last fold ended (ms since the epoch), whether it worked or not; undefined before the first. */
	lastLookedAt?: number;
	/** Why the last fold failed, in words; undefined when it worked. */
	error?: string;
	/** Grows after each fold: the records may hold new reports, read them again. */
	edition: number;
}

export interface DeliveryTracking {
	/** The status now; the same object until it changes (for useSyncExternalStore). */
	status(): TrackingStatus;
	subscribe(listener: () => void): () => void;
	/**
	 * While the returned function is not called: fold now when the last look is older than the
	 * interval, then once per interval (the recent sends, and `sendId` too). Nothing happens while
	 * delivery reports are not set up. The last watcher gone, a fold in progress is aborted.
	 */
	watch(sendId?: string): () => void;
	/** Fold now, whatever the interval (a watched screen's Reload); nothing while one runs. */
	lookNow(): void;
	/**
	 * A send's delivery counts (sends.deliveries), read again only when its reports.log changed:
	 * History's bounced column; undefined when no report was folded into it. (`accepted` may lag a
	 * send still running: read sends.deliveries for the whole count.)
	 */
	reportCounts(sendId: string): DeliveryCounts | undefined;
	/** The mailboxes whose last report bounced (the recent sends), read again only when a reports.log changed. */
	bouncedMailboxes(): BouncedMailboxes;
	/** Stops folding (the dashboard quits). */
	close(): void;
}

export interface DeliveryTrackingOptions {
	store: Store;
	env: NodeJS.ProcessEnv;
	/** The send records (opened on first use). */
	sends: () => SendReader;
	/**
	 * The least time between two folds. Default 5 s: a report shows in a watching dashboard within
	 * that and one fold (issue 18 asks ≤ 10 s; at 10 s the slowest measured was 9.9 s, the worst
	 * case past 10). One login per interval, only while a send's page or History is open.
	 */
	intervalMs?: number;
	/** One fold, connection included (default 60 s). */
	deadlineMs?: number;
}

export const defaultTrackingIntervalMs = 5000;
const defaultDeadlineMs = 60_000;

/** The words of a fold's failure, without the internal error's stack: `the IMAP server … refused the login …`. */
function failureWords(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return isMassmailError(error) || message !== '' ? message : 'the fold failed';
}

export function createDeliveryTracking(options: DeliveryTrackingOptions): DeliveryTracking {
	const intervalMs = options.intervalMs ?? defaultTrackingIntervalMs;
	const deadlineMs = options.deadlineMs ?? defaultDeadlineMs;
	let current: TrackingStatus = {missing: [], looking: false, edition: 0};
	const listeners = new Set<() => void>();
	const watched: Array<string | undefined> = [];
	let timer: NodeJS.Timeout | undefined;
	let running: AbortController | undefined;
	let closed = false;
	let bouncedCache: {signature: string; value: BouncedMailboxes} | undefined;
	const countsCache = new Map<string, {signature: string; counts: DeliveryCounts}>();

	/** What says whether a send's reports.log changed: its size and time; '' when there is none. */
	const reportsSignature = (sends: SendReader, id: string) => {
		try {
			const stat = fs.statSync(path.join(sends.sendsDir, id, reportsFile));
			return `${id}:${stat.size}:${stat.mtimeMs}`;
		} catch {
			return '';
		}
	};

	const update = (change: Partial<TrackingStatus>) => {
		current = {...current, ...change};
		for (const listener of listeners) {
			listener();
		}
	};

	/** The bounce mailbox now, or the settings missing; a setting that cannot be read is the error. */
	const target = () => {
		try {
			const found = trackingTarget(options.store.settings.get(), options.env);
			if (!found.configured) {
				if (current.missing.length === 0 || current.missing.map(each => each.key).join() !== found.missing.map(each => each.key).join()) {
					update({missing: found.missing, error: undefined});
				}

				return undefined;
			}

			if (current.missing.length > 0) {
				update({missing: []});
			}

			return found;
		} catch (error) {
			update({missing: [], error: failureWords(error), lastLookedAt: Date.now()});
			return undefined;
		}
	};

	const schedule = (delay: number) => {
		clearTimeout(timer);
		timer = undefined;
		if (closed || watched.length === 0) {
			return;
		}

		timer = setTimeout(() => {
			timer = undefined;
			void fold();
		}, Math.max(0, delay));
		// A timer waiting for the next look never keeps the process alive.
		timer.unref?.();
	};

	const fold = async () => {
		if (running || closed || watched.length === 0) {
			return;
		}

		const found = target();
		if (!found) {
			// Not set up (or unreadable): looked at again at the next interval, when the settings may say more.
			schedule(intervalMs);
			return;
		}

		const sends = options.sends();
		let ids: string[];
		try {
			const recent = recentSendIds(sends);
			const named = watched.filter((id): id is string => id !== undefined && !recent.includes(id));
			ids = [...recent, ...new Set(named)];
		} catch (error) {
			update({error: failureWords(error), lastLookedAt: Date.now()});
			schedule(intervalMs);
			return;
		}

		if (ids.length === 0) {
			// No send went to a server lately: nothing of ours can be in the mailbox.
			schedule(intervalMs);
			return;
		}

		const controller = new AbortController();
		running = controller;
		update({looking: true});
		try {
			// Loaded at the first look, not with the dashboard: the IMAP client and the report parser
			// (imapflow, mailparser, iconv-lite: ~2.5 MB of code) are a third of what the first frame
			// otherwise waited for Node to compile.
			const {foldReports} = await import('../core/tracking/fold.js');
			await foldReports({imap: found.imap, returnPath: found.returnPath, delimiter: found.delimiter, sends, sendIds: ids, deadlineMs, signal: controller.signal});
			update({looking: false, lastLookedAt: Date.now(), error: undefined, edition: current.edition + 1});
		} catch (error) {
			if (controller.signal.aborted) {
				// Stopped because nobody watches any more: not a failure, and not a look.
				update({looking: false});
			} else {
				// Whatever was recorded before the failure is kept: read the records again too.
				update({looking: false, lastLookedAt: Date.now(), error: failureWords(error), edition: current.edition + 1});
			}
		} finally {
			running = undefined;
		}

		schedule(intervalMs);
	};

	// Known from the start: a screen drawn before any watch says "not set up" rather than flickering.
	target();

	const stopIfUnwatched = () => {
		if (watched.length === 0) {
			clearTimeout(timer);
			timer = undefined;
			running?.abort();
		}
	};

	return {
		status: () => current,
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		watch(sendId) {
			watched.push(sendId);
			// Said at once, before any fold: the page shows "not set up" rather than nothing.
			target();
			if (!running && timer === undefined) {
				const since = current.lastLookedAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - current.lastLookedAt;
				schedule(since >= intervalMs ? 0 : intervalMs - since);
			}

			let stopped = false;
			return () => {
				if (stopped) {
					return;
				}

				stopped = true;
				watched.splice(watched.indexOf(sendId), 1);
				// One screen handing over to another (History to a send's page) unwatches and watches in
				// the same commit: the fold goes on unless nobody watches once that is done.
				setTimeout(stopIfUnwatched, 0);
			};
		},
		lookNow() {
			if (!running && watched.length > 0) {
				schedule(0);
			}
		},
		reportCounts(sendId) {
			try {
				const sends = options.sends();
				const signature = reportsSignature(sends, sendId);
				if (signature === '') {
					return undefined;
				}

				const cached = countsCache.get(sendId);
				if (cached?.signature === signature) {
					return cached.counts;
				}

				const {counts} = sends.deliveries(sendId);
				countsCache.set(sendId, {signature, counts});
				return counts;
			} catch {
				return undefined;
			}
		},
		bouncedMailboxes() {
			try {
				const sends = options.sends();
				const ids = recentSendIds(sends);
				const signature = ids.map(id => reportsSignature(sends, id)).filter(Boolean).join(',');
				if (bouncedCache?.signature !== signature) {
					bouncedCache = {signature, value: signature === '' ? noBouncedMailboxes : bouncedMailboxes(sends, ids)};
				}

				return bouncedCache.value;
			} catch {
				// A record that cannot be read marks no mailbox; History and the send's page say what is wrong.
				return noBouncedMailboxes;
			}
		},
		close() {
			closed = true;
			clearTimeout(timer);
			timer = undefined;
			running?.abort();
		},
	};
}
