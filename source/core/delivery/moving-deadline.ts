/**
 * A session's deadline for its command in flight. A transaction moves it three times (its
 * commands, its 354, its final dot) and it nearly never expires: a setTimeout and a clearTimeout
 * for each move came to about a twentieth of the sending thread's time in the delivery bench's
 * profile. Here a move only records the time; the one timer looks at it when it fires and waits
 * again for the rest when the deadline moved later meanwhile, so it expires exactly when the
 * last deadline set says. Like any timer it keeps the process alive while something is waited
 * for, and no longer.
 */
export class MovingDeadline {
	private timer: NodeJS.Timeout | undefined;
	/** When the timer fires (performance.now()). */
	private timerAt = Number.POSITIVE_INFINITY;
	/** When the deadline expires (performance.now()). */
	private dueAt = Number.POSITIVE_INFINITY;
	private expired: (() => void) | undefined;

	/** `expired` is called in `ms` unless the deadline is set again or cleared before. */
	set(ms: number, expired: () => void): void {
		this.expired = expired;
		this.dueAt = performance.now() + ms;
		if (this.timerAt > this.dueAt) {
			// The timer would fire too late for this deadline: it is started again.
			this.start(ms);
		} else if (!this.timer!.hasRef()) {
			this.timer!.ref();
		}
	}

	/** Nothing is waited for; a timer left running finds nothing when it fires. */
	clear(): void {
		this.expired = undefined;
		this.dueAt = Number.POSITIVE_INFINITY;
		this.timer?.unref();
	}

	/** The session is gone: the timer goes too. */
	dispose(): void {
		this.clear();
		clearTimeout(this.timer);
		this.timer = undefined;
		this.timerAt = Number.POSITIVE_INFINITY;
	}

	private start(ms: number): void {
		clearTimeout(this.timer);
		this.timerAt = performance.now() + ms;
		this.timer = setTimeout(this.fire, ms);
	}

	private readonly fire = (): void => {
		this.timer = undefined;
		this.timerAt = Number.POSITIVE_INFINITY;
		if (!this.expired) {
			return;
		}

		const left = this.dueAt - performance.now();
		if (left >= 1) {
			this.start(left);
			return;
		}

		const expired = this.expired;
		this.clear();
		expired();
	};
}
