/**
 * History: every send, newest first — when, kind, status, sent/failed/total, audience,
 * subject. Enter opens one (send-detail.tsx). Read again whenever the screen shows, and
 * every second while a send is running.
 */
import {useMemo} from 'react';
import {Box, Text} from 'ink';
import type {SendSummary} from '../../core/types.js';
import {historyKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {usePolledRead} from '../hooks/use-polled-read.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useListView} from '../hooks/use-list.js';
import {initialListState, listReducer} from '../state/list.js';
import {formatWhen, shownSends} from '../state/history-state.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {fit, fitRight, formatCount, plural, printable} from '../components/text.js';
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

/** Heading + filter line around the table. */
const chromeRows = 3;

export function HistoryScreen(_props: {route: RouteOf<'history'>}) {
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns} = useLayout();
	const {sends, error, reload} = useSendList();
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
	const rows = useMemo(() => shownSends(sends, list.filter), [sends, list.filter]);
	const {pageSize, count, current, moves, visibleRows} = useListView(list, dispatch, rows, chromeRows);

	useScreenKeys(historyKeys, {
		...moves,
		open: current ? () => navigation.push({screen: 'send-detail', sendId: current.id}) : undefined,
		filter: sends.length > 0 ? () => dispatch({type: 'start-filter'}) : undefined,
		reload,
		back: () => list.filter === '' ? navigation.back() : dispatch({type: 'clear-filter'}),
	}, {isActive: !list.filtering});

	// A narrow terminal drops the year and the Kind column rather than cutting every column short.
	const narrow = columns < 76;
	const whenWidth = narrow ? 11 : 16;
	const kindWidth = narrow ? 0 : 8;
	const statusWidth = 11;
	const countWidth = 13;
	const fixed = 2 + whenWidth + 1 + (narrow ? 0 : kindWidth + 1) + statusWidth + 1 + countWidth + 2;
	const audienceWidth = Math.max(8, Math.floor((columns - fixed) * 0.45));
	const subjectWidth = Math.max(6, columns - fixed - audienceWidth - 1);
	const kindCell = (text: string) => narrow ? '' : `${fit(text, kindWidth, ' ')} `;
	const when = (send: SendSummary) => narrow ? formatWhen(send.createdAt).slice(5) : formatWhen(send.createdAt);
	const heading = `  ${fit('When', whenWidth, ' ')} ${kindCell('Kind')}${fit('Status', statusWidth, ' ')} ${fitRight('Sent/Fail/All', countWidth)}  ${fit('Audience', audienceWidth, ' ')} Subject`;

	const shown = visibleRows.map(({row: send, selected}) => {
		const counts = `${formatCount(send.sent)}/${formatCount(send.failed)}/${formatCount(send.total)}`;
		const statusColor = send.status === 'finished' ? (send.failed > 0 ? theme.warning : theme.success) : send.status === 'running' ? theme.accent : theme.warning;
		return (
			<Text key={send.id} inverse={selected} wrap="truncate-end">
				{selected ? theme.symbols.pointer : ' '} {fit(when(send), whenWidth, ' ')} {kindCell(send.kind)}<Text color={selected ? undefined : statusColor}>{fit(send.status, statusWidth, ' ')}</Text> {fitRight(counts, countWidth)}  {fit(printable(send.audience), audienceWidth, ' ')} {fit(printable(send.subject), subjectWidth)}
			</Text>
		);
	});

	const status = [
		list.filter ? `${formatCount(count)} of ${plural(sends.length, 'send')}` : plural(sends.length, 'send'),
		current ? `${current.id}${current.captured ? ' (local capture)' : ''}${current.followUpOf ? ` follows up ${current.followUpOf}` : ''}` : '',
	].filter(Boolean).join(` ${theme.symbols.separator} `);

	return (
		<Box flexDirection="column" flexGrow={1}>
			<Text bold color={theme.muted} wrap="truncate-end">{heading}</Text>
			<Box flexDirection="column" height={pageSize}>
				{error ? <Text color={theme.error} wrap="wrap">{error}</Text> : null}
				{!error && sends.length === 0 ? (
					<Box flexDirection="column" paddingLeft={2}>
						<Text>Nothing sent yet.</Text>
						<Text color={theme.muted}>Every send is kept here: when, who, what, each recipient&apos;s outcome.</Text>
					</Box>
				) : shown}
				{sends.length > 0 && count === 0 ? <Text color={theme.warning}>  No send matches &quot;{list.filter}&quot;.</Text> : null}
			</Box>
			<Text color={theme.muted} wrap="truncate-end">{current ? `  ${fit(`${printable(current.subject)} ${theme.symbols.separator} to ${printable(current.audience)}`, columns - 4)}` : ' '}</Text>
			<FilterLine list={list} status={status} />
		</Box>
	);
}
