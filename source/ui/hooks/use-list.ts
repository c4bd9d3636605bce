/**
 * A list screen over the shared list reducer (state/list.ts): the window of rows that fit,
 * moving handlers for the `listKeys` bindings, and the filter line that has the keyboard
 * after `/`. Domains, History, a send's recipients, Users and Captured mail use this.
 */
import {useCallback, useEffect, useRef, useState, type Dispatch} from 'react';
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

		if (key.name === 'backspace' || key.name === 'delete') {
			setFilter(typed.current.slice(0, -1));
			return true;
		}

		if (key.name === 'up') {
			dispatch({type: 'end-filter'});
			dispatch({type: 'move', delta: -1, count, pageSize});
			return true;
		}

		// A character, Space or a paste (named keys type nothing).
		if (input && !key.ctrl && !key.meta) {
			setFilter(typed.current + input.replaceAll(/[\u0000-\u001F\u007F]/g, ''));
			return true;
		}

		return false;
	}, list.filtering, filterKeys);
}

export interface ListView<T> {
	/** Rows the list may draw: the height Ink gives the table less its title row. */
	pageSize: number;
	count: number;
	/** Every row (the table measures its columns over them). */
	rows: readonly T[];
	/** The row under the cursor (undefined when no row matches). */
	current: T | undefined;
	/** Handlers for the ids of `listKeys`. */
	moves: Record<string, BindingHandler>;
	/** The rows that fit, in order, each with its index and whether the cursor is on it. */
	visibleRows: Array<{row: T; index: number; selected: boolean}>;
	/** The table's size as last measured (before that: the terminal's width, the body less two rows). */
	size: TableSize;
	/** The table reports the size Ink gave it (components/table.tsx); a hidden screen's 0 is ignored. */
	measure: (size: TableSize) => void;
}

/** The width of the table and the rows it has for data (below its title row). */
export interface TableSize {
	columns: number;
	rows: number;
}

/**
 * Everything a list screen shares: the window of `rows` that fits the table (as it measured
 * itself: see components/table.tsx), kept valid when the rows or the terminal change, the
 * moving keys, and the filter line. The screen draws `<Table view={...}>` and adds its own keys.
 *
 * @example
 * const view = useListView(list, dispatch, rows);
 * useScreenKeys(historyKeys, {...view.moves, open: ...}, {isActive: !list.filtering});
 */
export function useListView<T>(list: ListState, dispatch: Dispatch<ListAction>, rows: readonly T[]): ListView<T> {
	const {columns, bodyRows} = useLayout();
	// A guess until the table has been laid out once: the body less a title and a status line.
	const [measured, setMeasured] = useState<TableSize | undefined>(undefined);
	const size = measured ?? {columns, rows: Math.max(1, bodyRows - 2)};
	const measure = useCallback((next: TableSize) => {
		// A hidden screen (display none) measures 0: keep what it had.
		if (next.columns <= 0 || next.rows <= 0) {
			return;
		}

		setMeasured(previous => previous?.columns === next.columns && previous.rows === next.rows ? previous : next);
	}, []);
	const pageSize = Math.max(1, size.rows);
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

	return {pageSize, count, rows, current: rows[list.cursor], moves: listMoveHandlers(dispatch, count, pageSize), visibleRows, size, measure};
}
