/**
 * A scrolling list with a cursor, a filter typed after `/`, and marks: the state of the
 * Domains table (and of History, Users… in part two), as a pure reducer.
 *
 * The rows themselves stay outside: the screen filters its items with `state.filter`
 * (see `filterItems`) and passes the row count and the page size with each action, so
 * the reducer never holds 5,000 rows and the window is computed without rendering them.
 */

export interface ListState {
	/** Index into the filtered rows. */
	cursor: number;
	/** Index of the first row shown. */
	top: number;
	filter: string;
	/** true while the filter line has the keyboard. */
	filtering: boolean;
	/** Keys (e.g. domain names) of the marked rows; marks survive filtering. */
	marked: readonly string[];
}

export type ListAction =
	| {type: 'move'; delta: number; count: number; pageSize: number}
	| {type: 'first'; count: number; pageSize: number}
	| {type: 'last'; count: number; pageSize: number}
	| {type: 'page'; direction: 1 | -1; count: number; pageSize: number}
	/** Keep the cursor and window valid after the rows or the page size changed (resize, new data). */
	| {type: 'clamp'; count: number; pageSize: number}
	| {type: 'start-filter'}
	/** Leave the filter line, keeping the filter. */
	| {type: 'end-filter'}
	/** The filter text changed: the cursor goes back to the first match. */
	| {type: 'set-filter'; filter: string}
	| {type: 'clear-filter'}
	| {type: 'toggle-mark'; key: string}
	| {type: 'clear-marks'}
	| {type: 'select'; index: number; count: number; pageSize: number};

export function initialListState(partial: Partial<ListState> = {}): ListState {
	return {cursor: 0, top: 0, filter: '', filtering: false, marked: [], ...partial};
}

/** Cursor in [0, count), window showing the cursor. */
function place(state: ListState, cursor: number, count: number, pageSize: number): ListState {
	const size = Math.max(1, pageSize);
	const last = Math.max(0, count - 1);
	const nextCursor = Math.min(Math.max(0, cursor), last);
	let top = Math.min(state.top, Math.max(0, count - size));
	if (nextCursor < top) {
		top = nextCursor;
	} else if (nextCursor >= top + size) {
		top = nextCursor - size + 1;
	}

	top = Math.max(0, top);
	if (nextCursor === state.cursor && top === state.top) {
		return state;
	}

	return {...state, cursor: nextCursor, top};
}

export function listReducer(state: ListState, action: ListAction): ListState {
	switch (action.type) {
		case 'move': {
			return place(state, state.cursor + action.delta, action.count, action.pageSize);
		}

		case 'first': {
			return place(state, 0, action.count, action.pageSize);
		}

		case 'last': {
			return place(state, action.count - 1, action.count, action.pageSize);
		}

		case 'page': {
			const size = Math.max(1, action.pageSize);
			const moved = place(state, state.cursor + (action.direction * size), action.count, size);
			// Scroll by a page too, as less and mutt do, so the rows seen last stay one page away.
			const top = Math.min(Math.max(0, state.top + (action.direction * size)), Math.max(0, action.count - size));
			return place({...moved, top}, moved.cursor, action.count, size);
		}

		case 'clamp': {
			return place(state, state.cursor, action.count, action.pageSize);
		}

		case 'select': {
			return place(state, action.index, action.count, action.pageSize);
		}

		case 'start-filter': {
			return {...state, filtering: true};
		}

		case 'end-filter': {
			return {...state, filtering: false};
		}

		case 'set-filter': {
			return {...state, filter: action.filter, cursor: 0, top: 0};
		}

		case 'clear-filter': {
			return {...state, filter: '', filtering: false, cursor: 0, top: 0};
		}

		case 'toggle-mark': {
			const marked = state.marked.includes(action.key)
				? state.marked.filter(key => key !== action.key)
				: [...state.marked, action.key];
			return {...state, marked};
		}

		case 'clear-marks': {
			return state.marked.length === 0 ? state : {...state, marked: []};
		}
	}
}

/** Rows [start, end) to draw. */
export function visibleRange(state: ListState, count: number, pageSize: number): {start: number; end: number} {
	const size = Math.max(1, pageSize);
	const start = Math.min(state.top, Math.max(0, count - size));
	return {start: Math.max(0, start), end: Math.min(count, Math.max(0, start) + size)};
}

/** The filter's words, lower case: what every matching item's text contains. */
function filterWords(filter: string): string[] {
	return filter.toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * The items whose text contains every word of the filter, ignoring case (`exa org` finds
 * `example.org`). Returns the same array when the filter is empty.
 */
export function filterItems<T>(items: readonly T[], filter: string, text: (item: T) => string): readonly T[] {
	const words = filterWords(filter);
	if (words.length === 0) {
		return items;
	}

	return items.filter(item => {
		const haystack = text(item).toLowerCase();
		return words.every(word => haystack.includes(word));
	});
}

/** How many filters' results a FilterIndex keeps: a filter as typed and erased again, a character at a time. */
const rememberedFilters = 64;

/**
 * `filterItems` over the same items at each key, for lists of thousands (5,000 domains, a domain
 * of 100,000 mailboxes): each item's text is lowered once; a filter that only adds to the last
 * one (another character typed) looks only at the last one's matches; and the results of the
 * filters typed lately are kept, so that erasing a character gives its earlier result at once
 * (the same array: nothing downstream is worked out again).
 *
 * @example
 * const index = new FilterIndex(domains, domain => domain.name);
 * index.filter('exa'); index.filter('exa org');
 */
export class FilterIndex<T> {
	private readonly haystacks: string[];
	private readonly results = new Map<string, {words: string[]; indices: number[]; items: readonly T[]}>();
	private last: {words: string[]; indices: number[]} | undefined;

	constructor(private readonly items: readonly T[], text: (item: T) => string) {
		this.haystacks = items.map(item => text(item).toLowerCase());
	}

	/** What `filterItems(items, filter, text)` returns; the same array for the same filter. */
	filter(filter: string): readonly T[] {
		const words = filterWords(filter);
		if (words.length === 0) {
			return this.items;
		}

		const key = words.join(' ');
		const known = this.results.get(key);
		if (known) {
			this.last = known;
			return known.items;
		}

		// Every word of the last filter inside one of this one's: this one's matches are among the last one's.
		const narrower = this.last !== undefined && this.last.words.every(old => words.some(word => word.includes(old)));
		const candidates = narrower ? this.last!.indices : undefined;
		const indices: number[] = [];
		const matches = (index: number) => words.every(word => this.haystacks[index].includes(word));
		if (candidates) {
			for (const index of candidates) {
				if (matches(index)) {
					indices.push(index);
				}
			}
		} else {
			for (let index = 0; index < this.haystacks.length; index++) {
				if (matches(index)) {
					indices.push(index);
				}
			}
		}

		const result = {words, indices, items: indices.map(index => this.items[index])};
		if (this.results.size >= rememberedFilters) {
			this.results.delete(this.results.keys().next().value!);
		}

		this.results.set(key, result);
		this.last = result;
		return result.items;
	}
}
