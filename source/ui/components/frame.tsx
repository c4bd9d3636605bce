import {useEffect, useState, useSyncExternalStore} from 'react';
import {Box, Text} from 'ink';
import {shortTime} from '../../core/schedule/listing.js';
import {captureName} from '../../core/smtp-config.js';
import {formatKeys, type KeyBinding} from '../key-bindings.js';
import {useFooterBindings} from '../hooks/use-keys.js';
import type {ScheduleStatus} from '../schedule-service.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {fit, formatAge, formatCount, printable} from './text.js';

/** Where the directory comes from, when a source is set (directory.source other than local). */
export interface DirectoryOriginInfo {
	/** `12 mailboxes` */
	size: string;
	/** The source it was synced from (or, never synced, the configured one): `ldap://127.0.0.1:3890`. */
	label: string;
	/** When it was synced (ISO time); undefined: never. */
	syncedAt?: string;
	/** Whether it is older than directory.maxAge at this time (a send then syncs first). */
	isStale: (now: number) => boolean;
}

export interface HeaderProps {
	title: string;
	/** `5,000 domains, 100,000 mailboxes` */
	directory: string;
	/** With a source: shown instead of `directory`, as `12 mailboxes from ldap://… · synced 3 min ago`. */
	origin?: DirectoryOriginInfo;
	/** Where mail goes; shown on every screen. */
	destination: string;
	/** The destination could not be worked out (bad settings): shown as an error. */
	destinationError?: boolean;
	demo: boolean;
}

/** The time now, again every `everyMs` (the header's "synced 3 min ago" moves on by itself). */
function useNow(everyMs: number, active: boolean): number {
	const [now, setNow] = useState(() => Date.now());
	useEffect(() => {
		if (!active) {
			return undefined;
		}

		setNow(Date.now());
		const timer = setInterval(() => setNow(Date.now()), everyMs);
		return () => {
			clearInterval(timer);
		};
	}, [everyMs, active]);
	return now;
}

/** The narrowest the source's label is cut to before the directory's size goes (and then the title gives way). */
const minimumLabel = 16;

/**
 * The header's right-hand text with a source: `12 mailboxes from LABEL · synced 3 min ago`, in
 * `room` columns or fewer. The label is cut first, then the size goes; the age never.
 */
export function originText(origin: DirectoryOriginInfo, now: number, room: number, unicode: boolean): {size: string; label: string; age: string} {
	const dot = unicode ? ' · ' : ', ';
	const age = origin.syncedAt === undefined ? `${dot}never synced` : `${dot}synced ${formatAge(now - Date.parse(origin.syncedAt))}`;
	let size = `${origin.size} from `;
	if (room - size.length - age.length < minimumLabel) {
		size = 'from ';
	}

	const labelRoom = Math.max(Math.min(minimumLabel, origin.label.length), room - size.length - age.length);
	if (size.length + labelRoom + age.length > room) {
		// Not even room for the label cut short: how old it is, which a send depends on.
		return {size: '', label: '', age: age.slice(dot.length)};
	}

	return {size, label: fit(origin.label, labelRoom), age};
}

/** The directory's size in `room` columns: whole (`4 domains, 20 mailboxes`), else its last part (`20 mailboxes`), else nothing. */
export function directoryText(directory: string, room: number): string {
	if (directory.length <= room) {
		return directory;
	}

	const last = directory.slice(directory.lastIndexOf(', ') + 2);
	return last.length <= room ? last : '';
}

/** A title's first part, up to `: `, when it has more: `Finished with failures` of `Finished with failures: Email to All Users`. */
function leadOf(title: string): string | undefined {
	const colon = title.indexOf(': ');
	return colon === -1 ? undefined : title.slice(0, colon);
}

/**
 * How much of the header's row the title takes before the directory's text: its first 32
 * columns (`Users of example.com` whole); a title in two parts (`Finished with failures: Email
 * to All Users…`, a Summary's) its whole first part and a start of the rest — the outcome of a
 * send is read whole, what was sent follows as far as it goes (whole on the Summary's first line).
 */
export function titleRoom(prefix: string, title: string): number {
	const lead = leadOf(title);
	return Math.min(prefix.length + title.length, Math.max(32, lead === undefined ? 0 : prefix.length + lead.length + 12));
}

/** How often the header reads the scheduled sends again (a run-due elsewhere starts or refuses one); the timer is not asked then. */
const scheduleLookMs = 30_000;

/** The scheduled sends as the header shows them, read again every half minute and after a change made here. */
function useScheduleStatus(): ScheduleStatus {
	const services = useServices();
	const status = useSyncExternalStore(services.schedule.subscribe, services.schedule.status);
	useEffect(() => {
		const timer = setInterval(() => services.schedule.refresh(), scheduleLookMs);
		return () => {
			clearInterval(timer);
		};
	}, [services]);
	return status;
}

/** The part of the destination kept whole before the next scheduled send gives up its subject: the server (`mail.example.com:587`), not how TLS is used. */
function destinationCore(destination: string): number {
	const cut = destination.indexOf(' (');
	// Its last character may give way to the ellipsis.
	return cut === -1 ? destination.length : cut + 1;
}

/**
 * The least the destination is cut to before the next send loses its time: a server's name to 12
 * columns, but `local capture` whole (the words that say nothing leaves the machine).
 */
function destinationFloor(destination: string): number {
	return destination.startsWith(captureName) ? Math.min(destination.length, captureName.length + 1) : Math.min(12, destinationCore(destination));
}

/**
 * The next scheduled send in `room` columns or fewer: `next: Sat 18:00 Reminder: maintenance ·
 * 1,204`, and ` (no timer)` when no timer runs it. The subject is cut first, then it goes, then
 * the count; the time and the warning stay while they fit at all.
 */
export function nextScheduledText(parts: {time: string; subject: string; count: number; noTimer: boolean}, room: number, unicode: boolean): {text: string; warning: string} {
	const dot = unicode ? ' · ' : ', ';
	const warning = parts.noTimer ? ' (no timer)' : '';
	const base = `next: ${parts.time}`;
	const count = `${dot}${formatCount(parts.count)}`;
	const subjectRoom = room - base.length - 1 - count.length - warning.length;
	if (subjectRoom >= Math.min(8, parts.subject.length)) {
		return {text: `${base} ${fit(parts.subject, subjectRoom)}${count}`, warning};
	}

	if (base.length + count.length + warning.length <= room) {
		return {text: `${base}${count}`, warning};
	}

	if (base.length + warning.length <= room) {
		return {text: base, warning};
	}

	return warning.length <= room ? {text: '', warning: warning.trimStart()} : {text: '', warning: ''};
}

/** Two rows: the screen's title, the directory size (or where it comes from and its age; and the demo badge); where mail goes. */
export function Header({title: titleGiven, directory, origin: originGiven, destination: destinationGiven, destinationError, demo}: HeaderProps) {
	const services = useServices();
	const schedule = useScheduleStatus();
	// A subject, a source's address, a server's name: shown, never obeyed by the terminal.
	const title = printable(titleGiven);
	const origin = originGiven ? {...originGiven, label: printable(originGiven.label)} : undefined;
	const destination = printable(destinationGiven);
	const theme = useTheme();
	const {columns} = useLayout();
	const now = useNow(15_000, origin?.syncedAt !== undefined);
	const badge = demo ? ' DEMO ' : '';
	const prefix = ` massmail ${theme.symbols.separator} `;
	const left = prefix + title;
	// The title takes what titleRoom says; the rest of the row is the directory's.
	// Two spaces at least between them: `Retry finished with failures 20 mailboxes` read as one phrase.
	const rightRoom = columns - badge.length - 3 - titleRoom(prefix, title);
	const shownOrigin = origin ? originText(origin, now, rightRoom, theme.symbols.unicode) : undefined;
	const right = shownOrigin ? `${shownOrigin.size}${shownOrigin.label}${shownOrigin.age} ` : `${directoryText(directory, rightRoom)} `;
	const stale = origin ? origin.syncedAt === undefined || origin.isStale(now) : false;
	const room = Math.max(10, columns - right.length - badge.length - 2);
	// A title in two parts that does not fit shows its first part whole, and then only more than a few letters of the rest (not `: Em…`).
	const lead = leadOf(title);
	const shownTitle = left.length > room && lead !== undefined && room >= prefix.length + lead.length && room < prefix.length + lead.length + 10
		? prefix + lead
		: fit(left, room);
	// The second row: where mail goes, and the next scheduled send on its right. The destination
	// is cut down to its server (host:port) before the subject is cut; the time stays.
	const mailGoesTo = ' Mail goes to: ';
	const nextParts = schedule.next === undefined ? undefined : {
		time: shortTime(new Date(schedule.next.at), schedule.next.zone, services.schedule.now()),
		subject: printable(schedule.next.draft.subject),
		count: schedule.next.count,
		noTimer: schedule.noTimer !== undefined,
	};
	const nextIn = (destinationRoom: number) => nextParts && nextScheduledText(nextParts, columns - mailGoesTo.length - destinationRoom - 3, theme.symbols.unicode);
	// Narrow: the server's name is cut too (to 12 columns) rather than lose the time; `local capture` never is.
	const next = nextIn(destinationCore(destination))?.text === '' ? nextIn(destinationFloor(destination)) : nextIn(destinationCore(destination));
	const nextWidth = next === undefined ? 0 : next.text.length + next.warning.length + 3;
	return (
		<Box flexDirection="column" width={columns} flexShrink={0}>
			<Box>
				<Text bold color={theme.accent}>{shownTitle}</Text>
				<Box flexGrow={1} />
				{shownOrigin ? (
					<Text color={theme.muted}>
						{shownOrigin.size}{shownOrigin.label}
						<Text color={stale ? theme.warning : undefined}>{shownOrigin.age}</Text>
						{' '}
					</Text>
				) : <Text color={theme.muted}>{right}</Text>}
				{demo ? <Text inverse bold color={theme.warning}>{badge}</Text> : null}
			</Box>
			<Box>
				<Text wrap="truncate-end">
					<Text color={theme.muted}>{mailGoesTo}</Text>
					<Text bold color={destinationError ? theme.error : theme.success}>{fit(destination, Math.max(1, columns - mailGoesTo.length - nextWidth))}</Text>
				</Text>
				<Box flexGrow={1} />
				{next ? (
					<Text>
						<Text color={theme.muted}>{next.text}</Text>
						<Text color={theme.warning}>{next.warning}</Text>
						{' '}
					</Text>
				) : null}
			</Box>
		</Box>
	);
}

/**
 * Lays out as many `key Label` pairs as fit the width, in the table's order, the help (`?`, or F1
 * while typing) always last; three spaces between them, or two when that makes one more fit. The
 * way out (the first binding on Esc) is always shown, in its place or else just before the help:
 * a screen's many commands never hide how to leave it.
 */
export function footerText(bindings: readonly KeyBinding[], columns: number, unicode: boolean): string {
	const text = (binding: KeyBinding) => `${formatKeys(binding, {unicode})} ${binding.label}`;
	const isHelp = (binding: KeyBinding) => binding.id === 'help' || binding.id === 'help-anywhere';
	const helpBinding = bindings.find(binding => isHelp(binding));
	const help = helpBinding ? text(helpBinding) : undefined;
	const others = bindings.filter(binding => !isHelp(binding));
	const wayOut = others.find(binding => binding.keys.includes('escape'));
	const layout = (gap: number): string[] => {
		const result: string[] = [];
		let width = (help ? help.length + gap : 0) + (wayOut ? text(wayOut).length + gap : 0);
		let full = false;
		for (const binding of others) {
			const part = text(binding);
			if (binding === wayOut) {
				result.push(part);
			} else if (!full && width + part.length + gap <= columns - 1) {
				result.push(part);
				width += part.length + gap;
			} else {
				full = true;
			}
		}

		return help ? [...result, help] : result;
	};

	const wide = layout(3);
	const narrow = layout(2);
	return narrow.length > wide.length ? ' ' + narrow.join('  ') : ' ' + wide.join('   ');
}

/** One row: the keys the screen (or the open dialog) handles now, from the key-binding table. */
export function Footer() {
	const bindings = useFooterBindings();
	const theme = useTheme();
	const {columns} = useLayout();
	return (
		<Box width={columns} flexShrink={0}>
			<Text inverse={theme.color} wrap="truncate-end">{fit(footerText(bindings, columns, theme.symbols.unicode), columns, ' ')}</Text>
		</Box>
	);
}
