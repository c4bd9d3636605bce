/**
 * What the Summary says of a send's end, in its title and first line: a stopped, interrupted,
 * cancelled or partly failed send never reads like success (no ✓, not "Sent:").
 */
import type {DeliveryResult} from '../../core/types.js';
import {exitStatusOfRun} from '../../core/errors.js';
import {isResumable} from '../../core/run-end.js';

export interface SendEnd {
	/** The first line's first words: `Finished`, `Finished with failures`, `Stopped`, `Interrupted`, `Cancelled`. */
	word: string;
	/** Every message of the run accepted and nothing left: the only end shown with a ✓. */
	clean: boolean;
	/** The send can go on with `resume`. */
	resumable: boolean;
	/** The exit status the dashboard ends with from here (the command line's table). */
	exitStatus: number;
}

export function sendEnd(result: DeliveryResult): SendEnd {
	const pending = result.total - result.sent - result.failed;
	const resumable = isResumable(result) && pending > 0;
	const exitStatus = exitStatusOfRun(result);
	if (result.stopped) {
		return {word: 'Stopped', clean: false, resumable, exitStatus};
	}

	if (result.status === 'cancelled') {
		return {word: 'Cancelled', clean: false, resumable, exitStatus};
	}

	if (result.status === 'interrupted' || result.status === 'running') {
		return {word: 'Interrupted', clean: false, resumable, exitStatus};
	}

	if (result.failed > 0) {
		return {word: 'Finished with failures', clean: false, resumable, exitStatus};
	}

	return {word: 'Finished', clean: pending === 0, resumable, exitStatus};
}

/**
 * The header's title: `Sent: Planned maintenance`, `Stopped: Planned maintenance`, or for a
 * resume or retry `Retry: …` / `Retry stopped: …` — whatever the progress screen was called.
 */
export function summaryTitle(route: {title: string; result: DeliveryResult}): string {
	const match = /^(?:(Resume|Retry)|Sending|Sent|Stopped): (.*)$/s.exec(route.title);
	const run = match?.[1];
	const what = match ? match[2] : route.title;
	const end = sendEnd(route.result);
	if (end.clean) {
		return `${run ?? 'Sent'}: ${what}`;
	}

	return run ? `${run} ${end.word.toLowerCase()}: ${what}` : `${end.word}: ${what}`;
}
