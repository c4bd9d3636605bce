/**
 * track: the delivery reports that have come back to the bounce mailbox (tracking.*), folded
 * into the send records over IMAP (core/tracking/fold.ts), then what they say per send:
 *
 *     Send 20260101-120000-ab12cd "Maintenance tonight" (2026-01-01 12:00:00Z)
 *       Accepted 1,200 · Delivered 1,180 · Bounced 17 · Delayed 3
 *       Bounced:
 *         full@example.com  5.2.2  mailbox full
 *
 *     Broken mailboxes on your server (their last report bounced):
 *       full@example.com  5.2.2  mailbox full  (send 20260101-120000-ab12cd)
 *
 * `--watch` folds again every few seconds and prints what changed, until Ctrl+C (exit 130).
 * An IMAP server that cannot be reached or refuses the login is exit 3, with the server's words
 * and nothing recorded; tracking not set up is exit 2, naming the settings to set.
 * `send --track SECONDS` folds its send's reports after the run through the same pieces
 * (trackAfterSend).
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {exitCodes, formatError, isMassmailError, usageError} from '../core/errors.js';
import {formatCount, plural, printable} from '../core/format.js';
import {SendLog} from '../core/journal.js';
import type {FoldSummary} from '../core/tracking/fold.js';
import {brokenMailboxes, deliveryLine, recentDays, recentSendIds, sendDeliveries, type BrokenMailbox, type ReportedRecipient, type SendDeliveries} from '../core/tracking/results.js';
import {requireTrackingTarget} from '../core/tracking/target.js';
import {intOption, type Command, type CommandContext} from './command.js';
import {json} from './output.js';

/** The longest a fold may take, the connection included. */
const foldDeadlineMs = 10 * 60_000;
const defaultEverySeconds = 30;

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
/** Words from a remote server, one line: nothing in them moves the cursor. */

/** What a fold did, in one line. */
function foldLine(summary: FoldSummary, where: string): string {
	const parts = [`Folded ${plural(summary.folded, 'report')}${summary.replies > 0 ? ` and ${plural(summary.replies, 'auto-reply', 'auto-replies')}` : ''} from ${where}`];
	if (summary.already > 0) {
		parts.push(`${plural(summary.already, 'report')} folded before, moved now`);
	}

	if (summary.notOurs > 0) {
		parts.push(`${plural(summary.notOurs, 'message')} not massmail's, left untouched`);
	}

	if (summary.skipped > 0) {
		parts.push(`${plural(summary.skipped, 'report')} on other sends left in the inbox`);
	}

	if (summary.notMoved > 0) {
		parts.push(`${plural(summary.notMoved, 'report')} recorded but not moved (the server cannot move them)`);
	}

	return parts.join('; ');
}

function recipientLines(title: string, recipients: readonly ReportedRecipient[]): string[] {
	if (recipients.length === 0) {
		return [];
	}

	const width = Math.max(...recipients.map(each => each.address.length));
	return [`  ${title}:`, ...recipients.map(each => `    ${each.address.padEnd(width)}  ${each.status ?? ''}  ${printable(each.diagnostic ?? '')}`.trimEnd())];
}

function sendLines(send: SendDeliveries): string[] {
	return [
		`Send ${send.id} "${printable(send.subject)}" (${when(send.createdAt)})`,
		`  ${deliveryLine(send.counts)}`,
		...recipientLines('Bounced', send.bounced),
		...recipientLines('Delayed', send.delayed),
	];
}

function brokenLines(broken: readonly BrokenMailbox[]): string[] {
	if (broken.length === 0) {
		return ['No mailbox of your server bounced its last report.'];
	}

	const width = Math.max(...broken.map(each => each.address.length));
	return [
		`Broken mailboxes on your server (their last report bounced): ${formatCount(broken.length)}`,
		...broken.map(each => `  ${each.address.padEnd(width)}  ${each.status ?? ''}  ${printable(each.diagnostic ?? '')}  (send ${each.sendId})`),
	];
}

function sendJson(send: SendDeliveries): Record<string, unknown> {
	const recipient = ({address, status, diagnostic, at}: ReportedRecipient) => ({address, status, diagnostic, at});
	return {
		id: send.id,
		subject: send.subject,
		createdAt: send.createdAt,
		counts: send.counts,
		lastFoldedAt: send.lastFoldedAt,
		bounced: send.bounced.map(each => recipient(each)),
		delayed: send.delayed.map(each => recipient(each)),
	};
}

function foldJson(summary: FoldSummary): Record<string, unknown> {
	const {bySend: _bySend, ...rest} = summary;
	return rest;
}

interface Round {
	summary: FoldSummary;
	sends: SendDeliveries[];
	broken: BrokenMailbox[];
}

/** A recipient's state as a round saw it: what changed between two rounds is printed by --watch. */
const stateKey = (send: SendDeliveries, each: ReportedRecipient, state: string) => `${send.id} ${each.index} ${state} ${each.status ?? ''}`;

function statesOf(sends: readonly SendDeliveries[]): Set<string> {
	const states = new Set<string>();
	for (const send of sends) {
		for (const each of send.bounced) {
			states.add(stateKey(send, each, 'bounced'));
		}

		for (const each of send.delayed) {
			states.add(stateKey(send, each, 'delayed'));
		}
	}

	return states;
}

const trackCommand: Command = {
	name: 'track',
	args: '[SEND_ID]',
	arity: [0, 1],
	summary: `Fold the delivery reports that came back to the bounce mailbox (tracking.*) into the send records, then show each send's deliveries (of the last ${recentDays} days, or of SEND_ID): `
		+ 'Accepted · Delivered · Bounced · Delayed, who bounced with the remote server\'s words, and the mailboxes of your server whose last report bounced. '
		+ 'Only massmail\'s reports are moved (to massmail/processed); nothing is deleted.',
	options: {
		watch: {type: 'boolean', description: 'fold again every --every seconds and print what changed, until Ctrl+C'},
		every: {type: 'string', value: 'SECONDS', description: `with --watch: the seconds between folds (default ${defaultEverySeconds})`},
		json: {type: 'boolean', description: 'print {"fold": {"looked","folded","replies","already","unmatched","notOurs","skipped","notMoved","unmatchedWhy"}, "sends": [{"id","subject","createdAt","counts": {"accepted" (no report yet),"delivered","bounced","delayed","replied"},"lastFoldedAt","bounced": [{"address","status","diagnostic","at"}],"delayed": […]}], "brokenMailboxes": [{"address","status","diagnostic","at","sendId"}]}; one line per fold with --watch'},
	},
	async run(context) {
		return track(context);
	},
};

/** What a `track` needs besides the command's options: the mailbox, the records, whose mailboxes are the server's. */
interface Tracking {
	target: ReturnType<typeof requireTrackingTarget>;
	sends: SendLog;
	ours: (address: string) => boolean;
}

/** The bounce mailbox and the records, from the store: exit 2 when tracking is not set up. */
function openTracking(context: CommandContext): Tracking {
	const store = context.store();
	const target = requireTrackingTarget(store.settings.get(), context.env);
	const sends = new SendLog(store.paths.sendsDir);
	let ours: (address: string) => boolean;
	try {
		const directory = store.directory();
		ours = address => directory.find(address) !== undefined;
	} catch {
		// A directory that cannot be read: every bounced address is listed.
		ours = () => true;
	}

	return {target, sends, ours};
}

/** One fold, then what the records say of the sends shown (`only`, else the recent ones and any that got a report now). */
async function foldAndRead({target, sends, ours}: Tracking, only: string | undefined, signal: AbortSignal): Promise<Round> {
	const {foldReports} = await import('../core/tracking/fold.js');
	const summary = await foldReports({
		imap: target.imap,
		returnPath: target.returnPath,
		delimiter: target.delimiter,
		sends,
		...(only === undefined ? {} : {sendIds: [only]}),
		deadlineMs: foldDeadlineMs,
		signal,
	});
	const recent = only === undefined ? recentSendIds(sends) : [only];
	// Sends of long ago that got a report now are shown too.
	const ids = [...new Set([...recent, ...Object.keys(summary.bySend)])];
	const shown = ids.map(id => sendDeliveries(sends, id)).filter(send => Object.values(send.counts).some(count => count > 0));
	return {summary, sends: shown, broken: brokenMailboxes(sends, only === undefined ? recent : [only], ours)};
}

function roundJson(result: Round): Record<string, unknown> {
	return {fold: foldJson(result.summary), sends: result.sends.map(each => sendJson(each)), brokenMailboxes: result.broken};
}

/** A round for people: the fold, each send, the broken mailboxes. */
function roundLines(result: Round, where: string, only: string | undefined): string[] {
	const lines = [foldLine(result.summary, where)];
	if (result.summary.unmatched > 0) {
		lines.push(`${plural(result.summary.unmatched, 'report')} could not be read or matched to a recipient; left in the inbox:`, ...result.summary.unmatchedWhy.map(why => `  ${printable(why)}`));
	}

	if (result.sends.length === 0) {
		lines.push('', only === undefined ? `No send of the last ${recentDays} days went to an SMTP server.` : `Send ${only} has no accepted message.`);
	}

	for (const send of result.sends) {
		lines.push('', ...sendLines(send));
	}

	lines.push('', ...brokenLines(result.broken));
	return lines;
}

/** What came since the last round (--watch): the sends that got reports, and who bounced or is delayed anew. */
function changeLines(result: Round, where: string, seen: Set<string>): string[] {
	if (result.summary.folded + result.summary.replies === 0) {
		return [];
	}

	const lines = [`${new Date().toTimeString().slice(0, 8)} ${foldLine(result.summary, where)}`];
	for (const send of result.sends) {
		if (Object.hasOwn(result.summary.bySend, send.id)) {
			const bounced = send.bounced.filter(each => !seen.has(stateKey(send, each, 'bounced')));
			const delayed = send.delayed.filter(each => !seen.has(stateKey(send, each, 'delayed')));
			lines.push(`Send ${send.id}: ${deliveryLine(send.counts)}`, ...recipientLines('Bounced', bounced), ...recipientLines('Delayed', delayed));
		}
	}

	return lines;
}

/** Ctrl+C, SIGTERM, SIGHUP and a closed output abort `stop` while `run` runs. */
async function untilSignal<T>(io: CommandContext['io'], stop: AbortController, run: () => Promise<T>): Promise<T> {
	const onSignal = () => {
		stop.abort();
	};

	const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
	for (const signal of signals) {
		process.on(signal, onSignal);
	}

	io.outputClosed?.addEventListener('abort', onSignal);
	try {
		return await run();
	} finally {
		for (const signal of signals) {
			process.off(signal, onSignal);
		}

		io.outputClosed?.removeEventListener('abort', onSignal);
	}
}

async function track(context: CommandContext): Promise<number> {
	const {args, options, io} = context;
	const every = intOption(options, 'every', {min: 1, max: 86_400});
	if (every !== undefined && !options.watch) {
		throw usageError('--every goes with --watch');
	}

	const tracking = openTracking(context);
	const only = args[0];
	if (only !== undefined) {
		tracking.sends.record(only); // An unknown send: exit 2 before anything connects.
	}

	const where = tracking.target.description;
	const wait = async (signal: AbortSignal) => sleep((every ?? defaultEverySeconds) * 1000, undefined, {signal}).catch(() => undefined);
	const stop = new AbortController();
	await untilSignal(io, stop, async () => {
		let seen = statesOf([]);
		let first = true;
		while (!stop.signal.aborted) {
			let result: Round;
			try {
				result = await foldAndRead(tracking, only, stop.signal);
			} catch (error) {
				if (stop.signal.aborted) {
					break;
				}

				if (first || !options.watch || !isMassmailError(error)) {
					throw error;
				}

				// A watch goes on through a server that is gone for a while.
				io.err(`${formatError(error)}\nmassmail: trying again in ${every ?? defaultEverySeconds} s`);
				await wait(stop.signal);
				continue;
			}

			if (options.json) {
				io.out(json(roundJson(result)));
			} else {
				const lines = first ? roundLines(result, where, only) : changeLines(result, where, seen);
				if (lines.length > 0) {
					io.out(lines.join('\n'));
				}
			}

			seen = statesOf(result.sends);
			first = false;
			if (!options.watch) {
				break;
			}

			await wait(stop.signal);
		}
	});

	if (stop.signal.aborted) {
		io.err(options.watch ? 'Stopped watching: what was folded is kept.' : 'Interrupted: what was folded is kept.');
		return exitCodes.interrupted;
	}

	return exitCodes.ok;
}

/**
 * `send --track SECONDS`: refuses before anything is sent when tracking is not set up (exit 2);
 * returns what to do once the run has ended — wait that long for the reports (Ctrl+C skips the
 * wait), fold this send's, and print them (for --json, the object to add to the final line).
 * A fold that fails is said, and leaves the send's exit status as it is.
 */
export function trackAfterSend(context: CommandContext, seconds: number): (sendId: string) => Promise<Record<string, unknown> | undefined> {
	const tracking = openTracking(context);
	const {io, options} = context;
	return async sendId => {
		const stop = new AbortController();
		try {
			return await untilSignal(io, stop, async () => {
				if (!options.json) {
					io.err(`Waiting ${seconds} s for the delivery reports (Ctrl+C: not now)…`);
				}

				await sleep(seconds * 1000, undefined, {signal: stop.signal}).catch(() => undefined);
				if (stop.signal.aborted) {
					io.err(`Not waiting for the reports: massmail track ${sendId} folds them later.`);
					return undefined;
				}

				const result = await foldAndRead(tracking, sendId, stop.signal);
				if (options.json) {
					return roundJson(result);
				}

				io.out(['', ...roundLines(result, tracking.target.description, sendId)].join('\n'));
				return undefined;
			});
		} catch (error) {
			if (!isMassmailError(error)) {
				throw error;
			}

			io.err(`${formatError(error)}\nThe send is recorded as it is: massmail track ${sendId} folds its reports later.`);
			return options.json ? {error: error.message} : undefined;
		}
	};
}

export const trackCommands: Command[] = [trackCommand];
