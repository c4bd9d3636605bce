/**
 * Review before anything is sent: who (count, the first To lines as rendered), what
 * (From, Subject, the start of the message), where it goes, and what was left out.
 * Send (asking once more with the count above the settings' threshold), Schedule (a time as
 * `--at` takes it, shown in full as typed; the record written, nothing sent, then History), a
 * test copy, back.
 */
import {useEffect, useMemo, useState, type ReactNode} from 'react';
import {Box, Text} from 'ink';
import {MessageTemplate} from '../../core/compose.js';
import {describeGroup} from '../../core/groups.js';
import {normalizeAddress, displayAddress, needsSmtpUtf8} from '../../core/address.js';
import {resolveSmtpTarget, describeTarget} from '../../core/smtp-config.js';
import {senderAddressOrigin, senderForSend, withSenderStandIn} from '../../core/sender.js';
import type {When} from '../../core/schedule/index.js';
import type {SkipReason} from '../../core/types.js';
import {command, formatKey, formatKeys, reviewKeys, typedConfirmKeys} from '../key-bindings.js';
import {useScreenKeys} from '../hooks/use-keys.js';
import {useNavigation} from '../hooks/use-navigation.js';
import {useLayout, useServices, useStoreVersion, useTheme} from '../services.js';
import {whenForms, whenPrompt} from '../components/when-prompt.js';
import {confirmDialog, messageDialog, useDialog} from '../components/dialog.js';
import {fit, formatCount, massmailCommand, plural, printable, wrapLine} from '../components/text.js';
import {startDelivery} from '../delivery-flow.js';
import {useSyncBeforeSend} from '../hooks/use-sync-before-send.js';
import type {RouteOf, SendPlan} from '../state/router.js';

const labelWidth = 13;

const skipWords: Record<SkipReason, [string, string]> = {
	disabled: ['disabled mailbox skipped', 'disabled mailboxes skipped'],
	duplicate: ['duplicate removed', 'duplicates removed'],
	invalid: ['invalid address skipped', 'invalid addresses skipped'],
	'not-delivered': ['address not reached by the earlier send skipped', 'addresses not reached by the earlier send skipped'],
	removed: ['mailbox removed since skipped', 'mailboxes removed since skipped'],
};

/**
 * Recipients whose address needs SMTPUTF8 (non-ASCII before the @): they fail unless the server
 * offers it. The local capture server does.
 */
export function smtpUtf8Warning(plan: SendPlan, captured: boolean, maxAddresses = 2): string | undefined {
	if (captured) {
		return undefined;
	}

	const addresses = plan.resolution.recipients.filter(recipient => needsSmtpUtf8(recipient.address)).map(recipient => displayAddress(recipient.address));
	if (addresses.length === 0) {
		return undefined;
	}

	const shown = addresses.slice(0, maxAddresses).join(', ') + (addresses.length > maxAddresses ? ', ...' : '');
	return `${formatCount(addresses.length)} ${addresses.length === 1 ? 'address needs SMTPUTF8 or fails' : 'addresses need SMTPUTF8 or fail'} (${shown})`;
}

/** `3 disabled mailboxes skipped (a@x, b@x…); 1 duplicate removed (c@x)` */
export function skippedSummary(plan: SendPlan, maxAddresses = 2): string[] {
	const byReason = new Map<SkipReason, string[]>();
	for (const skipped of plan.resolution.skipped) {
		const list = byReason.get(skipped.reason) ?? [];
		list.push(displayAddress(skipped.address));
		byReason.set(skipped.reason, list);
	}

	return [...byReason.entries()].map(([reason, addresses]) => {
		const [one, many] = skipWords[reason];
		const shown = addresses.slice(0, maxAddresses).join(', ') + (addresses.length > maxAddresses ? ', ...' : '');
		return `${formatCount(addresses.length)} ${addresses.length === 1 ? one : many} (${shown})`;
	});
}

function errorLines(error: unknown): string[] {
	if (error instanceof Error) {
		const hint = (error as {hint?: string}).hint;
		return hint ? [error.message, hint] : [error.message];
	}

	return [String(error)];
}

export function ReviewScreen({route}: {route: RouteOf<'review'>}) {
	const services = useServices();
	const theme = useTheme();
	const navigation = useNavigation();
	const dialog = useDialog();
	const {columns, bodyRows} = useLayout();
	// A directory older than directory.maxAge is synced first, and the audience resolved again.
	const sync = useSyncBeforeSend(route.plan, columns - labelWidth - 3);
	const {plan} = sync;
	const [busy, setBusy] = useState<string | undefined>(undefined);
	const [note, setNote] = useState<{text: string; ok: boolean} | undefined>(undefined);
	const storeVersion = useStoreVersion();
	// Read again when they changed, here or in another process: the count asked about and the destination shown are the ones the send uses.
	const settings = useMemo(() => services.store.settings.get(), [services, storeVersion]);
	const {destination, captured} = useMemo(() => {
		try {
			const target = resolveSmtpTarget(settings, services.env);
			return {destination: describeTarget(target), captured: target.kind === 'capture'};
		} catch (error) {
			return {destination: (error as Error).message, captured: false};
		}
	}, [settings, services]);

	// No sender address (a machine without a fully qualified name): the capture server takes
	// postmaster@localhost; a real server is not sent to until one is set.
	const sender = useMemo(() => {
		try {
			return {from: senderForSend(plan.draft.from, {captured}), refused: undefined};
		} catch (error) {
			return {from: plan.draft.from, refused: (error as Error).message};
		}
	}, [plan, captured]);
	const senderOrigin = plan.draft.from.address === settings.sender.address ? senderAddressOrigin(services.store.settings) : undefined;
	const {recipients} = plan.resolution;
	const count = recipients.length;
	// The To lines and text shown do not depend on the From address, which may not be set (above).
	const template = useMemo(() => new MessageTemplate(withSenderStandIn(plan.draft), {sendId: 'review'}), [plan]);
	// With delivery reports set up, the server is asked once whether it offers DSN (issue 18: said
	// before the send, not only during it). Unreachable: nothing said here; Send's connection check says it.
	const asksReports = settings.tracking.returnPath !== '' && !captured;
	const [noDsn, setNoDsn] = useState<string | undefined>(undefined);
	useEffect(() => {
		setNoDsn(undefined);
		if (!asksReports) {
			return;
		}

		let current = true;
		services.sends.dsnNotice().then(notice => {
			if (current) {
				// Review's row is one line: the command line's dry run gives the whole sentence.
				setNoDsn(notice?.short);
			}
		}, () => undefined);
		return () => {
			current = false;
		};
	}, [services, asksReports, destination]);
	const warnings = useMemo(() => {
		const smtpUtf8 = smtpUtf8Warning(plan, captured);
		return [...(noDsn ? [noDsn] : []), ...(smtpUtf8 ? [smtpUtf8] : []), ...skippedSummary(plan)];
	}, [plan, captured, noDsn]);
	// The message as the first recipient will read it: placeholders filled, HTML as its text part.
	const first = recipients[0];
	const shown = useMemo(() => first
		? {subject: template.subjectFor(first), text: template.textFor(first)}
		: {subject: plan.draft.subject, text: plan.draft.body}, [template, first, plan]);
	const title = `${plan.kind === 'reminder' ? 'Reminder' : 'Email'} to ${describeGroup(plan.group)}`;

	const sendNow = () => {
		setBusy(`Connecting to ${destination}${theme.symbols.ellipsis}`);
		setNote(undefined);
		services.sends.create({
			draft: plan.draft,
			audience: plan.audience,
			recipients,
			followUpOf: plan.followUpOf,
		}).then(delivery => {
			startDelivery(services, navigation, delivery, `Sending: ${title}`);
		}, (error: unknown) => {
			setBusy(undefined);
			dialog.open(messageDialog({title: 'Nothing was sent', lines: errorLines(error)}));
		});
	};

	const send = () => {
		if (!sync.ready(send)) {
			return;
		}

		if (count > settings.delivery.confirmThreshold) {
			// Opened by Enter (Send): a second Enter must not send, so only y answers yes (as the sync guard's Apply anyway).
			dialog.open(confirmDialog({
				title: `Send to ${plural(count, 'recipient')}?`,
				lines: [
					`${describeGroup(plan.group)}, to ${destination}.`,
					`Subject: ${plan.draft.subject}`,
					`${formatKeys(command(typedConfirmKeys, 'yes'), theme.symbols)} sends; ${formatKey('enter', theme.symbols)} does not answer this question.`,
				],
				yes: `Send to ${formatCount(count)}`,
				no: 'Not now',
				tone: 'warning',
				typedYes: true,
				onYes: sendNow,
			}));
			return;
		}

		sendNow();
	};

	// Scheduled: the record is written with the count now; the group is resolved again when it runs.
	const scheduleAt = (when: When) => {
		try {
			services.schedule.schedule({
				draft: {...plan.draft, from: sender.from},
				audience: plan.audience,
				count,
				followUpOf: plan.followUpOf,
				allowExternal: false,
				overrides: {},
				when,
			});
		} catch (error) {
			dialog.open(messageDialog({title: 'Nothing was scheduled', lines: errorLines(error)}));
			return;
		}

		// History lists it first; Esc from there goes home, as after a send.
		navigation.home({screen: 'history'});
	};

	const schedule = () => {
		// A stale directory is synced first, as for Send: the count recorded is the one run-due compares with.
		if (!sync.ready(schedule)) {
			return;
		}

		dialog.open(whenPrompt(services.schedule, {
			title: `Schedule: ${title}, ${plural(count, 'recipient')}`,
			lines: [whenForms, `Nothing is sent now: ${massmailCommand(services.demo)} run-due sends it then, to the group as it is then.`],
			onWhen(when, full) {
				if (count > settings.delivery.confirmThreshold) {
					// As Send: the Enter that scheduled must not also answer this.
					dialog.open(confirmDialog({
						title: `Schedule a send to ${plural(count, 'recipient')}?`,
						lines: [
							`${describeGroup(plan.group)}, to ${destination}.`,
							`Subject: ${plan.draft.subject}`,
							`At: ${full}`,
							`${formatKeys(command(typedConfirmKeys, 'yes'), theme.symbols)} schedules it; ${formatKey('enter', theme.symbols)} does not answer this question.`,
						],
						yes: `Schedule for ${formatCount(count)}`,
						no: 'Not now',
						tone: 'warning',
						typedYes: true,
						onYes: () => scheduleAt(when),
					}));
					return;
				}

				scheduleAt(when);
			},
		}));
	};

	const testCopy = () => {
		dialog.open({
			kind: 'prompt',
			title: 'Send one test copy',
			lines: ['The message as recipients get it, to one address; it is not part of the send.'],
			label: 'Address',
			// The From of this message: whoever sends it wants to see it first.
			initial: displayAddress(plan.draft.from.address),
			validate(text) {
				try {
					normalizeAddress(text);
					return undefined;
				} catch (error) {
					return (error as Error).message;
				}
			},
			onSubmit(address) {
				setBusy(`Sending a test copy to ${address}${theme.symbols.ellipsis}`);
				setNote(undefined);
				services.sends.testCopy(plan.draft, normalizeAddress(address)).then(reply => {
					setBusy(undefined);
					setNote({text: `Test copy sent to ${address}: ${printable(reply)}`, ok: true});
				}, (error: unknown) => {
					setBusy(undefined);
					dialog.open(messageDialog({title: 'The test copy was not sent', lines: errorLines(error)}));
				});
			},
		});
	};

	useScreenKeys(reviewKeys, {
		send: count > 0 && !busy && sync.canSend && !sender.refused ? send : undefined,
		schedule: count > 0 && !busy && sync.canSend && !sender.refused ? schedule : undefined,
		'test-copy': busy ? undefined : testCopy,
		back: busy ? undefined : () => navigation.back(),
	});

	const width = columns - labelWidth - 3;
	const shownTo = Math.min(3, count);
	const messageLines = shown.text.replace(/\n$/, '').split('\n');
	// What is left of the body after the fixed rows goes to the message preview.
	// The subject is what a person checks most: on two lines when it is long, not cut at once.
	const wrappedSubject = wrapLine(printable(shown.subject), Math.max(10, width));
	const subjectLines = wrappedSubject.length <= 2 ? wrappedSubject : [wrappedSubject[0], wrappedSubject.slice(1).join(' ')];
	// A warning names whom it skips: on up to three lines when one is too short, rather than cut at once.
	const warningLines = warnings.flatMap(warning => {
		const wrapped = wrapLine(printable(warning), Math.max(10, width));
		return wrapped.length <= 3 ? wrapped : [...wrapped.slice(0, 2), wrapped.slice(2).join(' ')];
	});
	const fixedRows = 1 + Math.max(1, shownTo) + (count > shownTo ? 1 : 0) + 3 + subjectLines.length + warningLines.length + sync.rows.length + 2 + (sender.refused || senderOrigin ? 1 : 0);
	const previewRows = Math.max(1, Math.min(6, bodyRows - fixedRows));
	const row = (label: string, value: ReactNode, color?: string, key = label) => (
		<Box key={key}>
			<Text color={theme.muted}>{' '}{fit(label, labelWidth, ' ')}</Text>
			{typeof value === 'string' ? <Text color={color} wrap="truncate-end">{fit(printable(value), width)}</Text> : value}
		</Box>
	);

	return (
		<Box flexDirection="column">
			{row('Recipients', (
				<Text>
					<Text bold>{formatCount(count)}</Text>
					<Text color={theme.muted}> {fit(`(${describeGroup(plan.group)})`, width - formatCount(count).length - 1)}</Text>
				</Text>
			))}
			{count === 0 ? row('To', plan.resolution.skipped.length > 0 ? 'nobody: every mailbox of the group was skipped' : 'nobody: the group has no mailbox', theme.error) : null}
			{recipients.slice(0, shownTo).map((recipient, index) => (
				<Box key={recipient.address}>
					<Text color={theme.muted}>{' '}{fit(index === 0 ? 'To' : '', labelWidth, ' ')}</Text>
					<Text wrap="truncate-end">{fit(printable(template.toHeader(recipient)), width)}</Text>
				</Box>
			))}
			{count > shownTo ? row('', `${theme.symbols.ellipsis} and ${formatCount(count - shownTo)} more, each on a message of its own`, theme.muted) : null}
			{row('From', `${sender.from.name} <${displayAddress(sender.from.address) || 'no address'}>`)}
			{senderOrigin && !sender.refused ? row('', `the address: ${senderOrigin}`, theme.muted, 'sender-origin') : null}
			{sender.refused ? row('', `${sender.refused}: set sender.address in Settings`, theme.error, 'sender-refused') : null}
			{subjectLines.map((line, index) => row(index === 0 ? 'Subject' : '', line, undefined, `subject-${index}`))}
			{row('Message', `${plan.draft.html ? 'HTML, with a plain-text alternative' : 'plain text'}, ${plural(messageLines.length, 'line')}`)}
			<Box flexDirection="column" paddingLeft={labelWidth + 2} height={previewRows}>
				{messageLines.slice(0, previewRows).map((line, index) => (
					<Text key={index} color={theme.muted} wrap="truncate-end">{fit(printable(line), width) || ' '}</Text>
				))}
			</Box>
			{row('Goes to', destination, theme.success)}
			{warningLines.map((line, index) => row(index === 0 ? 'Warnings' : '', line, theme.warning, `warning-${index}`))}
			{sync.rows.map((line, index) => row(index === 0 ? 'Directory' : '', line.text, line.tone === 'refused' ? theme.error : line.tone === 'busy' ? theme.accent : theme.muted, `sync-${index}`))}
			<Box marginTop={1}>
				{busy ? <Text color={theme.accent}> {busy}</Text> : null}
				{!busy && note ? <Text color={note.ok ? theme.success : theme.error} wrap="truncate-end"> {note.ok ? theme.symbols.ok : theme.symbols.fail} {note.text}</Text> : null}
				{!busy && !note && count > settings.delivery.confirmThreshold
					? <Text color={theme.muted}> More than {formatCount(settings.delivery.confirmThreshold)} recipients: Send asks once more.</Text>
					: null}
			</Box>
		</Box>
	);
}
