/**
 * The retry schedule: when a recipient deferred by the server is tried again, and the queue of
 * those waiting for their time.
 */

/** The longest wait before a retry, however many attempts came before. */
export const maximumRetryDelayMs = 15 * 60_000;

/**
 * The wait before attempt `attempt + 1` after `attempt` temporary failures in this run: the first
 * retry after `baseMs`, each further one twice as long, at most 15 minutes.
 * @example retryDelay(2000, 1) // 2000; retryDelay(2000, 3) // 8000
 */
export function retryDelay(baseMs: number, attempt: number): number {
	const exponent = Math.max(0, Math.min(30, attempt - 1));
	return Math.min(baseMs * (2 ** exponent), maximumRetryDelayMs);
}

/** Retries waiting for their time, one FIFO per delay (equal delays come due in order). */
export class RetryQueue {
	private readonly levels = new Map<number, {indexes: number[]; due: number[]; head: number}>();
	size = 0;

	add(index: number, due: number, delay: number): void {
		let level = this.levels.get(delay);
		if (!level) {
			level = {indexes: [], due: [], head: 0};
			this.levels.set(delay, level);
		}

		level.indexes.push(index);
		level.due.push(due);
		this.size++;
	}

	/** The earliest due time, or Infinity. */
	nextDue(): number {
		let next = Number.POSITIVE_INFINITY;
		for (const level of this.levels.values()) {
			if (level.head < level.indexes.length && level.due[level.head] < next) {
				next = level.due[level.head];
			}
		}

		return next;
	}

	/** Moves every retry due by `now` into `ready`. */
	takeDue(now: number, ready: number[]): void {
		for (const [delay, level] of this.levels) {
			while (level.head < level.indexes.length && level.due[level.head] <= now) {
				ready.push(level.indexes[level.head]);
				level.head++;
				this.size--;
			}

			if (level.head === level.indexes.length) {
				this.levels.delete(delay);
			}
		}
	}

	clear(): void {
		this.levels.clear();
		this.size = 0;
	}
}
