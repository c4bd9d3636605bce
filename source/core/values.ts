/** Small checks and words on plain values, written once for the whole core (no I/O). */

/**
 * A JSON object (not null, not an array): what a settings file, a directory file or a web API's
 * reply must be before its fields are read.
 * @example isObject({a: 1}) // true; isObject([1]) // false; isObject(null) // false
 */
export function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deadline as a message says it: whole seconds bare, anything else to a tenth.
 * @example seconds(30_000) // '30 s'; seconds(1500) // '1.5 s'
 */
export function seconds(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
