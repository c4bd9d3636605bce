/**
 * Drawing text being edited: the value with a block cursor, scrolled so the cursor shows.
 * The editing itself is state/text-edit.ts; the keys reach it through the form's field layer.
 */
import {Box, Text} from 'ink';
import type {TextState} from '../state/text-edit.js';
import {useTheme} from '../services.js';
import {fit} from './text.js';

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

		return <Text wrap="truncate-end">{value.slice(0, Math.max(0, width))}</Text>;
	}

	const room = Math.max(1, width - 1);
	const start = Math.max(0, state.cursor - room + 1);
	const shown = value.slice(start, start + room + 1);
	const at = state.cursor - start;
	const before = shown.slice(0, at);
	const under = shown.slice(at, at + 1) || ' ';
	const after = shown.slice(at + 1, room);
	return (
		<Text>
			{before}
			<Text inverse>{under}</Text>
			{after}
		</Text>
	);
}

/** Several lines with the cursor; shows the `height` lines around the cursor line. */
export function MultilineView({state, focused, width, height, placeholder}: {
	state: TextState;
	focused: boolean;
	width: number;
	height: number;
	placeholder?: string;
}) {
	const theme = useTheme();
	const lines = state.value.split('\n');
	const before = state.value.slice(0, state.cursor);
	const cursorLine = before.split('\n').length - 1;
	const cursorColumn = state.cursor - (before.lastIndexOf('\n') + 1);
	const top = Math.max(0, Math.min(cursorLine - height + 1, lines.length - height));
	const first = focused ? Math.max(0, top) : 0;
	const shown = lines.slice(first, first + height);
	if (!focused && state.value === '' && placeholder) {
		return <Text color={theme.muted} dimColor={!theme.color}>{placeholder}</Text>;
	}

	return (
		<Box flexDirection="column" height={height}>
			{shown.map((line, index) => {
				const lineNumber = first + index;
				if (focused && lineNumber === cursorLine) {
					const start = Math.max(0, cursorColumn - width + 2);
					const visible = line.slice(start, start + width - 1);
					const at = cursorColumn - start;
					return (
						<Text key={lineNumber}>
							{visible.slice(0, at)}
							<Text inverse>{visible.slice(at, at + 1) || ' '}</Text>
							{visible.slice(at + 1)}
						</Text>
					);
				}

				return <Text key={lineNumber} wrap="truncate-end">{line === '' ? ' ' : line}</Text>;
			})}
		</Box>
	);
}
