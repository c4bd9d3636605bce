/**
 * Writing a new scheduled send: what `send`/`remind --at` and the dashboard's Review → Schedule
 * both do once the draft, the group and the time are known and confirmed. One function, so that
 * a record scheduled from either holds the same fields (who, the zone, only the overrides given).
 */
import type {DeliveryOverrides} from '../delivery/index.js';
import {currentOperator} from '../operator.js';
import type {Store} from '../store.js';
import type {MessageDraft} from '../types.js';
import type {ScheduledSend, ScheduleInput} from './book.js';
import {openSchedule} from './index.js';
import type {When} from './when.js';

/** What is scheduled: the draft and the group as typed, the count now, and when it runs. */
export interface NewScheduledSend {
	draft: MessageDraft;
	/** The group as typed (`domain:example.com`), or `send:ID`: resolved when it runs. */
	audience: string;
	/** Recipients now: run-due refuses when the audience changed by more than schedule.maxChange. */
	count: number;
	followUpOf?: string;
	allowExternal: boolean;
	overrides: DeliveryOverrides;
	when: When;
}

/**
 * Writes the record of a confirmed scheduled send (nothing is sent) and returns it: who scheduled
 * it is the operator of `env` (login name, SSH client, host), as for a send started by hand.
 *
 * @example
 * const scheduled = addScheduledSend(store, {draft, audience: 'domain:example.com', count: 1204, allowExternal: false, overrides: {}, when: parseWhen('Sat 18:00', {now: now()})}, {now: now(), env: process.env});
 */
export function addScheduledSend(store: Pick<Store, 'paths'>, request: NewScheduledSend, options: {now: Date; env: NodeJS.ProcessEnv}): ScheduledSend {
	const input: ScheduleInput = {
		kind: request.draft.kind,
		draft: request.draft,
		audience: request.audience,
		allowExternal: request.allowExternal,
		count: request.count,
		...(request.followUpOf === undefined ? {} : {followUpOf: request.followUpOf}),
		operator: currentOperator(options.env),
		at: request.when.at.toISOString(),
		zone: request.when.zone,
		overrides: Object.fromEntries(Object.entries(request.overrides).filter(([, value]) => value !== undefined)),
	};
	return openSchedule(store).add(input, options.now, store.paths.sendsDir);
}
