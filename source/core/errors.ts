/**
 * One table of what can go wrong, and the exit status each kind means.
 * Every error the user can cause or meet is a MassmailError: the command line prints
 * `message` (and `hint`), never a stack trace, and exits with `exitCode`.
 */
export const exitCodes = {
	ok: 0,
	someFailed: 1,
	usage: 2,
	connection: 3,
	interrupted: 130,
} as const;

export type ErrorKind =
	| 'usage' // bad arguments or flags
	| 'validation' // a bad address, header, CSV row, unknown domain...
	| 'store' // a corrupt or unreadable settings/directory/record file
	| 'locked' // another process works on this send
	| 'connection' // SMTP server unreachable, TLS failure
	| 'auth' // SMTP login refused
	| 'interrupted';

const exitCodeOfKind: Record<ErrorKind, number> = {
	usage: exitCodes.usage,
	validation: exitCodes.usage,
	store: exitCodes.usage,
	locked: exitCodes.usage,
	connection: exitCodes.connection,
	auth: exitCodes.connection,
	interrupted: exitCodes.interrupted,
};

export class MassmailError extends Error {
	readonly kind: ErrorKind;
	/** What the user can do about it, one line. */
	readonly hint?: string;
	/** Extra lines (e.g. every bad CSV row), printed after the message. */
	readonly details: string[];

	constructor(kind: ErrorKind, message: string, options: {hint?: string; details?: string[]; cause?: unknown} = {}) {
		super(message, options.cause === undefined ? undefined : {cause: options.cause});
		this.name = 'MassmailError';
		this.kind = kind;
		this.hint = options.hint;
		this.details = options.details ?? [];
	}

	get exitCode(): number {
		return exitCodeOfKind[this.kind];
	}
}

export const usageError = (message: string, hint?: string) => new MassmailError('usage', message, {hint});
export const validationError = (message: string, details?: string[]) => new MassmailError('validation', message, {details});

export function isMassmailError(error: unknown): error is MassmailError {
	return error instanceof MassmailError;
}
