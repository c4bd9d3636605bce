/**
 * The field a time is typed in, as `--at` reads it (Review's Schedule, a scheduled send's new
 * time): the forms it takes, said back in full as it is typed (or what is wrong with it), and
 * Enter refused until it is a time.
 */
import type {ScheduleOperations} from '../schedule-service.js';
import type {When} from '../../core/schedule/index.js';
import type {DialogRequest} from './dialog.js';

/** The forms a time may be typed in, for the prompt's lines and its help. */
export const whenForms = '18:00 (the next one), tomorrow 18:00, Sat 18:00, +2h, 2026-12-13T18:00, 18:00 Europe/Berlin.';

export function whenPrompt(schedule: ScheduleOperations, request: {title: string; lines: string[]; onWhen: (when: When, full: string) => void}): DialogRequest {
	return {
		kind: 'prompt',
		title: request.title,
		lines: request.lines,
		label: 'At',
		preview(text) {
			if (text.trim() === '') {
				return undefined;
			}

			const read = schedule.readWhen(text);
			return 'problem' in read ? {text: read.problem, ok: false} : {text: read.full, ok: true};
		},
		validate(text) {
			const read = schedule.readWhen(text);
			return 'problem' in read ? read.problem : undefined;
		},
		onSubmit(text) {
			const read = schedule.readWhen(text);
			if (!('problem' in read)) {
				request.onWhen(read.when, read.full);
			}
		},
	};
}
