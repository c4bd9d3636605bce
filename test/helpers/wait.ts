/** Waiting in a test for what another process or server does: polled, and never without an end. */

/** Resolves once `condition()` holds (checked every 5 ms); rejects naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what = 'the condition', timeoutMs = 30_000): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const started = Date.now();
		const timer = setInterval(() => {
			if (condition()) {
				clearInterval(timer);
				resolve();
			} else if (Date.now() - started > timeoutMs) {
				clearInterval(timer);
				reject(new Error(`waited ${Math.round(timeoutMs / 1000)} s for ${what}`));
			}
		}, 5);
	});
}
