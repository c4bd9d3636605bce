/**
 * The directory actions of the Actions menu that are not a list: add a domain (one field),
 * remove a domain (asks, with how many mailboxes go with it).
 */
import {useState} from 'react';
import {Box, Text} from 'ink';
import {displayAddress, displayDomain} from '../../core/address.js';
import {promptScreenKeys, removeDomainKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useTextInput} from '../hooks/use-text-input.js';
import {useUnsavedWork} from '../hooks/use-unsaved.js';
import {applyChange} from '../state/users-state.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {confirmDialog, useDialog} from '../components/dialog.js';
import {TextView} from '../components/text-field.js';
import {plural} from '../components/text.js';
import type {RouteOf} from '../state/router.js';
import {useDirectoryChange} from './users.js';

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
			{problem ? <Text color={theme.error} wrap="wrap">{problem}</Text> : <Text color={theme.muted}>A domain name such as example.com; an international name ({theme.symbols.unicode ? 'bücher.example' : 'xn--bcher-kva.example'}) is fine.</Text>}
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
