/**
 * Who answers Ctrl+C, SIGTERM and SIGHUP while a command that sends runs. A send goes through
 * phases, and each answers a signal its own way:
 * - starting (the connection check, which can take the whole reply deadline): nothing was sent,
 *   so the process ends at once with 130 and says what state it leaves;
 * - running: the delivery stops cleanly (runDelivery's answer);
 * - ended (the final lines are printed, connections say goodbye): the run's status is decided,
 *   and a late signal does not change it.
 * Without an answer, the signal's default kills the process (143 for SIGTERM, 129 for SIGHUP):
 * that is what a phase that forgot one would do, hence one listener per signal for the process
 * and one current answer, each phase replacing the last.
 */
import process from 'node:process';
import {exitCodes} from '../core/errors.js';
import {json, type Output} from './output.js';

export type SignalAnswer = (signal: NodeJS.Signals) => void;

const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let current: SignalAnswer | undefined;

function listener(signal: NodeJS.Signals): void {
	current?.(signal);
}

/** Makes `answer` the answer to the next signals; undefined gives them back their default. */
export function answerSignals(answer: SignalAnswer | undefined): void {
	const listening = current !== undefined;
	current = answer;
	if (answer !== undefined && !listening) {
		for (const signal of signals) {
			process.on(signal, listener);
		}
	} else if (answer === undefined && listening) {
		for (const signal of signals) {
			process.off(signal, listener);
		}
	}
}

/** How the lines about a signal name it: Ctrl+C is an interruption, the others by name. */
export function signalCause(signal: NodeJS.Signals | 'output closed'): string {
	return signal === 'SIGINT' ? 'Interrupted' : signal === 'output closed' ? 'The output was closed' : `Got ${signal}`;
}

/**
 * While a send starts: a signal ends the process at once with 130 and `consequence` (what was
 * and was not sent or written). It cannot wait for the check to end: the check has no way to be
 * cancelled from here, and once it succeeds the send record would be written for a run that
 * nobody wants. Exiting is safe here: nothing has been journaled yet, and a send's lock is a
 * file naming this process, free once it is gone. Standard error and output are written
 * synchronously (a file, a pipe or a terminal on Linux), so no line is lost by the exit.
 * `finalJson` (with --json): the summary line a script reads last, as after a run.
 */
export function exitOnSignalWhileStarting(io: Output, consequence: string, finalJson?: (stopped: string) => Record<string, unknown>): void {
	answerSignals(signal => {
		const stopped = `${signalCause(signal)} before the first connection to the SMTP server was up: ${consequence}`;
		io.err(stopped);
		if (finalJson) {
			io.out(json({...finalJson(stopped), exitStatus: exitCodes.interrupted}));
		}

		process.exit(exitCodes.interrupted);
	});
}

/**
 * Once a run has ended, its exit status is decided: a signal that comes while the last lines
 * are printed or the connections say goodbye (each within its reply deadline) is let pass.
 * Stays until another phase answers, or the process exits.
 */
export function ignoreSignalsAfterRun(): void {
	answerSignals(() => undefined);
}
