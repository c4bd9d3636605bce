/**
 * Settings: the SMTP server (host, port, TLS, how the certificate is checked, user, where the
 * password comes from), the default sender, and the delivery pace; the directory source (where the mailboxes
 * come from, and the chosen source's fields); the delivery reports (the bounce address, VERP, the
 * reports asked for, the bounce mailbox over IMAP); saved to the store; "test connection" reports
 * success or the server's own words, "test source" the mailboxes found or the source's words.
 * No password is ever a field. The form scrolls to keep the focused field in view.
 */
import {senderAddressOrigin} from '../../core/sender.js';
import {useEffect, useRef, useState} from 'react';
import {Box, Text} from 'ink';
import {settingsKeys} from '../key-bindings.js';
import {useKeyLayer, useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useUnsavedWork} from '../hooks/use-unsaved.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {editWithKey} from '../state/text-edit.js';
import {
	certificateLabels, checkSettingsForm, directorySourceTitle, formSettings, settingsPatch, initialSettingsForm, isButton, isDirectoryField, isTextField,
	passwordSourceLabels, settingsFieldHint, settingsFieldLabel, settingsFormReducer, tlsLabels, trackingChoiceText, visibleFields, type SettingsFieldId,
	type SettingsFormState,
} from '../state/settings-form.js';
import {useLayout, useServices, useStoreChanged, useTheme} from '../services.js';
import {confirmDialog, messageDialog, useDialog} from '../components/dialog.js';
import {TextView} from '../components/text-field.js';
import {fit, plural, wrapLine} from '../components/text.js';
import type {RouteOf} from '../state/router.js';
import {errorLines} from './send-detail.js';
import {configuredSourceLabel} from '../../core/sync.js';

const labelWidth = 18;

type SectionTitle = 'directory-title' | 'tracking-title';
const sectionTitles: Record<SectionTitle, string> = {
	'directory-title': '  Directory source: where the mailboxes come from',
	'tracking-title': '  Delivery reports: where bounces come back, read by massmail track',
};

function choiceText(field: SettingsFieldId, state: SettingsFormState): string {
	switch (field) {
		case 'smtp.tls': {
			return tlsLabels[state.tls];
		}

		case 'certificate': {
			return certificateLabels[state.certificate];
		}

		case 'passwordSource': {
			return passwordSourceLabels[state.passwordSource];
		}

		case 'directory.source': {
			return directorySourceTitle(state.directorySource);
		}

		case 'tracking.verp':
		case 'tracking.notify':
		case 'tracking.imap.tls':
		case 'tracking.imap.allowUnverifiedTls': {
			return trackingChoiceText(field, state);
		}

		default: {
			return '';
		}
	}
}

export function SettingsScreen(_props: {route: RouteOf<'settings'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const dialog = useDialog();
	const {columns, bodyRows} = useLayout();
	const storeChanged = useStoreChanged();
	const [form, dispatch] = useScreenState('form', settingsFormReducer, () => initialSettingsForm(services.store.settings.get(), services.env));
	const [busy, setBusy] = useState<string | undefined>(undefined);
	const [notice, setNotice] = useState<string | undefined>(undefined);
	const fields = visibleFields(form);
	const focusIsText = isTextField(form.focus);
	const inDirectory = isDirectoryField(form.focus);
	const testing = useRef<AbortController | undefined>(undefined);
	useUnsavedWork(form.dirty);
	// Leaving the screen stops a test of the source.
	useEffect(() => () => testing.current?.abort(), []);

	/** Checks and saves; the form then holds the saved values, and the header shows where mail goes now. */
	const save = (): boolean => {
		const current = services.store.settings.get();
		const errors = checkSettingsForm(form, current, services.env);
		if (Object.keys(errors).length > 0) {
			dispatch({type: 'set-errors', errors});
			setNotice(undefined);
			return false;
		}

		try {
			services.store.settings.update(settingsPatch(formSettings(form, current), current));
		} catch (error) {
			dialog.open(messageDialog({title: 'The settings were not saved', lines: errorLines(error)}));
			return false;
		}

		dispatch({type: 'saved', settings: services.store.settings.get()});
		setNotice(`Saved to ${services.store.settings.file}.`);
		storeChanged();
		return true;
	};

	const test = () => {
		setBusy(`Testing the connection${theme.symbols.ellipsis}`);
		setNotice(undefined);
		services.sends.checkConnection().then(
			reached => {
				setBusy(undefined);
				dialog.open(messageDialog({title: 'The connection works', tone: 'normal', lines: [reached]}));
			},
			(error: unknown) => {
				setBusy(undefined);
				dialog.open(messageDialog({title: 'The connection failed', lines: errorLines(error)}));
			},
		);
	};

	/** Reads the saved source whole and says how many mailboxes it holds, or its own words; changes nothing. */
	const testSource = () => {
		const controller = new AbortController();
		testing.current = controller;
		let label = 'the source';
		try {
			label = configuredSourceLabel(services.store.settings.get()) ?? label;
		} catch {
			// The read below says what is wrong with the settings.
		}

		setBusy(`Reading the mailboxes from ${label}${theme.symbols.ellipsis} (Esc stops)`);
		setNotice(undefined);
		services.sync.test({signal: controller.signal}).then(
			({count, label, broken}) => {
				if (controller.signal.aborted) {
					return;
				}

				setBusy(undefined);
				const found = `${plural(count, 'mailbox', 'mailboxes')} found`;
				dialog.open(broken === undefined
					? messageDialog({title: found, tone: 'normal', lines: [`in ${label}. Nothing was changed: Sync (s on the domains) shows the changes and applies them.`]})
					: messageDialog({title: `${found}, but a sync would refuse them`, tone: 'warning', lines: errorLines(broken)}));
			},
			(error: unknown) => {
				if (controller.signal.aborted) {
					return;
				}

				setBusy(undefined);
				dialog.open(messageDialog({title: 'The source could not be read', lines: errorLines(error)}));
			},
		).finally(() => {
			if (testing.current === controller) {
				testing.current = undefined;
			}
		});
	};

	/** A test uses the saved settings: with unsaved changes, asks to save them first. */
	const saveThen = (run: () => void, what: string) => () => {
		if (!form.dirty) {
			run();
			return;
		}

		dialog.open(confirmDialog({
			title: 'Save the changes and test them?',
			lines: [`The test ${what} with the saved settings.`],
			yes: 'Save and test',
			no: 'Not now',
			onYes() {
				if (save()) {
					run();
				}
			},
		}));
	};

	const testSaved = saveThen(test, 'connects');
	const testSourceSaved = saveThen(testSource, 'reads the source');
	const sourceSet = form.directorySource !== 'local';

	useScreenKeys(settingsKeys, {
		'next-field': () => dispatch({type: 'focus-next'}),
		'previous-field': () => dispatch({type: 'focus-previous'}),
		'choose-left': focusIsText || isButton(form.focus) ? undefined : () => dispatch({type: 'cycle', delta: -1}),
		'choose-right': focusIsText || isButton(form.focus) ? undefined : () => dispatch({type: 'cycle', delta: 1}),
		submit() {
			if (form.focus === 'save') {
				save();
			} else if (form.focus === 'test') {
				if (busy === undefined) {
					testSaved();
				}
			} else if (form.focus === 'testSource') {
				if (busy === undefined) {
					testSourceSaved();
				}
			} else {
				dispatch({type: 'focus-next'});
			}
		},
		save,
		// Ctrl+T tests what is being edited: the SMTP connection, or in the Directory source section the source.
		test: busy === undefined && !(inDirectory && sourceSet) ? testSaved : undefined,
		'test-source': busy === undefined && inDirectory && sourceSet ? testSourceSaved : undefined,
		back() {
			if (testing.current) {
				testing.current.abort();
				testing.current = undefined;
				setBusy(undefined);
				setNotice('The test of the source was stopped.');
				return;
			}

			if (!form.dirty) {
				navigation.back();
				return;
			}

			dialog.open(confirmDialog({title: 'Leave without saving?', lines: ['The changes are lost.'], yes: 'Leave', no: 'Keep editing', onYes: () => navigation.back()}));
		},
	});

	// The focused text field takes the typing; every other key goes on to the screen.
	useKeyLayer('field', (input, key) => {
		if (!isTextField(form.focus)) {
			return false;
		}

		// Whether the key is an edit does not depend on the text; the edit itself is made on the latest state.
		if (editWithKey(form.text[form.focus], input, key, false)) {
			dispatch({type: 'edit-key', input, key});
			return true;
		}

		return false;
	}, focusIsText);

	const valueWidth = Math.max(10, columns - labelWidth - 6);
	const urlOverride = services.env.MASSMAIL_SMTP_URL;
	const environmentPassword = services.env.MASSMAIL_SMTP_PASSWORD;
	const focusError = form.errors[form.focus];
	// The hints name the arrow keys as the footer does: ←/→, or Left/Right without Unicode.
	const fieldHint = form.focus === 'sender.address' ? `${settingsFieldHint(form.focus)}. Now: ${senderAddressOrigin(services.store.settings)}` : settingsFieldHint(form.focus);
	const hint = theme.symbols.unicode ? fieldHint : fieldHint.replaceAll('←/→', 'Left/Right');
	const storedProblemField = fields.find(field => isTextField(field) && form.storedProblems[field] !== undefined && form.errors[field] === form.storedProblems[field]);
	let bottom: {text: string; color?: string} = {text: hint, color: theme.muted};
	if (busy) {
		bottom = {text: busy, color: theme.accent};
	} else if (focusError) {
		bottom = {text: `${settingsFieldLabel(form.focus)}: ${focusError}`, color: theme.error};
	} else if (storedProblemField) {
		// A stored URL holding a password is said wherever the focus is, until it is changed.
		bottom = {text: `${settingsFieldLabel(storedProblemField)}: ${form.errors[storedProblemField]}`, color: theme.error};
	} else if (notice) {
		bottom = {text: notice, color: theme.success};
	}

	const passwordNote = form.passwordSource === 'environment'
		? (environmentPassword ? '(MASSMAIL_SMTP_PASSWORD is set)' : '(MASSMAIL_SMTP_PASSWORD is not set)')
		: '';
	const directoryPasswordNote = services.env.MASSMAIL_DIRECTORY_PASSWORD ? '(empty: MASSMAIL_DIRECTORY_PASSWORD, set)' : '(empty: MASSMAIL_DIRECTORY_PASSWORD, not set)';
	const trackingPasswordNote = services.env.MASSMAIL_TRACKING_PASSWORD ? '(empty: MASSMAIL_TRACKING_PASSWORD, set)' : '(empty: MASSMAIL_TRACKING_PASSWORD, not set)';
	const placeholders: Partial<Record<SettingsFieldId, string>> = {
		'smtp.host': '(local capture)',
		'directory.passwordCommand': directoryPasswordNote,
		'tracking.returnPath': '(the From address)',
		'tracking.imap.host': '(reports not read)',
		'tracking.imap.passwordCommand': trackingPasswordNote,
	};

	// The rows: the fields, with each section's title above its first field.
	// When they do not fit, a window of them that keeps the focused one in view.
	const titles: Partial<Record<SettingsFieldId, SectionTitle>> = {'directory.source': 'directory-title', 'tracking.returnPath': 'tracking-title'};
	const rows: Array<SettingsFieldId | SectionTitle> = fields.flatMap(field => titles[field] ? [titles[field], field] : [field]);
	// The hint (or error, or notice) of the focused field, whole: on two lines or more when narrow.
	const bottomLines = wrapLine(bottom.text, Math.max(10, columns - 2));
	const overrideLines = urlOverride ? wrapLine('MASSMAIL_SMTP_URL is set: it decides host, port, TLS and user over these fields.', Math.max(10, columns - 2)) : [];
	const height = Math.max(3, bodyRows - bottomLines.length - overrideLines.length);
	const focusRow = rows.indexOf(form.focus);
	const scrollTop = useRef(0);
	let top = Math.min(scrollTop.current, Math.max(0, rows.length - height));
	if (focusRow < top + 1) {
		// One row of context above (the section title above the source).
		top = Math.max(0, focusRow - 1);
	} else if (focusRow >= top + height) {
		top = focusRow - height + 1;
	}

	scrollTop.current = top;
	const shownRows = rows.length > height ? rows.slice(top, top + height) : rows;

	return (
		<Box flexDirection="column" flexGrow={1}>
			{overrideLines.map(line => <Text key={line} color={theme.warning} wrap="truncate-end"> {line}</Text>)}
			{shownRows.map(field => {
				if (field === 'directory-title' || field === 'tracking-title') {
					const more = rows.length > height ? ` ${theme.symbols.unicode ? '↑/↓' : 'Up/Down'} for more` : '';
					return <Text key={field} bold color={theme.accent} wrap="truncate-end">{`${fit(sectionTitles[field], columns - 1 - more.length)}${more}`}</Text>;
				}

				const focused = field === form.focus;
				const error = form.errors[field];
				const pointer = focused ? theme.symbols.pointer : ' ';
				if (isButton(field)) {
					return (
						<Text key={field}>
							{pointer} {' '.repeat(labelWidth)} <Text inverse={focused} bold>[{settingsFieldLabel(field)}]</Text>
						</Text>
					);
				}

				const label = fit(settingsFieldLabel(field), labelWidth, ' ');
				return (
					<Box key={field}>
						<Text color={error ? theme.error : undefined} bold={focused}>{pointer} {label} </Text>
						{isTextField(field) ? (
							<TextView state={form.text[field]} focused={focused} width={valueWidth} placeholder={placeholders[field]} />
						) : (
							<Text inverse={focused}>{fit(choiceText(field, form), valueWidth)}</Text>
						)}
						{error && !focused ? <Text color={theme.error}> {theme.symbols.fail}</Text> : null}
						{field === 'passwordSource' && passwordNote ? <Text color={theme.muted}> {fit(passwordNote, Math.max(0, columns - labelWidth - 5 - choiceText(field, form).length))}</Text> : null}

					</Box>
				);
			})}
			<Box flexGrow={1} />
			{bottomLines.map(line => <Text key={line} color={bottom.color} wrap="truncate-end"> {line}</Text>)}
		</Box>
	);
}
