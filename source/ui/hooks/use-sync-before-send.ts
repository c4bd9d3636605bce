/**
 * The sync before a send from the dashboard, as the command line makes it (sync-commands.ts's
 * directoryForSend): when the directory is older than directory.maxAge, Review syncs it first
 * and resolves the audience again against what the source holds. A sync that would need a
 * confirmation (many mailboxes removed, a domain emptied) or a source that cannot be read
 * refuses the send with the reason; Sync (on the domains) is where such a sync is reviewed.
 */
import {useEffect, useMemo, useRef, useState} from 'react';
import {MessageTemplate} from '../../core/compose.js';
import {withSenderStandIn} from '../../core/sender.js';
import {followUpAudience} from '../../core/follow-up.js';
import {resolveGroup} from '../../core/groups.js';
import type {Directory} from '../../core/directory.js';
import {displayDomain} from '../../core/address.js';
import {changesByDomain, configuredSourceLabel, directoryIsStale, isUnchanged, type SyncChanges} from '../../core/sync.js';
import type {Resolution} from '../../core/types.js';
import {useServices, useStoreChanged, useTheme, type DashboardServices} from '../services.js';
import {formatCount, plural, wrapLine} from '../components/text.js';
import type {SendPlan} from '../state/router.js';
import {errorLines} from '../screens/send-detail.js';

export interface SyncBeforeSendRow {
	text: string;
	tone: 'busy' | 'done' | 'refused';
}

export interface SyncBeforeSend {
	/** The plan to review and send: the route's, or resolved again after a sync. */
	plan: SendPlan;
	/** What Review shows about the sync (a line or two): running, its changes, or why the send is refused. */
	rows: SyncBeforeSendRow[];
	/** False while the sync runs, or when it refused the send. */
	canSend: boolean;
	/**
	 * At Send: true when the directory is fresh enough to send on. Otherwise starts the sync and
	 * returns false; a sync that changes nothing then calls `again` (the send goes on, as
	 * reviewed), one that changes the audience shows it instead (Send again sends on it).
	 */
	ready(again: () => void): boolean;
}

/** The audience again, against the directory as the sync left it; throws what the form would say (a domain gone). */
export function replan(plan: SendPlan, directory: Directory, services: Pick<DashboardServices, 'delivery'>): SendPlan {
	const resolution: Resolution = plan.group.kind === 'send'
		? followUpAudience(directory, services.delivery().sends.recipients(plan.group.sendId))
		: resolveGroup(directory, plan.group);
	new MessageTemplate(withSenderStandIn(plan.draft), {sendId: 'review'}).checkRecipients(resolution.recipients);
	return {...plan, resolution};
}

/** The most rows Review gives a refused sync. */
const maxRefusedRows = 4;

/**
 * What a sync before a send changed, in two lines at most (the header names the source):
 * `Synced: 2 added, 1 removed, 0 changed; 12 mailboxes (was 11).` and the domains.
 */
export function syncNotes(changes: SyncChanges): string[] {
	if (isUnchanged(changes)) {
		return [`Synced: no change (${plural(changes.total, 'mailbox', 'mailboxes')}).`];
	}

	const domains = changesByDomain(changes).map(({domain, added, removed, changed}) => `${displayDomain(domain)} +${added} -${removed} ~${changed}`);
	return [
		`Synced: ${changes.added.length} added, ${changes.removed.length} removed, ${changes.changed.length} changed; ${plural(changes.total, 'mailbox', 'mailboxes')} (was ${formatCount(changes.before)}).`,
		domains.join(', '),
	];
}

type State =
	| {kind: 'idle'; plan: SendPlan; notes?: string[]}
	| {kind: 'syncing'; plan: SendPlan; label: string}
	| {kind: 'refused'; plan: SendPlan; lines: string[]};

function isStale(services: DashboardServices): boolean {
	try {
		return directoryIsStale(services.store.settings.get(), services.store.directory());
	} catch {
		// Unreadable settings or directory: the send itself says so.
		return false;
	}
}

/** `useSyncBeforeSend(route.plan, width)`: rows are wrapped to `width`. */
export function useSyncBeforeSend(initial: SendPlan, width: number): SyncBeforeSend {
	const services = useServices();
	const theme = useTheme();
	const storeChanged = useStoreChanged();
	const [state, setState] = useState<State>({kind: 'idle', plan: initial});
	const running = useRef<AbortController | undefined>(undefined);

	const start = (plan: SendPlan, again?: () => void) => {
		let label = 'the source';
		try {
			label = configuredSourceLabel(services.store.settings.get()) ?? label;
		} catch {
			// The read says what is wrong.
		}

		const controller = new AbortController();
		running.current = controller;
		setState({kind: 'syncing', plan, label});
		const refuse = (lines: string[]) => {
			setState({kind: 'refused', plan, lines});
		};

		services.sync.read({signal: controller.signal}).then(read => {
			if (controller.signal.aborted) {
				return;
			}

			const {changes} = read;
			if (changes.guard.length > 0) {
				refuse([
					`The sync before this send needs a confirmation: ${changes.guard.join('; ')}. Nothing was sent.`,
					'Review it with Sync (s on the domains), then send again.',
				]);
				return;
			}

			let applied;
			let next: SendPlan;
			try {
				applied = services.sync.apply(read);
				storeChanged();
				next = replan(plan, services.store.directory(), services);
			} catch (error) {
				refuse(['Nothing was sent: after the sync, this send cannot go as reviewed.', ...errorLines(error)]);
				return;
			}

			setState({kind: 'idle', plan: next, notes: syncNotes(applied)});
			// Nothing changed: what was reviewed is what goes; Send goes on.
			if (again && isUnchanged(applied)) {
				again();
			}
		}, (error: unknown) => {
			if (!controller.signal.aborted) {
				refuse([`The directory is older than directory.maxAge and could not be synced from ${label}; nothing was sent.`, ...errorLines(error)]);
			}
		}).finally(() => {
			if (running.current === controller) {
				running.current = undefined;
			}
		});
	};

	useEffect(() => {
		if (isStale(services)) {
			start(initial);
		}

		return () => {
			running.current?.abort();
		};
		// Once, as Review opens; again at Send (ready()).
	}, []);

	const rows = useMemo((): SyncBeforeSendRow[] => {
		const wrapped = (lines: string[], tone: SyncBeforeSendRow['tone']) => lines.flatMap(line => wrapLine(line, Math.max(20, width))).map(text => ({text, tone}));
		switch (state.kind) {
			case 'syncing': {
				return wrapped([`Older than directory.maxAge: syncing from ${state.label} first${theme.symbols.ellipsis}`], 'busy');
			}

			case 'refused': {
				// Review has a few rows for it; Sync shows a failed read whole.
				const lines = wrapped(state.lines, 'refused');
				return lines.length <= maxRefusedRows ? lines : [...lines.slice(0, maxRefusedRows - 1), {text: `${theme.symbols.ellipsis} Sync (s on the domains) shows all of it.`, tone: 'refused'}];
			}

			case 'idle': {
				// Two rows at most, each cut to the width by Review.
				return (state.notes ?? []).map(text => ({text, tone: 'done'}));
			}
		}
	}, [state, width, theme.symbols.ellipsis]);

	return {
		plan: state.plan,
		rows,
		canSend: state.kind === 'idle',
		ready(again) {
			if (state.kind !== 'idle') {
				return false;
			}

			if (isStale(services)) {
				start(state.plan, again);
				return false;
			}

			return true;
		},
	};
}
