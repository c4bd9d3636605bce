/**
 * What the Progress screen shows, folded from the engine's events: the counters (with the
 * server's limits: each progress event carries them, so the limits, the rate and the ETA shown
 * come from one snapshot), the state (running/paused/cancelling/stopping), the latest outcomes and the
 * failures. Events arrive
 * in batches (the display is throttled, not the sending), so the reducer takes a batch.
 */
import {formatPace, formatWindow} from '../../core/delivery/limiting-words.js';
import type {DeliveryEvent, DeliveryProgress} from '../../core/types.js';
import {fit, printable} from '../components/text.js';

export interface OutcomeItem {
	address: string;
	status: 'sent' | 'failed' | 'deferred';
	attempts: number;
	response: string;
}

export interface ProgressState {
	progress: DeliveryProgress;
	state: 'running' | 'paused' | 'cancelling' | 'stopping';
	/** Newest first. */
	latest: OutcomeItem[];
	/** Newest first; the first `failureLimit` kept (the record has them all). */
	failures: OutcomeItem[];
	failureCount: number;
	/** The relays the run left (several relays: smtp.host naming several), oldest first. */
	relaysLeft: RelayLeft[];
}

export type RelayLeft = Pick<Extract<DeliveryEvent, {type: 'relay-left'}>, 'relay' | 'reason' | 'relays'>;

export const latestLimit = 10;
export const failureLimit = 100;

export function initialProgressState(progress: DeliveryProgress, state: ProgressState['state'] = 'running'): ProgressState {
	return {progress, state, latest: [], failures: [], failureCount: 0, relaysLeft: []};
}

/**
 * What a run of events changed, folded as the events arrive: the last progress and state, and
 * only the outcomes the screen can show (the newest `latestLimit`, the newest `failureLimit`
 * failures). A send reports thousands of outcomes a second; keeping them all until the next
 * frame only to drop them made every one outlive the young generation (garbage collection).
 */
export interface ProgressBatch {
	progress?: DeliveryProgress;
	state?: ProgressState['state'];
	/** Newest first. */
	latest: OutcomeItem[];
	/** Newest first, at most `failureLimit`. */
	failures: OutcomeItem[];
	/** Every failure in the run, also those beyond `failures`. */
	failureCount: number;
	relaysLeft: RelayLeft[];
}

export type ProgressAction =
	| {type: 'events'; events: readonly DeliveryEvent[]}
	| {type: 'batch'; batch: ProgressBatch};

type OutcomeEvent = Extract<DeliveryEvent, {type: 'outcome'}>;

/** The newest `capacity` items pushed, in a fixed array (no copying as items come and go). */
class Ring<T> {
	private readonly items: Array<T | undefined>;
	private next = 0;
	private size = 0;

	constructor(private readonly capacity: number) {
		this.items = Array.from({length: capacity});
	}

	push(item: T): void {
		this.items[this.next] = item;
		this.next = (this.next + 1) % this.capacity;
		this.size = Math.min(this.capacity, this.size + 1);
	}

	/** Newest first; empties the ring. */
	drain<U>(map: (item: T) => U): U[] {
		const result: U[] = [];
		for (let index = 1; index <= this.size; index++) {
			const slot = (this.next - index + this.capacity) % this.capacity;
			result.push(map(this.items[slot]!));
			this.items[slot] = undefined;
		}

		this.size = 0;
		return result;
	}
}

const toItem = (event: OutcomeEvent): OutcomeItem => ({address: event.address, status: event.status, attempts: event.attempts, response: event.response});

/**
 * Folds events as they come (`add`, cheap and bounded: the send is never slowed by the screen)
 * into what the next frame needs (`take`, once per frame).
 *
 * @example
 * const folder = new ProgressFolder();
 * delivery.subscribe(event => folder.add(event));
 * setInterval(() => { const action = folder.take(); if (action) dispatch(action); }, 100);
 */
export class ProgressFolder {
	private progress: DeliveryProgress | undefined;
	private state: ProgressState['state'] | undefined;
	private readonly latest = new Ring<OutcomeEvent>(latestLimit);
	private readonly failures = new Ring<OutcomeEvent>(failureLimit);
	private failureCount = 0;
	private relaysLeft: RelayLeft[] = [];
	private pending = false;

	add(event: DeliveryEvent): void {
		this.pending = true;
		switch (event.type) {
			case 'progress': {
				this.progress = event.progress;
				break;
			}

			case 'state': {
				this.state = event.state;
				break;
			}

			case 'relay-left': {
				this.relaysLeft.push({relay: event.relay, reason: event.reason, relays: event.relays});
				break;
			}

			case 'outcome': {
				this.latest.push(event);
				if (event.status === 'failed') {
					this.failures.push(event);
					this.failureCount++;
				}

				break;
			}
		}
	}

	/** What came since the last take, or undefined when nothing did. */
	take(): ProgressAction | undefined {
		if (!this.pending) {
			return undefined;
		}

		const batch: ProgressBatch = {
			progress: this.progress,
			state: this.state,
			latest: this.latest.drain(toItem),
			failures: this.failures.drain(toItem),
			failureCount: this.failureCount,
			relaysLeft: this.relaysLeft,
		};
		this.relaysLeft = [];
		this.progress = undefined;
		this.state = undefined;
		this.failureCount = 0;
		this.pending = false;
		return {type: 'batch', batch};
	}
}

function applyBatch(state: ProgressState, batch: ProgressBatch): ProgressState {
	return {
		progress: batch.progress ?? state.progress,
		state: batch.state ?? state.state,
		latest: batch.latest.length === 0 ? state.latest : [...batch.latest, ...state.latest].slice(0, latestLimit),
		failures: batch.failures.length === 0 ? state.failures : [...batch.failures, ...state.failures].slice(0, failureLimit),
		failureCount: state.failureCount + batch.failureCount,
		relaysLeft: batch.relaysLeft.length === 0 ? state.relaysLeft : [...state.relaysLeft, ...batch.relaysLeft],
	};
}

/**
 * A line for each relay the run left, at most `width` long: which, who takes its recipients, and
 * why (as the command line's `left the relay …` says it).
 *
 * @example relayLeftLines([{relay: 'mx2.example.com:25', reason: 'lost the SMTP server …', relays: ['mx1.example.com:25']}], 80)
 * // ['Left relay mx2.example.com:25; mx1.example.com:25 sends the rest: lost the SMTP server …']
 */
export function relayLeftLines(left: readonly RelayLeft[], width: number): string[] {
	// Why last: cut to the width, the line still says who sends the rest.
	return left.map(({relay, reason, relays}) => fit(`Left relay ${relay}; ${relays.length === 0 ? 'no relay is left' : `${relays.join(', ')} ${relays.length === 1 ? 'sends' : 'send'} the rest`}: ${printable(reason)}`, width));
}

export function progressReducer(state: ProgressState, action: ProgressAction): ProgressState {
	if (action.type === 'batch') {
		return applyBatch(state, action.batch);
	}

	const folder = new ProgressFolder();
	for (const event of action.events) {
		folder.add(event);
	}

	const taken = folder.take();
	return taken?.type === 'batch' ? applyBatch(state, taken.batch) : state;
}

/** The share done, 0..1: every recipient with a final outcome. */
export function doneRatio(progress: DeliveryProgress): number {
	return progress.total === 0 ? 1 : Math.min(1, (progress.sent + progress.failed) / progress.total);
}

/**
 * The lines the Progress screen shows while the server limits the send, each at most `width`
 * long: how it limits (the connections, the pace found, whether the ETA comes from that pace)
 * and what it said last. Undefined while the server does not limit the send.
 *
 * @example
 * limitingLines({...progress, etaFrom: 'pace', limiting: {connections: 2, perMinute: 84, holding: false, reply: '450 4.7.1 Error: too much mail'}}, 80)
 * // ['Server limits this send: 2 connections, ~84/min; the ETA is at this pace', 'Server said: 450 4.7.1 Error: too much mail']
 */
export function limitingLines(progress: DeliveryProgress, width: number): string[] | undefined {
	const {limiting} = progress;
	if (!limiting) {
		return undefined;
	}

	const connections = `${limiting.connections} connection${limiting.connections === 1 ? '' : 's'}`;
	const found = limiting.perMinute === null
		? limiting.holding ? '; finding its pace' : ''
		: `, ${formatPace(limiting.perMinute)}${limiting.window ? ` (${formatWindow(limiting.window)})` : ''}`;
	const head = `Server limits this send: ${connections}${found}`;
	const basis = progress.etaFrom === 'pace' ? '; the ETA is at this pace' : '';
	const lines = [fit(head.length + basis.length <= width ? head + basis : head, width)];
	if (limiting.reply) {
		lines.push(fit(`Server said: ${printable(limiting.reply)}`, width));
	}

	return lines;
}
