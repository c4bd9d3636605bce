/**
 * Scheduled sends on the command line: `send`/`remind --at WHEN` (scheduleSend, called from
 * send-commands.ts once the draft and the group are known), `massmail scheduled`, `cancel` and
 * `run-due` (what the system's timer runs every minute: it never waits for a terminal).
 */
import {now} from '../core/clock.js';
import {exitCodes, isMassmailError, usageError} from '../core/errors.js';
import {formatCount, massmailCommand, plural, printable} from '../core/format.js';
import {currentOperator, describeOperator} from '../core/operator.js';
import {cancelScheduled, describeWhen, editScheduled, formatTime, openSchedule, scheduledFollowUps, type ScheduledSend, type ScheduleEdit} from '../core/schedule/index.js';
import {addScheduledSend, type NewScheduledSend} from '../core/schedule/create.js';
import {stringOption, type Command, type CommandContext} from './command.js';
import {confirmOrRefuse} from './directory-commands.js';
import {json, table} from './output.js';
import {missingTimerWarning} from '../core/schedule/timer.js';
import {rotateRunDueLog} from '../core/schedule/cron-log.js';
import {readMessage, runDelivery} from './send-commands.js';
import {answerSignals, signalCause} from './signals.js';

/** What `send`/`remind --at` schedules: the draft and the group as the send command read them. */
export interface ScheduleRequest extends NewScheduledSend {
	/** Lines said before the question (From, To, skipped, warnings). */
	lines: string[];
}

/**
 * `send`/`remind --at`: shows what and when in full, asks (or takes --yes), writes the record and
 * only then says it is scheduled. Nothing is sent. With --json: the record, with the last line's
 * fields of any send --json (total, sent, failed, status).
 */
export async function scheduleSend(context: CommandContext, request: ScheduleRequest): Promise<number> {
	const {io, options, env} = context;
	const clock = now(env);
	const store = context.store();
	const whenText = describeWhen(request.when.at, clock, request.when.zone);
	const what = `${request.draft.kind === 'email' ? 'Email' : 'Reminder'} "${printable(request.draft.subject)}" to ${printable(request.audience)}${request.followUpOf ? ` (follow-up of ${request.followUpOf})` : ''}`;
	if (!options.yes) {
		io.err(what);
		for (const line of request.lines) {
			io.err(printable(line));
		}

		io.err(`Recipients: ${formatCount(request.count)} now (the group is resolved again when it runs)`);
		io.err(`At: ${whenText}`);
		await confirmOrRefuse(io, `Schedule it for ${plural(request.count, 'recipient')} at ${formatTime(request.when.at, request.when.zone)}? [y/N] `);
	}

	const scheduled = addScheduledSend(store, request, {now: clock, env});
	if (options.json) {
		// The record, and the fields every send --json ends with (PRODUCT.md): nothing sent yet.
		io.out(json({...scheduled, total: scheduled.count, sent: 0, failed: 0, status: 'scheduled'}));
	} else {
		io.out(`Scheduled ${scheduled.id}: ${what}, ${whenText}.`);
		io.out(`massmail run-due sends it then (massmail schedule install sets up the timer); massmail cancel ${scheduled.id} cancels it.`);
	}

	warnWithoutTimer(context, store);

	return exitCodes.ok;
}

/** On stderr: sends are scheduled, but no timer (massmail schedule install) will run them. */
function warnWithoutTimer({io, env}: Pick<CommandContext, 'io' | 'env'>, store: ReturnType<CommandContext['store']>): void {
	const waiting = openSchedule(store).list().sends.filter(send => send.state === 'scheduled').length;
	const warning = missingTimerWarning(waiting, env, store.paths.demo);
	if (warning !== undefined) {
		io.err(`Warning: ${warning}`);
	}
}

/** How long a missed, refused or cancelled send stays in `massmail scheduled`. */
const recentMs = 7 * 86_400_000;

const scheduledCommand: Command = {
	name: 'scheduled',
	arity: [0, 0],
	summary: 'List the scheduled sends (and those missed, refused or cancelled in the last 7 days, with the reason): when, what, to whom, how many, who scheduled them.',
	options: {json: {type: 'boolean', description: 'print [{"id","kind","at","zone","state","reason","subject","audience","count","followUpOf","operator","createdAt"}]'}},
	async run({options, io, store, env}) {
		const clock = now(env);
		const {sends, damaged} = openSchedule(store()).list();
		const shown = sends.filter(send => send.state === 'scheduled'
			|| (send.state !== 'started' && clock.getTime() - Date.parse(send.changedAt ?? send.at) < recentMs));
		if (options.json) {
			io.out(json(shown.map(send => scheduledJson(send))));
		} else if (shown.length === 0) {
			io.out('Nothing is scheduled.');
		} else {
			io.out(table(['ID', 'AT', 'STATE', 'KIND', 'COUNT', 'BY', 'AUDIENCE', 'SUBJECT'], shown.map(send => [
				send.id, formatTime(new Date(send.at), send.zone), send.state, send.kind, send.count, printable(send.operator.user), printable(send.audience), printable(send.draft.subject),
			])));
			const explained = shown.filter(send => send.reason !== undefined);
			if (explained.length > 0) {
				io.out('');
				for (const send of explained) {
					io.out(`${send.id} ${send.state}: ${printable(send.reason!)}`);
				}
			}
		}

		for (const {file, problem} of damaged) {
			io.err(`massmail: ${file}: ${problem}`);
		}

		warnWithoutTimer({io, env}, store());

		return damaged.length > 0 ? exitCodes.usage : exitCodes.ok;
	},
};

/** A scheduled send as `scheduled --json` prints it (the draft's subject lifted out; the body stays in the file). */
export function scheduledJson(send: ScheduledSend): Record<string, unknown> {
	return {
		id: send.id, kind: send.kind, at: send.at, zone: send.zone, state: send.state, reason: send.reason ?? null,
		subject: send.draft.subject, audience: send.audience, count: send.count, followUpOf: send.followUpOf ?? null,
		operator: send.operator, createdAt: send.createdAt,
	};
}

/** `show ID` of a scheduled send that has not started. */
export function describeScheduled(send: ScheduledSend, clock: Date): string[] {
	return [
		`Scheduled send ${send.id} (${send.kind}): ${send.state}${send.reason ? ` — ${printable(send.reason)}` : ''}`,
		`At:       ${describeWhen(new Date(send.at), clock, send.zone)}`,
		`Subject:  ${printable(send.draft.subject)}`,
		`Audience: ${printable(send.audience)}, ${formatCount(send.count)} when scheduled${send.followUpOf ? ` (follow-up of ${send.followUpOf})` : ''}`,
		`By:       ${printable(describeOperator(send.operator))}, ${send.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`,
	];
}

const editCommand: Command = {
	name: 'scheduled edit',
	args: 'SEND_ID',
	arity: [1, 1],
	summary: 'Change the time or the text of a scheduled send that has not started: shows the change and asks (or --yes).',
	options: {
		at: {type: 'string', value: 'WHEN', description: 'the new time, as send --at takes it'},
		subject: {type: 'string', value: 'TEXT', description: 'the new subject'},
		message: {type: 'string', value: 'TEXT', description: 'the new message text'},
		'message-file': {type: 'string', value: 'PATH', description: 'read the new message from a file (- for standard input)'},
		encoding: {type: 'string', value: 'LABEL', description: 'the --message-file\'s encoding when it is not UTF-8'},
		yes: {type: 'boolean', description: 'do not ask (needed without a terminal)'},
		json: {type: 'boolean', description: 'print the record as scheduled --json does'},
	},
	async run({args, options, io, store, env}) {
		const id = args[0]!;
		const book = openSchedule(store());
		const send = book.get(id);
		const clock = now(env);
		const atText = stringOption(options, 'at');
		const subject = stringOption(options, 'subject');
		const hasMessage = options.message !== undefined || options['message-file'] !== undefined;
		if (atText === undefined && subject === undefined && !hasMessage) {
			throw usageError('nothing to change: give --at WHEN, --subject TEXT, --message TEXT or --message-file PATH', `massmail scheduled edit ${id} --at "Sat 19:00"`);
		}

		const lines: string[] = [];
		let at: ScheduleEdit['at'];
		if (atText !== undefined) {
			// Loaded only to read a time: chrono-node takes 50-60 ms to load.
			const {parseWhen} = await import('../core/schedule/parse-when.js');
			at = parseWhen(atText, {now: clock});
			lines.push(`At:      ${formatTime(new Date(send.at), send.zone)} -> ${describeWhen(at.at, clock, at.zone)}`);
		}

		if (subject !== undefined) {
			lines.push(`Subject: ${printable(send.draft.subject)} -> ${printable(subject)}`);
		}

		const body = hasMessage ? readMessage(options) : undefined;
		if (body !== undefined) {
			lines.push(`Message: ${plural(send.draft.body.split('\n').length, 'line')} -> ${plural(body.split('\n').length, 'line')}`);
		}

		// A subject or message the composer would refuse is refused now, not when nobody is there.
		const {textEdit} = await import('../core/schedule/text-edit.js');
		const edit: ScheduleEdit = {...textEdit(send, {subject, body}), ...(at === undefined ? {} : {at})};
		if (!options.yes) {
			io.err(`Scheduled send ${id}: "${printable(send.draft.subject)}" to ${printable(send.audience)}`);
			for (const line of lines) {
				io.err(line);
			}

			await confirmOrRefuse(io, `Change ${id}? [y/N] `);
		}

		const edited = editScheduled(book, store(), id, edit, clock);
		if (options.json) {
			io.out(json(scheduledJson(edited)));
		} else {
			io.out(`Changed ${id}: "${printable(edited.draft.subject)}" to ${printable(edited.audience)}, ${describeWhen(new Date(edited.at), clock, edited.zone)}.`);
		}

		return exitCodes.ok;
	},
};

const cancelCommand: Command = {
	name: 'cancel',
	args: 'SEND_ID',
	arity: [1, 1],
	summary: 'Cancel a scheduled send that has not started (asks first). run-due then sends nothing of it.',
	options: {yes: {type: 'boolean', description: 'do not ask (needed without a terminal)'}},
	async run({args, options, io, store, env}) {
		const id = args[0]!;
		const book = openSchedule(store());
		const send = book.get(id);
		const clock = now(env);
		if (!options.yes) {
			for (const line of describeScheduled(send, clock)) {
				io.err(line);
			}

			await confirmOrRefuse(io, `Cancel ${id}? [y/N] `);
		}

		cancelScheduled(book, store(), id, clock, describeOperator(currentOperator(env)));
		io.out(`Cancelled ${id}: nothing of it will be sent.`);
		// Its follow-ups stay as they are (each was asked for on its own), but would be refused when due.
		for (const followUp of scheduledFollowUps(book, id)) {
			io.out(`Its follow-up ${followUp.id} (${formatTime(new Date(followUp.at), followUp.zone)}) is still scheduled, and run-due will refuse it: cancel it too with ${massmailCommand(store().paths.demo)} cancel ${followUp.id}`);
		}

		return exitCodes.ok;
	},
};

/** The worst of two exit statuses: an internal error, an interruption, a stop, no connection, nothing sent, some failed, all well. */
const severity = [exitCodes.ok, exitCodes.someFailed, exitCodes.usage, exitCodes.connection, exitCodes.stopped, exitCodes.interrupted, exitCodes.internal] as number[];
const worse = (a: number, b: number): number => severity.indexOf(b) > severity.indexOf(a) ? b : a;

const runDueCommand: Command = {
	name: 'run-due',
	args: '[SEND_ID]',
	arity: [0, 1],
	summary: 'Send every scheduled send whose time has come, exactly once (what the timer of massmail schedule install runs every minute). Never asks: a send is confirmed when scheduled. '
		+ 'With SEND_ID: that one now, even before its time (asks, or --yes). '
		+ 'One whose time passed more than schedule.grace ago is marked missed; one whose directory source cannot be read, or whose audience changed by more than schedule.maxChange, is refused; the record says why. The exit status is the worst of the sends\'.',
	options: {
		json: {type: 'boolean', description: 'JSON lines: {"type":"scheduled","id","outcome","reason"} for each send, each run\'s progress, and its summary line as send --json prints it'},
		yes: {type: 'boolean', description: 'with SEND_ID: send it now without asking'},
	},
	async run(context) {
		const {io, options, env} = context;
		const clock = now(env);
		const store = context.store();
		const rotated = rotateRunDueLog(store.paths.root);
		if (rotated.problem) {
			io.err(`massmail: ${printable(rotated.problem)}`);
		}

		const book = openSchedule(store);
		const [{openDeliveryContext}, {dueSends, newlyLeftToPeople, startDue}] = await Promise.all([import('../core/delivery/index.js'), import('../core/schedule/run.js')]);
		const ctx = openDeliveryContext(store, env);
		const say = (send: ScheduledSend, outcome: string, reason?: string) => {
			if (options.json) {
				io.out(json({type: 'scheduled', id: send.id, outcome, ...(reason === undefined ? {} : {reason}), at: send.at, subject: send.draft.subject}));
			} else {
				io.err(`${send.id} "${printable(send.draft.subject)}" (${formatTime(new Date(send.at), send.zone)}): ${outcome}${reason === undefined ? '' : `: ${printable(reason)}`}`);
			}
		};

		let status: number = exitCodes.ok;
		try {
			const chosen = context.args[0];
			const early = chosen !== undefined && Date.parse(book.get(chosen).at) > clock.getTime();
			if (early && !options.yes) {
				// Before its time is a new decision: asked, as a send is, with what it is (as cancel shows it).
				const send = book.get(chosen);
				for (const line of describeScheduled(send, clock)) {
					io.err(line);
				}

				await confirmOrRefuse(io, `Send ${chosen} "${printable(send.draft.subject)}" now, before its time (${describeWhen(new Date(send.at), clock, send.zone)})? [y/N] `);
			}

			const {grace} = store.settings.get().schedule;
			const due = chosen === undefined ? dueSends(book, ctx.sends, clock, grace) : [book.get(chosen)];
			// A send stopped part-way that the timer no longer takes up is said once (exit 2), not left to history alone.
			const left = chosen === undefined ? newlyLeftToPeople(book, ctx.sends, clock, grace, massmailCommand(store.paths.demo)) : [];
			for (const {send, reason} of left) {
				say(send, 'left to a person', reason);
				status = worse(status, exitCodes.usage);
			}

			if (due.length === 0 && left.length === 0 && io.errIsTty && !options.json) {
				// Silent otherwise: cron mails whatever a job prints, every minute.
				io.err('Nothing is due.');
			}

			for (const send of due) {
				let step: Awaited<ReturnType<typeof startDue>>;
				// While it starts (the directory synced, the audience counted, the server checked) nothing
				// was sent: a signal ends the process at once, and the next run-due takes the send again
				// (a send record already made is resumed) while its time is within the grace period.
				answerSignals(signal => {
					say(send, 'not started', `${signalCause(signal)} while it was starting: nothing was sent; the next run-due takes it again while its time is within schedule.grace`);
					process.exit(exitCodes.interrupted);
				});
				try {
					step = await startDue(ctx, book, send.id, {now: clock, env, early, notice: text => io.err(text)});
				} catch (error) {
					if (!isMassmailError(error)) {
						throw error;
					}

					// One line: run-due.log and journalctl keep a line a send.
					say(send, 'not started', [error.message, ...error.details, error.hint].filter(Boolean).join('; '));
					status = worse(status, error.exitCode);
					continue;
				}

				if (step.outcome === 'delivery') {
					say(step.send, step.resumed ? 'resuming' : 'sending');
					const ran = await runDelivery(step.delivery, context);
					status = worse(status, ran);
					if (ran === exitCodes.interrupted) {
						break;
					}
				} else {
					say(step.send, step.outcome, step.reason);
					// A send named on the command line is a person asking for it now: not sending it is a refusal (2), not "all well".
					if (step.outcome !== 'skipped' || chosen !== undefined) {
						status = worse(status, exitCodes.usage);
					}
				}
			}
		} finally {
			await ctx.close();
		}

		return status;
	},
};

export const scheduleCommands: Command[] = [scheduledCommand, editCommand, cancelCommand, runDueCommand];
