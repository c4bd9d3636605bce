/**
 * Scheduled sends as the dashboard uses them (through `services.schedule`): read a time typed as
 * `--at` reads it (against the one clock, MASSMAIL_NOW in tests), schedule a reviewed send, list,
 * change the time or the text, cancel, run one now; and what the header shows — the next scheduled send, and
 * whether a timer runs them. Whether a timer is installed runs `crontab -l` and looks at unit
 * files: asked once at start and again after each change made here, never at a render.
 */
import {now as clockNow} from '../core/clock.js';
import type {DeliveryContext} from '../core/delivery/index.js';
import {currentOperator} from '../core/operator.js';
import type {Store} from '../core/store.js';
import {addScheduledSend, type NewScheduledSend} from '../core/schedule/create.js';
import {cancelScheduled, describeWhen, editScheduled, nextScheduled, openSchedule, type DamagedSchedule, type ScheduledSend, type When} from '../core/schedule/index.js';
import {parseWhen} from '../core/schedule/parse-when.js';
import {startDue, type DueStep} from '../core/schedule/run.js';
import {textEdit} from '../core/schedule/text-edit.js';
import {missingTimerWarning} from '../core/schedule/timer.js';

/** What the header shows; the same object until something changes (for useSyncExternalStore). */
export interface ScheduleStatus {
	/** The next send waiting for its time, if any. */
	next?: ScheduledSend;
	/** How many wait for their time. */
	waiting: number;
	/** Sends wait but no timer runs them: the words to say (timer.ts's missingTimerWarning). */
	noTimer?: string;
}

export interface ScheduleOperations {
	/** The time now: MASSMAIL_NOW when set (tests), else the wall clock. */
	now(): Date;
	/**
	 * A time typed as `--at` takes it (18:00, tomorrow 18:00, Sat 18:00, +2h, ISO, `18:00
	 * Europe/Berlin`) and the words for it: in full (`Sat 13 Dec 2026 18:00 CET, in 2 days 3
	 * hours`), or what is wrong with the text.
	 */
	readWhen(text: string): {when: When; full: string} | {problem: string};
	/** Writes a reviewed send's record; nothing is sent. */
	schedule(request: NewScheduledSend): ScheduledSend;
	/** Every scheduled send by time, and the records that cannot be read. */
	list(): {sends: ScheduledSend[]; damaged: DamagedSchedule[]};
	/** One scheduled send (MassmailError when unknown or unreadable). */
	get(id: string): ScheduledSend;
	/** A new time for a send that has not started. */
	reschedule(id: string, when: When): ScheduledSend;
	/** A new subject and/or message for a send that has not started, checked as the composer checks a draft. */
	editText(id: string, change: {subject?: string; body?: string}): ScheduledSend;
	/** Throws what is wrong with a new subject or message (the composer's words), writing nothing. */
	check(id: string, change: {subject?: string; body?: string}): void;
	/** Cancels a send that has not started, as the user running the dashboard. */
	cancel(id: string): ScheduledSend;
	/**
	 * Runs it now, before its time, as run-due would (the audience checked, the record marked):
	 * a delivery to start (delivery-flow's startDelivery), or why nothing is sent.
	 */
	runNow(id: string): Promise<DueStep>;
	status(): ScheduleStatus;
	subscribe(listener: () => void): () => void;
	/** Reads the records again (another process may have run or cancelled one); the timer only when `timer`. */
	refresh(options?: {timer?: boolean}): void;
}

export function createScheduleOperations(options: {store: Store; env: NodeJS.ProcessEnv; delivery: () => DeliveryContext}): ScheduleOperations {
	const {store, env} = options;
	const book = openSchedule(store);
	const listeners = new Set<() => void>();
	let status: ScheduleStatus | undefined;
	/** The timer's answer, kept until a change made here asks again: undefined = not asked yet. */
	let timerWarning: {forCount: number; text: string | undefined} | undefined;
	const now = () => clockNow(env);

	const compute = (askTimer: boolean): ScheduleStatus => {
		let sends: ScheduledSend[] = [];
		try {
			sends = book.list().sends;
		} catch {
			// An unreadable folder: History says why; the header shows nothing.
		}

		const waiting = sends.filter(send => send.state === 'scheduled').length;
		// Asked again only when something changed (here, or a run-due elsewhere changed the count).
		if (askTimer || timerWarning === undefined || timerWarning.forCount !== waiting) {
			// Nothing waiting: missingTimerWarning runs no program.
			timerWarning = {forCount: waiting, text: missingTimerWarning(waiting, env, store.paths.demo)};
		}

		let next: ScheduledSend | undefined;
		try {
			next = nextScheduled(book);
		} catch {
			next = undefined;
		}

		return {next, waiting, noTimer: timerWarning.text};
	};

	const update = (askTimer: boolean) => {
		const fresh = compute(askTimer);
		if (status === undefined || fresh.next?.id !== status.next?.id || fresh.next?.at !== status.next?.at || fresh.waiting !== status.waiting || fresh.noTimer !== status.noTimer || fresh.next?.draft.subject !== status.next?.draft.subject) {
			status = fresh;
			for (const listener of listeners) {
				listener();
			}
		}
	};

	return {
		now,
		readWhen(text) {
			if (text.trim() === '') {
				return {problem: 'type when it runs'};
			}

			const clock = now();
			try {
				const when = parseWhen(text, {now: clock});
				return {when, full: describeWhen(when.at, clock, when.zone)};
			} catch (error) {
				// parseWhen speaks of the option (`--at "x": …`); here the text is the field's.
				return {problem: (error as Error).message.replace(/^--at /, '')};
			}
		},
		schedule(request) {
			const scheduled = addScheduledSend(store, request, {now: now(), env});
			update(true);
			return scheduled;
		},
		// Not a reason to tell the header: list() is called while History renders.
		list: () => book.list(),
		get: id => book.get(id),
		reschedule(id, when) {
			try {
				return editScheduled(book, store, id, {at: when}, now());
			} finally {
				update(true);
			}
		},
		editText(id, change) {
			try {
				return editScheduled(book, store, id, textEdit(book.get(id), change), now());
			} finally {
				update(true);
			}
		},
		check(id, change) {
			textEdit(book.get(id), change);
		},
		cancel(id) {
			try {
				return cancelScheduled(book, store, id, now(), currentOperator(env).user);
			} finally {
				update(true);
			}
		},
		async runNow(id) {
			try {
				return await startDue(options.delivery(), book, id, {now: now(), env, early: true});
			} finally {
				update(true);
			}
		},
		status() {
			status ??= compute(true);
			return status;
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		refresh({timer = false} = {}) {
			update(timer);
		},
	};
}
