/** `?`/F1: every key of every screen, drawn from the same tables as the footers; it opens at the section of the screen it was opened from. */
import {useMemo} from 'react';
import {Box, Text} from 'ink';
import {formatKeys, helpKeys, helpSectionOf, helpSections} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useLayout, useTheme} from '../services.js';
import {fit, wrapLine} from '../components/text.js';
import type {RouteOf} from '../state/router.js';

interface HelpLine {
	kind: 'title' | 'key' | 'blank';
	keys?: string;
	text: string;
}

/** The help's lines; a description longer than `width` goes on under its keys. */
export function helpLines(unicode: boolean, width: number): HelpLine[] {
	const lines: HelpLine[] = [];
	for (const section of helpSections) {
		if (lines.length > 0) {
			lines.push({kind: 'blank', text: ''});
		}

		lines.push({kind: 'title', text: section.title});
		for (const binding of section.table) {
			const [first, ...rest] = wrapLine(binding.description, Math.max(10, width));
			lines.push({kind: 'key', keys: formatKeys(binding, {unicode}), text: first});
			lines.push(...rest.map((text): HelpLine => ({kind: 'key', keys: '', text})));
		}
	}

	return lines;
}

function scrollReducer(top: number, action: {delta: number; max: number}): number {
	return Math.max(0, Math.min(action.max, top + action.delta));
}

export function HelpScreen(_props: {route: RouteOf<'help'>}) {
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns, bodyRows} = useLayout();
	const keyWidth = 18;
	const textWidth = columns - keyWidth - 5;
	const lines = useMemo(() => helpLines(theme.symbols.unicode, textWidth), [theme.symbols.unicode, textWidth]);
	const height = Math.max(1, bodyRows - 1);
	const max = Math.max(0, lines.length - height);
	// Opened from a screen: at that screen's section (as lazygit and k9s do).
	const section = helpSectionOf(navigation.previous?.screen);
	const [top, scroll] = useScreenState('scroll', scrollReducer, () => Math.max(0, lines.findIndex(line => line.kind === 'title' && line.text === section?.title)));
	const first = Math.min(top, max);

	useScreenKeys(helpKeys, {
		up: () => scroll({delta: -1, max}),
		down: () => scroll({delta: 1, max}),
		'page-up': () => scroll({delta: -height, max}),
		'page-down': () => scroll({delta: height, max}),
		back: () => navigation.back(),
	});

	return (
		<Box flexDirection="column" paddingX={1}>
			<Box flexDirection="column" height={height}>
				{lines.slice(first, first + height).map((line, index) => {
					const key = `${first + index}`;
					if (line.kind === 'title') {
						return <Text key={key} bold color={theme.accent}>{line.text}</Text>;
					}

					if (line.kind === 'blank') {
						return <Text key={key}> </Text>;
					}

					return (
						<Text key={key} wrap="truncate-end">
							{'  '}
							<Text bold>{fit(line.keys ?? '', keyWidth, ' ')}</Text>
							{fit(line.text, textWidth)}
						</Text>
					);
				})}
			</Box>
			<Text color={theme.muted}>
				{max > 0 ? `Lines ${first + 1}-${Math.min(lines.length, first + height)} of ${lines.length}` : ' '}
			</Text>
		</Box>
	);
}
