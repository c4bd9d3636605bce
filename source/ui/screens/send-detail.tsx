/**
 * One send: its counts, and each recipient's outcome, attempts, delivery (what the delivery
 * reports say after the server accepted it: delivered, bounced, delayed, or accepted while none
 * came) and the server's reply (filter with `/`, `f` for the failed ones only). While it shows,
 * the bounce mailbox is read in the background (services.tracking) and the page says when. From here: resume an interrupted send,
 * retry the failed recipients (both with live progress), send a reminder threaded under it,
 * export the report, and read the captured mail.
 */
import {describeOperator} from '../../core/operator.js';
import {useEffect, useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import {describeTarget, resolveSmtpTarget} from '../../core/smtp-config.js';
import type {DeliveriesRead, Delivery, RecipientRecord, SendListing} from '../../core/journal.js';
import {isMassmailError} from '../../core/errors.js';
import {reportFileExists, reportFormatOf, reportPath} from '../../core/report.js';
import {command, formatKey, formatKeys, sendDetailKeys, typedConfirmKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {usePolledRead} from '../hooks/use-polled-read.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useListView} from '../hooks/use-list.js';
import {initialListState, listReducer} from '../state/list.js';
import {deliveryCell, deliveryNote, formatWhen, reminderSubject, sendActions, shownRecipients} from '../state/history-state.js';
import {useDeliveryTracking} from '../hooks/use-tracking.js';
import {DeliveryLine} from '../components/delivery-line.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {confirmDialog, messageDialog, useDialog} from '../components/dialog.js';
import {formatCount, massmailCommand, plural, printable, wrapLine} from '../components/text.js';
import {Table, useColumnWidths, type Column} from '../components/table.js';
import {FilterLine} from '../components/filter-line.js';
import {startDelivery} from '../delivery-flow.js';
import type {RouteOf} from '../state/router.js';

/** A recipient's row: its outcome, and its delivery from the reports (null: neither sent nor reported on). */
type RecipientRow = RecipientRecord & {delivery: Delivery | null};

interface Loaded {
	summary?: SendListing;
	recipients: RecipientRow[];
	counts?: DeliveriesRead['counts'];
	/** Some report was folded into this send. */
	reported?: boolean;
	error?: string;
}

/** The message of an error with its hint, as dialog lines. */
export function errorLines(error: unknown): string[] {
	const lines = [(error as Error).message];
	if (isMassmailError(error)) {
		lines.push(...error.details.slice(0, 12));
		if (error.hint) {
			lines.push(error.hint);
		}
	}

	return lines;
}

function useSend(sendId: string): Loaded & {reload: () => void} {
	const services = useServices();
	const [state, reload] = usePolledRead((): Loaded => {
		try {
			// inspect reads a damaged record as far as it can, and says what is damaged.
			const {sends} = services.delivery();
			const {summary, recipients} = sends.inspect(sendId);
			// Damaged report lines are skipped: the counts are what can be read.
			const {recipients: deliveries, counts, lastFoldedAt} = sends.deliveries(sendId);
			return {summary, recipients: recipients.map((recipient, index) => ({...recipient, delivery: deliveries[index] ?? null})), counts, reported: lastFoldedAt !== null};
		} catch (error) {
			return {recipients: [], error: (error as Error).message};
		}
	}, loaded => loaded.summary?.status === 'running', sendId);
	return {...state, reload};
}

/** Where a resume or retry would send now, for its question (the settings may have changed since the send). */
function destinationNow(services: ReturnType<typeof useServices>): string {
	try {
		return describeTarget(resolveSmtpTarget(services.store.settings.get(), services.env));
	} catch (error) {
		return (error as Error).message;
	}
}

export function SendDetailScreen({route}: {route: RouteOf<'send-detail'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const dialog = useDialog();
	const {summary, recipients, counts, reported, error, reload} = useSend(route.sendId);
	// Delivery reports are read for a send that went to a server (local capture has none).
	const sentToServer = summary !== undefined && !summary.captured;
	const tracking = useDeliveryTracking(sentToServer ? {sendId: route.sendId} : false);
	// The delivery column and counts once reports can come (set up) or came (folded by massmail track):
	// without either, every recipient would only say `accepted`.
	const tracked = sentToServer && (reported === true || tracking.missing.length === 0);
	// Each look at the bounce mailbox may have added reports: read the record again.
	useEffect(() => {
		if (tracking.edition > 0) {
			reload();
		}
	}, [tracking.edition]); // eslint-disable-line react-hooks/exhaustive-deps
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
	const [failedOnly, toggleFailedOnly] = useScreenState('failed-only', (state: boolean, _action: 'toggle') => !state, () => false);
	const [busy, setBusy] = useState<string | undefined>(undefined);
	const rows = useMemo(() => shownRecipients(recipients, list.filter, failedOnly), [recipients, list.filter, failedOnly]);
	const view = useListView(list, dispatch, rows);
	const {pageSize, count, current, moves} = view;
	const {columns: screenWidth} = useLayout();

	const actions = summary ? sendActions(summary) : new Set();
	const canRun = busy === undefined;

	// Sending again is mass mail too: the count and the server first, and a yes.
	const run = (only: 'unfinished' | 'failed') => {
		if (services.session.active) {
			dialog.open(messageDialog({title: 'A send is already running', lines: ['Wait for it to end (or stop it) before starting another.']}));
			return;
		}

		const count = recipients.filter(recipient => only === 'failed' ? recipient.status === 'failed' : recipient.status === 'pending' && recipient.unreadable === undefined).length;
		// Above delivery.confirmThreshold only y answers, as Review's Send: a reflexive Enter does not start a mass send again.
		const many = count > services.store.settings.get().delivery.confirmThreshold;
		dialog.open(confirmDialog({
			title: only === 'failed' ? `Retry ${plural(count, 'failed recipient')}?` : `Resume: send to the ${plural(count, 'recipient')} not sent yet?`,
			lines: [
				`Subject: ${printable(summary?.subject ?? '')}`,
				`Goes to: ${destinationNow(services)}`,
				only === 'failed' ? 'Each gets a fresh set of attempts.' : 'Nobody whose message was accepted is sent it again.',
				...(many ? [`${formatKeys(command(typedConfirmKeys, 'yes'), theme.symbols)} ${only === 'failed' ? 'retries' : 'resumes'}; ${formatKey('enter', theme.symbols)} does not answer this question.`] : []),
			],
			yes: only === 'failed' ? 'Retry' : 'Resume',
			no: 'Not now',
			tone: many ? 'warning' : undefined,
			typedYes: many,
			onYes: () => {
				start(only);
			},
		}));
	};

	const start = (only: 'unfinished' | 'failed') => {

		setBusy(`${only === 'failed' ? 'Connecting to retry the failed recipients' : 'Connecting to resume the send'}${theme.symbols.ellipsis}`);
		const what = only === 'failed' ? 'Retry' : 'Resume';
		services.sends.reopen(route.sendId, only).then(
			delivery => {
				setBusy(undefined);
				startDelivery(services, navigation, delivery, `${what}: ${summary?.subject ?? route.sendId}`);
			},
			(failure: unknown) => {
				setBusy(undefined);
				reload();
				dialog.open(messageDialog({title: only === 'failed' ? 'Cannot retry this send' : 'Cannot resume this send', lines: errorLines(failure)}));
			},
		);
	};

	const exportReport = () => {
		if (!summary) {
			return;
		}

		const write = (file: string) => {
			try {
				const written = services.sends.writeReport(file, summary, recipients);
				dialog.open(messageDialog({
					title: 'Report written',
					tone: 'normal',
					lines: [`${plural(recipients.length, 'recipient')} as ${reportFormatOf(file).toUpperCase()} in ${written}`],
				}));
			} catch (failure) {
				dialog.open(messageDialog({title: 'The report was not written', lines: errorLines(failure)}));
			}
		};

		dialog.open({
			kind: 'prompt',
			title: `Export the report of ${summary.id}`,
			lines: [
				`Every recipient (${formatCount(recipients.length)}): address, status, attempts, server reply, Message-ID.`,
				`CSV, or JSON when the name ends in .json. Relative to ${process.cwd()}.`,
			],
			label: 'File',
			initial: `massmail-${summary.id}.csv`,
			validate(text) {
				try {
					reportPath(text, services.env);
					return undefined;
				} catch (failure) {
					return (failure as Error).message;
				}
			},
			onSubmit(text) {
				const file = reportPath(text, services.env);
				if (reportFileExists(file)) {
					dialog.open(confirmDialog({
						title: `${file} exists. Replace it?`,
						tone: 'warning',
						yes: 'Replace',
						no: 'Keep it',
						onYes: () => write(file),
					}));
					return;
				}

				write(file);
			},
		});
	};

	const deliveryColor = ({delivery}: RecipientRow) => delivery?.state === 'bounced' ? theme.error : delivery?.state === 'delayed' ? theme.warning : delivery?.state === 'delivered' ? theme.success : undefined;
	const statusColor = (recipient: RecipientRecord) => recipient.status === 'failed' ? theme.error : recipient.status === 'pending' ? theme.warning : undefined;
	// The server's reply takes what is left: its queue ID is what an administrator looks up in the mail log.
	const columns: Array<Column<RecipientRow>> = [
		{title: 'Recipient', min: 16, max: 40, shrink: 1, cell: recipient => recipient.unreadable === 'address' ? '(address unreadable)' : recipient.address},
		// Ambiguous (?): a connection dropped after the message went, so the server may have it too.
		{title: 'Status', cell: recipient => recipient.status + (recipient.ambiguous ? '?' : ''), color: statusColor},
		{title: 'Tries', align: 'right', cell: recipient => String(recipient.attempts)},
		// What came after the server's 250: `bounced 5.2.2`, `delivered`, `delayed`, `accepted` (no report yet).
		...(tracked ? [{title: 'Delivery', cell: (recipient: RecipientRow) => deliveryCell(recipient.delivery), color: deliveryColor}] : []),
		{title: 'Server reply', grow: true, min: 12, cell(recipient) {
			const notes = [recipient.ambiguous ? 'ambiguous' : '', recipient.unreadable ? `unreadable ${recipient.unreadable}` : ''].filter(Boolean).join(', ');
			return `${notes ? `(${notes}) ` : ''}${printable(recipient.response ?? '')}`;
		}},
	];
	const widths = useColumnWidths(view, columns, recipients);
	// Under the table, for the recipient under the cursor: the delivery report's words whole when
	// there are some (a bounce's Diagnostic-Code), else a reply longer than its column.
	const replyColumn = columns.length - 1;
	const currentReply = current ? columns[replyColumn].cell(current, Number.POSITIVE_INFINITY) : '';
	const note = current ? deliveryNote(current.delivery) : undefined;
	const underLine = note === undefined ? (currentReply.length > widths[replyColumn] ? currentReply : undefined) : printable(note);
	// A bounce's words are what an administrator acts on: up to five lines of them (a reply, three).
	const replyLines = underLine === undefined ? [] : wrapLine(`${current?.address ?? ''}: ${underLine}`, Math.max(10, screenWidth - 4)).slice(0, note === undefined ? 3 : 5);

	useScreenKeys(sendDetailKeys, {
		...moves,
		filter: recipients.length > 0 ? () => dispatch({type: 'start-filter'}) : undefined,
		'failed-only': summary && (summary.failed > 0 || failedOnly) ? () => toggleFailedOnly('toggle') : undefined,
		resume: canRun && actions.has('resume') ? () => run('unfinished') : undefined,
		retry: canRun && actions.has('retry') ? () => run('failed') : undefined,
		remind: summary && actions.has('remind') ? () => navigation.push({
			screen: 'send-reminder',
			preset: {group: {kind: 'send', sendId: summary.id}, subject: reminderSubject(summary.subject), followUpOf: summary.id},
		}) : undefined,
		export: summary ? exportReport : undefined,
		captured: actions.has('captured') ? () => navigation.push({screen: 'captured', sendId: route.sendId}) : undefined,
		reload() {
			reload();
			services.tracking.lookNow();
		},
		back: () => list.filter === '' ? navigation.back() : dispatch({type: 'clear-filter'}),
	}, {isActive: !list.filtering});

	if (!summary) {
		return (
			<Box flexDirection="column" paddingX={1}>
				<Text color={theme.error} wrap="wrap">{printable(error ?? `No send ${route.sendId}`)}</Text>
			</Box>
		);
	}

	const pending = summary.total - summary.sent - summary.failed;
	const statusText = summary.status === 'interrupted' && pending > 0
		? `interrupted, ${formatCount(pending)} not sent yet`
		: summary.status;

	const status = [
		failedOnly ? `${formatCount(count)} failed of ${formatCount(recipients.length)}` : list.filter ? `${formatCount(count)} of ${plural(recipients.length, 'recipient')}` : plural(recipients.length, 'recipient'),
		count > pageSize ? `${formatCount(list.cursor + 1)}/${formatCount(count)}` : '',
		busy ?? '',
	].filter(Boolean).join(` ${theme.symbols.separator} `);

	return (
		<Box flexDirection="column" flexGrow={1}>
			<Text wrap="truncate-end">
				<Text bold>{summary.kind === 'reminder' ? 'Reminder' : 'Email'} {summary.id}</Text>
				<Text color={theme.muted}> {formatWhen(summary.createdAt)} {theme.symbols.separator} </Text>
				<Text bold color={summary.status === 'finished' ? theme.success : theme.warning}>{statusText}</Text>
			</Text>
			<Text wrap="wrap">Subject: {printable(summary.subject)}</Text>
			<Text wrap="truncate-end">By: {printable(describeOperator(summary.operator))}</Text>
			<Text wrap="wrap">
				To: {printable(summary.audience)}{summary.followUpOf ? ` (follows up ${summary.followUpOf})` : ''} {theme.symbols.separator} Sent {formatCount(summary.sent)}, failed {formatCount(summary.failed)}, of {formatCount(summary.total)}{summary.captured ? ' (local capture)' : ''}
			</Text>
			{sentToServer && summary.sent > 0 ? (
				<DeliveryLine counts={tracked && counts ? counts : undefined} status={tracking} width={screenWidth - 2} />
			) : null}
			{summary.damaged ? (
				<Text color={theme.error} wrap="wrap">
					Record damaged: {summary.damaged}. Resume, retry and reminders refuse: {massmailCommand(services.demo)} resume {summary.id} --unreadable skip|send
				</Text>
			) : null}
			<Table
				view={view}
				columns={columns}
				widths={widths}
				empty={<Text color={theme.muted}>  {failedOnly ? 'No failed recipient matches.' : list.filter ? `No recipient matches "${list.filter}".` : 'No recipients.'}</Text>}
			/>
			{replyLines.map(line => <Text key={line} color={note === undefined ? theme.muted : deliveryColor(current!) ?? theme.muted} wrap="truncate-end">  {line}</Text>)}
			<FilterLine list={list} status={status} />
		</Box>
	);
}
