/**
 * The keys of a list screen over the shared list reducer (state/list.ts): moving handlers for
 * the `listKeys` bindings, and the filter line that has the keyboard after `/`.
 * Domains does the same inline; History, a send's recipients, Users and Captured mail use this.
 */
import {useRef, type Dispatch} from 'react';
import {filterKeys, findBinding} from '../key-bindings.js';
import type {ListAction, ListState} from '../state/list.js';
import {useKeyLayer, type BindingHandler} from './use-keys.js';

/** Handlers for the ids of `listKeys` (up, down, first, last, page-up, page-down). */
export function listMoveHandlers(dispatch: Dispatch<ListAction>, count: number, pageSize: number): Record<string, BindingHandler> {
	return {
		up: () => dispatch({type: 'move', delta: -1, count, pageSize}),
		down: () => dispatch({type: 'move', delta: 1, count, pageSize}),
		first: () => dispatch({type: 'first', count, pageSize}),
		last: () => dispatch({type: 'last', count, pageSize}),
		'page-up': () => dispatch({type: 'page', direction: -1, count, pageSize}),
		'page-down': () => dispatch({type: 'page', direction: 1, count, pageSize}),
	};
}

/** While `list.filtering`, typed text goes to the filter; Enter/↓ keep it, Esc clears it. */
export function useFilterLine(list: ListState, dispatch: Dispatch<ListAction>, count: number, pageSize: number): void {
	// Keys may come faster than renders (a paste): the filter typed so far, ahead of the state.
	const typed = useRef(list.filter);
	typed.current = list.filter;
	const setFilter = (filter: string) => {
		typed.current = filter;
		dispatch({type: 'set-filter', filter});
	};

	useKeyLayer('field', (input, key) => {
		const binding = findBinding(filterKeys, input, key);
		if (binding?.id === 'accept') {
			dispatch({type: 'end-filter'});
			return true;
		}

		if (binding?.id === 'clear') {
			dispatch({type: 'clear-filter'});
			return true;
		}

		if (key.backspace || key.delete) {
			setFilter(typed.current.slice(0, -1));
			return true;
		}

		if (key.upArrow) {
			dispatch({type: 'end-filter'});
			dispatch({type: 'move', delta: -1, count, pageSize});
			return true;
		}

		if (input && !key.ctrl && !key.meta && !key.tab && !key.return) {
			setFilter(typed.current + input.replaceAll(/[\u0000-\u001F\u007F]/g, ''));
			return true;
		}

		return false;
	}, list.filtering, filterKeys);
}
