/**
 * The send journal: one folder per send under `sends/<id>/`, built in layers as a write-ahead log
 * (the durable bytes and the process lock are below it, in ../storage, with no word of sends).
 *
 *   sends/<id>/send.json         what was sent, to which audience, with which settings (written once, before the first message)
 *              recipients.jsonl  one `[address, name]` per line; the line number is the recipient's index
 *              outcomes.log      append-only, one line per outcome, written in fsynced groups
 *              state.json        how the last run ended, and its counts
 *              reports.log       append-only, one JSON line per delivery report folded in from the bounce mailbox
 *              lock              the process working on the send
 *
 * record.ts       the format of send.json, recipients.jsonl and state.json, and their validation
 * outcome-log.ts  the outcome log: its line format, the decoder (a torn last line is a crash, not
 *                 damage), the group-commit writer, the one count of sent and failed
 * damage.ts       what is damaged, what that leaves unreadable (derived), the refusal to send over it
 * read.ts         the read models: list, summary, check, inspect, recipients, the state a run
 *                 starts from; how to treat unreadable recipients is an argument of each read
 * send-log.ts     SendLog: the reads, and the writes (create, lock, append, finish)
 * reports.ts      the delivery reports: reports.log's line format, its appender (a lock of its
 *                 own, each report once), each recipient's delivery read from it
 *
 * Records written by earlier versions read as they did: a format change here needs a reader
 * for the old one.
 */
export {SendLog, type SendLock} from './send-log.js';
export {SendReader, type ReadOptions, type RecipientRecord, type SendListing} from './read.js';
export {newSendId, type RunState, type SendRecord} from './record.js';
export {countOutcomes, outcomeGroupGapMs, OutcomeWriter, statusCodes, type OutcomeLine, type OutcomeState} from './outcome-log.js';
export {describeDamage, formatDamagedLine, UnreadableRecipientsError, type DamagedLine, type DamageReport, type UnreadablePolicy} from './damage.js';
export {readDeliveries, ReportAppender, reportsFile, resentLines, type DeliveriesRead, type Delivery, type DeliveryCounts, type DeliveryState, type ReportLine, type ReportState, type ReportVia} from './reports.js';
