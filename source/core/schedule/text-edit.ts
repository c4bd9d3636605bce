/**
 * A new subject or message for a scheduled send, checked now as the composer checks a draft: the
 * send runs when nobody is there to hear that its subject cannot be sent. Shared by
 * `massmail scheduled edit` and the dashboard's scheduled-send page.
 *
 * Kept apart from index.ts: it loads the composer (html-to-text, nodemailer's qp), which the
 * listing commands do not need.
 */
import {detectHtml, validateDraft} from '../compose.js';
import type {ScheduledSend} from './book.js';
import type {ScheduleEdit} from './index.js';

/** The edit for a new subject and/or message; throws the composer's validation error. */
export function textEdit(send: ScheduledSend, change: {subject?: string; body?: string}): ScheduleEdit {
	const edit: ScheduleEdit = {};
	if (change.subject !== undefined) {
		edit.subject = change.subject;
	}

	if (change.body !== undefined) {
		edit.body = change.body;
		// An email stays HTML once it was; a plain one becomes HTML when its new text is (as the form decides).
		if (send.kind === 'email') {
			edit.html = send.draft.html || detectHtml(change.body);
		}
	}

	validateDraft({...send.draft, ...edit});
	return edit;
}
