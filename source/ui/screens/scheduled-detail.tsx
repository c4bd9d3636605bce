/**
 * One scheduled send (History > a scheduled send): what (subject, the start of the text), when
 * (in full, and how far), to whom (the group, and its count when it was scheduled), who scheduled
 * it; its state and why when it was not sent. From here, while it waits: a new time (the same
 * field as Review's Schedule), a new text (the subject in a field, then the message in
 * $VISUAL/$EDITOR as the form's Ctrl+E), send now (asks; then it runs as run-due runs it, with
 * the same Progress as Send), cancel (asks, y only).
 */
import {useEffect, useState, type ReactNode} from 'react';
import {Box, Text} from 'ink';
import {describeOperator} from '../../core/operator.js';
import {describeWhen, formatTime, type ScheduledSend} from '../../core/schedule/index.js';
import {describeTarget, resolveSmtpTarget} from '../../core/smtp-config.js';
import {command, formatKey, formatKeys, scheduledDetailKeys, typedConfirmKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {usePolledRead} from '../hooks/use-polled-read.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useExternalEditor} from '../hooks/use-editor.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {whenForms, whenPrompt} from '../components/when-prompt.js';
import {confirmDialog, messageDialog, useDialog} from '../components/dialog.js';
import {fit, plural, printable, wrapLine} from '../components/text.js';
import {startDelivery} from '../delivery-flow.js';
import type {RouteOf} from '../state/router.js';
import {errorLines} from './send-detail.js';

const labelWidth = 11;

export function ScheduledDetailScreen({route}: {route: RouteOf<'scheduled-detail'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const dialog = useDialog();
	const editInEditor = useExternalEditor();
	const {columns, bodyRows} = useLayout();
	const [busy, setBusy] = useState<string | undefined>(undefined);
	const [loaded, reload] = usePolledRead((): {send?: ScheduledSend; error?: string} => {
		try {
			return {send: services.schedule.get(route.scheduleId)};
		} catch (error) {
			return {error: (error as Error).message};
		}
	}, () => false, route.scheduleId);
	const {send} = loaded;
	// A run-due elsewhere (the timer) may start or refuse it while this page shows.
	useEffect(() => services.schedule.subscribe(reload), [services]); // eslint-disable-line react-hooks/exhaustive-deps
	const waiting = send?.state === 'scheduled' && busy === undefined;

	const reschedule = () => {
		if (!send) {
			return;
		}

		dialog.open(whenPrompt(services.schedule, {
			title: `A new time for "${send.draft.subject}"`,
			lines: [`Now: ${describeWhen(new Date(send.at), services.schedule.now(), send.zone)}.`, whenForms],
			onWhen(when) {
				try {
					services.schedule.reschedule(send.id, when);
				} catch (error) {
					dialog.open(messageDialog({title: 'The time was not changed', lines: errorLines(error)}));
				}

				reload();
			},
		}));
	};

	/** Saves what changed of the text; says so either way. */
	const saveText = (sent: ScheduledSend, subject: string, body: string) => {
		const change = {
			...(subject === sent.draft.subject ? {} : {subject}),
			...(body === sent.draft.body ? {} : {body}),
		};
		if (Object.keys(change).length === 0) {
			dialog.open(messageDialog({title: 'Nothing changed', lines: ['The subject and the message are as they were.']}));
			return;
		}

		try {
			services.schedule.editText(sent.id, change);
			dialog.open(messageDialog({title: 'Saved', lines: [[change.subject === undefined ? '' : 'the subject', change.body === undefined ? '' : 'the message'].filter(Boolean).join(' and ').replace(/^./, first => first.toUpperCase()) + ' changed; run-due sends the new text.']}));
		} catch (error) {
			dialog.open(messageDialog({title: 'The text was not changed', lines: errorLines(error)}));
		}

		reload();
	};

	const editText = () => {
		if (!send) {
			return;
		}

		dialog.open({
			kind: 'prompt',
			title: `The text of "${send.draft.subject}"`,
			lines: ['The subject here; Enter then opens the message in $VISUAL/$EDITOR. Saved when either changed.'],
			label: 'Subject',
			initial: send.draft.subject,
			validate(text) {
				try {
					services.schedule.check(send.id, {subject: text});
					return undefined;
				} catch (error) {
					return (error as Error).message;
				}
			},
			onSubmit(subject) {
				editInEditor(send.draft.body, {extension: send.draft.html ? '.html' : '.txt'}).then(
					body => saveText(send, subject, body),
					(error: unknown) => dialog.open(messageDialog({title: 'The editor did not finish: nothing was changed', lines: [error instanceof Error ? error.message : String(error)]})),
				);
			},
		});
	};

	const sendNow = () => {
		if (!send) {
			return;
		}

		setBusy(`Checking the audience and connecting${theme.symbols.ellipsis}`);
		services.schedule.runNow(send.id).then(step => {
			setBusy(undefined);
			reload();
			if (step.outcome === 'delivery') {
				startDelivery(services, navigation, step.delivery, `Sending: ${step.send.draft.subject}`);
				return;
			}

			dialog.open(messageDialog({title: 'Nothing was sent', lines: [step.outcome === 'skipped' ? `Not started: ${step.reason}.` : `It is ${step.outcome}: ${step.reason}.`]}));
		}, (error: unknown) => {
			setBusy(undefined);
			reload();
			dialog.open(messageDialog({title: 'Nothing was sent', lines: errorLines(error)}));
		});
	};

	const askSendNow = () => {
		if (!send) {
			return;
		}

		if (services.session.active) {
			dialog.open(messageDialog({title: 'A send is already running', lines: ['Wait for it to end (or stop it) before starting another.']}));
			return;
		}

		let destination: string;
		try {
			destination = describeTarget(resolveSmtpTarget(services.store.settings.get(), services.env));
		} catch (error) {
			destination = (error as Error).message;
		}

		// Read now: Settings may have changed the threshold since the page opened.
		const many = send.count > services.store.settings.get().delivery.confirmThreshold;
		dialog.open(confirmDialog({
			title: `Send it now, before its time (${formatTime(new Date(send.at), send.zone)})?`,
			lines: [
				`${send.audience}: ${plural(send.count, 'recipient')} when it was scheduled; resolved again now, and not sent when it changed by more than schedule.maxChange.`,
				`Subject: ${send.draft.subject}`,
				`Goes to: ${destination}`,
				...(many ? [`${formatKeys(command(typedConfirmKeys, 'yes'), theme.symbols)} sends; ${formatKey('enter', theme.symbols)} does not answer this question.`] : []),
			],
			yes: 'Send now',
			no: 'Not now',
			tone: 'warning',
			typedYes: many,
			onYes: sendNow,
		}));
	};

	const cancel = () => {
		if (!send) {
			return;
		}

		dialog.open(confirmDialog({
			title: `Cancel "${send.draft.subject}" (${formatTime(new Date(send.at), send.zone)})?`,
			lines: ['run-due then sends nothing of it. The record stays, marked cancelled.'],
			yes: 'Cancel it',
			no: 'Keep it',
			tone: 'warning',
			typedYes: true,
			onYes() {
				try {
					services.schedule.cancel(send.id);
				} catch (error) {
					dialog.open(messageDialog({title: 'It was not cancelled', lines: errorLines(error)}));
				}

				reload();
			},
		}));
	};

	useScreenKeys(scheduledDetailKeys, {
		reschedule: waiting ? reschedule : undefined,
		'edit-text': waiting ? editText : undefined,
		'send-now': waiting ? askSendNow : undefined,
		cancel: waiting ? cancel : undefined,
		back: busy ? undefined : () => navigation.back(),
	});

	if (!send) {
		return (
			<Box flexDirection="column" paddingX={1}>
				<Text color={theme.error} wrap="wrap">{printable(loaded.error ?? `No scheduled send ${route.scheduleId}`)}</Text>
			</Box>
		);
	}

	const width = Math.max(10, columns - labelWidth - 3);
	const now = services.schedule.now();
	const stateColor = send.state === 'scheduled' ? theme.accent : send.state === 'started' ? theme.success : theme.warning;
	const row = (label: string, value: ReactNode, key = label) => (
		<Box key={key}>
			<Text color={theme.muted}>{' '}{fit(label, labelWidth, ' ')}</Text>
			{typeof value === 'string' ? <Text wrap="truncate-end">{fit(printable(value), width)}</Text> : value}
		</Box>
	);
	const wrapped = (label: string, text: string, lines: number, color?: string) => wrapLine(printable(text), width).slice(0, lines).map((line, index) => (
		<Box key={`${label}-${index}`}>
			<Text color={theme.muted}>{' '}{fit(index === 0 ? label : '', labelWidth, ' ')}</Text>
			<Text color={color} wrap="truncate-end">{line}</Text>
		</Box>
	));
	const reasonLines = send.reason ? wrapLine(printable(send.reason), width).slice(0, 3) : [];
	const subjectLines = wrapLine(printable(send.draft.subject), width).slice(0, 2);
	const messageLines = send.draft.body.replace(/\n$/, '').split('\n');
	const warning = send.state === 'scheduled' ? services.schedule.status().noTimer : undefined;
	const warningLines = warning ? wrapLine(warning, columns - 2).slice(0, 2) : [];
	const fixedRows = 6 + (send.followUpOf ? 1 : 0) + subjectLines.length + reasonLines.length + warningLines.length + 2;
	const previewRows = Math.max(1, Math.min(6, bodyRows - fixedRows));
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{send.kind === 'reminder' ? 'Scheduled reminder' : 'Scheduled email'} {send.id}</Text>
				<Text color={theme.muted}> {theme.symbols.separator} </Text>
				<Text bold color={stateColor}>{send.state}</Text>
			</Text>
			{row('At', describeWhen(new Date(send.at), now, send.zone))}
			{reasonLines.map((line, index) => row(index === 0 ? 'Why' : '', <Text color={theme.warning} wrap="truncate-end">{line}</Text>, `why-${index}`))}
			{row('To', `${send.audience} ${theme.symbols.separator} ${plural(send.count, 'recipient')} when scheduled`)}
			{send.followUpOf ? row('Follows up', send.followUpOf) : null}
			{row('By', `${describeOperator(send.operator)}, ${formatTime(new Date(send.createdAt), send.zone)}`)}
			{wrapped('Subject', send.draft.subject, 2)}
			{row('Message', `${send.draft.html ? 'HTML, with a plain-text alternative' : 'plain text'}, ${plural(messageLines.length, 'line')}`)}
			<Box flexDirection="column" paddingLeft={labelWidth + 2} height={previewRows}>
				{messageLines.slice(0, previewRows).map((line, index) => (
					<Text key={index} color={theme.muted} wrap="truncate-end">{fit(printable(line), width) || ' '}</Text>
				))}
			</Box>
			{warningLines.map(line => <Text key={line} color={theme.warning} wrap="truncate-end"> {line}</Text>)}
			{busy ? <Box marginTop={1}><Text color={theme.accent}> {busy}</Text></Box> : null}
		</Box>
	);
}
