/**
 * The sending operations as the dashboard uses them (through `services.sends`): start a send,
 * resume or retry one, send a test copy, check the connection, write a send's report. The screens
 * never call the engine or write files themselves; tests give the same object over real servers.
 */
import {checkConnection, createDelivery, dsnNotice, reopenDelivery, type DsnNotice, sendTestCopy, type Delivery, type DeliveryContext, type SendRequest} from '../core/delivery/index.js';
import {reportFormatOf, writeReport, type ReportRow} from '../core/report.js';
import type {MessageDraft, SendSummary} from '../core/types.js';

export interface SendOperations {
	/** A new send of `request`, its record on disk and its connection checked; not started yet. */
	create(request: SendRequest): Promise<Delivery>;
	/** A resume (`unfinished`) or retry (`failed`) of an earlier send; not started yet. */
	reopen(sendId: string, only: 'unfinished' | 'failed'): Promise<Delivery>;
	/** One copy of the message to `address`, not journaled; resolves to the server's reply. */
	testCopy(draft: MessageDraft, address: string): Promise<string>;
	/** Opens a connection (and logs in) with the settings as they are; resolves to what the server said. */
	checkConnection(): Promise<string>;
	/** Asks the SMTP server whether it offers DSN: the words to say when it does not, undefined when it does (or mail goes to the capture server). */
	dsnNotice(): Promise<DsnNotice | undefined>;
	/** Writes the report (CSV, or JSON for `.json`) with mode 0600; returns the path written. */
	writeReport(file: string, summary: SendSummary, recipients: readonly ReportRow[]): string;
}

export function createSendOperations(context: () => DeliveryContext): SendOperations {
	return {
		async create(request) {
			return createDelivery(context(), request);
		},
		async reopen(sendId, only) {
			return reopenDelivery(context(), sendId, {only});
		},
		async testCopy(draft, address) {
			return sendTestCopy(context(), draft, address);
		},
		async checkConnection() {
			return checkConnection(context());
		},
		async dsnNotice() {
			return dsnNotice(context());
		},
		writeReport(file, summary, recipients) {
			return writeReport(file, summary, recipients, reportFormatOf(file));
		},
	};
}
