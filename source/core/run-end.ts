/**
 * What a person is told when a send's run ends: how it went, where the record is, and how to go
 * on. One wording for the command line and the dashboard (printed after it gives the terminal
 * back), so that leaving a send from either leaves the same trail.
 */
import {formatCount, plural} from './format.js';
import type {DeliveryResult} from './types.js';

export interface RunEndLines {
	/** For standard error, first: why the server, the network or the disk stopped it. */
	stopped: string[];
	/** For standard output: the outcome and the record's id. */
	outcome: string[];
	/** For standard error, last: the command that goes on with it, when it can be resumed. */
	resume?: string;
}

/**
 * The closing lines of a run. `command` is how to call massmail again (`massmail`, or
 * `massmail --demo` on the demo profile); `captureDir` is set when the mail went to the local
 * capture server.
 *
 * @example runEndLines(result, {command: 'massmail'}).resume // 'The send can be resumed: massmail resume 20261207-101500-ab12cd'
 */
export function runEndLines(result: DeliveryResult, options: {command: string; captureDir?: string}): RunEndLines {
	const {command} = options;
	const stopped: string[] = [];
	const outcome: string[] = [];
	if (result.stopped) {
		stopped.push(`massmail: ${result.stopped.message}`);
		if (result.stopped.hint) {
			stopped.push(`  ${result.stopped.hint.replaceAll('massmail ', `${command} `)}`);
		}
	}

	const failed = result.failed > 0 ? `, ${formatCount(result.failed)} failed (see: ${command} show ${result.id})` : '';
	const word = result.status === 'finished' ? 'Finished' : result.status === 'cancelled' ? 'Cancelled' : result.stopped ? 'Stopped by the server, the network or the disk' : 'Interrupted';
	outcome.push(`${word}: ${formatCount(result.sent)} of ${plural(result.total, 'recipient')} sent${failed}. Record: ${result.id}`);
	if (options.captureDir !== undefined) {
		outcome.push(`Mail went to local capture: nothing left this machine (the messages are in ${options.captureDir}).`);
	}

	const resume = isResumable(result) ? `The send can be resumed: ${command} resume ${result.id}` : undefined;
	return {stopped, outcome, resume};
}

/** An interrupted or cancelled send has recipients that `resume` can still reach. */
export function isResumable(result: Pick<DeliveryResult, 'status'>): boolean {
	return result.status === 'interrupted' || result.status === 'cancelled';
}
