/**
 * A send under way: the bar, the counters, rate, elapsed and ETA, how the server limits the
 * send when it does (what it said, the pace found), the latest outcomes and the failures so
 * far. `p` pauses and resumes, `c` cancels (asks), Ctrl+C asks whether to stop. When the send
 * ends, the Summary takes its place.
 */
import {useEffect, useState} from 'react';
import {Box, Text} from 'ink';
import {displayAddress} from '../../core/address.js';
import {progressKeys, summaryKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useDeliveryProgress} from '../hooks/use-delivery.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {confirmDialog, useDialog} from '../components/dialog.js';
import {fit, formatCount, formatDuration, massmailCommand, printable} from '../components/text.js';
import {askToStopSend} from '../delivery-flow.js';
import {doneRatio, limitingLines, relayLeftLines, type OutcomeItem} from '../state/progress.js';
import type {RouteOf} from '../state/router.js';
import type {Symbols} from '../theme.js';

export function progressBar(ratio: number, width: number, symbols: Pick<Symbols, 'barFull' | 'barEmpty'>): string {
	const full = Math.round(Math.max(0, Math.min(1, ratio)) * width);
	return symbols.barFull.repeat(full) + symbols.barEmpty.repeat(width - full);
}

/**
 * The send the route names, held for the screen's life: the running one (services.session.active)
 * or, when it ended before this screen was drawn, the last one started.
 */
export function ProgressScreen({route}: {route: RouteOf<'progress'>}) {
	const services = useServices();
	const [active] = useState(() => [services.session.active, services.session.last].find(send => send?.delivery.id === route.sendId));
	if (!active) {
		return <NotRunning sendId={route.sendId} />;
	}

	return <RunningSend route={route} active={active} />;
}

/** Reached with no such send (a route restored after the dashboard restarted): say where its record is. */
function NotRunning({sendId}: {sendId: string}) {
	const theme = useTheme();
	const navigation = useNavigation();
	useScreenKeys(summaryKeys, {done: () => navigation.replace({screen: 'send-detail', sendId})});
	return (
		<Box paddingX={1}>
			<Text color={theme.warning} wrap="wrap">Send {sendId} is not running any more: History has its record.</Text>
		</Box>
	);
}

function RunningSend({route, active}: {route: RouteOf<'progress'>; active: NonNullable<ReturnType<typeof useServices>['session']['active']>}) {
	const {title} = route;
	const {delivery, done, backlog} = active;
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const dialog = useDialog();
	const {columns, bodyRows} = useLayout();
	const state = useDeliveryProgress(delivery, backlog);
	const {progress} = state;

	// When the send ends (finished, cancelled or stopped), its summary replaces this screen.
	useEffect(() => {
		let current = true;
		done.then(result => {
			if (current) {
				dialog.close();
				navigation.replace({
					screen: 'summary',
					result,
					destination: delivery.destination,
					title: title.replace(/^Sending: /, result.stopped ? 'Stopped: ' : 'Sent: '),
					subject: delivery.record.draft.subject,
					error: result.stopped ? [result.stopped.message, result.stopped.hint].filter(Boolean).join(' — ') : undefined,
				});
			}
		}, (error: unknown) => {
			if (current) {
				const now = delivery.progress();
				dialog.close();
				navigation.replace({
					screen: 'summary',
					result: {id: delivery.id, total: now.total, sent: now.sent, failed: now.failed, status: 'interrupted', runSent: now.sent},
					destination: delivery.destination,
					title,
					subject: delivery.record.draft.subject,
					error: error instanceof Error ? error.message : String(error),
				});
			}
		});
		return () => {
			current = false;
		};
		// Once per send: navigation and dialog change identity as screens move.
	}, [done]);

	const cancel = () => {
		// No message starts while the question is open: its counts hold, and nobody more gets
		// the message while a person decides to stop it. Keep sending goes on as it was.
		const pausedHere = delivery.pause();
		const now = delivery.progress();
		dialog.open(confirmDialog({
			title: 'Cancel this send?',
			lines: [
				`Paused while you answer: no new message starts${pausedHere ? ' (those in flight finish)' : ''}.`,
				`${formatCount(now.sent)} sent so far stay sent; the other ${formatCount(now.remaining)} are not sent unless the send is resumed.`,
				`The record keeps every outcome: ${massmailCommand(services.demo)} show ${delivery.id}`,
			],
			yes: 'Cancel the send',
			no: 'Keep sending',
			tone: 'warning',
			onYes: () => delivery.cancel(),
			onNo() {
				if (pausedHere) {
					delivery.resume();
				}
			},
		}));
	};

	useScreenKeys(progressKeys, {
		pause: state.state === 'running' ? () => delivery.pause() : undefined,
		resume: state.state === 'paused' ? () => delivery.resume() : undefined,
		cancel: state.state === 'cancelling' || state.state === 'stopping' ? undefined : cancel,
		interrupt: () => askToStopSend(dialog, services),
	});

	const ratio = doneRatio(progress);
	const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
	const barWidth = Math.max(10, columns - 30);
	// Between a limiting server's windows nothing moves: the state says who holds the send.
	const held = state.state === 'running' && progress.limiting?.holding === true;
	const limits = [...relayLeftLines(state.relaysLeft, columns - 2), ...limitingLines(progress, columns - 2) ?? []];
	const gap = columns >= 70 ? '   ' : '  ';
	const rateText = `Rate ${progress.rate.toFixed(1)}/s`;
	const elapsedText = `Elapsed ${formatDuration(progress.elapsedMs)}`;
	// Paused, the rate decays and an ETA from it would only grow: none is given until it goes on.
	const etaText = `ETA ${progress.etaMs === null || state.state === 'paused' ? '--:--' : formatDuration(progress.etaMs)}`;
	const heldText = [rateText, elapsedText, etaText, 'held by the server'].join(gap).length <= columns - 2 ? 'held by the server' : 'held';
	const stateText = state.state === 'paused' ? 'PAUSED' : state.state === 'cancelling' || state.state === 'stopping' ? `${state.state}${theme.symbols.ellipsis}` : held ? heldText : 'sending';
	// The address column is as wide as the longest address shown (at most half the width): the
	// server's reply, with its queue ID, gets the rest.
	const addressWidth = Math.min(Math.floor(columns / 2), Math.max(12, ...[...state.latest, ...state.failures].map(item => displayAddress(item.address).length)));
	const outcomeRow = (item: OutcomeItem, key: string) => {
		const symbol = item.status === 'sent' ? theme.symbols.ok : item.status === 'failed' ? theme.symbols.fail : theme.symbols.deferred;
		const color = item.status === 'sent' ? theme.success : item.status === 'failed' ? theme.error : theme.warning;
		const address = fit(displayAddress(item.address), addressWidth, ' ');
		// The symbol (✓, ✗) in a text of its own: Ink measures each text's width at each frame,
		// and one character outside ASCII in a row made the whole row take string-width's slow
		// path (a grapheme at a time: ~300 µs a row against ~5), most of a frame's CPU.
		return (
			<Box key={key}>
				<Text color={color}>{'   '}{symbol}</Text>
				<Text wrap="truncate-end">
					{' '}
					{address}
					{' '}
					<Text color={theme.muted}>{fit(printable(item.response), Math.max(0, columns - addressWidth - 8))}</Text>
				</Text>
			</Box>
		);
	};

	// 7 fixed rows and the server's limits, then the latest outcomes and the failures share what is left.
	const room = Math.max(2, bodyRows - 8 - limits.length);
	const failureRows = state.failureCount > 0 ? Math.min(state.failures.length, Math.max(1, Math.floor(room / 2))) : 0;
	const latestRows = Math.max(1, room - failureRows - (failureRows > 0 ? 1 : 0));

	return (
		<Box flexDirection="column" paddingX={1}>
			<Text bold wrap="truncate-end">{fit(`${title.replace(/^Sending: /, '')}: "${printable(delivery.record.draft.subject)}"`, columns - 2)}</Text>
			{/* The bar apart from the counts that follow it, for the same reason as an outcome's symbol (below). */}
			<Box>
				<Text color={theme.accent}>{progressBar(ratio, barWidth, theme.symbols)}</Text>
				<Text>
					<Text bold> {percent}</Text>
					<Text color={theme.muted}>  {formatCount(progress.sent + progress.failed)} of {formatCount(progress.total)}</Text>
				</Text>
			</Box>
			<Text>
				<Text color={theme.success}>Sent {formatCount(progress.sent)}</Text>
				{'   '}
				<Text color={progress.failed > 0 ? theme.error : undefined}>Failed {formatCount(progress.failed)}</Text>
				{'   '}
				<Text color={progress.deferred > 0 ? theme.warning : undefined}>Deferred {formatCount(progress.deferred)}</Text>
				{'   '}
				{/* The core's remaining counts the deferred too: shown apart, the four add up to the total. */}
				<Text>Remaining {formatCount(Math.max(0, progress.remaining - progress.deferred))}</Text>
			</Text>
			<Text wrap="truncate-end">
				<Text>{rateText}</Text>
				{gap}
				<Text>{elapsedText}</Text>
				{gap}
				<Text>{etaText}</Text>
				{gap}
				<Text bold inverse={state.state === 'paused'} color={state.state === 'running' && !held ? theme.accent : theme.warning}>{stateText}</Text>
			</Text>
			{limits.map((line, index) => (
				<Text key={`limits-${index}`} color={index <= state.relaysLeft.length ? theme.warning : theme.muted}>{line}</Text>
			))}
			<Text color={theme.muted} wrap="truncate-end">
				Send {delivery.id} to {fit(delivery.destination, Math.max(10, columns - delivery.id.length - 12))}
			</Text>
			<Text> </Text>
			<Text bold>Latest</Text>
			<Box flexDirection="column" height={latestRows}>
				{state.latest.length === 0
					? <Text color={theme.muted}>   waiting for the first reply{theme.symbols.ellipsis}</Text>
					: state.latest.slice(0, latestRows).map((item, index) => outcomeRow(item, `latest-${index}`))}
			</Box>
			{failureRows > 0 ? (
				<Box flexDirection="column">
					<Text bold color={theme.error}>Failures ({formatCount(state.failureCount)})</Text>
					{state.failures.slice(0, failureRows).map((item, index) => outcomeRow(item, `failure-${index}`))}
				</Box>
			) : null}
		</Box>
	);
}
