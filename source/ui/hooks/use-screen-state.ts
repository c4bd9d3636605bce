/**
 * A screen's reducer state that survives going to another screen and coming back with Esc
 * (the Domains cursor and filter, a form's typed text). Kept per opened screen (the stack
 * entry's key) and forgotten when that screen leaves the stack.
 */
import {createContext, useContext, useReducer, type Dispatch} from 'react';

export interface ScreenMemory {
	/** Remembered states by `${entryKey}:${name}`. */
	states: Map<string, unknown>;
	/** The key of the stack entry being rendered. */
	entryKey: number;
}

export const ScreenMemoryContext = createContext<ScreenMemory>({states: new Map(), entryKey: 0});

/**
 * `useReducer` whose state is remembered while the screen is on the back stack.
 * `name` tells apart several reducers of one screen.
 *
 * @example const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
 */
export function useScreenState<S, A>(name: string, reducer: (state: S, action: A) => S, init: () => S): [S, Dispatch<A>] {
	const memory = useContext(ScreenMemoryContext);
	const id = `${memory.entryKey}:${name}`;
	const [state, dispatch] = useReducer(reducer, undefined, () => (memory.states.has(id) ? memory.states.get(id) as S : init()));
	// Written during render: the latest state is what a later mount of this entry must see.
	memory.states.set(id, state);
	return [state, dispatch];
}

/** Forget the states of screens no longer on the stack. */
export function pruneScreenMemory(states: Map<string, unknown>, liveKeys: readonly number[]): void {
	const live = new Set(liveKeys.map(String));
	for (const id of states.keys()) {
		if (!live.has(id.slice(0, id.indexOf(':')))) {
			states.delete(id);
		}
	}
}
