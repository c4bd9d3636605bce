/**
 * One table of what can go wrong, and the exit status each kind means.
 * Every error the user can cause or meet is a MassmailError: the command line prints
 * `message` (and `hint`), never a stack trace, and exits with `exitCode`.
 */
import {plural} from './format.js';

export const exitCodes = {
	/** Every recipient accepted. */
	ok: 0,
	/** Some recipients failed (the server refused them). */
	someFailed: 1,
	/** A usage or validation error: nothing sent. */
	usage: 2,
	/** The SMTP server could not be reached or refused the login: nothing sent. */
	connection: 3,
	/** A bug: the message says what to report. (EX_SOFTWARE) */
	internal: 70,
	/** Stopped part-way by the server, the disk or the network: resumable. (EX_TEMPFAIL) */
	stopped: 75,
	/** Interrupted by a person or a signal: resumable. */
	interrupted: 130,
} as const;

/** One line per exit status, for --help and the README. */
export const exitStatusHelp = [
	'0 every recipient accepted; 1 some recipients failed; 2 a usage or validation error, nothing sent;',
	'3 the SMTP server could not be reached or refused the login, nothing sent; 75 stopped part-way by',
	'the server, the disk or the network (resumable); 130 interrupted (resumable); 70 an internal error.',
].join('\n');

/**
 * The exit status of a run of a send, for the command line and the dashboard alike.
 * Once the server accepted any message of the run, a server, network or disk failure is
 * "stopped" (75), never "nothing sent" (3).
 */
export function exitStatusOfRun(result: {status: string; failed: number; runSent: number; stopped?: {kind: 'connection' | 'auth' | 'store'}}): number {
	if (result.stopped) {
		return result.runSent > 0 || result.stopped.kind === 'store' ? exitCodes.stopped : exitCodes.connection;
	}

	if (result.status === 'interrupted' || result.status === 'cancelled') {
		return exitCodes.interrupted;
	}

	return result.failed > 0 ? exitCodes.someFailed : exitCodes.ok;
}

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
	/** The damaged or unreadable file it is about, when it is about one (the message names it too). */
	readonly file?: string;

	constructor(kind: ErrorKind, message: string, options: {hint?: string; details?: string[]; cause?: unknown; file?: string} = {}) {
		super(message, options.cause === undefined ? undefined : {cause: options.cause});
		this.name = 'MassmailError';
		this.kind = kind;
		this.hint = options.hint;
		this.details = options.details ?? [];
		this.file = options.file;
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

/** The longest line of an error that is printed whole. */
const longestErrorLine = 2000;

/**
 * A line of an error no longer than {@link longestErrorLine}: the last guard for a message that
 * quotes input whole (each message should cut what it quotes itself: format.ts's quoted).
 */
function readableLine(line: string): string {
	if (line.length <= longestErrorLine) {
		return line;
	}

	const characters = Array.from(line);
	return characters.length <= longestErrorLine ? line : `${characters.slice(0, longestErrorLine - 200).join('')}… (the line is cut: ${plural(characters.length, 'character')} in all)`;
}

/** An error as the command line and the dashboard print it: the sentence, its details, its hint. */
export function formatError(error: MassmailError): string {
	const lines = [`massmail: ${error.message}`];
	for (const detail of error.details) {
		lines.push(`  ${detail}`);
	}

	if (error.hint) {
		lines.push(error.hint);
	}

	return lines.map(line => readableLine(line)).join('\n');
}
