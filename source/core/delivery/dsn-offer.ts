/**
 * Whether a run asks for delivery reports: each server offers DSN or not, known from the first
 * connection that opens to it. A server that does not gets no DSN parameters (the transport leaves
 * them out) and the run's listeners are told once per server: with several relays, each is asked,
 * as one without DSN loses the reports of only the messages it sends. The local capture server
 * offers none and needs none.
 */
import {noDsnText} from '../tracking/request.js';
import type {DeliveryEvents} from './events.js';

export class DsnOffer {
	private readonly noted = new Set<string>();

	/** `target.description` names the one server; `several`: the relays named in `note` are some of a send's. */
	constructor(private readonly target: {captured: boolean; description: string}, private readonly events: DeliveryEvents, private readonly several = false) {}

	/** A session opened to `relay` (its name; the target's own with one server): the first one to it says whether it offers DSN. */
	note(session: {offersDsn: boolean} | undefined, relay: string): void {
		const server = this.several ? relay : this.target.description;
		if (this.noted.has(server) || !session) {
			return;
		}

		this.noted.add(server);
		if (!session.offersDsn && !this.target.captured) {
			this.events.emit({type: 'no-dsn', text: noDsnText(server, this.several)});
		}
	}
}
