/**
 * How a run ends: why the server, the network or the disk stopped it (the words people read),
 * and the end of a started run recorded — the outcome log's last group on disk, how the send
 * ended written to its record — with the result its caller gets. The engine's finish() records
 * the end through it; its close() is the one place a run ends.
 */
import {MassmailError} from '../errors.js';
import {countOutcomes, type OutcomeWriter, type SendLog} from '../journal.js';
import type {DeliveryResult, SendStatus} from '../types.js';
import type {ConnectionTarget} from './transport.js';

/** How a run can end. */
export type FinalStatus = Exclude<SendStatus, 'running'>;

/**
 * The phase of a run whose last messages settled: its outcome log is being closed. `fatal` may
 * still be set meanwhile (the last write failed).
 */
export interface Ending {
	name: 'ending';
	status: FinalStatus;
	fatal?: MassmailError;
	/** A SIGTERM or SIGHUP stopped the run, not a person: recorded as stoppedBy 'signal'. */
	bySignal?: boolean;
}

/** The outcomes could not be written: the run must not go on. */
export function journalUnwritable(sendId: string, error: Error, command: string): MassmailError {
	return new MassmailError('store', `cannot write the journal of send ${sendId}: ${error.message}`, {hint: `free some disk space, then: ${command} resume ${sendId}`});
}

/** Connections failed to open, one after another, with none open: the server is gone. */
export function serverLost(target: ConnectionTarget, sendId: string, response: string, failures: number, command: string): MassmailError {
	return new MassmailError('connection', `lost the SMTP server ${target.host}:${target.port}: ${response} (${failures} connections failed in a row)`, {
		hint: `once the server is back: ${command} resume ${sendId}`,
	});
}

/** Recipients wait, and the server took or refused no message for `stallMs`. */
export function serverStalled(target: ConnectionTarget, sendId: string, stallMs: number, limitingText: string, command: string): MassmailError {
	return new MassmailError('connection', `the SMTP server ${target.host}:${target.port} took no message for ${Math.round(stallMs / 1000)} s: ${limitingText || 'it deferred or dropped every attempt'}`, {hint: `try again later: ${command} resume ${sendId}`});
}

/** The server refused the login or TLS in the middle of a run. */
export function serverRefused(target: ConnectionTarget, kind: 'auth' | 'tls', response: string): MassmailError {
	return new MassmailError(kind === 'auth' ? 'auth' : 'connection', `the SMTP server ${target.host}:${target.port} refused to go on: ${response}`);
}

/** What stopped a run, as its record and result say it. */
export function stopKind(fatal: MassmailError): 'connection' | 'auth' | 'store' {
	return fatal.kind === 'auth' ? 'auth' : fatal.kind === 'store' ? 'store' : 'connection';
}

/** A run stopped before it started: a new send is recorded as such; a reopened one keeps how its last run ended. */
export function recordUnstarted(run: {id: string; run: 'new' | 'unfinished' | 'failed'; status: Uint8Array; sends: SendLog}, as: 'cancelled' | 'interrupted', fatal?: MassmailError): void {
	if (run.run === 'new') {
		run.sends.finish(run.id, as, countOutcomes(run.status), fatal === undefined ? undefined : stopKind(fatal));
	}
}

/**
 * The counts of a send as its outcome log holds them, after a write to it failed (a full disk):
 * the outcomes of the group that failed, and a line torn by it, are in memory only, and the
 * counts said and recorded must be those that show, history and resume read. Outcomes whose line
 * cannot be read count as neither (none, when the whole log cannot be read: resume then asks
 * how to treat them). When the record itself cannot be read, the memory's counts are all there is.
 */
function countsOnDisk(run: {id: string; total: number; status: Uint8Array; sends: SendLog}): {sent: number; failed: number} {
	try {
		const {sent, failed} = run.sends.outcomes(run.id, run.total, {unreadable: 'skip'});
		return {sent, failed};
	} catch {
		return countOutcomes(run.status);
	}
}

/**
 * Records the end of a started run: closes its outcome log (everything appended reaches the
 * disk), then writes how the send ended with its counts. Neither failing throws: the failure
 * becomes why the run stopped (`ending.fatal`, unless it already says why).
 */
export async function recordEnd(ending: Ending, run: {
	id: string;
	/** Recipients of the whole send. */
	total: number;
	/** Messages the server accepted in this run. */
	runSent: number;
	/** Per recipient of the send: its status code. */
	status: Uint8Array;
	writer: OutcomeWriter;
	sends: SendLog;
	/** How hints name this program (EngineOptions.command). */
	command: string;
}): Promise<DeliveryResult> {
	try {
		await run.writer.close();
	} catch (error) {
		ending.fatal ??= journalUnwritable(run.id, error as Error, run.command);
	}

	const counts = run.writer.error === undefined ? countOutcomes(run.status) : countsOnDisk(run);
	const {fatal: stoppedFirst} = ending;
	const stoppedBy = stoppedFirst === undefined ? (ending.bySignal ? 'signal' : undefined) : stopKind(stoppedFirst);
	try {
		run.sends.finish(run.id, ending.status, counts, stoppedBy);
	} catch (error) {
		ending.fatal ??= new MassmailError('store', `cannot record how send ${run.id} ended: ${(error as Error).message}`, {hint: `${run.command} resume ${run.id} once the disk is fixed`});
	}

	const result: DeliveryResult = {id: run.id, total: run.total, ...counts, status: ending.status, runSent: run.runSent};
	const {fatal} = ending;
	if (fatal) {
		result.stopped = {kind: stopKind(fatal), message: fatal.message, hint: fatal.hint};
	}

	return result;
}
