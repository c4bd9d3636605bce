/**
 * The directory sync as the dashboard uses it (through `services.sync`): read the configured
 * source and plan the change (nothing changed yet), apply a plan under the directory's lock,
 * and test the source. The screens never open a source themselves.
 */
import type {Store} from '../core/store.js';
import {applySync, openConfiguredSource, planSync, readAndPlan, syncTimeoutMs, type SyncChanges, type SyncPlan} from '../core/sync.js';
import type {SourceMailbox} from '../core/sources/source.js';

/** What a read of the source gives: the plan against the directory as it was, and the rows to apply. */
export type SyncRead = SyncPlan & {rows: SourceMailbox[]};

export interface DirectorySync {
	/**
	 * Reads the configured source whole and plans the sync; changes nothing. Rejects with the
	 * source's MassmailError (connection, auth, validation with the bad rows in `details`, usage
	 * for a setting missing), or when `signal` aborts.
	 */
	read(options?: {signal?: AbortSignal}): Promise<SyncRead>;
	/** Applies a read, all or nothing, under the directory's lock (planned again against the latest directory). */
	apply(read: SyncRead): SyncChanges;
	/**
	 * Reads the source of the saved settings and counts its mailboxes (the Settings screen's Test
	 * source); `broken`: the error a sync would meet with these rows (a bad address, two primaries).
	 * Changes nothing. Rejects as `read` does.
	 */
	test(options?: {signal?: AbortSignal}): Promise<{count: number; label: string; broken?: unknown}>;
}

export function createDirectorySync(store: Store, env: NodeJS.ProcessEnv, options: {timeoutMs?: number} = {}): DirectorySync {
	const timeoutMs = options.timeoutMs ?? syncTimeoutMs;
	return {
		async read({signal} = {}) {
			return readAndPlan(store, env, {signal, timeoutMs});
		},
		apply(read) {
			return applySync(store, read.rows, read.changes.source);
		},
		async test({signal} = {}) {
			const source = await openConfiguredSource(store.settings.get(), env);
			const rows = await source.read({timeoutMs, signal});
			try {
				planSync(store.directory(), rows, source.label);
				return {count: rows.length, label: source.label};
			} catch (error) {
				return {count: rows.length, label: source.label, broken: error};
			}
		},
	};
}
