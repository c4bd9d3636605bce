/**
 * Follows a running send: subscribes to the engine's events and folds them into the
 * progress state at most every `intervalMs` (about 10 frames a second). Only the display
 * is throttled; the engine never waits for the screen.
 */
import {useEffect, useReducer} from 'react';
import type {Delivery} from '../../core/delivery.js';
import type {DeliveryEvent} from '../../core/types.js';
import {initialProgressState, progressReducer, type ProgressState} from '../state/progress.js';

export function useDeliveryProgress(delivery: Delivery, backlog?: {take(): DeliveryEvent[]}, intervalMs = 100): ProgressState {
	const [state, dispatch] = useReducer(progressReducer, delivery, d => initialProgressState(d.progress()));
	useEffect(() => {
		let buffer: DeliveryEvent[] = [];
		const flush = () => {
			if (buffer.length > 0) {
				const events = buffer;
				buffer = [];
				dispatch({type: 'events', events});
			}
		};

		// What happened before this subscription (kept by whoever started the send), then live.
		// Taking the backlog and subscribing happen in one go: no event can fall between them.
		const early = backlog?.take() ?? [];
		const unsubscribe = delivery.subscribe(event => {
			buffer.push(event);
		});
		dispatch({type: 'events', events: [...early, {type: 'progress', progress: delivery.progress()}]});
		const timer = setInterval(flush, intervalMs);
		return () => {
			unsubscribe();
			clearInterval(timer);
		};
	}, [delivery, backlog, intervalMs]);
	return state;
}
