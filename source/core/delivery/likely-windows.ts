/**
 * The windows servers limit a client in, as a send guesses them before it knows: it asks just
 * after each would end (pacing.ts), so that a round window is met to a second.
 */

/** The windows servers are set to, in seconds (then every 30 s); anvil's lasts its unit and up to a second more (whole seconds). */
export const likelyWindowsS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120];
/** Fewer for connections (then every minute): a server that counts them refuses every try. */
export const likelyConnectionWindowsS = [1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120];
const wholeSecondMarginMs = 1050;

/**
 * The first time after `now` at which a window that began at `start` would end, were it one of
 * `windowsS` (seconds; after the last, every `thenEveryMs`), on a clock of whole seconds.
 */
export function likelyEnd(start: number, now: number, windowsS: readonly number[], thenEveryMs: number): number {
	const since = now - start;
	for (const seconds of windowsS) {
		const end = (seconds * 1000) + wholeSecondMarginMs;
		if (end > since) {
			return start + end;
		}
	}

	const last = windowsS.at(-1)! * 1000;
	const steps = Math.floor((since - wholeSecondMarginMs - last) / thenEveryMs) + 1;
	return start + last + (steps * thenEveryMs) + wholeSecondMarginMs;
}
