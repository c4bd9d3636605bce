/** When a send ends: the counts, the failures with the server's words, and where the full record is. */
import {useMemo} from 'react';
import {Box, Text} from 'ink';
import {displayAddress} from '../../core/address.js';
import {relayCounts} from '../../core/report.js';
import {summaryKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {fit, formatCount, massmailCommand, printable} from '../components/text.js';
import type {RouteOf} from '../state/router.js';
import {sendEnd} from '../state/summary.js';

function scrollReducer(top: number, action: {delta: number; max: number}): number {
	return Math.max(0, Math.min(action.max, top + action.delta));
}

export function SummaryScreen({route}: {route: RouteOf<'summary'>}) {
	const {result} = route;
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns, bodyRows} = useLayout();

	// The record read once: the failures listed, and over several relays how many each took.
	const {failures, relays} = useMemo(() => {
		if (result.failed === 0 && result.relays === undefined) {
			return {failures: [], relays: undefined};
		}

		try {
			const records = services.delivery().sends.recipients(result.id);
			return {failures: records.filter(recipient => recipient.status === 'failed'), relays: relayCounts(records)};
		} catch {
			return {failures: [], relays: undefined};
		}
	}, [services, result]);
	// The address column as wide as the longest failed address (30 at most): the rest is the server's reply.
	const addressWidth = useMemo(() => failures.reduce((widest, failure) => Math.min(30, Math.max(widest, displayAddress(failure.address).length)), 0), [failures]);

	const end = sendEnd(result);
	const massmail = massmailCommand(services.demo);
	const notes: string[] = [...(relays === undefined ? [] : [`Relays: ${relays}`]), `Full record: ${massmail} show ${result.id}`];
	if (end.resumable) {
		notes.push(`Resume: ${massmail} resume ${result.id}`);
	}

	if (result.failed > 0) {
		notes.push(`Retry only the failed: ${massmail} retry ${result.id}`);
	}

	// The error wraps: up to three rows of it.
	const errorRows = route.error ? Math.min(3, Math.ceil(route.error.length / Math.max(1, columns - 2))) : 0;
	// The title wraps too (two rows at most): the subject is what a person checks here.
	const heading = `${route.title.replace(/^(Sent|Sending|Stopped): /, '')}${route.subject === undefined ? '' : `: "${printable(route.subject)}"`}`;
	const headingRows = Math.min(2, Math.max(1, Math.ceil(heading.length / Math.max(1, columns - 2))));
	const listRows = Math.max(1, bodyRows - 6 - headingRows - notes.length - errorRows);
	const max = Math.max(0, failures.length - listRows);
	const [top, scroll] = useScreenState('scroll', scrollReducer, () => 0);

	useScreenKeys(summaryKeys, {
		// A send started from History (a resume, a retry, a follow-up) comes back to History.
		done() {
			if (!navigation.backTo('history')) {
				navigation.home();
			}
		},
		up: failures.length > listRows ? () => scroll({delta: -1, max}) : undefined,
		down: failures.length > listRows ? () => scroll({delta: 1, max}) : undefined,
		quit: () => services.exit(end.exitStatus),
	});

	const pending = result.total - result.sent - result.failed;
	const statusColor = end.clean ? theme.success : result.stopped || route.error ? theme.error : theme.warning;
	return (
		<Box flexDirection="column" paddingX={1}>
			{/* The header may cut the title short: here it is whole (as far as the width goes). */}
			<Box height={headingRows}><Text bold wrap="wrap">{fit(heading, (columns - 2) * headingRows)}</Text></Box>
			<Text bold color={statusColor} wrap="wrap">
				{end.word}: {formatCount(result.sent)} of {formatCount(result.total)} sent
				{result.failed > 0 ? `, ${formatCount(result.failed)} failed` : ''}
				{pending > 0 ? `, ${formatCount(pending)} not sent` : ''}
				{end.resumable ? ' (it can be resumed)' : ''}
			</Text>
			<Text color={theme.muted} wrap="truncate-end">To {fit(printable(route.destination), columns - 6)}</Text>
			{route.error ? <Box height={errorRows}><Text color={theme.error} wrap="wrap">{printable(route.error)}</Text></Box> : null}
			<Text> </Text>
			{failures.length > 0 ? (
				<Box flexDirection="column">
					<Text bold color={theme.error}>Failures ({formatCount(failures.length)}), with the server{'\''}s reply</Text>
					<Box flexDirection="column" height={listRows}>
						{failures.slice(top, top + listRows).map(failure => (
							<Text key={failure.address} wrap="truncate-end">
								{'  '}
								<Text color={theme.error}>{theme.symbols.fail}</Text>
								{' '}
								{fit(displayAddress(failure.address), addressWidth, ' ')}
								{' '}
								<Text color={theme.muted}>{fit(printable(failure.response ?? 'no reply'), Math.max(0, columns - addressWidth - 8))}</Text>
							</Text>
						))}
					</Box>
				</Box>
			) : (
				<Box height={listRows + 1}>
					<Text color={end.clean ? theme.success : theme.muted}>
						{end.clean && result.sent > 0 ? `${theme.symbols.ok} Every message sent was accepted.` : ' '}
					</Text>
				</Box>
			)}
			{notes.map(note => <Text key={note} wrap="truncate-end">{note}</Text>)}
		</Box>
	);
}
