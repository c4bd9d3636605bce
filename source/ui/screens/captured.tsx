/**
 * Captured mail: the messages of one send that the local capture server stored, and one
 * message's headers and text — what a recipient would have received (the demo's way of
 * showing what a send does without anything leaving the machine).
 */
import {useEffect, useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import {headerValue, listCaptured, readCapturedMessage, type CapturedMessage} from '../../core/captured.js';
import {capturedKeys, capturedMessageKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useListView} from '../hooks/use-list.js';
import {filterItems, initialListState, listReducer} from '../state/list.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {formatCount, plural, printable, wrapLine} from '../components/text.js';
import {FilterLine} from '../components/filter-line.js';
import {Table, type Column} from '../components/table.js';
import type {RouteOf} from '../state/router.js';

interface CapturedRow {
	index: number;
	file: string;
	address: string;
}

/** The headers shown, in this order, when the message has them. */
export const shownHeaders = ['From', 'To', 'Subject', 'Date', 'Message-ID', 'In-Reply-To', 'References', 'Auto-Submitted', 'Precedence'];

function useCapturedRows(sendId: string): {rows: CapturedRow[]; error?: string} {
	const services = useServices();
	return useMemo(() => {
		try {
			const files = listCaptured(services.store.paths.captureDir, sendId);
			let addresses: string[] = [];
			try {
				addresses = services.delivery().sends.readRecipients(sendId).addresses;
			} catch {
				// The record may be gone; the files still show.
			}

			return {rows: files.map(file => ({...file, address: addresses[file.index] ?? `message ${file.index}`}))};
		} catch (error) {
			return {rows: [], error: (error as Error).message};
		}
	}, [services, sendId]);
}

function scrollReducer(top: number, action: {to: number}): number {
	return Math.max(0, action.to);
}

function MessageView({row, total, position, onMove, onClose}: {
	row: CapturedRow;
	total: number;
	position: number;
	onMove: (delta: number) => void;
	onClose: () => void;
}) {
	const theme = useTheme();
	const {columns, bodyRows} = useLayout();
	const [top, scroll] = useScreenState(`scroll-${row.index}`, scrollReducer, () => 0);
	const [message, setMessage] = useState<CapturedMessage | {error: string}>(() => read(row.file));
	useEffect(() => {
		setMessage(read(row.file));
	}, [row.file]);

	const lines = useMemo(() => {
		if ('error' in message) {
			return [printable(message.error)];
		}

		const header = shownHeaders
			.map(name => [name, headerValue(message, name)] as const)
			.filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
			// A long To or References is wrapped like the text: nothing of it is cut.
			.flatMap(([name, value]) => wrapLine(`${name}: ${printable(value)}`, Math.max(10, columns - 2)));
		const text = message.text.split('\n').flatMap(line => wrapLine(printable(line), Math.max(10, columns - 2)));
		return [...header, '', ...text];
	}, [message, columns]);
	const height = Math.max(1, bodyRows - 1);
	const max = Math.max(0, lines.length - height);
	const first = Math.min(top, max);

	useScreenKeys(capturedMessageKeys, {
		up: () => scroll({to: first - 1}),
		down: () => scroll({to: Math.min(max, first + 1)}),
		'page-up': () => scroll({to: first - height}),
		'page-down': () => scroll({to: Math.min(max, first + height)}),
		next: position + 1 < total ? () => onMove(1) : undefined,
		previous: position > 0 ? () => onMove(-1) : undefined,
		back: onClose,
	});

	return (
		<Box flexDirection="column" flexGrow={1} paddingX={1}>
			<Box flexDirection="column" height={height}>
				{lines.slice(first, first + height).map((line, index) => (
					<Text key={first + index} wrap="truncate-end" bold={first + index < lines.indexOf('')}>{line === '' ? ' ' : line}</Text>
				))}
			</Box>
			<Text color={theme.muted} wrap="truncate-end">
				Message {formatCount(position + 1)} of {formatCount(total)} {theme.symbols.separator} {row.address}{max > 0 ? ` ${theme.symbols.separator} lines ${first + 1}-${Math.min(lines.length, first + height)} of ${lines.length}` : ''}
			</Text>
		</Box>
	);
}

function read(file: string): CapturedMessage | {error: string} {
	try {
		return readCapturedMessage(file);
	} catch (error) {
		return {error: `cannot read ${file}: ${(error as Error).message}`};
	}
}

export function CapturedScreen({route}: {route: RouteOf<'captured'>}) {
	const theme = useTheme();
	const navigation = useNavigation();
	const {rows: all, error} = useCapturedRows(route.sendId);
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
	const [open, setOpen] = useScreenState('open', (_state: number | undefined, action: number | undefined) => action, () => undefined as number | undefined);
	const rows = useMemo(() => filterItems(all, list.filter, row => row.address), [all, list.filter]);
	const view = useListView(list, dispatch, rows);
	const {pageSize, count, current, moves} = view;

	const reading = open !== undefined && rows[open] !== undefined;
	useScreenKeys(capturedKeys, {
		...moves,
		open: current ? () => setOpen(list.cursor) : undefined,
		filter: all.length > 0 ? () => dispatch({type: 'start-filter'}) : undefined,
		back: () => list.filter === '' ? navigation.back() : dispatch({type: 'clear-filter'}),
	}, {isActive: !list.filtering && !reading});

	if (reading) {
		return (
			<MessageView
				key={rows[open].file}
				row={rows[open]}
				total={count}
				position={open}
				onMove={delta => {
					const next = open + delta;
					setOpen(next);
					dispatch({type: 'select', index: next, count, pageSize});
				}}
				onClose={() => setOpen(undefined)}
			/>
		);
	}

	const columns: Array<Column<CapturedRow>> = [
		{title: ['Recipient (Enter reads the message it was sent)', 'Recipient'], grow: true, min: 9, cell: row => row.address},
	];

	const status = [
		list.filter ? `${formatCount(count)} of ${plural(all.length, 'message')}` : plural(all.length, 'message'),
		`captured in ${route.sendId}`,
	].join(` ${theme.symbols.separator} `);

	return (
		<Box flexDirection="column" flexGrow={1}>
			<Table
				view={view}
				columns={columns}
				measureOver={all}
				empty={error ? <Text color={theme.error} wrap="wrap">{printable(error)}</Text> : all.length === 0
					? <Text color={theme.muted}>  No captured message for this send.</Text>
					: <Text color={theme.warning}>  No message matches &quot;{list.filter}&quot;.</Text>}
			/>
			<FilterLine list={list} status={status} />
		</Box>
	);
}
