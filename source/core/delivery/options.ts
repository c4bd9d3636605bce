/**
 * What a run is made of: the send's parts (its record, lock, recipients and where mail goes),
 * and how it behaves (the settings, with what a command or a test overrides).
 */
import type {SendLock, SendLog, SendRecord} from '../journal.js';
import type {Thread} from './recipients.js';
import type {ConnectionTarget, Deadlines, SmtpSession} from './transport.js';

/** How a run behaves; every field has a default from the settings (see delivery.ts). */
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
	 * are not yet journaled. This bounds what a crash can send twice to journalGroup + concurrency.
	 */
	journalGroup: number;
	/** Hold each final dot until the same connection's previous acceptance is on disk. */
	strictJournal: boolean;
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
	/** The connection opened to check the server before the send was created. */
	firstSession?: SmtpSession;
	run: 'new' | 'unfinished' | 'failed';
}
