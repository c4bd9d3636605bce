import {Box, Text} from 'ink';
import {formatKeys, type KeyBinding} from '../key-bindings.js';
import {useFooterBindings} from '../hooks/use-keys.js';
import {useLayout, useTheme} from '../services.js';
import {fit} from './text.js';

export interface HeaderProps {
	title: string;
	/** `5,000 domains · 100,000 mailboxes` */
	directory: string;
	/** Where mail goes; shown on every screen. */
	destination: string;
	/** The destination could not be worked out (bad settings): shown as an error. */
	destinationError?: boolean;
	demo: boolean;
}

/** Two rows: the screen's title, the directory size (and the demo badge); where mail goes. */
export function Header({title, directory, destination, destinationError, demo}: HeaderProps) {
	const theme = useTheme();
	const {columns} = useLayout();
	const badge = demo ? ' DEMO ' : '';
	const right = `${directory} `;
	const left = ` massmail ${theme.symbols.separator} ${title}`;
	const room = Math.max(10, columns - right.length - badge.length - 1);
	return (
		<Box flexDirection="column" width={columns} flexShrink={0}>
			<Box>
				<Text bold color={theme.accent}>{fit(left, room)}</Text>
				<Box flexGrow={1} />
				<Text color={theme.muted}>{right}</Text>
				{demo ? <Text inverse bold color={theme.warning}>{badge}</Text> : null}
			</Box>
			<Text wrap="truncate-end">
				<Text color={theme.muted}> Mail goes to: </Text>
				<Text bold color={destinationError ? theme.error : theme.success}>{destination}</Text>
			</Text>
		</Box>
	);
}

/** Lays out as many `key Label` pairs as fit the width, the help (`?`, or F1 while typing) always last. */
export function footerText(bindings: readonly KeyBinding[], columns: number, unicode: boolean): string {
	const text = (binding: KeyBinding) => `${formatKeys(binding, {unicode})} ${binding.label}`;
	const isHelp = (binding: KeyBinding) => binding.id === 'help' || binding.id === 'help-anywhere';
	const helpBinding = bindings.find(binding => isHelp(binding));
	const help = helpBinding ? text(helpBinding) : undefined;
	const others = bindings.filter(binding => !isHelp(binding)).map(binding => text(binding));
	const result: string[] = [];
	let width = help ? help.length + 3 : 0;
	for (const part of others) {
		if (width + part.length + 3 > columns - 1) {
			break;
		}

		result.push(part);
		width += part.length + 3;
	}

	if (help) {
		result.push(help);
	}

	return ' ' + result.join('   ');
}

/** One row: the keys the screen (or the open dialog) handles now, from the key-binding table. */
export function Footer() {
	const bindings = useFooterBindings();
	const theme = useTheme();
	const {columns} = useLayout();
	return (
		<Box width={columns} flexShrink={0}>
			<Text inverse={theme.color} wrap="truncate-end">{fit(footerText(bindings, columns, theme.symbols.unicode), columns, ' ')}</Text>
		</Box>
	);
}
