/**
 * How a server's limit reads, to people (the dashboard, the command line's lines) and in the
 * records that keep a server's words: the learnt pace and window, and one clean line of a reply.
 */
import type {Limiting} from '../types.js';

/**
 * A text as it enters a record of ours to be matched or kept short (a delivery report's field,
 * the server's last limiting words): one line of at most 300 characters, terminal escape
 * sequences dropped, control and direction characters and runs of blanks made one space.
 * This cleans a value where it enters; what shows a text from outside makes its control
 * characters visible with `printable` (core/format.ts) instead.
 */
export function oneLine(reply: string): string {
	return reply.replaceAll(/\u001B\[[\d;?]*[ -/]*[@-~]/g, '').replaceAll(/[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\s]+/g, ' ').trim().slice(0, 300);
}

/** A learned pace as people read it: `~84/min`, `~2.5/min`, `~30/h`. */
export function formatPace(perMinute: number): string {
	return perMinute >= 10 ? `~${Math.round(perMinute)}/min` : perMinute >= 1 ? `~${perMinute.toFixed(1)}/min` : `~${Math.round(perMinute * 60)}/h`;
}

/** `server is limiting: 2 connections, ~99/min (33 per 20 s)` */
export function describeLimiting(limiting: Limiting): string {
	const connections = `${limiting.connections} connection${limiting.connections === 1 ? '' : 's'}`;
	const waiting = limiting.holding ? ', waiting until it takes more' : '';
	if (limiting.perMinute === null) {
		return `server is limiting: ${connections}${waiting}`;
	}

	return `server is limiting: ${connections}, ${formatPace(limiting.perMinute)}${limiting.window ? ` (${formatWindow(limiting.window)})` : ''}${waiting}`;
}

/** A server's window as people read it: `33 per 20 s`, `100 per 1 min`, `1 per 1.5 s`. */
export function formatWindow(window: {messages: number; ms: number}): string {
	const seconds = window.ms / 1000;
	const length = seconds >= 120 ? `${Math.round(seconds / 60)} min` : seconds >= 10 ? `${Math.round(seconds)} s` : `${Number(seconds.toFixed(1))} s`;
	return `${window.messages} per ${length}`;
}
