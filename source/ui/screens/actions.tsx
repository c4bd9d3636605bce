/**
 * The Actions menu (SmarterMail's ⋮ button), opened on the domain under the cursor or on
 * the marked domains. Its entries are data: add one to `actionEntries` and it shows up —
 * only entries that work belong there.
 */
import {Box, Text} from 'ink';
import {useMemo} from 'react';
import {displayDomain} from '../../core/address.js';
import {configuredSourceLabel} from '../../core/sync.js';
import {localEditRefusal} from '../state/users-state.js';
import {actionsKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useLayout, useServices, useStoreVersion, useTheme} from '../services.js';
import {messageDialog, useDialog} from '../components/dialog.js';
import {fit} from '../components/text.js';
import type {Route, RouteOf} from '../state/router.js';
import {groupFor} from './domains.js';

export interface ActionContext {
	/** The domain under the cursor when the menu was opened. */
	domain?: string;
	/** The marked domains (empty when none). */
	marked: readonly string[];
	/** Where the mailboxes come from (directory.source), when not local. */
	source?: string;
	/** Why mailboxes and domains may not be added or removed here (a source is set), as lines; undefined: they may. */
	localEditRefusal?: string[];
}

export interface ActionEntry {
	id: string;
	label: string;
	/** One line under the menu about the highlighted entry. */
	description: (context: ActionContext) => string;
	/** Whether the entry applies (e.g. needs a domain); entries that do not are not shown. */
	available?: (context: ActionContext) => boolean;
	/** The screen it opens (in place of the menu: Esc there goes back to the domains). */
	open: (context: ActionContext) => Route;
	/** It adds or removes mailboxes or domains: refused, with the reason, while they come from a source. */
	addsOrRemoves?: boolean;
}

function target(context: ActionContext): string {
	if (context.marked.length > 1) {
		return `the ${context.marked.length} marked domains`;
	}

	const domain = context.marked[0] ?? context.domain;
	return domain === undefined ? 'a group you choose' : `every user of ${displayDomain(domain)}`;
}

export const actionEntries: ActionEntry[] = [
	{
		id: 'send-email',
		label: 'Send Email',
		description: context => `Compose a message to ${target(context)}.`,
		open: context => ({screen: 'send-email', preset: {group: groupFor(context.domain, context.marked)}}),
	},
	{
		id: 'send-reminder',
		label: 'Send Reminder',
		description: context => `A plain-text reminder from the default sender to ${target(context)}.`,
		open: context => ({screen: 'send-reminder', preset: {group: groupFor(context.domain, context.marked)}}),
	},
	{
		id: 'view-users',
		label: 'View users',
		description: context => `The mailboxes of ${displayDomain(context.marked[0] ?? context.domain ?? '')}: add, remove, role, disable.`,
		available: context => context.marked.length <= 1 && (context.marked[0] ?? context.domain) !== undefined,
		open: context => ({screen: 'users', domain: (context.marked[0] ?? context.domain)!}),
	},
	{
		id: 'add-domain',
		label: 'Add domain',
		description: () => 'Add a domain to the directory.',
		open: () => ({screen: 'add-domain'}),
		addsOrRemoves: true,
	},
	{
		id: 'remove-domain',
		label: 'Remove domain',
		description: context => `Remove ${displayDomain(context.marked[0] ?? context.domain ?? '')} and its mailboxes (asks first).`,
		available: context => context.marked.length <= 1 && (context.marked[0] ?? context.domain) !== undefined,
		open: context => ({screen: 'remove-domain', domain: (context.marked[0] ?? context.domain)!}),
		addsOrRemoves: true,
	},
	{
		id: 'import',
		label: 'Import CSV',
		description: () => 'Import mailboxes from a CSV file (email,name,role,disabled): all or nothing.',
		open: () => ({screen: 'import'}),
		addsOrRemoves: true,
	},
	{
		id: 'sync',
		label: 'Sync directory',
		description: context => `Read the mailboxes from ${context.source ?? 'the mail server'}; the changes are shown before they are applied.`,
		available: context => context.source !== undefined,
		open: () => ({screen: 'sync'}),
	},
	{
		id: 'history',
		label: 'History',
		description: () => 'Every send: each recipient\'s outcome; resume, retry, send a reminder, export.',
		open: () => ({screen: 'history'}),
	},
	{
		id: 'settings',
		label: 'Settings',
		description: () => 'SMTP server, default sender, pace and retries; test the connection.',
		open: () => ({screen: 'settings'}),
	},
];

function menuReducer(cursor: number, action: {delta: number; count: number}): number {
	return (cursor + action.delta + action.count) % action.count;
}

/** Where the mailboxes come from, and why they may not be changed here: from the settings and the directory. */
function useDirectoryRules(): Pick<ActionContext, 'source' | 'localEditRefusal'> {
	const services = useServices();
	const storeVersion = useStoreVersion();
	return useMemo(() => {
		try {
			const settings = services.store.settings.get();
			return {source: configuredSourceLabel(settings), localEditRefusal: localEditRefusal(settings, services.store.directory(), 'mailboxes')};
		} catch (error) {
			// Broken settings or directory: the screens that read them say so.
			return {localEditRefusal: [(error as Error).message]};
		}
	}, [services, storeVersion]);
}

export function ActionsScreen({route}: {route: RouteOf<'actions'>}) {
	const theme = useTheme();
	// The menu box is no wider than the terminal: the dashboard clips rows only, not across (app.tsx).
	const {columns} = useLayout();
	const navigation = useNavigation();
	const dialog = useDialog();
	const rules = useDirectoryRules();
	const context: ActionContext = {domain: route.domain, marked: route.marked, ...rules};
	const entries = actionEntries.filter(entry => entry.available?.(context) ?? true);
	const [cursor, move] = useScreenState('menu', menuReducer, () => 0);
	const selected = entries[Math.min(cursor, entries.length - 1)];

	useScreenKeys(actionsKeys, {
		up: () => move({delta: -1, count: entries.length}),
		down: () => move({delta: 1, count: entries.length}),
		first: () => move({delta: -Math.min(cursor, entries.length - 1), count: entries.length}),
		last: () => move({delta: entries.length - 1 - Math.min(cursor, entries.length - 1), count: entries.length}),
		choose: selected ? () => {
			if (selected.addsOrRemoves && context.localEditRefusal) {
				dialog.open(messageDialog({title: `${selected.label}: not here`, lines: context.localEditRefusal, tone: 'warning'}));
				return;
			}

			navigation.replace(selected.open(context));
		} : undefined,
		back: () => navigation.back(),
	});

	const on = route.marked.length > 0
		? `${route.marked.length} marked: ${route.marked.map(name => displayDomain(name)).join(', ')}`
		: route.domain === undefined ? 'no domain' : displayDomain(route.domain);

	return (
		<Box flexDirection="column" paddingX={1}>
			<Text>
				<Text color={theme.muted}>On </Text>
				<Text bold>{fit(on, 70)}</Text>
			</Text>
			<Box flexDirection="column" marginTop={1} borderStyle={theme.symbols.unicode ? 'round' : 'classic'} borderColor={theme.accent} paddingX={1} width={Math.min(40, columns - 2)}>
				{entries.map(entry => {
					const isSelected = entry === selected;
					return (
						<Text key={entry.id} inverse={isSelected} bold={isSelected}>
							{isSelected ? theme.symbols.pointer : ' '} {fit(entry.label, 33, ' ')}
						</Text>
					);
				})}
			</Box>
			{selected ? <Text color={theme.muted} wrap="wrap">{selected.description(context)}</Text> : null}
		</Box>
	);
}
