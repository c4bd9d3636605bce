/**
 * History: every send, newest first — when, kind, status, sent/failed/bounced/total, audience,
 * subject; under the table the send under the cursor whole, with its delivery counts and when the
 * bounce mailbox was last read (it is read in the background while History shows). Enter opens one
 * (send-detail.tsx). Read again whenever the screen shows, after each look at the bounce mailbox,
 * and every second while a send is running.
 */
import {useEffect, useMemo} from 'react';
import type {DeliveryCounts} from '../../core/journal/index.js';
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
import {useDeliveryTracking} from '../hooks/use-tracking.js';
import {DeliveryLine} from '../components/delivery-line.js';

/** A send's row: its summary, and the counts of its delivery reports (undefined: none folded yet). */
export type HistoryRow = SendSummary & {reported?: DeliveryCounts};

/** Reads the send records; a broken record is shown as the error, not a crash. */
export function useSendList(): {sends: HistoryRow[]; error?: string; reload: () => void} {
	const services = useServices();
	const [state, reload] = usePolledRead<{sends: HistoryRow[]; error?: string}>(() => {
		try {
			// Each send's reports are read again only when its reports.log changed (the tracking service keeps them).
			return {sends: services.delivery().sends.list().map(send => send.captured ? send : {...send, reported: services.tracking.reportCounts(send.id)})};
		} catch (error) {
			return {sends: [], error: (error as Error).message};
		}
	}, ({sends}) => sends.some(send => send.status === 'running'));
	return {...state, reload};
}

/** The Kind column: short, so that it always fits. */
const kinds: Record<SendKind, string> = {email: 'email', reminder: 'remind'};

export function HistoryScreen(_props: {route: RouteOf<'history'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns: screenWidth} = useLayout();
	const {sends, error, reload} = useSendList();
	// The bounce mailbox is read while a send that went to a server is listed (local capture has no reports).
	const tracking = useDeliveryTracking(sends.some(send => !send.captured) ? {} : false);
	useEffect(() => {
		if (tracking.edition > 0) {
			reload();
		}
	}, [tracking.edition]); // eslint-disable-line react-hooks/exhaustive-deps
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
	const rows = useMemo(() => shownSends(sends, list.filter), [sends, list.filter]);
	const view = useListView(list, dispatch, rows);
	const {count, current, moves} = view;

	useScreenKeys(historyKeys, {
		...moves,
		open: current ? () => navigation.push({screen: 'send-detail', sendId: current.id}) : undefined,
		filter: sends.length > 0 ? () => dispatch({type: 'start-filter'}) : undefined,
		reload() {
			reload();
			services.tracking.lookNow();
		},
		back: () => list.filter === '' ? navigation.back() : dispatch({type: 'clear-filter'}),
	}, {isActive: !list.filtering});

	const statusColor = (send: HistoryRow) => send.status === 'finished' ? (send.failed > 0 ? theme.warning : theme.success) : send.status === 'running' ? theme.accent : theme.warning;
	// A narrow terminal drops the year, cuts the audience, then leaves it to the line under the
	// table, before the subject is cut short. The kind is never cut: an email and its reminder
	// must be told apart.
	// The bounced count once reports can come (set up) or came (folded by massmail track).
	const tracked = tracking.missing.length === 0 || sends.some(send => send.reported !== undefined);
	const columns: Array<Column<HistoryRow>> = [
		{title: 'When', min: 11, shrink: 3, cell: (send, width) => width < 16 ? formatWhen(send.createdAt).slice(5) : formatWhen(send.createdAt)},
		{title: 'Kind', cell: send => kinds[send.kind]},
		{title: 'Status', cell: send => send.status, color: statusColor},
		// Bounced: accepted by the server, then returned by the mail system (the delivery reports).
		tracked
			? {title: ['Sent/Fail/Bounced/All', 'Sent/F/B/All'], min: 12, align: 'right', cell: send => `${formatCount(send.sent)}/${formatCount(send.failed)}/${formatCount(send.reported?.bounced ?? 0)}/${formatCount(send.total)}`}
			: {title: ['Sent/Fail/All', 'Sent/F/All'], min: 10, align: 'right', cell: send => `${formatCount(send.sent)}/${formatCount(send.failed)}/${formatCount(send.total)}`},
		{title: 'Audience', min: 12, max: 30, shrink: 1, optional: true, gap: 2, cell: send => printable(send.audience)},
		{title: 'Subject', grow: true, min: 20, cell: send => printable(send.subject)},
	];
	// The whole subject and audience of the send under the cursor, on two lines at most.
	const detail = current ? wrapLine(`${printable(current.subject)} ${theme.symbols.separator} to ${printable(current.audience)}`, Math.max(10, screenWidth - 2)).slice(0, 2) : [];
	// Its delivery counts, whole: read for the one send under the cursor (sends.deliveries reads its outcome log).
	const currentId = tracked && current && !current.captured && current.sent > 0 ? current.id : undefined;
	const currentCounts = useMemo(() => {
		if (currentId === undefined) {
			return undefined;
		}

		try {
			return services.delivery().sends.deliveries(currentId).counts;
		} catch {
			return undefined;
		}
	}, [services, currentId, current?.sent, current?.reported]); // eslint-disable-line react-hooks/exhaustive-deps

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
				empty={error ? <Text color={theme.error} wrap="wrap">{printable(error)}</Text> : sends.length === 0 ? (
					<Box flexDirection="column" paddingLeft={2}>
						<Text>Nothing sent yet.</Text>
						<Text color={theme.muted} wrap="wrap">Every send is kept here: when, who, what, each recipient&apos;s outcome.</Text>
					</Box>
				) : <Text color={theme.warning}>  No send matches &quot;{list.filter}&quot;.</Text>}
			/>
			{detail.length > 0 ? detail.map(line => <Text key={line} color={theme.muted} wrap="truncate-end">  {line}</Text>) : <Text> </Text>}
			{current && !current.captured && current.sent > 0 ? (
				<Box paddingLeft={2}>
					<DeliveryLine counts={currentCounts} status={tracking} width={screenWidth - 2} />
				</Box>
			) : null}
			<FilterLine list={list} status={status} />
		</Box>
	);
}
