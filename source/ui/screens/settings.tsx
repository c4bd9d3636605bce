/**
 * Settings: the SMTP server (host, port, TLS, certificate, user, where the password comes
 * from), the default sender, and the delivery pace; saved to the store; "test connection"
 * reports success or the server's own words. The password itself is never a field.
 */
import {useState} from 'react';
import {Box, Text} from 'ink';
import {checkConnection} from '../../core/delivery.js';
import {settingsKeys} from '../key-bindings.js';
import {useKeyLayer, useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useUnsavedWork} from '../hooks/use-unsaved.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {editWithKey} from '../state/text-edit.js';
import {
	checkSettingsForm, formSettings, settingsPatch, initialSettingsForm, isTextField, passwordSourceLabels, settingsFieldHints,
	settingsFieldLabels, settingsFormReducer, tlsLabels, visibleFields, type SettingsFieldId, type SettingsFormState,
} from '../state/settings-form.js';
import {useLayout, useServices, useStoreChanged, useTheme} from '../services.js';
import {confirmDialog, messageDialog, useDialog} from '../components/dialog.js';
import {TextView} from '../components/text-field.js';
import {fit} from '../components/text.js';
import type {RouteOf} from '../state/router.js';
import {errorLines} from './send-detail.js';

const labelWidth = 18;

function choiceText(field: SettingsFieldId, state: SettingsFormState): string {
	switch (field) {
		case 'tls': {
			return tlsLabels[state.tls];
		}

		case 'allowUnverifiedTls': {
			return state.allowUnverifiedTls ? 'accept any certificate (self-signed)' : 'verify the certificate';
		}

		case 'passwordSource': {
			return passwordSourceLabels[state.passwordSource];
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
	const {columns} = useLayout();
	const storeChanged = useStoreChanged();
	const [form, dispatch] = useScreenState('form', settingsFormReducer, () => initialSettingsForm(services.store.settings.get(), services.env));
	const [busy, setBusy] = useState<string | undefined>(undefined);
	const [notice, setNotice] = useState<string | undefined>(undefined);
	const fields = visibleFields(form);
	const focusIsText = isTextField(form.focus);
	useUnsavedWork(form.dirty);

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
		checkConnection(services.delivery()).then(
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

	const testSaved = () => {
		if (!form.dirty) {
			test();
			return;
		}

		dialog.open(confirmDialog({
			title: 'Save the changes and test them?',
			lines: ['The test connects with the saved settings.'],
			yes: 'Save and test',
			no: 'Not now',
			onYes() {
				if (save()) {
					test();
				}
			},
		}));
	};

	useScreenKeys(settingsKeys, {
		'next-field': () => dispatch({type: 'focus-next'}),
		'previous-field': () => dispatch({type: 'focus-previous'}),
		'choose-left': focusIsText || form.focus === 'save' || form.focus === 'test' ? undefined : () => dispatch({type: 'cycle', delta: -1}),
		'choose-right': focusIsText || form.focus === 'save' || form.focus === 'test' ? undefined : () => dispatch({type: 'cycle', delta: 1}),
		submit() {
			if (form.focus === 'save') {
				save();
			} else if (form.focus === 'test') {
				if (busy === undefined) {
					testSaved();
				}
			} else {
				dispatch({type: 'focus-next'});
			}
		},
		save,
		test: busy === undefined ? testSaved : undefined,
		back() {
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
	const hint = theme.symbols.unicode ? settingsFieldHints[form.focus] : settingsFieldHints[form.focus].replaceAll('←/→', 'Left/Right');
	let bottom: {text: string; color?: string} = {text: hint, color: theme.muted};
	if (busy) {
		bottom = {text: busy, color: theme.accent};
	} else if (focusError) {
		bottom = {text: `${settingsFieldLabels[form.focus]}: ${focusError}`, color: theme.error};
	} else if (notice) {
		bottom = {text: notice, color: theme.success};
	}

	const passwordNote = form.passwordSource === 'environment'
		? (environmentPassword ? '(MASSMAIL_SMTP_PASSWORD is set)' : '(MASSMAIL_SMTP_PASSWORD is not set)')
		: '';

	return (
		<Box flexDirection="column" flexGrow={1}>
			{urlOverride ? (
				<Text color={theme.warning} wrap="truncate-end"> MASSMAIL_SMTP_URL is set: it decides host, port, TLS and user over these fields.</Text>
			) : null}
			{fields.map(field => {
				const focused = field === form.focus;
				const error = form.errors[field];
				const pointer = focused ? theme.symbols.pointer : ' ';
				if (field === 'save' || field === 'test') {
					return (
						<Text key={field}>
							{pointer} {' '.repeat(labelWidth)} <Text inverse={focused} bold>[{settingsFieldLabels[field]}]</Text>
						</Text>
					);
				}

				const label = fit(settingsFieldLabels[field], labelWidth, ' ');
				return (
					<Box key={field}>
						<Text color={error ? theme.error : undefined} bold={focused}>{pointer} {label} </Text>
						{isTextField(field) ? (
							<TextView state={form.text[field]} focused={focused} width={valueWidth} placeholder={field === 'host' ? '(local capture)' : undefined} />
						) : (
							<Text inverse={focused}>{fit(choiceText(field, form), valueWidth)}</Text>
						)}
						{error && !focused ? <Text color={theme.error}> {theme.symbols.fail}</Text> : null}
						{field === 'passwordSource' && passwordNote ? <Text color={theme.muted}> {fit(passwordNote, Math.max(0, columns - labelWidth - 5 - choiceText(field, form).length))}</Text> : null}
					</Box>
				);
			})}
			<Box flexGrow={1} />
			<Text color={bottom.color} wrap="truncate-end"> {fit(bottom.text, columns - 2)}</Text>
		</Box>
	);
}
