/**
 * The directory actions that are not a list: add a domain (one field), remove a domain (asks,
 * with how many mailboxes go with it), and add a mailbox to a domain (Users' `a`: address, name,
 * role, in dialogs).
 */
import {useState} from 'react';
import {Box, Text} from 'ink';
import {displayAddress, displayDomain} from '../../core/address.js';
import type {Role} from '../../core/types.js';
import {command, promptScreenKeys, removeDomainKeys, roleKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useTextInput} from '../hooks/use-text-input.js';
import {useUnsavedWork} from '../hooks/use-unsaved.js';
import {addressIn, applyChange, changeRefusal, roleLabels} from '../state/users-state.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {confirmDialog, useDialog, type DialogChoice} from '../components/dialog.js';
import {TextView} from '../components/text-field.js';
import {plural, printable} from '../components/text.js';
import type {RouteOf} from '../state/router.js';
import {useDirectoryChange, useLocalEditRefusal} from './users.js';

/** Esc on a one-field screen: back at once when empty, else asks first (so does Ctrl+C). */
export function useLeave(typed: string): () => void {
	const navigation = useNavigation();
	const dialog = useDialog();
	const empty = typed.trim() === '';
	// Ctrl+C asks too while something is typed.
	useUnsavedWork(!empty);
	return () => {
		if (empty) {
			navigation.back();
			return;
		}

		dialog.open(confirmDialog({title: 'Discard what you typed?', yes: 'Discard', no: 'Keep editing', onYes: () => navigation.back()}));
	};
}

export function AddDomainScreen(_props: {route: RouteOf<'add-domain'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const change = useDirectoryChange();
	const {columns} = useLayout();
	const [text] = useTextInput('');
	const [problem, setProblem] = useState<string | undefined>(undefined);
	const leave = useLeave(text.value);

	useScreenKeys(promptScreenKeys, {
		submit() {
			const name = text.value.trim();
			try {
				applyChange(services.store.directory(), {type: 'add-domain', name});
			} catch (error) {
				setProblem((error as Error).message);
				return;
			}

			if (change({type: 'add-domain', name}, `add ${name}`)) {
				navigation.back();
			}
		},
		back: leave,
	});

	return (
		<Box flexDirection="column" paddingX={1}>
			<Text>Add a domain to the directory. Its mailboxes come by import or from its users list (View users).</Text>
			<Box marginTop={1}>
				<Text bold>Domain: </Text>
				<TextView state={text} focused width={columns - 12} />
			</Box>
			{problem ? <Text color={theme.error} wrap="wrap">{printable(problem)}</Text> : <Text color={theme.muted}>A domain name such as example.com; an international name ({theme.symbols.unicode ? 'bücher.example' : 'xn--bcher-kva.example'}) is fine.</Text>}
		</Box>
	);
}

export function RemoveDomainScreen({route}: {route: RouteOf<'remove-domain'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const change = useDirectoryChange();
	const summary = (() => {
		try {
			return services.store.directory().domain(route.domain);
		} catch {
			return undefined;
		}
	})();
	const name = displayDomain(route.domain);

	useScreenKeys(removeDomainKeys, {
		remove: summary ? () => {
			if (change({type: 'remove-domain', name: route.domain}, `remove ${name}`)) {
				navigation.back();
			}
		} : undefined,
		back: () => navigation.back(),
	});

	if (!summary) {
		return <Text color={theme.error}> No domain {name} in the directory.</Text>;
	}

	return (
		<Box flexDirection="column" paddingX={1}>
			<Text bold color={theme.warning}>Remove {name} and its {plural(summary.users, 'mailbox', 'mailboxes')}?</Text>
			<Text> </Text>
			<Text>{summary.users === 0 ? 'The domain has no mailbox.' : `${plural(summary.users, 'mailbox', 'mailboxes')} go with it, ${plural(summary.admins, 'administrator')} among them${summary.primary ? ` (primary: ${displayAddress(summary.primary)})` : ''}.`}</Text>
			<Text>Earlier sends keep their records. Importing a CSV file brings mailboxes back.</Text>
			<Text> </Text>
			<Text>
				<Text bold>y</Text> removes it, <Text bold>n</Text> or <Text bold>Esc</Text> keeps it.
			</Text>
		</Box>
	);
}

/**
 * Users' `a`: a mailbox added to `domain` — its address, its display name, then its role. A role
 * the directory's rules refuse (a second primary administrator) does not throw the typed address
 * and name away: the role is asked again, saying why, until one is allowed or the person leaves.
 * `onAdded` gets what to say once the mailbox is saved.
 *
 * @example
 * const addMailbox = useAddMailbox(route.domain, setNotice);
 * useScreenKeys(usersKeys, {add: addMailbox});
 */
export function useAddMailbox(domain: string, onAdded: (message: string) => void): () => void {
	const services = useServices();
	const theme = useTheme();
	const dialog = useDialog();
	const change = useDirectoryChange();
	const refused = useLocalEditRefusal();
	const domainName = displayDomain(domain);

	const askRole = (address: string, name: string, problem?: string[]) => {
		const shown = displayAddress(address);
		const roles: Array<{id: 'user' | 'admin' | 'primary'; role: Role}> = [{id: 'user', role: 'user'}, {id: 'admin', role: 'admin'}, {id: 'primary', role: 'primary'}];
		const choices: DialogChoice[] = roles.map(({id, role}) => ({
			binding: command(roleKeys, id),
			label: roleLabels[role],
			action() {
				const mailbox = {type: 'add-mailbox' as const, address, name, role};
				// Asked before anything is saved: a refused role comes back here with the reason.
				const refusal = changeRefusal(services.store.directory(), mailbox);
				if (refusal) {
					askRole(address, name, refusal);
					return;
				}

				if (change(mailbox, `add ${address}`)) {
					onAdded(`Added ${address} as ${roleLabels[role]}.`);
				}
			},
		}));
		choices.push({binding: command(roleKeys, 'cancel')});
		let primary: string | null = null;
		try {
			primary = services.store.directory().domain(domain).primary;
		} catch {
			// The domain went meanwhile: saving says so.
		}

		dialog.open({
			kind: 'choice',
			title: `Role of ${shown}`,
			lines: problem
				? [`${theme.symbols.fail} ${problem[0]}`, ...problem.slice(1), 'Choose another role: the address and name are kept.']
				: [
					'An administrator gets the mail sent to All Domain Administrators; the primary one, also All Primary Domain Administrators.',
					primary === null
						? 'A domain has at most one primary administrator.'
						: `A domain has one primary administrator: ${displayAddress(primary)} now. Make ${displayAddress(primary)} an administrator first, then ${shown} the primary one.`,
				],
			tone: problem ? 'error' : 'normal',
			choices,
		});
	};

	return () => {
		if (refused('mailboxes', `add a mailbox to ${domainName}`)) {
			return;
		}

		dialog.open({
			kind: 'prompt',
			title: `Add a mailbox to ${domainName}`,
			lines: [`A local part (ann) or the full address (ann@${domainName}).`],
			label: 'Address',
			validate(text) {
				try {
					applyChange(services.store.directory(), {type: 'add-mailbox', address: addressIn(domain, text), name: '', role: 'user'});
					return undefined;
				} catch (failure) {
					return (failure as Error).message;
				}
			},
			onSubmit(text) {
				const address = addressIn(domain, text);
				dialog.open({
					kind: 'prompt',
					title: `Display name of ${address}`,
					lines: ['Optional: shown with the address ({{name}} in a message).'],
					label: 'Name',
					validate(name) {
						try {
							applyChange(services.store.directory(), {type: 'add-mailbox', address, name, role: 'user'});
							return undefined;
						} catch (failure) {
							return (failure as Error).message;
						}
					},
					onSubmit(name) {
						askRole(address, name);
					},
				});
			},
		});
	};
}
