/**
 * Sync: the directory from the mail server (directory.source). Reads the source whole (a busy
 * line; Esc stops the read), then shows what would change, per domain and per mailbox, BEFORE
 * anything is applied: Enter (or y) applies it all at once, Esc (or n) leaves the directory as it
 * is. A sync that removes many mailboxes or empties a domain says why in a warning and takes `y`
 * only. A failed read shows the source's own words; nothing is changed then.
 */
import {useEffect, useMemo, useRef, useState} from 'react';
import {Box, Text} from 'ink';
import {displayAddress} from '../../core/address.js';
import {configuredSourceLabel, describeChanges, describeFieldChanges, isUnchanged, type SyncChanges} from '../../core/sync.js';
import {syncKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useLayout, useServices, useStoreChanged, useTheme} from '../services.js';
import {fit, formatCount, printable, wrapLine} from '../components/text.js';
import type {SyncRead} from '../sync-service.js';
import type {RouteOf} from '../state/router.js';
import {errorLines} from './send-detail.js';

export type ChangeTone = 'summary' | 'added' | 'removed' | 'changed' | 'muted';

export interface ChangeLine {
	text: string;
	tone: ChangeTone;
}

/**
 * The changes as the screen lists them: the summary and each domain (describeChanges), then
 * each mailbox added (+), removed (-) and changed (~), up to `limit` of them.
 */
export function changeLines(changes: SyncChanges, options: {arrow: string; ellipsis: string; limit?: number}): ChangeLine[] {
	const [summary, ...domains] = describeChanges(changes, Number.MAX_SAFE_INTEGER);
	const lines: ChangeLine[] = [{text: summary, tone: 'summary'}, ...domains.map((text): ChangeLine => ({text, tone: 'muted'}))];
	if (isUnchanged(changes)) {
		return lines;
	}

	const limit = options.limit ?? 1000;
	const mailboxes: ChangeLine[] = [
		...changes.added.map((mailbox): ChangeLine => ({text: `+ ${displayAddress(mailbox.address)}${mailbox.name ? `  ${printable(mailbox.name)}` : ''}${mailbox.role === 'user' ? '' : ` (${mailbox.role})`}${mailbox.disabled ? ' (disabled)' : ''}`, tone: 'added'})),
		...changes.removed.map((mailbox): ChangeLine => ({text: `- ${displayAddress(mailbox.address)}`, tone: 'removed'})),
		...changes.changed.map((change): ChangeLine => ({text: `~ ${displayAddress(change.address)}: ${describeFieldChanges(change, options.arrow)}`, tone: 'changed'})),
	];
	lines.push({text: '', tone: 'muted'}, ...mailboxes.slice(0, limit));
	if (mailboxes.length > limit) {
		lines.push({text: `${options.ellipsis} and ${formatCount(mailboxes.length - limit)} more mailboxes`, tone: 'muted'});
	}

	return lines;
}

type Phase =
	| {kind: 'reading'}
	| {kind: 'planned'; read: SyncRead}
	| {kind: 'applied'; changes: SyncChanges}
	| {kind: 'failed'; lines: string[]; applying?: boolean};

function scrollTo(top: number, delta: number, max: number): number {
	return Math.max(0, Math.min(max, top + delta));
}

export function SyncScreen(_props: {route: RouteOf<'sync'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const storeChanged = useStoreChanged();
	const {columns, bodyRows} = useLayout();
	const [phase, setPhase] = useState<Phase>({kind: 'reading'});
	const [top, setTop] = useState(0);
	const [attempt, setAttempt] = useState(0);
	const reading = useRef<AbortController | undefined>(undefined);
	const label = useMemo(() => {
		try {
			return configuredSourceLabel(services.store.settings.get());
		} catch {
			return undefined;
		}
	}, [services, attempt]);

	// Apply: all at once under the directory's lock; the header and the domains follow.
	const apply = (read: SyncRead) => {
		try {
			const changes = services.sync.apply(read);
			storeChanged();
			setPhase({kind: 'applied', changes});
		} catch (error) {
			setPhase({kind: 'failed', lines: errorLines(error), applying: true});
		}

		setTop(0);
	};

	useEffect(() => {
		const controller = new AbortController();
		reading.current = controller;
		setPhase({kind: 'reading'});
		setTop(0);
		services.sync.read({signal: controller.signal}).then(read => {
			if (controller.signal.aborted) {
				return;
			}

			// Nothing to review: only the time of the sync is recorded.
			if (isUnchanged(read.changes)) {
				apply(read);
				return;
			}

			setPhase({kind: 'planned', read});
		}, (error: unknown) => {
			if (!controller.signal.aborted) {
				setPhase({kind: 'failed', lines: errorLines(error)});
			}
		}).finally(() => {
			if (reading.current === controller) {
				reading.current = undefined;
			}
		});
		return () => {
			controller.abort();
		};
		// Read once on show, and again on `r`.
	}, [services, attempt]);

	const arrow = theme.symbols.arrowRight;
	const lines = useMemo(() => {
		if (phase.kind === 'planned') {
			return changeLines(phase.read.changes, {arrow, ellipsis: theme.symbols.ellipsis});
		}

		if (phase.kind === 'applied') {
			return changeLines(phase.changes, {arrow, ellipsis: theme.symbols.ellipsis});
		}

		return [];
	}, [phase, arrow, theme.symbols.ellipsis]);

	const width = Math.max(20, columns - 2);
	// Long lines (the summary names the source) go on under themselves rather than being cut.
	const shownLines = useMemo(() => lines.flatMap(line => wrapLine(line.text, width).map((text, index) => ({text: index === 0 ? text : `  ${text}`, tone: line.tone}))), [lines, width]);
	const guard = phase.kind === 'planned' ? phase.read.changes.guard : [];
	const notes: Array<{text: string; color?: string; bold?: boolean}> = [];
	if (phase.kind === 'planned') {
		if (guard.length > 0) {
			const warning = `This sync needs a confirmation: ${guard.join('; ')}. A wrong query or filter looks like this.`;
			notes.push(...wrapLine(warning, width).map(text => ({text, color: theme.warning, bold: true})));
			notes.push({text: 'y applies it anyway, all at once; Esc or n changes nothing.'});
		} else {
			notes.push({text: 'Enter or y applies these changes, all at once; Esc or n changes nothing.'});
		}
	} else if (phase.kind === 'applied') {
		notes.push({text: `${theme.symbols.ok} Synced: the directory holds ${formatCount(phase.changes.total)} ${phase.changes.total === 1 ? 'mailbox' : 'mailboxes'} from ${phase.changes.source}.`, color: theme.success});
	}

	const height = Math.max(1, bodyRows - notes.length - 1);
	const max = Math.max(0, shownLines.length - height);
	const first = Math.min(top, max);
	const scroll = shownLines.length > height ? {
		up: () => setTop(scrollTo(first, -1, max)),
		down: () => setTop(scrollTo(first, 1, max)),
		'page-up': () => setTop(scrollTo(first, -height, max)),
		'page-down': () => setTop(scrollTo(first, height, max)),
	} : {};

	useScreenKeys(syncKeys, {
		...scroll,
		apply: phase.kind === 'planned' && guard.length === 0 ? () => apply(phase.read) : undefined,
		'apply-anyway': phase.kind === 'planned' && guard.length > 0 ? () => apply(phase.read) : undefined,
		again: phase.kind === 'failed' || phase.kind === 'planned' ? () => setAttempt(count => count + 1) : undefined,
		cancel: phase.kind === 'reading' ? () => {
			reading.current?.abort();
			navigation.back();
		} : undefined,
		back: phase.kind === 'planned' ? () => navigation.back() : undefined,
		close: phase.kind === 'failed' ? () => navigation.back() : undefined,
		done: phase.kind === 'applied' ? () => navigation.back() : undefined,
	});

	const toneColor = (tone: ChangeTone) => tone === 'added' ? theme.success : tone === 'removed' ? theme.error : tone === 'changed' ? theme.warning : tone === 'muted' ? theme.muted : undefined;

	if (phase.kind === 'reading') {
		return (
			<Box flexDirection="column" paddingX={1}>
				<Text color={theme.accent} wrap="truncate-end">{fit(`Reading the mailboxes from ${label ?? 'the source'}${theme.symbols.ellipsis}`, width)}</Text>
				<Text color={theme.muted}>Nothing changes until you have seen what would. Esc stops the read.</Text>
			</Box>
		);
	}

	if (phase.kind === 'failed') {
		const local = label === undefined && !phase.applying;
		return (
			<Box flexDirection="column" paddingX={1}>
				<Text bold color={theme.error} wrap="wrap">{phase.applying ? 'The sync was not applied' : (local ? 'There is no mail server to sync from' : `The mailboxes could not be read${label ? ` from ${label}` : ''}`)}</Text>
				{phase.lines.map((line, index) => <Text key={index} wrap="wrap">{printable(line)}</Text>)}
				<Text> </Text>
				<Text color={theme.muted} wrap="wrap">{local ? 'Choose the source in Settings (Directory source), then sync again.' : 'Nothing was changed. r reads again; Esc goes back.'}</Text>
			</Box>
		);
	}

	return (
		<Box flexDirection="column" paddingX={1} flexGrow={1}>
			<Box flexDirection="column" height={height}>
				{shownLines.slice(first, first + height).map((line, index) => (
					<Text key={first + index} color={toneColor(line.tone)} bold={line.tone === 'summary'} wrap="truncate-end">{fit(line.text, width) || ' '}</Text>
				))}
			</Box>
			{notes.map((note, index) => (
				<Text key={index} color={note.color} bold={note.bold} wrap="truncate-end">{fit(printable(note.text), width)}</Text>
			))}
			<Text color={theme.muted}>{shownLines.length > height ? fit(`${formatCount(first + 1)}-${formatCount(Math.min(shownLines.length, first + height))} of ${formatCount(shownLines.length)} lines; ${theme.symbols.unicode ? '↑/↓' : 'Up/Down'} scroll`, width) : ' '}</Text>
		</Box>
	);
}
