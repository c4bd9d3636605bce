/**
 * The users (mailboxes) of one domain: address, name, role, state (`bounced 5.2.2` for a mailbox
 * whose last delivery report bounced: over quota, disabled on the back end); filter with `/`; add,
 * remove, change the role, disable/enable, rename. Every change goes through the directory's
 * rules on a copy (state/users-state.ts) and is saved at once; a refused change says which
 * rule refused it.
 */
import {useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import {addressKey, displayAddress, displayDomain} from '../../core/address.js';
import type {BrokenMailbox} from '../../core/tracking/bounced-mailboxes.js';
import type {Directory} from '../../core/directory.js';
import type {Mailbox, Role} from '../../core/types.js';
import {command, roleKeys, usersKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useListView} from '../hooks/use-list.js';
import {FilterIndex, initialListState, listReducer} from '../state/list.js';
import {checkLocalEdit, type MailboxField} from '../../core/sync.js';
import {applyChange, directoryRules, editOf, localEditRefusal, roleLabels, mailboxSearchText, type DirectoryChange} from '../state/users-state.js';
import {useLayout, useServices, useStoreChanged, useStoreVersion, useTheme} from '../services.js';
import {confirmDialog, messageDialog, useDialog, type DialogChoice} from '../components/dialog.js';
import {formatCount, plural, printable, wrapLine} from '../components/text.js';
import {usePolledRead} from '../hooks/use-polled-read.js';
import {formatWhen} from '../state/history-state.js';
import {Table, type Column} from '../components/table.js';
import {FilterLine} from '../components/filter-line.js';
import type {RouteOf} from '../state/router.js';
import {errorLines} from './send-detail.js';
import {useAddMailbox} from './directory-actions.js';

/** Makes a change, saves the directory, and says what happened (or which rule refused it). */
export function useDirectoryChange(): (change: DirectoryChange, done: string, onSaved?: (directory: Directory) => void) => boolean {
	const services = useServices();
	const dialog = useDialog();
	const storeChanged = useStoreChanged();
	return (change, done, onSaved) => {
		try {
			// While the mailboxes come from a source, that is where they are changed.
			const refusal = localEditRefusal(services.store.settings.get(), services.store.directory(), editOf(change));
			if (refusal) {
				dialog.open(messageDialog({title: `Not changed: ${done}`, lines: refusal, tone: 'warning'}));
				return false;
			}

			const next = services.store.editDirectory(latest => {
				// Checked again under the lock, on the latest settings and directory.
				checkLocalEdit(services.store.settings.get(), latest, editOf(change));
				return applyChange(latest, change);
			});
			storeChanged();
			onSaved?.(next);
			return true;
		} catch (error) {
			dialog.open(messageDialog({title: `Not changed: ${done}`, lines: errorLines(error)}));
			return false;
		}
	};
}

/**
 * Opens a message saying why the edit is not made here (the mailboxes come from a source) and
 * returns true; false when it may be made.
 */
export function useLocalEditRefusal(): (edit: 'mailboxes' | readonly MailboxField[], what: string) => boolean {
	const services = useServices();
	const dialog = useDialog();
	return (edit, what) => {
		const refusal = localEditRefusal(services.store.settings.get(), services.store.directory(), edit);
		if (refusal) {
			dialog.open(messageDialog({title: `Not here: ${what}`, lines: refusal, tone: 'warning'}));
		}

		return refusal !== undefined;
	};
}

/** A mailbox's row: and its last delivery report when that bounced. */
type MailboxRow = Mailbox & {bounced?: BrokenMailbox};

/** The State column: disabled, or the bounce of its last report (`bounced 5.2.2`), else active. */
export function mailboxState(row: MailboxRow): string {
	if (row.disabled) {
		return 'disabled';
	}

	return row.bounced ? `bounced${row.bounced.status ? ` ${row.bounced.status}` : ''}` : 'active';
}

/** The Role column in a narrow terminal. */
const shortRoleLabels: Record<Role, string> = {user: 'user', admin: 'admin', primary: 'primary admin'};

export function UsersScreen({route}: {route: RouteOf<'users'>}) {
	const services = useServices();
	const theme = useTheme();
	const {columns: screenWidth} = useLayout();
	const navigation = useNavigation();
	const dialog = useDialog();
	const change = useDirectoryChange();
	const refused = useLocalEditRefusal();
	const storeVersion = useStoreVersion();
	// The store's directory is the same object until it changes (a save here, or another process's).
	const directory = useMemo(() => services.store.directory(), [services, storeVersion]);
	const [notice, setNotice] = useState<string | undefined>(undefined);
	const [list, dispatch] = useScreenState('list', listReducer, () => initialListState());
	const {mailboxes, summary, error} = useMemo(() => {
		try {
			return {mailboxes: directory.mailboxes(route.domain), summary: directory.domain(route.domain)};
		} catch (failure) {
			return {mailboxes: [] as Mailbox[], summary: undefined, error: (failure as Error).message};
		}
	}, [directory, route.domain]);
	// The mailboxes whose last report bounced, read again each time the screen shows.
	const [bounced] = usePolledRead(() => services.tracking.bouncedMailboxes(), () => false);
	const all = useMemo<MailboxRow[]>(() => bounced.byAddress.size === 0 ? mailboxes : mailboxes.map(mailbox => {
		const found = bounced.byAddress.get(addressKey(mailbox.address));
		return found ? {...mailbox, bounced: found} : mailbox;
	}), [mailboxes, bounced]);
	// A domain may hold 100,000 mailboxes: their text is lowered once, not at every key.
	const filterIndex = useMemo(() => new FilterIndex(all, mailboxSearchText), [all]);
	const rows = useMemo(() => filterIndex.filter(list.filter), [filterIndex, list.filter]);
	// The directory's rules, whole: wrapped onto more lines when the terminal is narrow.
	const rules = directoryRules(summary?.primary ?? null);
	const view = useListView(list, dispatch, rows);
	const {pageSize, count, current, moves} = view;
	const domainName = displayDomain(route.domain);

	const apply = (what: DirectoryChange, done: string, message: string) => {
		if (change(what, done)) {
			setNotice(message);
		}
	};

	const chooseRole = (address: string, onChoose: (role: Role) => void, now?: Role) => {
		const primary = summary?.primary ?? null;
		const roles: Array<{id: 'user' | 'admin' | 'primary'; role: Role}> = [{id: 'user', role: 'user'}, {id: 'admin', role: 'admin'}, {id: 'primary', role: 'primary'}];
		const choices: DialogChoice[] = roles
			.filter(({role}) => role !== now)
			.map(({id, role}) => ({binding: command(roleKeys, id), label: roleLabels[role], action: () => onChoose(role)}));
		choices.push({binding: command(roleKeys, 'cancel')});
		dialog.open({
			kind: 'choice',
			title: `Role of ${displayAddress(address)}${now ? ` (now ${roleLabels[now]})` : ''}`,
			lines: [
				'An administrator gets the mail sent to All Domain Administrators; the primary one, also All Primary Domain Administrators.',
				primary !== null && primary.toLowerCase() !== address.toLowerCase()
					? `A domain has one primary administrator: ${displayAddress(primary)} now. Make ${displayAddress(primary)} an administrator first, then ${displayAddress(address)} the primary one.`
					: 'A domain has at most one primary administrator.',
			],
			choices,
		});
	};

	const addMailbox = useAddMailbox(route.domain, setNotice);

	useScreenKeys(usersKeys, {
		...moves,
		filter: mailboxes.length > 0 ? () => dispatch({type: 'start-filter'}) : undefined,
		add: summary ? addMailbox : undefined,
		role: current ? () => refused(['role'], `role of ${displayAddress(current.address)}`) || chooseRole(current.address, role => {
			apply({type: 'set-role', address: current.address, role}, `role of ${current.address}`, `${displayAddress(current.address)} is now ${roleLabels[role]}.`);
		}, current.role) : undefined,
		disable: current ? () => {
			const disabled = !current.disabled;
			apply({type: 'set-disabled', address: current.address, disabled}, `${disabled ? 'disable' : 'enable'} ${current.address}`,
				disabled ? `${displayAddress(current.address)} disabled: every send skips it.` : `${displayAddress(current.address)} enabled again.`);
		} : undefined,
		rename: current ? () => refused(['name'], `name of ${displayAddress(current.address)}`) || dialog.open({
			kind: 'prompt',
			title: `Display name of ${displayAddress(current.address)}`,
			label: 'Name',
			initial: current.name,
			onSubmit(name) {
				apply({type: 'rename', address: current.address, name}, `name of ${current.address}`, `Renamed ${displayAddress(current.address)}.`);
			},
		}) : undefined,
		remove: current ? () => refused('mailboxes', `remove ${displayAddress(current.address)}`) || dialog.open(confirmDialog({
			title: `Remove ${displayAddress(current.address)}?`,
			lines: [
				current.role === 'primary' ? `It is the primary administrator of ${domainName}; the domain will have none.` : `It leaves ${domainName}.`,
				'Earlier sends keep their records.',
			],
			yes: 'Remove',
			no: 'Keep',
			tone: 'warning',
			onYes: () => apply({type: 'remove-mailbox', address: current.address}, `remove ${current.address}`, `Removed ${displayAddress(current.address)}.`),
		})) : undefined,
		back: () => list.filter === '' ? navigation.back() : dispatch({type: 'clear-filter'}),
	}, {isActive: !list.filtering});

	const columns: Array<Column<MailboxRow>> = [
		{title: 'Address', min: 16, max: 40, shrink: 1, cell: mailbox => displayAddress(mailbox.address)},
		{title: 'Name', grow: true, min: 8, cell: mailbox => printable(mailbox.name)},
		// `primary administrator`, or `primary admin` where that does not fit.
		{title: 'Role', min: 13, shrink: 2, cell: (mailbox, width) => roleLabels[mailbox.role].length <= width ? roleLabels[mailbox.role] : shortRoleLabels[mailbox.role]},
		{title: 'State', cell: mailboxState, color: mailbox => mailbox.bounced && !mailbox.disabled ? theme.error : undefined},
	];
	// What the report said of the mailbox under the cursor, whole: what an administrator goes to fix.
	const bounce = current?.bounced;
	const bounceLines = bounce && !notice
		? wrapLine(`${displayAddress(current.address)}: bounced${bounce.status ? ` ${bounce.status}` : ''}${bounce.at ? ` at ${formatWhen(bounce.at)}` : ''}${bounce.diagnostic ? `: ${printable(bounce.diagnostic)}` : ''} (send ${bounce.sendId})`, Math.max(10, screenWidth - 2)).slice(0, 2)
		: [];

	const status = [
		list.filter ? `${formatCount(count)} of ${plural(mailboxes.length, 'mailbox', 'mailboxes')}` : plural(mailboxes.length, 'mailbox', 'mailboxes'),
		summary ? `${plural(summary.admins, 'administrator')}` : '',
		count > pageSize ? `${formatCount(list.cursor + 1)}/${formatCount(count)}` : '',
	].filter(Boolean).join(` ${theme.symbols.separator} `);

	return (
		<Box flexDirection="column" flexGrow={1}>
			{rules.map(line => <Box key={line} paddingLeft={1}><Text color={theme.muted} wrap="wrap">{line}</Text></Box>)}
			<Table
				view={view}
				columns={columns}
				measureOver={all}
				rowStyle={mailbox => ({dim: mailbox.disabled})}
				empty={error ? <Text color={theme.error} wrap="wrap">{printable(error)}</Text> : mailboxes.length === 0
					? <Text color={theme.muted}>  No mailbox in {domainName} yet: a adds one.</Text>
					: <Text color={theme.warning}>  No mailbox matches &quot;{list.filter}&quot;.</Text>}
			/>
			{bounceLines.length > 0
				? bounceLines.map(line => <Text key={line} color={theme.error} wrap="truncate-end"> {line}</Text>)
				: <Text color={theme.success} wrap="truncate-end">{notice ? ` ${printable(notice)}` : ' '}</Text>}
			<FilterLine list={list} status={status} />
		</Box>
	);
}
