/**
 * send, remind, resume, retry: the commands that deliver mail. They show the count, ask once
 * (or take --yes), draw a one-line progress on a terminal or JSON lines with --json, and turn
 * Ctrl+C, SIGTERM and SIGHUP into a clean interruption that leaves the send resumable.
 */
import {displayAddress, needsSmtpUtf8} from '../core/address.js';
import type {Delivery, DeliveryContext, DeliveryOverrides} from '../core/delivery/index.js';
import {formatPace, formatWindow} from '../core/delivery/limiting-words.js';
import {exitCodes, exitStatusOfRun, usageError, validationError} from '../core/errors.js';
import {statusCodes} from '../core/journal.js';
import {unreadablePolicy, withUnreadableHint} from './unreadable.js';
import {describeTarget, resolveSmtpTarget} from '../core/smtp-config.js';
import {parseRate} from '../core/rate.js';
import {maximumConcurrency} from '../core/settings.js';
import {followUpAudience, followUpSender} from '../core/follow-up.js';
import {formatGroup, parseGroup, resolveGroup} from '../core/groups.js';
import type {Directory} from '../core/directory.js';
import type {DeliveryEvent, DeliveryProgress, DeliveryResult, MessageDraft, Recipient, Resolution, Sender, Settings} from '../core/types.js';
import {intOption, stringOption, type Command, type CommandContext, type OptionSpec} from './command.js';
import {confirmOrRefuse} from './directory-commands.js';
import {formatCount, formatDuration, massmailCommand, plural, printable} from '../core/format.js';
import {json, type Output} from './output.js';
import {directoryForSend} from './sync-commands.js';
import {isResumable, runEndLines} from '../core/run-end.js';
import {temporarilyBounced} from '../core/tracking/results.js';
import {trackAfterSend} from './track-commands.js';
import {senderAddressOrigin, senderForSend} from '../core/sender.js';
import {readTextFile} from '../core/text-file.js';
import {now} from '../core/clock.js';
import {openSchedule, describeWhen, type ScheduledSend} from '../core/schedule/index.js';
import type {SendRecord} from '../core/journal.js';
import {scheduleSend} from './schedule-commands.js';
import {answerSignals, exitOnSignalWhileStarting, ignoreSignalsAfterRun, signalCause} from './signals.js';

/**
 * The composer and the engine (nodemailer, html-to-text, smtp-server) load only for the
 * commands that send: `domains`, `history` and the rest start ~80 ms sooner and ~25 MB smaller.
 */
async function loadEngine() {
	const [compose, delivery] = await Promise.all([import('../core/compose.js'), import('../core/delivery/index.js')]);
	return {...compose, ...delivery};
}

const deliveryOptions: Record<string, OptionSpec> = {
	concurrency: {type: 'string', value: 'N', description: 'SMTP connections at once, 1 to 100 (default: settings delivery.concurrency)'},
	rate: {type: 'string', value: 'RATE', description: 'at most this pace: 0.5 (a second), 30/min, 1000/h; 0 = no limit (default: settings delivery.rate)'},
	yes: {type: 'boolean', description: 'do not ask for confirmation (needed without a terminal)'},
	json: {type: 'boolean', description: 'JSON lines of progress, then {"id","total","sent","failed","status"}'},
};

/** For the commands that read an earlier send's record: resume, retry, remind --follow-up, --to send:ID. */
const unreadableOption: Record<string, OptionSpec> = {
	unreadable: {
		type: 'string',
		value: 'skip|send',
		description: 'when the send\'s record is damaged (they refuse otherwise): skip leaves out the recipients whose line is unreadable (safe: nobody gets it twice); send takes them as not sent (whoever\'s acceptance was lost gets it again)',
	},
};

const composeOptions: Record<string, OptionSpec> = {
	to: {type: 'string', value: 'GROUP', description: 'all | domain:NAME[,NAME…] | admins | primary-admins | user:ADDRESS | send:ID (whom that send reached)'},
	subject: {type: 'string', value: 'TEXT', description: 'the subject; {{name}}, {{address}}, {{domain}} are filled per recipient'},
	message: {type: 'string', value: 'TEXT', description: 'the message text'},
	'message-file': {type: 'string', value: 'PATH', description: 'read the message from a file (- for standard input)'},
	encoding: {type: 'string', value: 'LABEL', description: 'the --message-file\'s encoding when it is not UTF-8: latin1, windows-1252, iso-8859-15, utf-16le… (a byte order mark is read as one); bytes that are not text in it are an error naming the line, nothing sent'},
	'allow-external': {type: 'boolean', description: 'let user:ADDRESS name an address outside the directory'},
	'dry-run': {type: 'boolean', description: 'show who would receive it; send nothing'},
	at: {type: 'string', value: 'WHEN', description: 'schedule it instead of sending now: 18:00 (the next one), "tomorrow 18:00", "Sat 18:00", +2h, an ISO date-time; the machine\'s time zone unless one is named ("18:00 Europe/Berlin", …Z, +01:00). Shown in full and confirmed; massmail run-due sends it then (massmail schedule install sets up the timer)'},
};

/** --message or --message-file (--encoding): the text of a message; also `scheduled edit`'s. */
export function readMessage(options: CommandContext['options']): string {
	const text = stringOption(options, 'message');
	const file = stringOption(options, 'message-file');
	if (text !== undefined && file !== undefined) {
		throw usageError('give --message or --message-file, not both');
	}

	const encoding = stringOption(options, 'encoding');
	if (text !== undefined) {
		if (encoding !== undefined) {
			throw usageError('--encoding is the encoding of --message-file; --message is read as the terminal gives it');
		}

		return text;
	}

	if (file === undefined) {
		throw usageError('the message is missing: give --message TEXT or --message-file PATH');
	}

	return readTextFile(file === '-' ? 0 : file, {name: file === '-' ? 'standard input' : `the message file ${file}`, encoding, consequence: 'nothing sent'});
}

interface Audience {
	text: string;
	resolution: Resolution;
	followUpOf?: string;
}

/** Resolves --to (and, for a reminder, --follow-up) against the directory and the send records. */
function resolveAudience(directory: Directory, context: CommandContext, followUpOf: string | undefined, sends: () => DeliveryContext['sends'], scheduledOriginal?: ScheduledSend): Audience {
	const to = stringOption(context.options, 'to');
	if (scheduledOriginal !== undefined && (to === undefined || parseGroup(to).kind === 'send' && formatGroup(parseGroup(to)) === `send:${scheduledOriginal.id}`)) {
		// A follow-up scheduled before its original has run: whom it reaches is known when it runs.
		return {text: `send:${scheduledOriginal.id}`, followUpOf, resolution: {recipients: [], skipped: []}};
	}

	if (followUpOf === undefined) {
		if (to === undefined) {
			throw usageError('who is it for? give --to GROUP', 'Groups: all | domain:NAME[,NAME…] | admins | primary-admins | user:ADDRESS | send:ID');
		}

		const group = parseGroup(to);
		if (group.kind === 'send') {
			// The recipients of an earlier send, as a new conversation (--follow-up threads it).
			return {text: formatGroup(group), resolution: recipientsOfSend(directory, context, group.sendId, sends())};
		}

		return {text: formatGroup(group), resolution: resolveGroup(directory, group, {allowExternal: Boolean(context.options['allow-external'])})};
	}

	// A follow-up goes to those who were sent the original (or to --to, threaded where it can be).
	if (to !== undefined) {
		sends().summary(followUpOf); // An unknown send is an error here, before anything is sent.
		const group = parseGroup(to);
		if (group.kind === 'send') {
			// `--to send:ID`: whom that send reached (the original's own audience when ID is the original).
			return {text: formatGroup(group), followUpOf, resolution: recipientsOfSend(directory, context, group.sendId, sends())};
		}

		return {text: formatGroup(group), followUpOf, resolution: resolveGroup(directory, group, {allowExternal: Boolean(context.options['allow-external'])})};
	}

	return {text: `send:${followUpOf}`, followUpOf, resolution: recipientsOfSend(directory, context, followUpOf, sends())};
}

/**
 * Those whom an earlier send reached (a follow-up, or `--to send:ID`), as the directory holds
 * them now. A damaged record refuses (exit 2) unless --unreadable says how to treat it.
 */
function recipientsOfSend(directory: Directory, context: CommandContext, id: string, sends: DeliveryContext['sends']): Resolution {
	const policy = unreadablePolicy(stringOption(context.options, 'unreadable'));
	const damage = sends.requireReadable(id, policy);
	if (damage.unreadableRecipients > 0) {
		context.io.err(`The record of ${id} is damaged: ${plural(damage.unreadableRecipients, 'recipient')} unreadable, ${policy === 'send' ? 'reminded where their address could be read' : 'left out'} (--unreadable ${policy}).`);
	}

	return followUpAudience(directory, sends.recipients(id, {unreadable: policy}), policy === 'send' ? 'send' : 'skip');
}

function overridesOf(options: CommandContext['options']): DeliveryOverrides {
	const rate = stringOption(options, 'rate');
	return {
		concurrency: intOption(options, 'concurrency', {min: 1, max: maximumConcurrency}),
		rate: rate === undefined ? undefined : parseRate(rate, '--rate'),
	};
}

async function composeAndSend(context: CommandContext, kind: MessageDraft['kind']): Promise<number> {
	const {options, io} = context;
	const {MessageTemplate, createDelivery, detectHtml, dsnNotice, openDeliveryContext, parseSender, validateDraft} = await loadEngine();
	const store = context.store();
	const settings = store.settings.get();
	const followUpOf = stringOption(options, 'follow-up');
	let sendsContext: DeliveryContext | undefined;
	const deliveryContext = () => {
		sendsContext ??= openDeliveryContext(store, context.env);
		return sendsContext;
	};

	try {
		const atText = stringOption(options, 'at');
		// Loaded only to read a time: chrono-node takes 50-60 ms to load.
		const when = atText === undefined ? undefined : (await import('../core/schedule/parse-when.js')).parseWhen(atText, {now: now(context.env)});
		if (when !== undefined && options.track) {
			throw usageError('--track waits for the reports after the run: it does not go with --at', 'massmail track SEND_ID folds them after the scheduled send ran');
		}

		// A follow-up of a send that is scheduled and has not run: only a scheduled one, after it.
		const scheduledOriginal = followUpOf !== undefined && !deliveryContext().sends.has(followUpOf) && openSchedule(store).has(followUpOf)
			? openSchedule(store).get(followUpOf)
			: undefined;
		if (scheduledOriginal !== undefined && scheduledOriginal.state !== 'scheduled' && scheduledOriginal.state !== 'started') {
			throw usageError(`send ${followUpOf} was ${scheduledOriginal.state} and never sent: a follow-up of it would reach nobody`, `massmail scheduled lists it${scheduledOriginal.reason ? ` (${scheduledOriginal.reason})` : ''}`);
		}

		if (scheduledOriginal !== undefined && (when === undefined || when.at.getTime() <= Date.parse(scheduledOriginal.at))) {
			throw usageError(`send ${followUpOf} is scheduled for ${describeWhen(new Date(scheduledOriginal.at), now(context.env), scheduledOriginal.zone)} and has not been sent: its follow-up can only be scheduled after it`, 'add --at WHEN, a time after the original\'s');
		}

		let subject = stringOption(options, 'subject');
		if (subject === undefined && followUpOf !== undefined) {
			subject = `Reminder: ${scheduledOriginal?.draft.subject ?? deliveryContext().sends.summary(followUpOf).subject}`;
		}

		if (subject === undefined) {
			throw usageError('the subject is missing: give --subject TEXT');
		}

		const body = readMessage(options);
		const chosen = senderOf(context, kind, followUpOf, parseSender, () => scheduledOriginal ?? deliveryContext().sends.record(followUpOf!));
		const {friendlyName} = chosen;
		// No address given or derivable: postmaster@localhost to the capture server, else exit 2 now.
		const from = senderForSend(chosen.from, {captured: goesToCapture(context, settings)});
		const fromLine = `From: ${from.name ? `${from.name} ` : ''}<${displayAddress(from.address)}>${senderNote(chosen.from, settings, store)}`;
		const html = kind === 'email' && (Boolean(options.html) || detectHtml(body));
		const draft: MessageDraft = {kind, from, friendlyName, subject, body, html};
		validateDraft(draft);
		const overrides = overridesOf(options);
		// A directory older than directory.maxAge is synced from its source first.
		const {directory} = await directoryForSend(store, context, {dryRun: Boolean(options['dry-run'])});
		const audience = resolveAudience(directory, context, followUpOf, () => deliveryContext().sends, scheduledOriginal);
		const {recipients, skipped} = audience.resolution;
		// A follow-up of a send that has not run: whom it reaches is known when it runs; its count is the original's.
		const afterOriginal = scheduledOriginal !== undefined && audience.text === `send:${scheduledOriginal.id}` ? scheduledOriginal : undefined;
		// A recipient's To or Subject line that cannot be folded: exit 2 now, before the count.
		const template = new MessageTemplate(draft, {sendId: 'check'});
		template.checkRecipients(recipients);
		const toLine = recipients.length > 0 ? template.toHeader(recipients[0]) : undefined;
		const warnings = smtpUtf8Warnings(context, settings, recipients);

		if (options['dry-run'] && when !== undefined && !options.json) {
			io.out(`At: ${describeWhen(when.at, now(context.env), when.zone)} (dry run: nothing scheduled)`);
		}

		if (options['dry-run']) {
			// What the real send would refuse before sending, the dry run refuses too (exit 2): a
			// script that checks with --dry-run first is not told all is well.
			resolveSmtpTarget(settings, context.env);
			if (recipients.length === 0 && afterOriginal === undefined) {
				throw validationError(`no recipients: ${audience.text} has nobody to send to${skipped.length > 0 ? ` (${plural(skipped.length, 'address', 'addresses')} skipped)` : ''}`);
			}

			// Whoever set up delivery reports learns now whether the server will be asked for them.
			if (settings.tracking.returnPath !== '' && !goesToCapture(context, settings)) {
				try {
					const notice = await dsnNotice(deliveryContext());
					if (notice) {
						warnings.push(notice.text);
					}
				} catch (error) {
					warnings.push(`could not ask the SMTP server whether it offers DSN: ${(error as Error).message}`);
				}
			}

			if (options.json) {
				io.out(json({count: afterOriginal?.count ?? recipients.length, recipients: recipients.map(r => r.address), skipped, to: toLine ?? null, from: from.address, ...(warnings.length > 0 ? {warnings} : {}), ...(when === undefined ? {} : {at: when.at.toISOString()}), ...(afterOriginal ? {recipientsWhen: `the recipients the server took ${afterOriginal.id} for, once it has run`} : {})}));
			} else if (afterOriginal) {
				io.out(`${plural(afterOriginal.count, 'recipient')} when ${afterOriginal.id} was scheduled`);
				io.out(printable(fromLine));
				io.out(`To: whom ${afterOriginal.id} reaches, once it has run (${describeWhen(new Date(afterOriginal.at), now(context.env), afterOriginal.zone)}): known then`);
			} else {
				printDryRun(io, recipients, audience.resolution, fromLine, toLine, warnings);
			}

			return exitCodes.ok;
		}

		if (when !== undefined) {
			const count = afterOriginal?.count ?? recipients.length;
			if (count === 0) {
				throw validationError(`no recipients: ${audience.text} has nobody to send to`);
			}

			const lines = [fromLine, ...(toLine === undefined ? [] : [`To: ${toLine}${recipients.length > 1 ? ` (the first of ${formatCount(recipients.length)} now)` : ''}`]), ...(skipped.length > 0 ? [`Skipped: ${describeSkipped(skipped)}`] : []), ...warnings.map(warning => `Warning: ${warning}`)];
			return await scheduleSend(context, {draft, audience: audience.text, count, followUpOf: audience.followUpOf, allowExternal: Boolean(options['allow-external']), overrides, when, lines});
		}

		if (recipients.length === 0) {
			throw validationError(`no recipients: ${audience.text} has nobody to send to${skipped.length > 0 ? ` (${plural(skipped.length, 'address', 'addresses')} skipped)` : ''}`);
		}

		const ctx = deliveryContext();
		if (!options.yes) {
			io.err(`${kind === 'email' ? 'Email' : 'Reminder'} "${printable(draft.subject)}" to ${printable(audience.text)}`);
			io.err(printable(fromLine));
			io.err(`To: ${printable(toLine ?? '')}${recipients.length > 1 ? ` (the first of ${formatCount(recipients.length)}, each on a message of its own)` : ''}`);
			if (skipped.length > 0) {
				io.err(`Skipped: ${describeSkipped(skipped)}`);
			}

			for (const warning of warnings) {
				io.err(`Warning: ${printable(warning)}`);
			}

			await confirmOrRefuse(io, `Send to ${plural(recipients.length, 'recipient')}? [y/N] `);
		}

		const unreadable = audience.followUpOf === undefined ? undefined : unreadablePolicy(stringOption(options, 'unreadable'));
		// --track: tracking not set up refuses now, before anything is sent.
		const trackSeconds = intOption(options, 'track', {min: 1, max: 86_400});
		const afterRun = trackSeconds === undefined ? undefined : trackAfterSend(context, trackSeconds);
		exitOnSignalWhileStarting(io, 'nothing was sent, and no send record was written.', options.json ? stopped => ({id: null, total: recipients.length, sent: 0, failed: 0, status: 'interrupted', stopped}) : undefined);
		const delivery = await startingUp(createDelivery(ctx, {draft, audience: audience.text, recipients, followUpOf: audience.followUpOf, unreadable}, overrides));
		return await runDelivery(delivery, context, afterRun);
	} catch (error) {
		throw withUnreadableHint(error);
	} finally {
		await sendsContext?.close();
	}
}

function describeSkipped(skipped: Resolution['skipped']): string {
	const counts = new Map<string, number>();
	for (const {reason} of skipped) {
		counts.set(reason, (counts.get(reason) ?? 0) + 1);
	}

	return [...counts].map(([reason, count]) => `${formatCount(count)} ${reason}`).join(', ');
}

/**
 * The From and friendly name of a send: an email's from --from and --friendly-name; a follow-up
 * reminder's from the original unless they are given; a reminder of its own comes from the
 * default sender to the bare address (SmarterMail's), and takes neither option.
 */
function senderOf(context: CommandContext, kind: MessageDraft['kind'], followUpOf: string | undefined, parseSender: (text: string, defaults: Sender) => Sender, originalOf: () => Pick<SendRecord, 'draft'>): {from: Sender; friendlyName: string} {
	const {options} = context;
	const typedFrom = stringOption(options, 'from');
	const typedName = stringOption(options, 'friendly-name');
	const settings = context.store().settings.get();
	if (kind === 'email') {
		return {from: parseSender(typedFrom ?? settings.sender.name, settings.sender), friendlyName: typedName ?? ''};
	}

	if (followUpOf === undefined) {
		if (typedFrom !== undefined || typedName !== undefined) {
			throw usageError('--from and --friendly-name go with --follow-up: a reminder of its own comes from the default sender to the bare address', 'to change the default sender: massmail config set sender.name / sender.address');
		}

		return {from: settings.sender, friendlyName: ''};
	}

	const original = followUpSender(originalOf());
	return {from: typedFrom === undefined ? original.from : parseSender(typedFrom, original.from), friendlyName: typedName ?? original.friendlyName};
}

/** Where the From address came from, unless it was typed for this send (--from) or is the original's (a follow-up). */
function senderNote(chosen: Sender, settings: Settings, store: ReturnType<CommandContext['store']>): string {
	if (chosen.address === '') {
		return ' (no sender address is set: the local capture server takes this one; nothing leaves this machine)';
	}

	return chosen.address === settings.sender.address ? ` (${senderAddressOrigin(store.settings)})` : '';
}

/** Whether mail goes to the local capture server (no SMTP server set); a target that cannot be read is reported where the send needs it. */
function goesToCapture(context: CommandContext, settings: Settings): boolean {
	try {
		return resolveSmtpTarget(settings, context.env).kind === 'capture';
	} catch {
		return false;
	}
}

/** Recipients whose address needs SMTPUTF8, said before sending; the local capture server takes them. */
function smtpUtf8Warnings(context: CommandContext, settings: Settings, recipients: Recipient[]): string[] {
	const addresses = recipients.filter(recipient => needsSmtpUtf8(recipient.address)).map(recipient => displayAddress(recipient.address));
	if (addresses.length === 0) {
		return [];
	}

	try {
		if (resolveSmtpTarget(settings, context.env).kind === 'capture') {
			return [];
		}
	} catch {
		// A target that cannot be read is reported where the send needs it, not here.
	}

	const shown = addresses.slice(0, 5).join(', ') + (addresses.length > 5 ? ', …' : '');
	return [`${addresses.length === 1 ? '1 address needs' : `${formatCount(addresses.length)} addresses need`} SMTPUTF8 (non-ASCII before the @) and ${addresses.length === 1 ? 'fails' : 'fail'} if the server does not offer it: ${shown}`];
}

function printDryRun(io: Output, recipients: Recipient[], resolution: Resolution, fromLine: string, toLine: string | undefined, warnings: string[]): void {
	io.out(`${plural(recipients.length, 'recipient')} (dry run: nothing sent)`);
	io.out(printable(fromLine));
	if (toLine !== undefined) {
		io.out(`To: ${printable(toLine)}`);
	}

	for (const warning of warnings) {
		io.out(`Warning: ${printable(warning)}`);
	}

	for (const recipient of recipients) {
		io.out(`  ${displayAddress(recipient.address)}`);
	}

	if (resolution.skipped.length > 0) {
		io.out(`Skipped: ${describeSkipped(resolution.skipped)}`);
		for (const {address, reason} of resolution.skipped) {
			io.out(`  ${displayAddress(address)} (${reason})`);
		}
	}
}

/** `left the relay mx2.example.com:25 (lost the SMTP server …): the 340 recipients not sent yet go to mx1.example.com:25` */
export function relayLeftLine(event: Extract<DeliveryEvent, {type: 'relay-left'}>): string {
	return `left the relay ${event.relay} (${event.reason}): the ${plural(event.remaining, 'recipient')} not sent yet go to ${event.relays.join(', ')}`;
}

function progressLine(progress: DeliveryProgress): string {
	const done = progress.sent + progress.failed;
	const eta = progress.etaMs === null ? '' : ` · ETA ${formatDuration(progress.etaMs)}`;
	const deferred = progress.deferred > 0 ? ` · ${formatCount(progress.deferred)} deferred` : '';
	// A limited send: the server's allowance the pace keeps to (and so the ETA comes from), or
	// that it is still being learnt.
	const {limiting} = progress;
	const window = limiting?.window ? `server takes ${formatWindow(limiting.window)}` : undefined;
	const pace = limiting?.perMinute ? `server pace ${formatPace(limiting.perMinute)}` : undefined;
	const limits = limiting ? ` · ${window ?? pace ?? (limiting.holding ? 'held by the server, learning its pace' : `server allows ${plural(limiting.connections, 'connection')}`)}` : '';
	return `${formatCount(done)}/${formatCount(progress.total)} · ${formatCount(progress.sent)} sent · ${formatCount(progress.failed)} failed${deferred} · ${Math.round(progress.rate)} msg/s${eta}${limits}`;
}

/**
 * Waits for a delivery's start-up (exitOnSignalWhileStarting answers signals meanwhile). When it
 * fails, signals get their default back; when it succeeds, runDelivery answers them next (it is
 * called in the same turn: no signal comes between).
 */
async function startingUp(start: Promise<Delivery>): Promise<Delivery> {
	try {
		return await start;
	} catch (error) {
		answerSignals(undefined);
		throw error;
	}
}

/**
 * Runs a prepared delivery to its end, reporting as it goes, and returns the exit status.
 * A first signal stops it cleanly (no new message; those in flight finish within their reply
 * deadline and are journaled): 130. A second one ends it at once, the messages in flight left
 * pending. A server, network or disk that gives out after messages were accepted: 75. Either
 * way the record is complete and the resume command printed, and `--json` ends with the summary.
 */
export async function runDelivery(delivery: Delivery, context: CommandContext, afterRun?: (sendId: string) => Promise<Record<string, unknown> | undefined>): Promise<number> {
	const {io, options} = context;
	const asJson = Boolean(options.json);
	let lastLine = 0;
	let drewLine = false;
	const say = (text: string) => {
		io.err(text, {overwrite: drewLine});
		drewLine = false;
	};

	const onEvent = (event: DeliveryEvent) => {
		if (asJson) {
			if (event.type === 'outcome' && event.status !== 'sent') {
				io.out(json({type: 'outcome', address: event.address, status: event.status, attempts: event.attempts, response: event.response}));
			} else if (event.type === 'limiting') {
				io.out(json({type: 'limiting', ...event.limiting, text: event.text}));
			} else if (event.type === 'no-dsn') {
				io.out(json({type: 'no-dsn', text: event.text}));
			} else if (event.type === 'relay-left') {
				io.out(json(event));
			} else if (event.type === 'progress' && Date.now() - lastLine >= 1000) {
				lastLine = Date.now();
				io.out(json({type: 'progress', ...event.progress}));
			}

			return;
		}

		if (event.type === 'outcome' && event.status === 'failed') {
			say(`failed: ${event.address}: ${printable(event.response)}`);
		} else if (event.type === 'limiting' || event.type === 'no-dsn') {
			say(printable(event.text));
		} else if (event.type === 'relay-left') {
			say(printable(relayLeftLine(event)));
		} else if (event.type === 'progress' && io.errIsTty && Date.now() - lastLine >= 100) {
			lastLine = Date.now();
			io.err(progressLine(event.progress), {newline: false, overwrite: true});
			drewLine = true;
		}
	};

	const unsubscribe = delivery.subscribe(onEvent);
	let interrupts = 0;
	const onSignal = (signal: NodeJS.Signals | 'output closed') => {
		interrupts++;
		if (interrupts === 1) {
			say(`${signalCause(signal)}: no new message starts; the ones in flight finish and are journaled (again to stop at once)…`);
			delivery.interrupt(signal === 'SIGTERM' || signal === 'SIGHUP' ? 'signal' : 'person');
		} else if (signal !== 'output closed') {
			say(`Stopping now: the messages in flight stay pending. ${massmailCommand(context.store().paths.demo)} resume ${delivery.id} sends them.`);
			delivery.abort();
		}
	};

	answerSignals(onSignal);
	const onOutputClosed = () => {
		onSignal('output closed');
	};

	io.outputClosed?.addEventListener('abort', onOutputClosed);

	if (!asJson) {
		io.err(`Sending ${delivery.id} to ${plural(delivery.total, 'recipient')} via ${delivery.destination}`);
	}

	let result: DeliveryResult;
	try {
		result = await delivery.start();
	} finally {
		unsubscribe();
		io.outputClosed?.removeEventListener('abort', onOutputClosed);
		// The status is decided now: a signal while the last lines are printed does not change it.
		ignoreSignalsAfterRun();
	}

	if (drewLine) {
		io.err(progressLine(delivery.progress()), {overwrite: true});
	}

	const status = exitStatusOfRun(result);
	const command = massmailCommand(context.store().paths.demo);
	const end = runEndLines(result, {command, captureDir: delivery.destination.startsWith('local capture') ? context.store().paths.captureDir : undefined});
	for (const line of end.stopped) {
		io.err(printable(line));
	}

	if (!asJson) {
		for (const line of end.outcome) {
			io.out(line);
		}
	}

	if (end.resume) {
		io.err(end.resume);
	}

	// send --track: the reports that came back meanwhile, after the run (a stopped run's too: what was accepted can bounce).
	const tracked = afterRun && result.runSent > 0 ? await afterRun(result.id) : undefined;
	if (asJson) {
		io.out(json({
			id: result.id,
			total: result.total,
			sent: result.sent,
			failed: result.failed,
			status: result.status,
			exitStatus: status,
			...(result.stopped ? {stopped: result.stopped.message} : {}),
			...(isResumable(result) ? {resume: `${command} resume ${result.id}`} : {}),
			...(tracked ? {track: tracked} : {}),
		}));
	}

	return status;
}

/** send and remind: wait for the delivery reports after the run. */
const trackOption: Record<string, OptionSpec> = {
	track: {type: 'string', value: 'SECONDS', description: 'after the run, wait this long for the delivery reports, fold this send\'s (as massmail track SEND_ID does) and print them; with --json, as "track" in the final line. Refused at once when tracking.* is not set up'},
};

const sendCommand: Command = {
	name: 'send',
	arity: [0, 0],
	summary: 'Send an email to a recipient group: one message per recipient.',
	options: {
		...composeOptions,
		...trackOption,
		...unreadableOption,
		from: {type: 'string', value: 'NAME|"NAME <ADDR>"', description: 'the sender (default: settings sender.name and sender.address)'},
		'friendly-name': {type: 'string', value: 'TEXT', description: 'put before each recipient\'s address in To, as typed: "Example.com User - " gives To: "Example.com User - ann@example.com" <ann@example.com> (--dry-run shows it)'},
		html: {type: 'boolean', description: 'the message is HTML (detected otherwise); a plain-text part is added'},
		...deliveryOptions,
	},
	run: async context => composeAndSend(context, 'email'),
};

const remindCommand: Command = {
	name: 'remind',
	arity: [0, 0],
	summary: 'Send a plain-text reminder from the default sender. With --follow-up, to that send\'s recipients, from its sender with its friendly name, threaded under the message each received.',
	options: {
		...composeOptions,
		'follow-up': {type: 'string', value: 'SEND_ID', description: 'remind the recipients of an earlier send; subject defaults to "Reminder: <subject>"'},
		from: {type: 'string', value: 'NAME|"NAME <ADDR>"', description: 'with --follow-up: the sender (default: the original\'s)'},
		'friendly-name': {type: 'string', value: 'TEXT', description: 'with --follow-up: put before each address in To (default: the original\'s; "" for the bare address)'},
		...unreadableOption,
		...trackOption,
		...deliveryOptions,
	},
	run: async context => composeAndSend(context, 'reminder'),
};

function reopenCommand(name: 'resume' | 'retry'): Command {
	const only = name === 'resume' ? 'unfinished' : 'failed';
	return {
		name,
		args: 'SEND_ID',
		arity: [1, 1],
		summary: name === 'resume'
			? 'Continue an interrupted send: every recipient without a final outcome. Nobody whose message was accepted is sent it again.'
			: 'Send again to the recipients of a send that failed, and only to them. With --bounced, also to those whose delivery report bounced with a temporary status (4.x.x); never to a permanent bounce.',
		options: {
			...unreadableOption,
			...deliveryOptions,
			...(name === 'retry' ? {bounced: {type: 'boolean', description: 'also the recipients whose delivery report (massmail track) says they bounced with a temporary status, 4.x.x (over quota, a hop down); never a permanent 5.x.x bounce'}} as const : {}),
		},
		async run(context) {
			const id = context.args[0]!;
			const store = context.store();
			const {openDeliveryContext, reopenDelivery} = await loadEngine();
			const ctx = openDeliveryContext(store, context.env);
			try {
				const policy = unreadablePolicy(stringOption(context.options, 'unreadable'));
				const damage = ctx.sends.requireReadable(id, policy);
				const state = ctx.sends.outcomes(id, undefined, {unreadable: policy});
				const wanted = only === 'failed' ? statusCodes.failed : statusCodes.pending;
				const bounced = context.options.bounced ? temporarilyBounced(ctx.sends, id, state.status) : [];
				const bouncedCount = bounced.filter(Boolean).length;
				const count = state.status.reduce((sum, code) => sum + (code === wanted ? 1 : 0), 0) + bouncedCount;
				if (count === 0) {
					if (context.options.json) {
						// The whole send's counts, as after a run: the JSON is the only thing on stdout.
						const summary = ctx.sends.summary(id);
						context.io.out(json({id, total: summary.total, sent: state.sent, failed: state.failed, status: summary.status, exitStatus: exitCodes.ok}));
					} else {
						context.io.out(only === 'failed' ? `Send ${id} has no failed recipients${context.options.bounced ? ' and none bounced with a temporary status' : ''}.` : `Send ${id} has nothing left to send.`);
					}

					return exitCodes.ok;
				}

				// Said with --yes too: it skips the question, not what the run is about to do differently.
				if (damage.unreadableRecipients > 0) {
					context.io.err(`The record of ${id} is damaged: ${plural(damage.unreadableRecipients, 'recipient')} unreadable, ${policy === 'send' ? 'taken as not sent' : 'left out'} (--unreadable ${policy}).`);
				}

				const recorded = ctx.sends.record(id).destination;
				const now = describeTarget(resolveSmtpTarget(store.settings.get(), context.env));
				if (recorded !== now) {
					context.io.err(`The send went through ${recorded}; this run goes through ${now}.`);
				}

				if (!context.options.yes) {
					await confirmOrRefuse(context.io, `${name === 'resume' ? 'Resume' : 'Retry'} ${id}: send to ${plural(count, 'recipient')}${bouncedCount > 0 ? ` (${formatCount(bouncedCount)} bounced with a temporary status)` : ''}? [y/N] `);
				}

				const command = massmailCommand(store.paths.demo);
				const again = `${command} ${name} ${id}`;
				exitOnSignalWhileStarting(context.io, `nothing more was sent. The send can be ${name === 'resume' ? 'resumed' : 'retried'}: ${again}`, context.options.json ? stopped => {
					const {total, status} = ctx.sends.summary(id);
					return {id, total, sent: state.sent, failed: state.failed, status, stopped, resume: again};
				} : undefined);
				const delivery = await startingUp(reopenDelivery(ctx, id, {only, unreadable: policy, bounced: Boolean(context.options.bounced), onRetry: text => context.io.err(printable(text))}, overridesOf(context.options)));
				return await runDelivery(delivery, context);
			} catch (error) {
				throw withUnreadableHint(error);
			} finally {
				await ctx.close();
			}
		},
	};
}

export const sendCommands: Command[] = [sendCommand, remindCommand, reopenCommand('resume'), reopenCommand('retry')];
