/**
 * Home: the table of hosted domains. Only the rows that fit are drawn, so 5,000 domains
 * cost no more than 20.
 */
import {useEffect, useMemo} from 'react';
import {Box, Text} from 'ink';
import type {DomainSummary, RecipientGroup} from '../../core/types.js';
import {displayAddress, displayDomain} from '../../core/address.js';
import {domainsKeys, filterKeys, findBinding} from '../key-bindings.js';
import {useKeyLayer, useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {filterItems, initialListState, listReducer, visibleRange} from '../state/list.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {fit, fitRight, formatCount, plural} from '../components/text.js';
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
	const {columns, bodyRows} = useLayout();
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());

	const directory = services.store.directory();
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
	const pageSize = Math.max(1, bodyRows - tableChromeRows);
	const count = rows.length;
	const current: DomainSummary | undefined = rows[list.cursor];

	// The window follows a resize and a shorter list.
	useEffect(() => {
		dispatch({type: 'clamp', count, pageSize});
	}, [dispatch, count, pageSize]);

	const open = (screen: 'actions' | 'send-email' | 'send-reminder') => {
		if (screen === 'actions') {
			navigation.push({screen: 'actions', domain: current?.name, marked: [...list.marked]});
			return;
		}

		navigation.push({screen, preset: {group: groupFor(current?.name, list.marked)}});
	};

	const move = (type: 'first' | 'last') => () => dispatch({type, count, pageSize});
	const hasDomains = domains.length > 0;

	useScreenKeys(domainsKeys, {
		up: () => dispatch({type: 'move', delta: -1, count, pageSize}),
		down: () => dispatch({type: 'move', delta: 1, count, pageSize}),
		first: move('first'),
		last: move('last'),
		'page-up': () => dispatch({type: 'page', direction: -1, count, pageSize}),
		'page-down': () => dispatch({type: 'page', direction: 1, count, pageSize}),
		actions: () => open('actions'),
		filter: hasDomains ? () => dispatch({type: 'start-filter'}) : undefined,
		mark: current ? () => dispatch({type: 'toggle-mark', key: current.name}) : undefined,
		'unmark-all': list.marked.length > 0 ? () => dispatch({type: 'clear-marks'}) : undefined,
		'send-email': () => open('send-email'),
		'send-reminder': () => open('send-reminder'),
		history: () => navigation.push({screen: 'history'}),
		back: list.filter === '' ? undefined : () => dispatch({type: 'clear-filter'}),
		quit: () => services.exit(0),
	}, {isActive: !list.filtering});

	// While the filter line has the keyboard, typing goes to it.
	useKeyLayer('field', (input, key) => {
		const binding = findBinding(filterKeys, input, key);
		if (binding?.id === 'accept') {
			dispatch({type: 'end-filter'});
			return true;
		}

		if (binding?.id === 'clear') {
			dispatch({type: 'clear-filter'});
			return true;
		}

		if (key.backspace || key.delete) {
			dispatch({type: 'set-filter', filter: list.filter.slice(0, -1)});
			return true;
		}

		if (key.upArrow) {
			dispatch({type: 'end-filter'});
			dispatch({type: 'move', delta: -1, count, pageSize});
			return true;
		}

		if (input && !key.ctrl && !key.meta && !key.tab && !key.return) {
			dispatch({type: 'set-filter', filter: list.filter + input.replaceAll(/[\u0000-\u001F\u007F]/g, '')});
			return true;
		}

		return false;
	}, list.filtering, filterKeys);

	const {start, end} = visibleRange(list, count, pageSize);
	const markWidth = theme.symbols.marked.length + 1;
	// Unicode shows only the marks; ASCII shows the empty box too, as it reads better there.
	const unmarked = theme.symbols.unicode ? ' '.repeat(theme.symbols.marked.length) : theme.symbols.unmarked;
	const numberWidth = 7;
	const nameWidth = Math.max(12, Math.min(40, Math.floor(columns * 0.38)));
	const primaryWidth = Math.max(8, columns - 2 - markWidth - nameWidth - (2 * (numberWidth + 1)) - 2);

	const heading = `${' '.repeat(2 + markWidth)}${fit('Domain', nameWidth, ' ')} ${fitRight('Users', numberWidth)} ${fitRight('Admins', numberWidth)}  Primary administrator`;

	// International names in Unicode where the terminal can show it, else in their ASCII (punycode) form.
	const shownDomain = (name: string) => theme.symbols.unicode ? displayDomain(name) : name;
	const shownAddress = (address: string) => theme.symbols.unicode ? displayAddress(address) : address;
	const shown = [];
	for (let index = start; index < end; index++) {
		const domain = rows[index];
		const selected = index === list.cursor;
		const marked = list.marked.includes(domain.name);
		const line = `${selected ? theme.symbols.pointer : ' '} ${marked ? theme.symbols.marked : unmarked} ${fit(shownDomain(domain.name), nameWidth, ' ')} ${fitRight(formatCount(domain.users), numberWidth)} ${fitRight(formatCount(domain.admins), numberWidth)}  ${fit(domain.primary === null ? '-' : shownAddress(domain.primary), primaryWidth)}`;
		shown.push(
			<Text key={domain.name} inverse={selected} color={marked ? theme.accent : undefined} bold={marked} wrap="truncate-end">
				{line}
			</Text>,
		);
	}

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
						<Text color={theme.muted}>Import mailboxes from the command line: massmail import FILE.csv</Text>
					</Box>
				)}
				{hasDomains && count === 0 ? <Text color={theme.warning}>  No domain matches "{list.filter}".</Text> : null}
			</Box>
			<Box>
				{list.filtering || list.filter ? (
					<Text>
						<Text color={theme.accent}>/</Text>
						<Text>{list.filter}</Text>
						{list.filtering ? <Text inverse> </Text> : null}
						<Text color={theme.muted}>{'  '}{status}</Text>
					</Text>
				) : (
					<Text color={theme.muted} wrap="truncate-end">{status}</Text>
				)}
			</Box>
		</Box>
	);
}
