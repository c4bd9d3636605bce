/**
 * The sender of a send when the person gave none: the settings' sender.address, else
 * postmaster@ this machine's fully qualified name. A machine without one (host name `vm`, no
 * /etc/mailname) has no default: mail from `postmaster@vm.localdomain` is refused or bounced
 * by servers that check the sender's domain, and its bounces reach nobody. Mail to the local
 * capture server leaves nothing, so there it goes from postmaster@localhost.
 */
import {MassmailError} from './errors.js';
import {mailHostName} from './host-name.js';
import type {SettingsStore} from './settings.js';
import type {Sender} from './types.js';

/** The sender used for the local capture server when no address is set or derivable. */
export const captureSenderAddress = 'postmaster@localhost';

/**
 * Where the sender address comes from, for people: `set in the settings (sender.address)`,
 * `the default: postmaster@ this machine's name (from /etc/mailname)`, or why there is none.
 *
 * @example senderAddressOrigin(store.settings) // 'the default: postmaster@ this machine\'s name, from /etc/mailname'
 */
export function senderAddressOrigin(settings: Pick<SettingsStore, 'isSet' | 'get'>): string {
	if (settings.isSet('sender.address') && settings.get().sender.address !== '') {
		return 'set in the settings (sender.address)';
	}

	const host = mailHostName();
	return host.name === undefined
		? `not set, and there is no default: ${host.from}`
		: `the default: postmaster@ this machine's name, from ${host.from}`;
}

/**
 * The draft with postmaster@localhost standing in for a From address that is not set, for what does
 * not depend on it (the other headers' checks, the To lines and text a preview shows): the send
 * itself takes senderForSend's.
 */
export function withSenderStandIn<Draft extends {from: Sender}>(draft: Draft): Draft {
	return draft.from.address === '' ? {...draft, from: {...draft.from, address: captureSenderAddress}} : draft;
}

/**
 * The sender a send goes out with: `sender` as it is when it has an address; without one,
 * postmaster@localhost for the local capture server, and otherwise a validation error (exit 2)
 * that says how to set one.
 *
 * @example senderForSend({name: 'IT', address: ''}, {captured: false}) // throws: no sender address …
 */
export function senderForSend(sender: Sender, options: {captured: boolean}): Sender {
	if (sender.address !== '') {
		return sender;
	}

	if (options.captured) {
		return {...sender, address: captureSenderAddress};
	}

	throw new MassmailError('validation', `no sender address: sender.address is not set and this machine has no fully qualified name to make one from (${mailHostName().from})`, {
		hint: 'set the From address once: massmail config set sender.address postmaster@example.com (a domain your mail server handles, so that replies and bounces reach someone)',
	});
}
