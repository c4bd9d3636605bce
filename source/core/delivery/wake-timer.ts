/**
 * One timer for every reason a run looks again later (a retry due, the pace, a reconnect): the
 * earliest asked for wins, and a later one asked meanwhile costs nothing.
 */
export class WakeTimer {
	private timer: NodeJS.Timeout | undefined;
	private atTime = Number.POSITIVE_INFINITY;

	constructor(private readonly wake: () => void) {}

	/** Wakes at `at` (ms since the epoch), unless an earlier wake is set. */
	at(at: number): void {
		if (at >= this.atTime) {
			return;
		}

		clearTimeout(this.timer);
		this.atTime = at;
		this.timer = setTimeout(() => {
			this.timer = undefined;
			this.atTime = Number.POSITIVE_INFINITY;
			this.wake();
		}, Math.max(0, at - Date.now()));
	}

	clear(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
		this.atTime = Number.POSITIVE_INFINITY;
	}
}
