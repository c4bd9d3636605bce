/**
 * A list screen over the shared list reducer (state/list.ts): the window of rows that fit,
 * moving handlers for the `listKeys` bindings, and the filter line that has the keyboard
 * after `/`. Domains, History, a send's recipients, Users and Captured mail use this.
 */
import {useEffect, useRef, type Dispatch} from 'react';
import {filterKeys, findBinding} from '../key-bindings.js';
import {visibleRange, type ListAction, type ListState} from '../state/list.js';
import {useLayout} from '../services.js';
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

export interface ListView<T> {
	/** Rows the list may draw: the screen's body less its own lines around the list. */
	pageSize: number;
	count: number;
	/** The row under the cursor (undefined when no row matches). */
	current: T | undefined;
	/** Handlers for the ids of `listKeys`. */
	moves: Record<string, BindingHandler>;
	/** The rows that fit, in order, each with its index and whether the cursor is on it. */
	visibleRows: Array<{row: T; index: number; selected: boolean}>;
}

/**
 * Everything a list screen shares: the window of `rows` that fits with the
 * screen's `chromeRows` other lines, kept valid when the rows or the terminal change, the
 * moving keys, and the filter line. The screen draws `visibleRows` and adds its own keys.
 *
 * @example
 * const {pageSize, current, moves, visibleRows} = useListView(list, dispatch, rows, 3);
 * useScreenKeys(historyKeys, {...moves, open: ...}, {isActive: !list.filtering});
 */
export function useListView<T>(list: ListState, dispatch: Dispatch<ListAction>, rows: readonly T[], chromeRows: number): ListView<T> {
	const {bodyRows} = useLayout();
	const pageSize = Math.max(1, bodyRows - chromeRows);
	const count = rows.length;

	// The window follows a resize and a shorter list.
	useEffect(() => {
		dispatch({type: 'clamp', count, pageSize});
	}, [dispatch, count, pageSize]);
	useFilterLine(list, dispatch, count, pageSize);

	const {start, end} = visibleRange(list, count, pageSize);
	const visibleRows: ListView<T>['visibleRows'] = [];
	for (let index = start; index < end; index++) {
		visibleRows.push({row: rows[index], index, selected: index === list.cursor});
	}

	return {pageSize, count, current: rows[list.cursor], moves: listMoveHandlers(dispatch, count, pageSize), visibleRows};
}
