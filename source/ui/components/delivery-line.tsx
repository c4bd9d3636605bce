/**
 * A send's delivery counts (`Accepted 1,200 · Delivered 1,180 · Bounced 17 · Delayed 3`) and when
 * the bounce mailbox was last read (`reports read 12 s ago`, the failure in words, or that delivery
 * reports are not set up), wrapped to the width. The age counts on by itself, once a second.
 */
import {useEffect, useState} from 'react';
import {Box, Text} from 'ink';
import type {DeliveryCounts} from '../../core/journal/index.js';
import {deliveryLine} from '../../core/tracking/results.js';
import type {TrackingStatus} from '../tracking-service.js';
import {useTheme} from '../services.js';
import {formatAge, printable} from './text.js';

/** When the mailbox was last looked at, in words; '' before the first look. */
export function trackingWords(status: TrackingStatus, now: number, arrow: string): string {
	if (status.missing.length > 0) {
		return `delivery reports: not set up (Settings ${arrow} Delivery reports)`;
	}

	if (status.error !== undefined) {
		// The IMAP server's words may be in it.
		return `reports: ${printable(status.error)}`;
	}

	if (status.lastLookedAt === undefined) {
		return status.looking ? 'reading reports' : '';
	}

	const ago = Math.max(0, now - status.lastLookedAt);
	return `reports read ${ago < 60_000 ? `${Math.floor(ago / 1000)} s ago` : formatAge(ago)}`;
}

export function DeliveryLine({counts, status, width, prefix = ''}: {
	/** Undefined: only the tracking status. */
	counts?: DeliveryCounts;
	status: TrackingStatus;
	width: number;
	prefix?: string;
}) {
	const theme = useTheme();
	const [now, setNow] = useState(Date.now);
	const counting = status.lastLookedAt !== undefined && status.missing.length === 0;
	useEffect(() => {
		if (!counting) {
			return;
		}

		setNow(Date.now());
		const timer = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(timer);
	}, [counting, status.lastLookedAt]);

	const words = trackingWords(status, now, theme.symbols.arrowRight);
	// deliveryLine's middle dots are not ASCII.
	const line = counts ? `${prefix}${theme.symbols.unicode ? deliveryLine(counts) : deliveryLine(counts).replaceAll('\u00B7', '-')}` : '';
	if (line === '' && words === '') {
		return null;
	}

	const failed = status.error !== undefined && status.missing.length === 0;
	const separator = ` ${theme.symbols.separator} `;
	const wordsText = <Text color={failed ? theme.error : theme.muted}>{words}</Text>;
	// One line when both fit; else the status on a line of its own, never broken in the middle.
	if (line === '' || words === '' || line.length + separator.length + words.length <= width) {
		return (
			<Box width={Math.max(10, width)}>
				<Text wrap="wrap">
					{line}
					{line !== '' && words !== '' ? <Text color={theme.muted}>{separator}</Text> : null}
					{wordsText}
				</Text>
			</Box>
		);
	}

	return (
		<Box width={Math.max(10, width)} flexDirection="column">
			<Text wrap="wrap">{line}</Text>
			<Text wrap="wrap">{wordsText}</Text>
		</Box>
	);
}
