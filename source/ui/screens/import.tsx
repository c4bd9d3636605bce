/**
 * Import a CSV file by path: all or nothing. Shows what was added and updated, or every bad
 * line with its number (nothing imported then).
 */
import {useState} from 'react';
import {Box, Text} from 'ink';
import {csvColumns, type ImportResult} from '../../core/import.js';
import {importCsvFile} from '../../core/import-file.js';
import {isMassmailError} from '../../core/errors.js';
import {displayDomain} from '../../core/address.js';
import {promptScreenKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useTextInput} from '../hooks/use-text-input.js';
import {useLayout, useServices, useStoreChanged, useTheme} from '../services.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {messageDialog, useDialog} from '../components/dialog.js';
import {TextView} from '../components/text-field.js';
import {formatCount, plural, printable} from '../components/text.js';
import type {RouteOf} from '../state/router.js';
import {useLeave} from './directory-actions.js';
import {useLocalEditRefusal} from './users.js';

type Outcome =
	| {kind: 'done'; file: string; result: ImportResult}
	| {kind: 'refused'; message: string; details: string[]; hint?: string};

/** The lines that say how an import went; `ellipsis` is the theme's (`...` without Unicode). */
export function importOutcomeLines(outcome: Outcome, room: number, ellipsis: string): string[] {
	if (outcome.kind === 'done') {
		const {result} = outcome;
		const added = result.domainsAdded;
		const lines = [
			`Imported ${outcome.file}: ${formatCount(result.added)} added, ${formatCount(result.updated)} updated; ${plural(result.total, 'mailbox', 'mailboxes')} in the directory now.`,
		];
		if (added.length > 0) {
			const names = added.slice(0, 10).map(name => displayDomain(name)).join(', ');
			lines.push(`${formatCount(added.length)} new ${added.length === 1 ? 'domain' : 'domains'}: ${names}${added.length > 10 ? ` and ${formatCount(added.length - 10)} more` : ''}.`);
		}

		return lines;
	}

	const lines = [outcome.message];
	const shown = outcome.details.slice(0, Math.max(1, room - 2));
	lines.push(...shown.map(line => `  ${printable(line)}`));
	if (outcome.details.length > shown.length) {
		lines.push(`  ${ellipsis} and ${formatCount(outcome.details.length - shown.length)} more bad lines`);
	}

	if (outcome.hint) {
		lines.push(outcome.hint);
	}

	return lines;
}

export function ImportScreen(_props: {route: RouteOf<'import'>}) {
	const services = useServices();
	const theme = useTheme();
	const {columns, bodyRows} = useLayout();
	const navigation = useNavigation();
	const dialog = useDialog();
	const storeChanged = useStoreChanged();
	const [text] = useTextInput('');
	const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
	const leave = useLeave(outcome?.kind === 'done' ? '' : text.value);
	const refused = useLocalEditRefusal();

	useScreenKeys(promptScreenKeys, {
		submit() {
			if (refused('mailboxes', 'import')) {
				return;
			}

			try {
				// One field, the path: a file in another encoding is named on the command line.
				const result = importCsvFile(services.store, text.value, services.env, {sayEncoding: 'with massmail import FILE --encoding on the command line'});
				storeChanged();
				const done: Outcome = {kind: 'done', file: text.value.trim(), result};
				setOutcome(done);
				// Enter goes back to where the import was started (the domains then list the new ones).
				dialog.open(messageDialog({title: 'Import done', tone: 'normal', lines: importOutcomeLines(done, bodyRows, theme.symbols.ellipsis), onClose: () => navigation.back()}));
			} catch (error) {
				if (!isMassmailError(error)) {
					throw error;
				}

				setOutcome({kind: 'refused', message: error.message, details: error.details, hint: error.hint});
			}
		},
		back: leave,
	});

	const lines = outcome ? importOutcomeLines(outcome, bodyRows - 6, theme.symbols.ellipsis) : [];
	return (
		<Box flexDirection="column" paddingX={1}>
			<Text wrap="wrap">A CSV file with the header {csvColumns.join(',')}; all or nothing.</Text>
			<Box marginTop={1}>
				<Text bold>CSV file: </Text>
				<TextView state={text} focused width={columns - 14} />
			</Box>
			<Box flexDirection="column" marginTop={1}>
				{lines.map((line, index) => {
					// A bad line's text wraps under itself, not under the margin.
					const indented = line.startsWith('  ');
					return (
						<Box key={index} paddingLeft={indented ? 2 : 0}>
							<Text color={outcome?.kind === 'done' ? theme.success : index === 0 ? theme.error : undefined} wrap="wrap">{printable(indented ? line.slice(2) : line)}</Text>
						</Box>
					);
				})}
				{outcome ? null : <Text color={theme.muted}>Re-importing an address updates it (an empty cell keeps its value); missing domains are added.</Text>}
			</Box>
		</Box>
	);
}
