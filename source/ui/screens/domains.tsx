/**
 * Home: the table of hosted domains. Only the rows that fit are drawn, so 5,000 domains
 * cost no more than 20. Once a delivery report bounced, a Bounced column counts per domain the
 * mailboxes whose last report bounced (Users marks which).
 */
import {useMemo} from 'react';
import {Box, Text} from 'ink';
import type {DomainSummary, RecipientGroup} from '../../core/types.js';
import {displayAddress, displayDomain} from '../../core/address.js';
import {configuredSourceLabel} from '../../core/sync.js';
import {domainsKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useListView} from '../hooks/use-list.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {usePolledRead} from '../hooks/use-polled-read.js';
import {FilterIndex, initialListState, listReducer} from '../state/list.js';
import {useServices, useStoreVersion, useTheme} from '../services.js';
import {formatCount, massmailCommand, plural} from '../components/text.js';
import {Table, type Column} from '../components/table.js';
import {FilterLine} from '../components/filter-line.js';
import type {RouteOf} from '../state/router.js';

/** The group a form starts with when opened from this screen: the marked domains, else the one under the cursor. */
export function groupFor(domain: string | undefined, marked: readonly string[]): RecipientGroup | undefined {
	if (marked.length > 0) {
		return {kind: 'domain', domains: [...marked]};
	}

	return domain === undefined ? undefined : {kind: 'domain', domains: [domain]};
}

export function DomainsScreen(_props: {route: RouteOf<'domains'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());

	// Saving the directory (Users, Import, Add domain) gives a new one: the table follows.
	const storeVersion = useStoreVersion();
	// Domains and counts only: the overview, drawn without reading every mailbox first.
	const directory = services.store.directoryOverview();
	const sourceSet = useMemo(() => {
		try {
			return configuredSourceLabel(services.store.settings.get()) !== undefined;
		} catch {
			return false;
		}
	}, [services, storeVersion]);
	const {domains} = directory;
	// What the filter matches and each name in Unicode, worked out once: with 5,000 domains every
	// keystroke filters them all (and the table measures the names).
	const {searchText, unicodeNames} = useMemo(() => {
		const text = new Map<DomainSummary, string>();
		const names = new Map<string, string>();
		for (const domain of domains) {
			const shown = displayDomain(domain.name);
			names.set(domain.name, shown);
			text.set(domain, shown === domain.name ? domain.name : `${domain.name} ${shown}`);
		}

		return {searchText: text, unicodeNames: names};
	}, [domains]);
	const filterIndex = useMemo(() => new FilterIndex(domains, domain => searchText.get(domain) ?? domain.name), [domains, searchText]);
	const rows = useMemo(() => filterIndex.filter(list.filter), [filterIndex, list.filter]);
	const view = useListView(list, dispatch, rows);
	const {pageSize, count, current, moves} = view;
	// Read again each time the screen shows (a send's page or History may have folded reports meanwhile).
	const [bounced] = usePolledRead(() => services.tracking.bouncedMailboxes(), () => false);

	const open = (screen: 'actions' | 'send-email' | 'send-reminder') => {
		if (screen === 'actions') {
			navigation.push({screen: 'actions', domain: current?.name, marked: [...list.marked]});
			return;
		}

		navigation.push({screen, preset: {group: groupFor(current?.name, list.marked)}});
	};

	const hasDomains = domains.length > 0;

	useScreenKeys(domainsKeys, {
		...moves,
		actions: () => open('actions'),
		filter: hasDomains ? () => dispatch({type: 'start-filter'}) : undefined,
		mark: current ? () => dispatch({type: 'toggle-mark', key: current.name}) : undefined,
		'unmark-all': list.marked.length > 0 ? () => dispatch({type: 'clear-marks'}) : undefined,
		'send-email': () => open('send-email'),
		'send-reminder': () => open('send-reminder'),
		history: () => navigation.push({screen: 'history'}),
		// With local mailboxes too: Sync then says there is no source, and where to choose one.
		sync: () => navigation.push({screen: 'sync'}),
		back: list.filter === '' ? undefined : () => dispatch({type: 'clear-filter'}),
		quit: () => services.exit(0),
	}, {isActive: !list.filtering});

	// Unicode shows only the marks; ASCII shows the empty box too, as it reads better there.
	const unmarked = theme.symbols.unicode ? ' '.repeat(theme.symbols.marked.length) : theme.symbols.unmarked;
	// International names in Unicode where the terminal can show it, else in their ASCII (punycode) form.
	const shownDomain = (name: string) => theme.symbols.unicode ? unicodeNames.get(name) ?? displayDomain(name) : name;
	const shownAddress = (address: string) => theme.symbols.unicode ? displayAddress(address) : address;
	const isMarked = (domain: DomainSummary) => list.marked.includes(domain.name);
	const columns: Array<Column<DomainSummary>> = [
		{title: '', width: theme.symbols.marked.length, cell: domain => isMarked(domain) ? theme.symbols.marked : unmarked},
		{title: 'Domain', min: 12, max: 40, shrink: 1, cell: domain => shownDomain(domain.name)},
		{title: 'Users', align: 'right', cell: domain => formatCount(domain.users)},
		{title: 'Admins', align: 'right', cell: domain => formatCount(domain.admins)},
		// Only once some mailbox bounced: a column of zeros says nothing.
		...(bounced.byDomain.size > 0 ? [{title: 'Bounced', align: 'right' as const, width: 7, cell: (domain: DomainSummary) => {
			const found = bounced.byDomain.get(domain.name) ?? 0;
			return found === 0 ? '' : formatCount(found);
		}, color: () => theme.error}] : []),
		{title: ['Primary administrator', 'Primary'], grow: true, min: 7, gap: 2, cell: domain => domain.primary === null ? '-' : shownAddress(domain.primary)},
	];

	// The directory's own mailboxes only: an outside address that bounced is not one of this server's.
	const bouncedTotal = useMemo(() => domains.reduce((sum, domain) => sum + (bounced.byDomain.get(domain.name) ?? 0), 0), [domains, bounced]);
	const status = [
		list.filter ? `${formatCount(count)} of ${plural(domains.length, 'domain')}` : plural(domains.length, 'domain'),
		bouncedTotal > 0 ? `${plural(bouncedTotal, 'mailbox', 'mailboxes')} bounced (Users shows which)` : '',
		list.marked.length > 0 ? `${formatCount(list.marked.length)} marked` : '',
		count > pageSize ? `${formatCount(list.cursor + 1)}/${formatCount(count)}` : '',
	].filter(Boolean).join(` ${theme.symbols.separator} `);

	return (
		<Box flexDirection="column" flexGrow={1}>
			<Table
				view={view}
				columns={columns}
				measureOver={domains}
				rowStyle={domain => isMarked(domain) ? {color: theme.accent, bold: true} : {}}
				empty={hasDomains ? <Text color={theme.warning}>  No domain matches &quot;{list.filter}&quot;.</Text> : (
					<Box flexDirection="column" paddingLeft={2}>
						<Text>The directory is empty.</Text>
						<Text color={theme.muted} wrap="wrap">{sourceSet ? 'Its mailboxes come from the mail server: s reads them (Sync).' : `Import mailboxes from the command line: ${massmailCommand(services.demo)} import FILE.csv`}</Text>
					</Box>
				)}
			/>
			<FilterLine list={list} status={status} />
		</Box>
	);
}
