/**
 * Home: the table of hosted domains. Only the rows that fit are drawn, so 5,000 domains
 * cost no more than 20.
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
import {filterItems, initialListState, listReducer} from '../state/list.js';
import {useLayout, useServices, useStoreVersion, useTheme} from '../services.js';
import {fit, fitRight, formatCount, plural} from '../components/text.js';
import {FilterLine} from '../components/filter-line.js';
import type {RouteOf} from '../state/router.js';

/** The group a form starts with when opened from this screen: the marked domains, else the one under the cursor. */
export function groupFor(domain: string | undefined, marked: readonly string[]): RecipientGroup | undefined {
	if (marked.length > 0) {
		return {kind: 'domain', domains: [...marked]};
	}

	return domain === undefined ? undefined : {kind: 'domain', domains: [domain]};
}

/** Rows above and below the table: the column titles, and the status/filter line. */
const tableChromeRows = 2;

export function DomainsScreen(_props: {route: RouteOf<'domains'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const {columns} = useLayout();
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());

	// Saving the directory (Users, Import, Add domain) gives a new one: the table follows.
	const storeVersion = useStoreVersion();
	const directory = services.store.directory();
	const sourceSet = useMemo(() => {
		try {
			return configuredSourceLabel(services.store.settings.get()) !== undefined;
		} catch {
			return false;
		}
	}, [services, storeVersion]);
	const domains = useMemo(() => directory.domains(), [directory]);
	// What the filter matches, worked out once: with 5,000 domains every keystroke filters them all.
	const searchText = useMemo(() => {
		const text = new Map<DomainSummary, string>();
		for (const domain of domains) {
			const shown = displayDomain(domain.name);
			text.set(domain, shown === domain.name ? domain.name : `${domain.name} ${shown}`);
		}

		return text;
	}, [domains]);
	const rows = useMemo(
		() => filterItems(domains, list.filter, domain => searchText.get(domain) ?? domain.name),
		[domains, searchText, list.filter],
	);
	const {pageSize, count, current, moves, visibleRows} = useListView(list, dispatch, rows, tableChromeRows);

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
		// Only while the mailboxes come from a source: with local ones there is nothing to sync.
		sync: sourceSet ? () => navigation.push({screen: 'sync'}) : undefined,
		back: list.filter === '' ? undefined : () => dispatch({type: 'clear-filter'}),
		quit: () => services.exit(0),
	}, {isActive: !list.filtering});

	const markWidth = theme.symbols.marked.length + 1;
	// Unicode shows only the marks; ASCII shows the empty box too, as it reads better there.
	const unmarked = theme.symbols.unicode ? ' '.repeat(theme.symbols.marked.length) : theme.symbols.unmarked;
	const numberWidth = 7;
	const nameWidth = Math.max(12, Math.min(40, Math.floor(columns * 0.38)));
	const primaryWidth = Math.max(8, columns - 2 - markWidth - nameWidth - (2 * (numberWidth + 1)) - 2);

	const heading = `${' '.repeat(2 + markWidth)}${fit('Domain', nameWidth, ' ')} ${fitRight('Users', numberWidth)} ${fitRight('Admins', numberWidth)}  ${primaryWidth >= 21 ? 'Primary administrator' : 'Primary'}`;

	// International names in Unicode where the terminal can show it, else in their ASCII (punycode) form.
	const shownDomain = (name: string) => theme.symbols.unicode ? displayDomain(name) : name;
	const shownAddress = (address: string) => theme.symbols.unicode ? displayAddress(address) : address;
	const shown = visibleRows.map(({row: domain, selected}) => {
		const marked = list.marked.includes(domain.name);
		const line = `${selected ? theme.symbols.pointer : ' '} ${marked ? theme.symbols.marked : unmarked} ${fit(shownDomain(domain.name), nameWidth, ' ')} ${fitRight(formatCount(domain.users), numberWidth)} ${fitRight(formatCount(domain.admins), numberWidth)}  ${fit(domain.primary === null ? '-' : shownAddress(domain.primary), primaryWidth)}`;
		return (
			<Text key={domain.name} inverse={selected} color={marked ? theme.accent : undefined} bold={marked} wrap="truncate-end">
				{line}
			</Text>
		);
	});

	const status = [
		list.filter ? `${formatCount(count)} of ${plural(domains.length, 'domain')}` : plural(domains.length, 'domain'),
		list.marked.length > 0 ? `${formatCount(list.marked.length)} marked` : '',
		count > pageSize ? `${formatCount(list.cursor + 1)}/${formatCount(count)}` : '',
	].filter(Boolean).join(` ${theme.symbols.separator} `);

	return (
		<Box flexDirection="column" flexGrow={1}>
			<Text bold color={theme.muted} wrap="truncate-end">{heading}</Text>
			<Box flexDirection="column" height={pageSize}>
				{hasDomains ? shown : (
					<Box flexDirection="column" paddingLeft={2}>
						<Text>The directory is empty.</Text>
						<Text color={theme.muted}>{sourceSet ? 'Its mailboxes come from the mail server: s reads them (Sync).' : 'Import mailboxes from the command line: massmail import FILE.csv'}</Text>
					</Box>
				)}
				{hasDomains && count === 0 ? <Text color={theme.warning}>  No domain matches "{list.filter}".</Text> : null}
			</Box>
			<FilterLine list={list} status={status} />
		</Box>
	);
}
