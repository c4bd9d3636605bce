/**
 * Typed text that quitting would lose. Forms, one-field screens and prompts say whether they
 * hold some; Ctrl+C asks before quitting when one does (Esc asks on its own screen already).
 * Screens on the back stack count too: a form under its Review is lost by quitting as well.
 */
import {createContext, useContext, useLayoutEffect, useRef} from 'react';

export class UnsavedWork {
	private readonly holders = new Set<{current: boolean}>();

	/** Track a holder until the returned function is called (it unmounted). */
	track(holder: {current: boolean}): () => void {
		this.holders.add(holder);
		return () => {
			this.holders.delete(holder);
		};
	}

	/** Whether any mounted screen or prompt holds typed text now. */
	get any(): boolean {
		return [...this.holders].some(holder => holder.current);
	}
}

export const UnsavedWorkContext = createContext<UnsavedWork>(new UnsavedWork());

/** Say whether this screen (or prompt) holds typed text that quitting would lose. */
export function useUnsavedWork(dirty: boolean): void {
	const work = useContext(UnsavedWorkContext);
	const holder = useRef(dirty);
	holder.current = dirty;
	useLayoutEffect(() => work.track(holder), [work]);
}

