/**
 * Whether a run asks for delivery reports: the server offers DSN or not, known from the first
 * connection that opens. A server that does not gets no DSN parameters (the transport leaves them
 * out) and the run's listeners are told once; the local capture server offers none and needs none.
 */
import {noDsnText} from '../tracking/request.js';
import type {DeliveryEvents} from './events.js';

export class DsnOffer {
	private offered: boolean | undefined;

	constructor(private readonly target: {captured: boolean; description: string}, private readonly events: DeliveryEvents) {}

	/** A session opened: the first one says whether the server offers DSN. */
	note(session: {offersDsn: boolean} | undefined): void {
		if (this.offered !== undefined || !session) {
			return;
		}

		this.offered = session.offersDsn;
		if (!this.offered && !this.target.captured) {
			this.events.emit({type: 'no-dsn', text: noDsnText(this.target.description)});
		}
	}
}
