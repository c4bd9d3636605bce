/**
 * What the Progress screen shows, folded from the engine's events: the counters, the
 * state (running/paused/cancelling), the latest outcomes and the failures. Events arrive
 * in batches (the display is throttled, not the sending), so the reducer takes a batch.
 */
import type {DeliveryEvent, DeliveryProgress} from '../../core/types.js';

export interface OutcomeItem {
	address: string;
	status: 'sent' | 'failed' | 'deferred';
	attempts: number;
	response: string;
}

export interface ProgressState {
	progress: DeliveryProgress;
	state: 'running' | 'paused' | 'cancelling';
	/** Newest first. */
	latest: OutcomeItem[];
	/** Newest first; the first `failureLimit` kept (the record has them all). */
	failures: OutcomeItem[];
	failureCount: number;
}

export const latestLimit = 10;
export const failureLimit = 100;

export function initialProgressState(progress: DeliveryProgress, state: ProgressState['state'] = 'running'): ProgressState {
	return {progress, state, latest: [], failures: [], failureCount: 0};
}

export type ProgressAction = {type: 'events'; events: readonly DeliveryEvent[]};

export function progressReducer(state: ProgressState, action: ProgressAction): ProgressState {
	if (action.events.length === 0) {
		return state;
	}

	let {progress, failureCount} = state;
	let runState = state.state;
	const latest: OutcomeItem[] = [];
	const failures: OutcomeItem[] = [];
	for (const event of action.events) {
		switch (event.type) {
			case 'progress': {
				progress = event.progress;
				break;
			}

			case 'state': {
				runState = event.state;
				break;
			}

			case 'outcome': {
				const item: OutcomeItem = {address: event.address, status: event.status, attempts: event.attempts, response: event.response};
				latest.push(item);
				if (event.status === 'failed') {
					failures.push(item);
					failureCount++;
				}

				break;
			}
		}
	}

	return {
		progress,
		state: runState,
		latest: latest.length === 0 ? state.latest : [...latest.slice(-latestLimit).reverse(), ...state.latest].slice(0, latestLimit),
		failures: failures.length === 0 ? state.failures : [...failures.reverse(), ...state.failures].slice(0, failureLimit),
		failureCount,
	};
}

/** The share done, 0..1: every recipient with a final outcome. */
export function doneRatio(progress: DeliveryProgress): number {
	return progress.total === 0 ? 1 : Math.min(1, (progress.sent + progress.failed) / progress.total);
}
