/**
 * The engine's listeners and what it tells them: an outcome once it is on disk, the phase, the
 * progress, and how the server limits the run when that changes. A listener's bug never stops
 * the send.
 */
import type {OutcomeLine} from '../journal.js';
import type {DeliveryEvent, Limiting} from '../types.js';
import {describeLimiting} from './limiting-words.js';

export type Listener = (event: DeliveryEvent) => void;

const outcomeStatus = {S: 'sent', F: 'failed', D: 'deferred'} as const;

export class DeliveryEvents {
	/** How the server limits the run, for people ('' while it does not). */
	limitingText = '';
	private limitingReply: string | undefined;
	private readonly listeners = new Set<Listener>();

	/** Returns the unsubscribe function. */
	subscribe(listener: Listener): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	/** Anyone listens (events that cost something to build are built only then). */
	get heard(): boolean {
		return this.listeners.size > 0;
	}

	emit(event: DeliveryEvent): void {
		for (const listener of this.listeners) {
			try {
				listener(event);
			} catch {
				// A listener's bug must not stop the send.
			}
		}
	}

	/** An outcome of `address` reached the disk. */
	outcome(line: OutcomeLine, address: string): void {
		this.emit({type: 'outcome', address, status: outcomeStatus[line.code], attempts: line.attempts, response: line.response});
	}

	/** How the server limits the run now: told when its words or its last reply changed. */
	limiting(limiting: Limiting | undefined): void {
		if (!limiting) {
			return;
		}

		const text = describeLimiting(limiting);
		if (text !== this.limitingText || limiting.reply !== this.limitingReply) {
			this.limitingText = text;
			this.limitingReply = limiting.reply;
			this.emit({type: 'limiting', limiting, text});
		}
	}
}
