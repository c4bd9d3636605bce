/**
 * The retry schedule: when a recipient deferred by the server is tried again, and the queue of
 * those waiting for their time; when a connection that failed to open is tried again.
 */

/** The longest wait before a retry, however many attempts came before. */
export const maximumRetryDelayMs = 15 * 60_000;

/** The longest wait before opening a connection again, however many openings failed. */
export const maximumReconnectDelayMs = 30_000;

/** `baseMs` after the first, twice as long after each further one (at most `maxDoublings` times), at most `maxMs`. */
function doubling(baseMs: number, count: number, maxDoublings: number, maxMs: number): number {
	return Math.min(baseMs * (2 ** Math.max(0, Math.min(maxDoublings, count - 1))), maxMs);
}

/**
 * The wait before attempt `attempt + 1` after `attempt` temporary failures in this run: the first
 * retry after `baseMs`, each further one twice as long, at most 15 minutes.
 * @example retryDelay(2000, 1) // 2000; retryDelay(2000, 3) // 8000
 */
export function retryDelay(baseMs: number, attempt: number): number {
	return doubling(baseMs, attempt, 30, maximumRetryDelayMs);
}

/**
 * The wait before opening a connection again after `failures` openings failed in a row: `baseMs`,
 * doubling up to 32 times `baseMs`, at most 30 s.
 * @example reconnectDelay(1000, 1) // 1000; reconnectDelay(1000, 3) // 4000; reconnectDelay(1000, 9) // 30000
 */
export function reconnectDelay(baseMs: number, failures: number): number {
	return doubling(baseMs, failures, 5, maximumReconnectDelayMs);
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
