/**
 * The table of a list screen (Domains, History, a send's recipients, Users, Captured mail):
 * column titles and the rows that fit, laid out from column specs and the size Ink gives the
 * table. Each column is as wide as its widest text (within its min and max); the spare width
 * goes to the one column marked `grow`; when the terminal is too narrow, the columns that have a
 * `shrink` shrink, the higher first, then an `optional` one goes, then the grow column goes below
 * its min. A column without `shrink` (a status, a count) is never cut.
 *
 * The height is measured too: the table takes what the screen leaves it (a flex box), and the
 * list's page size is that less the title row — no screen counts its own rows.
 *
 * @example
 * const view = useListView(list, dispatch, rows);
 * <Table view={view} columns={[
 *   {title: 'When', cell: send => formatWhen(send.createdAt)},
 *   {title: 'Subject', cell: send => send.subject, grow: true, min: 12},
 * ]} />
 */
import {useLayoutEffect, useMemo, useRef, type ReactNode} from 'react';
import {Box, Text, measureElement, type DOMElement} from 'ink';
import {useTheme} from '../services.js';
import type {ListView} from '../hooks/use-list.js';
import {fit, fitRight, printable} from './text.js';

export interface Column<T> {
	/** The column's title; several, longest first: the longest that fits is shown. */
	title: string | readonly string[];
	/**
	 * The cell's text. `width` is the column's width (Infinity while measuring), so a cell may
	 * say less when narrow (`12-02 17:07` instead of `2026-12-02 17:07`). It must depend on the
	 * row only: the widths are measured once per set of rows.
	 */
	cell: (row: T, width: number) => string;
	/** Narrowest width (default: the shortest title). */
	min?: number;
	/** Widest width its text takes (default: no limit). */
	max?: number;
	/** Always this wide (not measured). */
	width?: number;
	/** Takes the spare width (one column per table). */
	grow?: boolean;
	align?: 'left' | 'right';
	/**
	 * When the row does not fit, the columns with a `shrink` shrink to their min, the highest
	 * first; then the `optional` ones go; then the grow column gives up its min. Without: never cut.
	 */
	shrink?: number;
	/** Dropped (after shrinking to its min) when the grow column would still go below its min: said elsewhere on the screen. */
	optional?: boolean;
	/** Spaces before the column (default 1; none before the first). */
	gap?: number;
	/** The cell's colour (not on the selected row, which is inverse). */
	color?: (row: T) => string | undefined;
}

/** What the pointer (`❯ `) takes before the first column. */
export const pointerWidth = 2;

/** A cell as drawn: its text from the row (a reply, a name, a subject), with control characters made visible. */
function cellOf<T>(column: Column<T>, row: T, width: number): string {
	return printable(column.cell(row, width));
}

function titles(column: Column<unknown>): readonly string[] {
	return typeof column.title === 'string' ? [column.title] : column.title;
}

function shortestTitle(column: Column<unknown>): number {
	return Math.min(...titles(column).map(title => title.length));
}

/** How wide each column's text is, over every row (the grow column and fixed ones are not measured). */
export function naturalWidths<T>(columns: ReadonlyArray<Column<T>>, rows: readonly T[]): number[] {
	return columns.map(column => {
		if (column.width !== undefined) {
			return column.width;
		}

		const min = column.min ?? shortestTitle(column as Column<unknown>);
		if (column.grow) {
			return min;
		}

		let widest = shortestTitle(column as Column<unknown>);
		for (const row of rows) {
			widest = Math.max(widest, cellOf(column, row, Number.POSITIVE_INFINITY).length);
			if (column.max !== undefined && widest >= column.max) {
				break;
			}
		}

		return Math.max(min, Math.min(widest, column.max ?? widest));
	});
}

/**
 * Each column's width in `width` columns (0: dropped), from the widths of their text: the spare
 * goes to the `grow` column; when they do not fit, the columns with a `shrink` shrink to their
 * min, highest first, then the optional ones go, then the grow column takes what is left.
 */
export function columnWidths<T>(columns: ReadonlyArray<Column<T>>, natural: readonly number[], width: number): number[] {
	const widths = [...natural];
	const shown = (index: number) => widths[index] > 0;
	const gapOf = (index: number) => {
		const before = widths.slice(0, index).some((w, i) => i < index && w > 0);
		return before ? columns[index].gap ?? 1 : 0;
	};

	const used = () => widths.reduce((sum, w, index) => shown(index) ? sum + w + gapOf(index) : sum, pointerWidth);
	const order = columns
		.map((column, index) => ({column, index}))
		.filter(({column}) => !column.grow && column.width === undefined && column.shrink !== undefined)
		.sort((a, b) => (b.column.shrink ?? 0) - (a.column.shrink ?? 0));
	for (const {column, index} of order) {
		const over = used() - width;
		if (over <= 0) {
			break;
		}

		const min = column.min ?? shortestTitle(column as Column<unknown>);
		widths[index] = Math.max(min, widths[index] - over);
	}

	// Still too wide with the grow column at its min: the optional columns go, in the same order.
	for (const {column, index} of order) {
		if (used() <= width) {
			break;
		}

		if (column.optional) {
			widths[index] = 0;
		}
	}

	const grow = columns.findIndex(column => column.grow);
	if (grow >= 0) {
		widths[grow] = Math.max(1, widths[grow] + width - used());
	}

	return widths;
}

/**
 * The columns' widths at the table's size, measured over `measureOver` (the rows before the
 * filter, so that the columns stay put while one types a filter, and 5,000 domains are not
 * measured again at each key); the text is measured again only when that array changes
 * (`active` false: not at all, an empty result).
 */
export function useColumnWidths<T>(view: ListView<T>, columns: ReadonlyArray<Column<T>>, measureOver: readonly T[] = view.rows, active = true): number[] {
	const specs = columns.map(column => `${titles(column as Column<unknown>).join('|')}:${column.min}:${column.max}:${column.width}:${column.grow}`).join(',');
	// The cells depend on the row only (see Column.cell): the rows and the specs are the whole key.
	const natural = useMemo(() => active ? naturalWidths(columns, measureOver) : [], [active, measureOver, specs]); // eslint-disable-line react-hooks/exhaustive-deps
	return active ? columnWidths(columns, natural, view.size.columns) : [];
}

function cellText<T>(column: Column<T>, text: string, width: number): string {
	return column.align === 'right' ? fitRight(text.length > width ? fit(text, width) : text, width) : fit(text, width, ' ');
}

/** The title row and the rows of `view` that fit; `empty` shows in the body when there is no row. */
export function Table<T>({view, columns, measureOver, widths: given, rowStyle, empty}: {
	view: ListView<T>;
	columns: ReadonlyArray<Column<T>>;
	/** The rows the widths are measured over: every row before the filter (default: the view's rows). */
	measureOver?: readonly T[];
	/** From `useColumnWidths`, when the screen needs them too (to say what a row could not show). */
	widths?: readonly number[];
	/** The whole row's look: marked, disabled. */
	rowStyle?: (row: T) => {color?: string; bold?: boolean; dim?: boolean};
	empty?: ReactNode;
}) {
	const theme = useTheme();
	const ref = useRef<DOMElement>(null);
	const {measure} = view;
	const own = useColumnWidths(view, columns, measureOver ?? view.rows, given === undefined);

	// Ink has laid the tree out when layout effects run: the size it gave the table.
	useLayoutEffect(() => {
		if (ref.current) {
			const {width, height} = measureElement(ref.current);
			measure({columns: width, rows: height - 1});
		}
	});

	const widths = given ?? own;
	const line = (text: (column: Column<T>, width: number) => string) => {
		let first = true;
		return columns.map((column, index) => {
			const width = widths[index];
			if (width <= 0) {
				return '';
			}

			const gap = first ? '' : ' '.repeat(column.gap ?? 1);
			first = false;
			return gap + text(column, width);
		});
	};

	const heading = ' '.repeat(pointerWidth) + line((column, width) => {
		const title = titles(column as Column<unknown>).find(text => text.length <= width) ?? titles(column as Column<unknown>).at(-1) ?? '';
		return cellText(column, title, width);
	}).join('');

	return (
		// Rows below the table's height are clipped; none is wider than it (each is cut: truncate-end),
		// so it is not clipped across, which Ink does with slice-ansi on every row of every frame.
		<Box ref={ref} flexDirection="column" flexGrow={1} flexBasis={0} overflowY="hidden">
			<Text bold color={theme.muted} wrap="truncate-end">{heading.trimEnd()}</Text>
			{view.visibleRows.length === 0 && empty ? empty : null}
			{/* Each row is keyed by its place on the screen, not by what it shows: a key or a filter
			that changes the rows then changes the text of the same Ink nodes, instead of removing
			every row's node (and its Yoga node) and making new ones at each key. */}
			{view.visibleRows.map(({row, selected}, slot) => {
				const style = rowStyle?.(row) ?? {};
				const cells = line((column, width) => cellText(column, cellOf(column, row, width), width));
				if (!selected) {
					// The last column's padding shows only under the cursor's bar: without it Ink has
					// fewer characters to go through at each frame (a row is drawn again at every key).
					let last = cells.length - 1;
					while (last > 0 && cells[last] === '') {
						last--;
					}

					cells[last] &&= cells[last].trimEnd();
				}

				const look = {inverse: selected, color: style.color, bold: style.bold, dimColor: style.dim && !selected};
				const text = (
					<Text key={slot} {...look} wrap="truncate-end">
						{selected ? '' : '  '}
						{columns.map((column, index) => {
							const color = selected ? undefined : column.color?.(row);
							return color ? <Text key={index} color={color}>{cells[index]}</Text> : cells[index];
						})}
					</Text>
				);
				// The cursor's pointer (❯) in a text of its own: Ink measures each text's width at
				// each frame, and one character outside ASCII sends the whole row through
				// string-width's grapheme-at-a-time path (~300 µs a row against ~5 µs).
				return selected ? (
					<Box key={slot}>
						<Text {...look}>{theme.symbols.pointer} </Text>
						{text}
					</Box>
				) : text;
			})}
		</Box>
	);
}
