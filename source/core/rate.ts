/**
 * A sending pace as people write it: `0.5` (a second), `30/min`, `1000/h`, `2/s`; 0 is no limit.
 * Kept as messages a second.
 */
import {MassmailError} from './errors.js';

const units: Record<string, number> = {s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600};

/**
 * @example parseRate('30/min') // 0.5
 * @example parseRate('1000/h') // 0.2777…
 * @example parseRate('0.5') // 0.5
 */
export function parseRate(text: string, name = 'rate'): number {
	const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:\/\s*([a-z]+))?\s*$/i.exec(text);
	const unit = match?.[2]?.toLowerCase();
	const seconds = unit === undefined ? 1 : units[unit];
	if (!match || seconds === undefined) {
		throw new MassmailError('usage', `${name} must be messages a second (0.5), a minute (30/min) or an hour (1000/h), not ${JSON.stringify(text)}`, {
			hint: '0 means no limit of our own',
		});
	}

	const perSecond = Number(match[1]) / seconds;
	if (!Number.isFinite(perSecond) || perSecond > 100_000) {
		throw new MassmailError('usage', `${name} ${JSON.stringify(text)} is more than 100,000 messages a second`);
	}

	return perSecond;
}
