/**
 * Drawing text being edited: the value with a block cursor, scrolled so the cursor shows.
 * The editing itself is state/text-edit.ts; the keys reach it through the form's field layer.
 */
import {Box, Text} from 'ink';
import {cursorRow, wrapRows, type TextState} from '../state/text-edit.js';
import {useTheme} from '../services.js';
import {fit, printable} from './text.js';

/** One line of text with the cursor shown when focused; `placeholder` when empty and not focused. */
export function TextView({state, focused, width, placeholder, mask}: {
	state: TextState;
	focused: boolean;
	width: number;
	placeholder?: string;
	mask?: boolean;
}) {
	const theme = useTheme();
	const value = mask ? '*'.repeat(state.value.length) : state.value;
	if (!focused) {
		if (value === '' && placeholder) {
			return <Text color={theme.muted} dimColor={!theme.color} wrap="truncate-end">{fit(placeholder, width)}</Text>;
		}

		// Cut with the theme's ellipsis (fit), never silently: a cut value must look cut.
		return <Text>{fit(printable(value), width)}</Text>;
	}

	const room = Math.max(1, width - 1);
	const start = Math.max(0, state.cursor - room + 1);
	const shown = value.slice(start, start + room + 1);
	const at = state.cursor - start;
	const before = shown.slice(0, at);
	const under = shown.slice(at, at + 1) || ' ';
	const after = shown.slice(at + 1, room);
	// Typing never inserts a control character (text-edit.ts); a value given to the field may hold one.
	return (
		<Text>
			{printable(before)}
			<Text inverse>{printable(under)}</Text>
			{printable(after)}
		</Text>
	);
}

/**
 * Several lines with the cursor; shows the `height` rows around the cursor's. A line longer than
 * the width wraps onto more rows (`wrapRows`), so it always reads from its start: scrolled
 * sideways, `Hi {{name}}, the server…` lost its `Hi ` as soon as the line outgrew the field.
 * The last column stays free for the cursor at the end of a row.
 */
export function MultilineView({state, focused, width, height, placeholder}: {
	state: TextState;
	focused: boolean;
	width: number;
	height: number;
	placeholder?: string;
}) {
	const theme = useTheme();
	if (!focused && state.value === '' && placeholder) {
		return <Text color={theme.muted} dimColor={!theme.color}>{placeholder}</Text>;
	}

	const rows = wrapRows(state.value, Math.max(1, width - 1));
	const cursor = cursorRow(rows, state.cursor);
	const first = focused ? Math.max(0, Math.min(cursor - height + 1, rows.length - height)) : 0;
	return (
		<Box flexDirection="column" height={height}>
			{rows.slice(first, first + height).map((row, index) => {
				const text = state.value.slice(row.start, row.end);
				if (focused && first + index === cursor) {
					const at = state.cursor - row.start;
					return (
						<Text key={row.start}>
							{printable(text.slice(0, at), {lines: true})}
							<Text inverse>{printable(text.slice(at, at + 1), {lines: true}) || ' '}</Text>
							{printable(text.slice(at + 1), {lines: true})}
						</Text>
					);
				}

				return <Text key={row.start}>{text === '' ? ' ' : printable(text, {lines: true})}</Text>;
			})}
		</Box>
	);
}
