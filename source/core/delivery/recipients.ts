/**
 * The recipients of one run: who goes next (in the send's order; one the server limited before
 * anyone else; a retry once its time comes), how many attempts each has had (in the whole send,
 * and in this run: its retry budget), and the message each gets, in an envelope that asks for
 * its delivery reports (tracking/request.ts).
 */
import {messageIdFor, MessageTemplate} from '../compose.js';
import type {SendRecord} from '../journal.js';
import type {Decision} from './decision.js';
import {envelopeFor, type ReportRequest} from '../tracking/request.js';
import {retryDelay, RetryQueue} from './retry-queue.js';
import type {Envelope} from './transport.js';

/** For a follow-up: the Message-ID each recipient got in the original send, to thread under. */
export interface Thread {
	/** Per recipient: its index in the original send, or -1. */
	ids: Int32Array;
	originalId: string;
	senderAddress: string;
}

export class RunRecipients {
	/** Per recipient of the send: attempts in every run. */
	readonly attempts: Uint16Array;
	/** Per recipient of the send: attempts in this run (the retry budget). */
	private readonly runAttempts: Uint8Array;
	private readonly work: Uint32Array;
	private cursor = 0;
	/** Recipients to take before the rest: due retries, and those the server's limit put back. */
	private readonly ready: number[] = [];
	private readonly retries = new RetryQueue();
	private readonly template: MessageTemplate;

	/** `work`: the indexes of the recipients this run works on, in order. `reports`: what each envelope asks of the delivery reports. */
	constructor(
		private readonly record: SendRecord,
		private readonly addresses: string[],
		private readonly names: string[],
		work: Uint32Array,
		attempts: Uint16Array,
		private readonly thread: Thread | undefined,
		private readonly reports: ReportRequest,
	) {
		this.work = work;
		this.attempts = attempts;
		this.runAttempts = new Uint8Array(addresses.length);
		this.template = new MessageTemplate(record.draft, {sendId: record.id, date: new Date(record.createdAt)});
	}

	/** Someone waits to be sent now: not yet taken, or put back (not counting retries waiting for their time). */
	get waiting(): boolean {
		return this.ready.length > 0 || this.cursor < this.work.length;
	}

	/** No one is left in this run: all taken, and no retry waits. */
	get exhausted(): boolean {
		return this.cursor >= this.work.length && this.ready.length === 0 && this.retries.size === 0;
	}

	/** Whether someone may be taken now (retries due by `now` join the line). */
	due(now: number): boolean {
		if (this.ready.length === 0 && this.retries.size > 0) {
			this.retries.takeDue(now, this.ready);
		}

		return this.waiting;
	}

	/** When the next retry is due; Infinity when none waits. */
	nextDue(): number {
		return this.retries.nextDue();
	}

	/** The next recipient; only after `due()` said there is one. */
	take(): number {
		return this.ready.length > 0 ? this.ready.shift()! : this.work[this.cursor++];
	}

	/**
	 * An attempt to `index` was decided (decision.ts): one the server's limit, or its refusal to go
	 * on, ended is not the recipient's; a retry goes first (once the server takes more) or after
	 * the retry delay, doubling with its attempts in this run. `retryDelayMs` undefined: the run
	 * takes no one any more, and a retry stays pending in the journal.
	 */
	decided(index: number, decision: Pick<Decision, 'countsAttempt' | 'retry'>, now: number, retryDelayMs: number | undefined): void {
		if (!decision.countsAttempt) {
			this.giveBack(index);
		}

		if (retryDelayMs === undefined) {
			return;
		}

		if (decision.retry === 'first') {
			this.ready.unshift(index);
		} else if (decision.retry === 'later') {
			const delay = retryDelay(retryDelayMs, this.runAttempts[index]);
			this.retries.add(index, now + delay, delay);
		}
	}

	/** The run stops: whoever waits stays pending in the journal (resumable). */
	dropWaiting(): void {
		this.retries.clear();
		this.ready.length = 0;
	}

	/** Attempts of `index` in this run. */
	runAttemptsOf(index: number): number {
		return this.runAttempts[index];
	}

	/** An attempt to `index` starts: counted in the send and in this run; its message. */
	attempt(index: number): {envelope: Envelope; head: Buffer; body: Buffer} {
		this.attempts[index] = Math.min(65_535, this.attempts[index] + 1);
		this.runAttempts[index] = Math.min(255, this.runAttempts[index] + 1);
		const address = this.addresses[index];
		const recipient = {address, name: this.names[index]};
		const from = this.record.draft.from.address;
		const messageId = messageIdFor(this.record.id, index, from);
		let thread: {inReplyTo: string} | undefined;
		if (this.thread) {
			const original = this.thread.ids[index];
			if (original >= 0) {
				thread = {inReplyTo: messageIdFor(this.thread.originalId, original, this.thread.senderAddress)};
			}
		}

		const head = Buffer.from(this.template.headLines(recipient, messageId, thread), 'utf8');
		return {envelope: envelopeFor(this.reports, this.record.id, index, from, address), head, body: this.template.bodyFor(recipient)};
	}

	/** Takes back an attempt that the server, not the recipient, ended. */
	giveBack(index: number): void {
		this.attempts[index] = Math.max(0, this.attempts[index] - 1);
		this.runAttempts[index] = Math.max(0, this.runAttempts[index] - 1);
	}
}
