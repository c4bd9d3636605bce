/**
 * History: every send, newest first — when, kind, status, sent/failed/total, audience,
 * subject. Enter opens one (send-detail.tsx). Read again whenever the screen shows, and
 * every second while a send is running.
 */
import {useMemo} from 'react';
import {Box, Text} from 'ink';
import type {SendKind, SendSummary} from '../../core/types.js';
import {historyKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {usePolledRead} from '../hooks/use-polled-read.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useListView} from '../hooks/use-list.js';
import {initialListState, listReducer} from '../state/list.js';
import {formatWhen, shownSends} from '../state/history-state.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {formatCount, plural, printable, wrapLine} from '../components/text.js';
import {Table, type Column} from '../components/table.js';
import {FilterLine} from '../components/filter-line.js';
import type {RouteOf} from '../state/router.js';

/** Reads the send records; a broken record is shown as the error, not a crash. */
export function useSendList(): {sends: SendSummary[]; error?: string; reload: () => void} {
	const services = useServices();
	const [state, reload] = usePolledRead<{sends: SendSummary[]; error?: string}>(() => {
		try {
			return {sends: services.delivery().sends.list()};
		} catch (error) {
			return {sends: [], error: (error as Error).message};
		}
	}, ({sends}) => sends.some(send => send.status === 'running'));
	return {...state, reload};
}

/** The Kind column: short, so that it always fits. */
const kinds: Record<SendKind, string> = {email: 'email', reminder: 'remind'};

export function HistoryScreen(_props: {route: RouteOf<'history'>}) {
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns: screenWidth} = useLayout();
	const {sends, error, reload} = useSendList();
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
	const rows = useMemo(() => shownSends(sends, list.filter), [sends, list.filter]);
	const view = useListView(list, dispatch, rows);
	const {count, current, moves} = view;

	useScreenKeys(historyKeys, {
		...moves,
		open: current ? () => navigation.push({screen: 'send-detail', sendId: current.id}) : undefined,
		filter: sends.length > 0 ? () => dispatch({type: 'start-filter'}) : undefined,
		reload,
		back: () => list.filter === '' ? navigation.back() : dispatch({type: 'clear-filter'}),
	}, {isActive: !list.filtering});

	const statusColor = (send: SendSummary) => send.status === 'finished' ? (send.failed > 0 ? theme.warning : theme.success) : send.status === 'running' ? theme.accent : theme.warning;
	// A narrow terminal drops the year, cuts the audience, then leaves it to the line under the
	// table, before the subject is cut short. The kind is never cut: an email and its reminder
	// must be told apart.
	const columns: Array<Column<SendSummary>> = [
		{title: 'When', min: 11, shrink: 3, cell: (send, width) => width < 16 ? formatWhen(send.createdAt).slice(5) : formatWhen(send.createdAt)},
		{title: 'Kind', cell: send => kinds[send.kind]},
		{title: 'Status', cell: send => send.status, color: statusColor},
		{title: ['Sent/Fail/All', 'Sent/F/All'], min: 10, align: 'right', cell: send => `${formatCount(send.sent)}/${formatCount(send.failed)}/${formatCount(send.total)}`},
		{title: 'Audience', min: 12, max: 30, shrink: 1, optional: true, gap: 2, cell: send => printable(send.audience)},
		{title: 'Subject', grow: true, min: 20, cell: send => printable(send.subject)},
	];
	// The whole subject and audience of the send under the cursor, on two lines at most.
	const detail = current ? wrapLine(`${printable(current.subject)} ${theme.symbols.separator} to ${printable(current.audience)}`, Math.max(10, screenWidth - 2)).slice(0, 2) : [];

	const status = [
		list.filter ? `${formatCount(count)} of ${plural(sends.length, 'send')}` : plural(sends.length, 'send'),
		current ? `${current.id}${current.captured ? ' (local capture)' : ''}${current.followUpOf ? ` follows up ${current.followUpOf}` : ''}` : '',
	].filter(Boolean).join(` ${theme.symbols.separator} `);

	return (
		<Box flexDirection="column" flexGrow={1}>
			<Table
				view={view}
				columns={columns}
				measureOver={sends}
				rowKey={send => send.id}
				empty={error ? <Text color={theme.error} wrap="wrap">{error}</Text> : sends.length === 0 ? (
					<Box flexDirection="column" paddingLeft={2}>
						<Text>Nothing sent yet.</Text>
						<Text color={theme.muted} wrap="wrap">Every send is kept here: when, who, what, each recipient&apos;s outcome.</Text>
					</Box>
				) : <Text color={theme.warning}>  No send matches &quot;{list.filter}&quot;.</Text>}
			/>
			{detail.length > 0 ? detail.map(line => <Text key={line} color={theme.muted} wrap="truncate-end">  {line}</Text>) : <Text> </Text>}
			<FilterLine list={list} status={status} />
		</Box>
	);
}
