/**
 * Follows a running send: subscribes to the engine's events and folds them into the
 * progress state at most every `intervalMs` (2 frames a second: a person reads counters no
 * faster, and each frame costs the send CPU, as Ink lays out and draws the whole screen again;
 * so the display's share of the CPU grows with the frames: `npm run bench dashboard`). Only
 * the display is throttled; the engine never waits for the screen.
 */
import {useEffect, useReducer} from 'react';
import type {Delivery} from '../../core/delivery/index.js';
import type {DeliveryEvent} from '../../core/types.js';
import {initialProgressState, ProgressFolder, progressReducer, type ProgressState} from '../state/progress.js';

export function useDeliveryProgress(delivery: Delivery, backlog?: {take(): DeliveryEvent[]}, intervalMs = 500): ProgressState {
	const [state, dispatch] = useReducer(progressReducer, delivery, d => initialProgressState(d.progress()));
	useEffect(() => {
		// Each event is folded as it arrives, keeping only what a frame shows: thousands of
		// outcomes a second are not held until the next frame.
		const folder = new ProgressFolder();
		const flush = () => {
			const action = folder.take();
			if (action) {
				dispatch(action);
			}
		};

		// What happened before this subscription (kept by whoever started the send), then live.
		// Taking the backlog and subscribing happen in one go: no event can fall between them.
		for (const event of backlog?.take() ?? []) {
			folder.add(event);
		}

		const unsubscribe = delivery.subscribe(event => {
			folder.add(event);
		});
		folder.add({type: 'progress', progress: delivery.progress()});
		flush();
		const timer = setInterval(flush, intervalMs);
		return () => {
			unsubscribe();
			clearInterval(timer);
		};
	}, [delivery, backlog, intervalMs]);
	return state;
}
