/**
 * The Send Email and Send Reminder forms (one component, two kinds). Fields in the
 * product's order; Tab/Shift+Tab and the arrows move between them, each field says what is
 * wrong with it as it is left, Ctrl+S (or Enter on [Review]) checks everything and opens Review.
 */
import {useMemo, type ReactNode} from 'react';
import {Box, Text} from 'ink';
import {displayDomain} from '../../core/address.js';
import {senderForSend} from '../../core/sender.js';
import {resolveSmtpTarget} from '../../core/smtp-config.js';
import {foldedToHeader, toLineFor} from '../../core/compose.js';
import {followUpAudience, followUpSender} from '../../core/follow-up.js';
import type {Recipient, SendKind, Sender} from '../../core/types.js';
import {bindingMatches, command, emailFormKeys, formatKeys, formKeys, type CommandOf} from '../key-bindings.js';
import {useKeyLayer, useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useUnsavedWork} from '../hooks/use-unsaved.js';
import {useScreenState} from '../hooks/use-screen-state.js';
import {useExternalEditor} from '../hooks/use-editor.js';
import {useLayout, useServices, useStoreVersion, useTheme} from '../services.js';
import {confirmDialog, messageDialog, useDialog} from '../components/dialog.js';
import {MultilineView, TextView} from '../components/text-field.js';
import {fit, plural, printable, wrapLine} from '../components/text.js';
import {editWithKey, textState} from '../state/text-edit.js';
import {
	composeReducer,
	fieldLabels,
	hasSenderFields,
	initialComposeState,
	toChoiceLabels,
	visibleFields,
	type ComposeFormState,
	type FieldId,
	type TextFieldId,
} from '../state/compose-form.js';
import {completeDomain, firstRecipientOf, planOfForm, validateComposeField, type ComposeContext} from '../state/compose-validate.js';
import type {ComposePreset, RouteOf} from '../state/router.js';

const labelWidth = 15;

function isTextField(field: FieldId): field is TextFieldId {
	return field !== 'to' && field !== 'submit';
}

function ComposeScreen({kind, preset}: {kind: SendKind; preset?: ComposePreset}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const dialog = useDialog();
	const editInEditor = useExternalEditor();
	const {columns, bodyRows} = useLayout();
	// Settings or the directory saved meanwhile: read them again.
	const storeVersion = useStoreVersion();
	const directory = services.store.directory();
	const sender = useMemo(() => services.store.settings.get().sender, [services, storeVersion]);
	// The address shown for the default sender: with none set, the one the send will use — the
	// capture server's stand-in (Review says why) — or that none is set, never an empty <>.
	const senderAddress = useMemo(() => {
		if (sender.address !== '') {
			return sender.address;
		}

		try {
			return senderForSend(sender, {captured: resolveSmtpTarget(services.store.settings.get(), services.env).kind === 'capture'}).address;
		} catch {
			return '';
		}
	}, [services, sender]);

	const context = useMemo<ComposeContext>(() => ({
		directory,
		sender,
		audienceOfSend: sendId => followUpAudience(directory, services.delivery().sends.recipients(sendId)),
	}), [directory, sender, services]);

	const reducer = useMemo(() => composeReducer((field, state) => validateComposeField(field, state, context)), [context]);
	const [form, dispatch] = useScreenState('form', reducer, () => initialComposeState(kind, preset, {fromName: sender.name, followUp: followUpDefaults(services, preset)}));
	const fields = visibleFields(form);
	const {focus} = form;
	const senderFields = hasSenderFields(form);
	useUnsavedWork(form.dirty);
	// The first recipient changes with the group, not with each key typed into the other fields.
	const groupKey = JSON.stringify([form.to, form.text.domain.value, form.text.address.value, form.selectedDomains, form.sendId]);
	const firstRecipient = useMemo(() => firstRecipientOf(form, context), [groupKey, context]);

	const completions = focus === 'domain' ? completeDomain(directory, form.text.domain.value) : [];
	const completion = completions.find(name => name !== form.text.domain.value.trim());

	const review = () => {
		const {plan, errors} = planOfForm(form, context);
		if (!plan) {
			dispatch({type: 'set-errors', errors});
			return;
		}

		dispatch({type: 'set-errors', errors: {}});
		navigation.push({screen: 'review', plan});
	};

	const openEditor = () => {
		editInEditor(form.text.message.value, {extension: form.html ? '.html' : '.txt'}).then(
			value => dispatch({type: 'set-message', value}),
			(error: unknown) => dialog.open(messageDialog({title: 'The editor did not finish', lines: [error instanceof Error ? error.message : String(error)]})),
		);
	};

	const back = () => {
		if (!form.dirty) {
			navigation.back();
			return;
		}

		dialog.open(confirmDialog({
			title: 'Discard this form?',
			lines: ['What you typed is lost.'],
			yes: 'Discard',
			no: 'Keep editing',
			tone: 'warning',
			onYes: () => navigation.back(),
		}));
	};

	// The focused text field has the keys first: typing, cursor moves, Enter in the message.
	useKeyLayer('field', (input, key) => {
		if (!isTextField(focus)) {
			return false;
		}

		const multiline = focus === 'message';
		// The editor key in the message is the screen's (Ctrl+E: elsewhere end of line).
		if (multiline && bindingMatches(command(formKeys, 'editor'), input, key)) {
			return false;
		}

		const edited = editWithKey(form.text[focus], input, key, multiline);
		if (!edited) {
			return false;
		}

		dispatch({type: 'edit', field: focus, text: edited});
		return true;
	}, isTextField(focus));

	// A reminder is plain text: its form's table has no Ctrl+T, so neither its footer nor its help offers it.
	useScreenKeys(kind === 'email' ? emailFormKeys : formKeys, {
		complete: completion ? () => dispatch({type: 'edit', field: 'domain', text: textState(completion)}) : undefined,
		'next-field': () => dispatch({type: 'focus-next'}),
		'previous-field': () => dispatch({type: 'focus-previous'}),
		'field-down': () => dispatch({type: 'focus-next'}),
		'field-up': () => dispatch({type: 'focus-previous'}),
		'choose-left': focus === 'to' ? () => dispatch({type: 'cycle-to', delta: -1}) : undefined,
		'choose-right': focus === 'to' ? () => dispatch({type: 'cycle-to', delta: 1}) : undefined,
		submit: focus === 'submit' ? review : () => dispatch({type: 'focus-next'}),
		editor: focus === 'message' ? openEditor : undefined,
		'toggle-html': kind === 'email' ? () => dispatch({type: 'toggle-html'}) : undefined,
		review,
		back,
	});

	const valueWidth = columns - labelWidth - 4;
	const errorRows = fields.filter(field => form.errors[field] !== undefined).length;
	// Rows: each field one, the To preview under the friendly name one or two, the message label
	// one, a reminder's fixed From line one, [Review] one.
	const preview = senderFields ? toPreview(form.text.friendlyName.value, firstRecipient, columns - labelWidth - 3) : undefined;
	// A whole `Name <address>` (a follow-up keeps the original's) is read whole: on two rows when one is too short.
	const fromRows = senderFields && focus !== 'from' ? wholeSender(form, senderAddress, valueWidth) : undefined;
	// A new reminder's From is the default sender, not a field: read whole, on two rows when one is short.
	const defaultSenderRows = senderFields ? [] : twoRows(printable(`${sender.name} ${shownAddress(senderAddress)} (the default sender)`), columns - labelWidth - 2);
	const usedRows = fields.length + errorRows + (preview?.lines.length ?? 0) + (fromRows ? fromRows.length - 1 : 0) + defaultSenderRows.length + 1;
	const messageHeight = Math.max(3, bodyRows - usedRows);

	const rowOf = (field: FieldId) => {
		const focused = focus === field;
		const label = (
			<Text bold={focused} color={focused ? theme.accent : undefined}>
				{focused ? theme.symbols.pointer : ' '} {fit(fieldLabels[field], labelWidth, ' ')}
			</Text>
		);
		let value: ReactNode;
		switch (field) {
			case 'from': {
				if (fromRows) {
					value = <Box flexDirection="column">{fromRows.map(line => <Text key={line}>{printable(line)}</Text>)}</Box>;
					break;
				}

				// A name alone leaves room for the address it is sent with; a whole `Name <address>` takes the row.
				value = (
					<Box>
						<TextView state={form.text.from} focused={focused} width={senderHint(form, senderAddress) === '' ? valueWidth : Math.min(40, valueWidth)} placeholder={sender.name} />
						<Text color={theme.muted}> {fit(senderHint(form, senderAddress), Math.max(0, valueWidth - 1 - Math.min(40, valueWidth, form.text.from.value === '' && !focused ? sender.name.length : form.text.from.value.length + 1)))}</Text>
					</Box>
				);
				break;
			}

			case 'to': {
				const label = form.to === 'selected'
					? `${toChoiceLabels.selected}: ${form.selectedDomains.map(name => displayDomain(name)).join(', ')}`
					: form.to === 'send' ? `${toChoiceLabels.send}: ${form.sendId ?? ''}` : toChoiceLabels[form.to];
				value = (
					<Text>
						<Text color={theme.muted}>{focused ? '< ' : '  '}</Text>
						<Text inverse={focused}>{fit(label, Math.max(10, valueWidth - 10))}</Text>
						<Text color={theme.muted}>{focused ? ` > ${form.choices.indexOf(form.to) + 1}/${form.choices.length}` : ''}</Text>
					</Text>
				);
				break;
			}

			case 'domain': {
				value = (
					<Box>
						<TextView state={form.text.domain} focused={focused} width={Math.min(40, valueWidth)} placeholder="a domain of the directory" />
						{focused && completion ? <Text color={theme.muted}> Tab: {fit(completions.join(', '), Math.max(0, valueWidth - 6 - Math.min(40, valueWidth, form.text.domain.value.length + 1)))}</Text> : null}
					</Box>
				);
				break;
			}

			case 'address':
			case 'friendlyName':
			case 'subject': {
				const placeholder = field === 'friendlyName' ? 'put before each address as typed; empty: the bare address' : field === 'address' ? 'ann@example.com' : '';
				value = <TextView state={form.text[field]} focused={focused} width={valueWidth} placeholder={placeholder} />;
				break;
			}

			case 'message': {
				value = (
					<Text color={theme.muted}>
						<Text bold color={theme.accent}>{form.html ? 'HTML' : 'plain text'}</Text>
						{focused
							? `, ${keyHint('editor', theme.symbols)} editor${kind === 'email' ? `, ${keyHint('toggle-html', theme.symbols)} plain/HTML` : ''}`
							: `, ${plural(form.text.message.value.split('\n').length, 'line')}`}
					</Text>
				);
				break;
			}

			case 'submit': {
				value = null;
				break;
			}
		}

		return (
			<Box key={field} flexDirection="column">
				{field === 'submit' ? (
					<Box>
						<Text>{' '.repeat(labelWidth + 2)}</Text>
						<Text inverse={focused} bold>[ Review {theme.symbols.arrowRight} ]</Text>
						<Text color={theme.muted}>  ({keyHint('review', theme.symbols)} from any field)</Text>
					</Box>
				) : (
					<Box>
						{label}
						{value}
					</Box>
				)}
				{form.errors[field] ? (
					<Text color={theme.error} wrap="truncate-end">{' '.repeat(labelWidth + 2)}{theme.symbols.fail} {printable(form.errors[field])}</Text>
				) : null}
				{field === 'friendlyName' && preview ? preview.lines.map((line, index) => (
					<Box key={`preview-${index}`} paddingLeft={labelWidth + 2}>
						<Text color={preview.problem ? theme.error : theme.muted} wrap="truncate-end">{fit(preview.problem ? `${theme.symbols.fail} ${line}` : line, columns - labelWidth - 3)}</Text>
					</Box>
				)) : null}
				{field === 'message' ? (
					<Box paddingLeft={labelWidth + 2} height={messageHeight} flexDirection="column">
						<MultilineView state={form.text.message} focused={focused} width={valueWidth} height={messageHeight} placeholder="(empty)" />
					</Box>
				) : null}
			</Box>
		);
	};

	return (
		<Box flexDirection="column">
			{defaultSenderRows.map((line, index) => (
				<Text key={`sender-${index}`} color={theme.muted}>  {fit(index === 0 ? 'From' : '', labelWidth, ' ')}{line}</Text>
			))}
			{fields.map(field => rowOf(field))}
		</Box>
	);
}

/** How the form's hints name a key: from the table, as the footer writes it. */
function keyHint(id: CommandOf<typeof emailFormKeys>, symbols: {unicode: boolean}): string {
	return formatKeys(command(emailFormKeys, id), symbols);
}

/** The From (`Name <address>`) and friendly name of the send a reminder follows up: kept unless changed. */
function followUpDefaults(services: ReturnType<typeof useServices>, preset: ComposePreset | undefined): {from: string; friendlyName: string} | undefined {
	if (preset?.followUpOf === undefined) {
		return undefined;
	}

	try {
		const {from, friendlyName} = followUpSender(services.delivery().sends.record(preset.followUpOf));
		return {from: senderText(from), friendlyName};
	} catch {
		// A record that cannot be read: the default sender, as for a reminder of its own.
		return undefined;
	}
}

function senderText(sender: Sender): string {
	if (sender.name === '') {
		return sender.address;
	}

	return `${/[<>",@]/.test(sender.name) ? JSON.stringify(sender.name) : sender.name} <${sender.address}>`;
}

// An address to show the To line with while the group reaches nobody yet.
const exampleRecipient: Recipient = {address: 'ann@example.com', name: 'Ann'};

/**
 * The To line the first recipient will get, exactly, for the row(s) under the friendly name (at
 * most two, wrapped between words): or what is wrong with it (a word too long for a header).
 */
function toPreview(friendlyName: string, recipient: Recipient | undefined, width: number): {lines: string[]; problem?: string} {
	const shown = recipient ?? exampleRecipient;
	try {
		foldedToHeader(friendlyName, shown);
	} catch (error) {
		return {lines: [printable(error instanceof Error ? error.message : String(error))], problem: 'error'};
	}

	const wrapped = wrapLine(printable(`To: ${toLineFor(friendlyName, shown)}${recipient ? '' : ' (for example)'}`), width);
	return {lines: wrapped.length <= 2 ? wrapped : [wrapped[0], fit(wrapped.slice(1).join(' '), width)]};
}

/**
 * The From field's rows while another field has the keyboard, when it holds a whole
 * `Name <address>` too long for one row: wrapped between words onto two rows (the second cut
 * with an ellipsis if even that is short). Undefined when it fits one row (or is a name alone).
 */
function wholeSender(form: ComposeFormState, address: string, width: number): string[] | undefined {
	const value = printable(form.text.from.value);
	if (senderHint(form, address) !== '' || value.length <= width) {
		return undefined;
	}

	return twoRows(value, width);
}

/** `text` in `width` columns: one row, or two wrapped between words (the second cut with an ellipsis if even that is short). */
function twoRows(text: string, width: number): string[] {
	const wrapped = wrapLine(text, Math.max(1, width));
	return wrapped.length === 1 ? wrapped : [wrapped[0], fit(wrapped.slice(1).join(' '), width)];
}

/** What the From field will send as: the typed name with the settings' address, or a full `Name <address>`. */
function senderHint(form: ComposeFormState, address: string): string {
	const typed = form.text.from.value.trim();
	return typed.includes('<') || typed.includes('@') ? '' : shownAddress(address);
}

/** `<it@example.com>`, or what stands for an address that is not set. */
function shownAddress(address: string): string {
	return address === '' ? '(no address: set sender.address in Settings)' : `<${address}>`;
}

export function SendEmailScreen({route}: {route: RouteOf<'send-email'>}) {
	return <ComposeScreen kind="email" preset={route.preset} />;
}

export function SendReminderScreen({route}: {route: RouteOf<'send-reminder'>}) {
	return <ComposeScreen kind="reminder" preset={route.preset} />;
}
