/** When a send ends: the counts, the failures with the server's words, and where the full record is. */
import {useMemo} from 'react';
import {Box, Text} from 'ink';
import {displayAddress} from '../../core/address.js';
import {summaryKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {fit, formatCount, printable} from '../components/text.js';
import type {RouteOf} from '../state/router.js';

const statusWords = {
	finished: 'Finished',
	interrupted: 'Stopped: it can be resumed',
	cancelled: 'Cancelled',
	running: 'Still running',
} as const;

function scrollReducer(top: number, action: {delta: number; max: number}): number {
	return Math.max(0, Math.min(action.max, top + action.delta));
}

export function SummaryScreen({route}: {route: RouteOf<'summary'>}) {
	const {result} = route;
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns, bodyRows} = useLayout();

	const failures = useMemo(() => {
		if (result.failed === 0) {
			return [];
		}

		try {
			return services.delivery().sends.recipients(result.id).filter(recipient => recipient.status === 'failed');
		} catch {
			return [];
		}
	}, [services, result]);

	const notes: string[] = [`Full record: massmail show ${result.id}`];
	if (result.status === 'interrupted') {
		notes.push(`Resume: massmail resume ${result.id}`);
	}

	if (result.failed > 0) {
		notes.push(`Retry only the failed: massmail retry ${result.id}`);
	}

	const listRows = Math.max(1, bodyRows - 7 - notes.length - (route.error ? 1 : 0));
	const max = Math.max(0, failures.length - listRows);
	const [top, scroll] = useScreenState('scroll', scrollReducer, () => 0);

	useScreenKeys(summaryKeys, {
		done: () => navigation.home(),
		up: failures.length > listRows ? () => scroll({delta: -1, max}) : undefined,
		down: failures.length > listRows ? () => scroll({delta: 1, max}) : undefined,
		quit: () => services.exit(result.failed > 0 ? 1 : result.status === 'interrupted' ? 130 : 0),
	});

	const pending = result.total - result.sent - result.failed;
	const statusColor = result.status === 'finished' && result.failed === 0 ? theme.success : theme.warning;
	return (
		<Box flexDirection="column" paddingX={1}>
			{/* The header may cut the title short: here it is whole (as far as the width goes). */}
			<Text bold wrap="truncate-end">{fit(`${route.title.replace(/^(Sent|Sending): /, '')}${route.subject === undefined ? '' : `: "${printable(route.subject)}"`}`, columns - 2)}</Text>
			<Text bold color={statusColor}>
				{statusWords[result.status]}: {formatCount(result.sent)} of {formatCount(result.total)} sent
				{result.failed > 0 ? `, ${formatCount(result.failed)} failed` : ''}
				{pending > 0 ? `, ${formatCount(pending)} not sent` : ''}
			</Text>
			<Text color={theme.muted} wrap="truncate-end">To {fit(route.destination, columns - 6)}</Text>
			{route.error ? <Text color={theme.error} wrap="truncate-end">{printable(route.error)}</Text> : null}
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
								{fit(displayAddress(failure.address), 30, ' ')}
								{' '}
								<Text color={theme.muted}>{fit(printable(failure.response ?? 'no reply'), Math.max(0, columns - 38))}</Text>
							</Text>
						))}
					</Box>
				</Box>
			) : (
				<Box height={listRows + 1}>
					<Text color={result.failed === 0 ? theme.success : theme.muted}>
						{result.failed === 0 && result.sent > 0 ? `${theme.symbols.ok} Every message sent was accepted.` : ' '}
					</Text>
				</Box>
			)}
			{notes.map(note => <Text key={note} wrap="truncate-end">{note}</Text>)}
		</Box>
	);
}
