/**
 * History: the scheduled sends first (their time, `Sat 18:00`, and state: scheduled, or missed,
 * refused, cancelled with why under the table; Enter opens scheduled-detail.tsx), then every
 * send, newest first — when, kind, status, sent/failed/bounced/total, audience,
 * subject; under the table the send under the cursor whole, with its delivery counts and when the
 * bounce mailbox was last read (it is read in the background while History shows). Enter opens one
 * (send-detail.tsx). Read again whenever the screen shows, after each look at the bounce mailbox,
 * and every second while a send is running.
 */
import {useEffect, useMemo, useSyncExternalStore} from 'react';
import type {DeliveryCounts} from '../../core/journal/index.js';
import {Box, Text} from 'ink';
import type {SendKind, SendSummary} from '../../core/types.js';
import {describeWhen, type ScheduledSend} from '../../core/schedule/index.js';
import {listedScheduled, shortTime} from '../../core/schedule/listing.js';
import {historyKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {usePolledRead} from '../hooks/use-polled-read.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useListView} from '../hooks/use-list.js';
import {initialListState, listReducer} from '../state/list.js';
import {formatWhen, shownScheduled, shownSends} from '../state/history-state.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {formatCount, massmailCommand, plural, printable, wrapLine} from '../components/text.js';
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

/** A scheduled send's row (one not started yet, or not sent: missed, refused, cancelled). */
export interface ScheduledRow {
	id: string;
	scheduled: ScheduledSend;
	/** Its time, short (`Sat 18:00`), in the zone it was scheduled in: in 16 columns and in 11. */
	time: {wide: string; narrow: string};
}

/** Reads the scheduled sends to list (services.schedule); a broken folder is shown as the error. */
function useScheduledList(): {rows: ScheduledRow[]; damaged: number; error?: string; reload: () => void} {
	const services = useServices();
	const [state, reload] = usePolledRead<{rows: ScheduledRow[]; damaged: number; error?: string}>(() => {
		try {
			const {sends, damaged} = services.schedule.list();
			const now = services.schedule.now();
			return {rows: listedScheduled(sends, now).map(send => ({
				id: send.id,
				scheduled: send,
				time: {wide: shortTime(new Date(send.at), send.zone, now), narrow: shortTime(new Date(send.at), send.zone, now, 11)},
			})), damaged: damaged.length};
		} catch (error) {
			return {rows: [], damaged: 0, error: (error as Error).message};
		}
	}, () => false);
	// A change made on a scheduled send's page, or seen by the header's look, is listed at once.
	const edition = useSyncExternalStore(services.schedule.subscribe, services.schedule.status);
	useEffect(() => {
		reload();
	}, [edition]); // eslint-disable-line react-hooks/exhaustive-deps
	return {...state, reload};
}

type Row = HistoryRow | ScheduledRow;

const isScheduled = (row: Row): row is ScheduledRow => 'scheduled' in row;

/** The Kind column: short, so that it always fits. */
const kinds: Record<SendKind, string> = {email: 'email', reminder: 'remind'};

export function HistoryScreen(_props: {route: RouteOf<'history'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns: screenWidth} = useLayout();
	const {sends, error, reload} = useSendList();
	const scheduled = useScheduledList();
	// The bounce mailbox is read while a send that went to a server is listed (local capture has no reports).
	const tracking = useDeliveryTracking(sends.some(send => !send.captured) ? {} : false);
	useEffect(() => {
		if (tracking.edition > 0) {
			reload();
		}
	}, [tracking.edition]); // eslint-disable-line react-hooks/exhaustive-deps
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
	const rows = useMemo((): Row[] => [...shownScheduled(scheduled.rows, list.filter), ...shownSends(sends, list.filter)], [scheduled.rows, sends, list.filter]);
	const everyRow = useMemo((): Row[] => [...scheduled.rows, ...sends], [scheduled.rows, sends]);
	const view = useListView(list, dispatch, rows);
	const {count, current, moves} = view;

	useScreenKeys(historyKeys, {
		...moves,
		open: current ? () => navigation.push(isScheduled(current) ? {screen: 'scheduled-detail', scheduleId: current.id} : {screen: 'send-detail', sendId: current.id}) : undefined,
		filter: everyRow.length > 0 ? () => dispatch({type: 'start-filter'}) : undefined,
		reload() {
			reload();
			scheduled.reload();
			services.tracking.lookNow();
		},
		back: () => list.filter === '' ? navigation.back() : dispatch({type: 'clear-filter'}),
	}, {isActive: !list.filtering});

	const statusColor = (row: Row) => isScheduled(row)
		? (row.scheduled.state === 'scheduled' ? theme.accent : theme.warning)
		: row.status === 'finished' ? (row.failed > 0 ? theme.warning : theme.success) : row.status === 'running' ? theme.accent : theme.warning;
	// A narrow terminal drops the year, cuts the audience, then leaves it to the line under the
	// table, before the subject is cut short. The kind is never cut: an email and its reminder
	// must be told apart.
	// The bounced count once reports can come (set up) or came (folded by massmail track).
	const tracked = tracking.missing.length === 0 || sends.some(send => send.reported !== undefined);
	// A scheduled send has sent nothing: its count when it was scheduled stands in the All place.
	const counts = (row: Row, cell: (send: HistoryRow) => string) => isScheduled(row) ? formatCount(row.scheduled.count) : cell(row);
	const columns: Array<Column<Row>> = [
		{title: 'When', min: 11, shrink: 3, cell: (row, width) => isScheduled(row) ? (width < 16 ? row.time.narrow : row.time.wide) : width < 16 ? formatWhen(row.createdAt).slice(5) : formatWhen(row.createdAt)},
		{title: 'Kind', cell: row => kinds[isScheduled(row) ? row.scheduled.kind : row.kind]},
		{title: 'Status', cell: row => isScheduled(row) ? row.scheduled.state : row.status, color: statusColor},
		// Bounced: accepted by the server, then returned by the mail system (the delivery reports).
		tracked
			? {title: ['Sent/Fail/Bounced/All', 'Sent/F/B/All'], min: 12, align: 'right', cell: row => counts(row, send => `${formatCount(send.sent)}/${formatCount(send.failed)}/${formatCount(send.reported?.bounced ?? 0)}/${formatCount(send.total)}`)}
			: {title: ['Sent/Fail/All', 'Sent/F/All'], min: 10, align: 'right', cell: row => counts(row, send => `${formatCount(send.sent)}/${formatCount(send.failed)}/${formatCount(send.total)}`)},
		{title: 'Audience', min: 12, max: 30, shrink: 1, optional: true, gap: 2, cell: row => printable(isScheduled(row) ? row.scheduled.audience : row.audience)},
		{title: 'Subject', grow: true, min: 20, cell: row => printable(isScheduled(row) ? row.scheduled.draft.subject : row.subject)},
	];
	const currentSend = current && !isScheduled(current) ? current : undefined;
	const currentScheduled = current && isScheduled(current) ? current.scheduled : undefined;
	// The whole subject and audience of the send under the cursor, on two lines at most; for a
	// scheduled one, its time in full, or why it was not sent.
	const detail = currentSend
		? wrapLine(`${printable(currentSend.subject)} ${theme.symbols.separator} to ${printable(currentSend.audience)}`, Math.max(10, screenWidth - 2)).slice(0, 2)
		: currentScheduled
			? wrapLine(`${currentScheduled.state === 'scheduled' ? `At ${describeWhen(new Date(currentScheduled.at), services.schedule.now(), currentScheduled.zone)}` : `${currentScheduled.state}: ${printable(currentScheduled.reason ?? '')}`} ${theme.symbols.separator} to ${printable(currentScheduled.audience)}`, Math.max(10, screenWidth - 2)).slice(0, 2)
			: [];
	// Its delivery counts, whole: read for the one send under the cursor (sends.deliveries reads its outcome log).
	const currentId = tracked && currentSend && !currentSend.captured && currentSend.sent > 0 ? currentSend.id : undefined;
	const currentCounts = useMemo(() => {
		if (currentId === undefined) {
			return undefined;
		}

		try {
			return services.delivery().sends.deliveries(currentId).counts;
		} catch {
			return undefined;
		}
	}, [services, currentId, currentSend?.sent, currentSend?.reported]); // eslint-disable-line react-hooks/exhaustive-deps

	const waiting = scheduled.rows.filter(row => row.scheduled.state === 'scheduled').length;
	const status = [
		list.filter ? `${formatCount(count)} of ${plural(everyRow.length, 'send')}` : plural(sends.length, 'send'),
		waiting > 0 && !list.filter ? `${formatCount(waiting)} scheduled` : '',
		currentSend ? `${currentSend.id}${currentSend.captured ? ' (local capture)' : ''}${currentSend.followUpOf ? ` follows up ${currentSend.followUpOf}` : ''}` : '',
		currentScheduled ? `${currentScheduled.id}${currentScheduled.followUpOf ? ` follows up ${currentScheduled.followUpOf}` : ''}` : '',
	].filter(Boolean).join(` ${theme.symbols.separator} `);
	const damagedLine = scheduled.error ?? (scheduled.damaged > 0 ? `${plural(scheduled.damaged, 'scheduled send')} cannot be read: ${massmailCommand(services.demo)} scheduled names the files` : undefined);

	return (
		<Box flexDirection="column" flexGrow={1}>
			<Table
				view={view}
				columns={columns}
				measureOver={everyRow}
				empty={error ? <Text color={theme.error} wrap="wrap">{printable(error)}</Text> : everyRow.length === 0 ? (
					<Box flexDirection="column" paddingLeft={2}>
						<Text>Nothing sent yet.</Text>
						<Text color={theme.muted} wrap="wrap">Every send is kept here: when, who, what, each recipient&apos;s outcome.</Text>
					</Box>
				) : <Text color={theme.warning}>  No send matches &quot;{list.filter}&quot;.</Text>}
			/>
			{detail.length > 0 ? detail.map(line => <Text key={line} color={theme.muted} wrap="truncate-end">  {line}</Text>) : <Text> </Text>}
			{damagedLine ? <Text color={theme.error} wrap="truncate-end">  {printable(damagedLine)}</Text> : null}
			{currentSend && !currentSend.captured && currentSend.sent > 0 ? (
				<Box paddingLeft={2}>
					<DeliveryLine counts={currentCounts} status={tracking} width={screenWidth - 2} />
				</Box>
			) : null}
			<FilterLine list={list} status={status} />
		</Box>
	);
}
