/**
 * What a run is made of: the send's parts (its record, lock, recipients and where mail goes),
 * and how it behaves (the settings, with what a command or a test overrides).
 */
import {MassmailError} from '../errors.js';
import type {SendLock, SendLog, SendRecord} from '../journal.js';
import {reportRequest, type ReportRequest} from '../tracking/request.js';
import type {Settings} from '../types.js';
import type {Thread} from './recipients.js';
import type {RelayStart} from './relays.js';
import {defaultDeadlines, type ConnectionTarget, type Deadlines} from './transport.js';

/** How a run behaves; every field has a default from the settings (see engineOptions). */
export interface EngineOptions {
	concurrency: number;
	/** Messages a second at most; 0: no limit. */
	rate: number;
	maxAttempts: number;
	retryDelayMs: number;
	deadlines: Deadlines;
	/** First wait before opening a connection again after one failed; doubles, at most 30 s. */
	reconnectDelayMs: number;
	/** Connections that fail to open in a row, with none open, before the run stops: the server is gone. */
	maxConnectFailures: number;
	/** With recipients waiting, this long without any accepted or refused message stops the run. */
	stallMs: number;
	journalIntervalMs: number;
	/**
	 * At most this many outcomes wait for the disk: workers pause when as many accepted messages
	 * are not yet journaled. This bounds what a crash can send twice to journalGroup + 2 ×
	 * concurrency (each connection: a message at its final dot, and one pipelined behind it).
	 */
	journalGroup: number;
	/** Hold each final dot until the same connection's previous acceptance is on disk. */
	strictJournal: boolean;
	/** What each message's envelope asks of the delivery reports: the envelope sender and the DSN parameters (`tracking.*`). */
	reports: ReportRequest;
	/** How the hints name this program: `massmail`, or `massmail --demo` on the demo profile. */
	command: string;
}

export interface DeliveryOverrides {
	/** Connections (workers), of each relay. */
	concurrency?: number;
	/** Messages per second, 0 = unlimited. */
	rate?: number;
	/** Attempts per recipient for temporary failures, the first included. */
	maxAttempts?: number;
	/** First retry delay; doubles with each attempt. */
	retryDelayMs?: number;
	/** Sets both deadlines below at once (tests). */
	timeoutMs?: number;
	/** The whole opening of a connection, and each command's whole reply. */
	replyTimeoutMs?: number;
	/** Sending the message and the whole reply to its final dot. */
	dataTimeoutMs?: number;
	/** First wait before a connection is opened again after one failed (doubles, at most 30 s). Default 1 s. */
	reconnectDelayMs?: number;
	/** Connections failing to open in a row, none open, before the server counts as gone. Default 5. */
	maxConnectFailures?: number;
	/** With recipients waiting, this long without the server taking or refusing a message stops the run. Default 10 min. */
	stallMs?: number;
	/** Journal grouping: 0 (default) writes a group as soon as the previous one is on disk; else every this many ms. */
	journalIntervalMs?: number;
	/**
	 * At most this many outcomes wait for the disk (default 200): workers pause when as many
	 * accepted messages are not yet journaled. This bounds what a crash can send twice to
	 * journalGroup + 2 × concurrency (a message at its final dot on each connection, and one
	 * pipelined behind it).
	 */
	journalGroup?: number;
	/**
	 * Hold each message's final dot until the same connection's previous acceptance is on disk:
	 * a crash then re-sends at most one message per connection (the window is `concurrency`),
	 * at the cost of waiting for an fsync per message (about a third to half of the rate on a
	 * fast local server). Default false: the window is then up to `journalGroup` + 2 × `concurrency`.
	 */
	strictJournal?: boolean;
}

/** The settings, with the overrides given; a value out of range is refused (MassmailError 'usage'). */
export function engineOptions(settings: Settings, overrides: DeliveryOverrides = {}, command = 'massmail'): EngineOptions {
	const atLeastZero = (value: number | undefined, fallback: number, name: string) => {
		const chosen = value ?? fallback;
		if (!Number.isFinite(chosen) || chosen < 0) {
			throw new MassmailError('usage', `${name} must be a number of at least 0, not ${chosen}`);
		}

		return chosen;
	};

	// A settings file from before the deadlines were settings has none: the defaults.
	const deadlines: Deadlines = {
		replyMs: atLeastZero(overrides.replyTimeoutMs ?? overrides.timeoutMs, settings.delivery.replyTimeoutMs ?? defaultDeadlines.replyMs, 'replyTimeoutMs'),
		dataMs: atLeastZero(overrides.dataTimeoutMs ?? overrides.timeoutMs, settings.delivery.dataTimeoutMs ?? defaultDeadlines.dataMs, 'dataTimeoutMs'),
	};
	const options: EngineOptions = {
		concurrency: Math.floor(atLeastZero(overrides.concurrency, settings.delivery.concurrency, 'concurrency')),
		rate: atLeastZero(overrides.rate, settings.delivery.rate, 'rate'),
		maxAttempts: Math.max(1, Math.floor(atLeastZero(overrides.maxAttempts, settings.delivery.maxAttempts, 'maxAttempts'))),
		retryDelayMs: atLeastZero(overrides.retryDelayMs, settings.delivery.retryDelayMs, 'retryDelayMs'),
		deadlines,
		reconnectDelayMs: atLeastZero(overrides.reconnectDelayMs, 1000, 'reconnectDelayMs'),
		maxConnectFailures: Math.max(1, Math.floor(atLeastZero(overrides.maxConnectFailures, 5, 'maxConnectFailures'))),
		stallMs: atLeastZero(overrides.stallMs, 10 * 60_000, 'stallMs'),
		journalIntervalMs: atLeastZero(overrides.journalIntervalMs, 0, 'journalIntervalMs'),
		journalGroup: Math.max(1, Math.floor(atLeastZero(overrides.journalGroup, 200, 'journalGroup'))),
		strictJournal: overrides.strictJournal ?? false,
		reports: reportRequest(settings),
		command,
	};
	if (options.concurrency < 1) {
		throw new MassmailError('usage', 'concurrency must be at least 1');
	}

	if (deadlines.replyMs < 1 || deadlines.dataMs < 1) {
		throw new MassmailError('usage', 'the reply deadlines must be at least 1 ms');
	}

	return options;
}

/** What createDelivery and reopenDelivery give a run. */
export interface RunInit {
	sends: SendLog;
	record: SendRecord;
	lock: SendLock;
	target: ConnectionTarget;
	options: EngineOptions;
	addresses: string[];
	names: string[];
	/** Indexes of the recipients this run works on, in order. */
	work: Uint32Array;
	thread?: Thread;
	attempts: Uint16Array;
	status: Uint8Array;
	/** Each relay (one, mostly), with the connection its check opened before the send was created. */
	relays: RelayStart[];
	run: 'new' | 'unfinished' | 'failed';
}
