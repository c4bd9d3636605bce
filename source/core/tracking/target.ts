/**
 * From the settings and the environment to the bounce mailbox a fold reads: the IMAP server
 * (`tracking.imap.*`, the CAs of `tracking.imap.caFile`), the password (MASSMAIL_TRACKING_PASSWORD,
 * else `tracking.imap.passwordCommand`, asked for only when the fold logs in; never stored), and
 * the return path and delimiter the VERP addresses were made with. What `massmail track` and the
 * dashboard give `foldReports`.
 */
import {MassmailError} from '../errors.js';
import {runPasswordCommand} from '../smtp-config.js';
import {readCaFile} from '../tls.js';
import type {Settings} from '../types.js';
import type {ImapTarget} from './imap.js';

/** The environment variable holding the bounce mailbox's password. */
export const trackingPasswordVariable = 'MASSMAIL_TRACKING_PASSWORD';

/** What a fold needs, or which settings are missing for one. */
export type TrackingTarget =
	| {
		configured: true;
		imap: ImapTarget;
		/** `tracking.returnPath` and `tracking.delimiter`: what foldReports takes beside `imap`. */
		returnPath: string;
		delimiter: string;
		/** One line for people: `imap.example.com:993 (TLS) as bounces@example.com`. */
		description: string;
	}
	| {
		configured: false;
		/** The settings (or the environment variable) to set, each with what it is. */
		missing: Array<{key: string; what: string}>;
	};

const tlsWords: Record<ImapTarget['tls'], string> = {implicit: 'TLS', starttls: 'STARTTLS', none: 'no TLS'};

/**
 * The bounce mailbox to fold from, from the settings and the environment: `configured: false`
 * with what is missing while tracking.returnPath, tracking.imap.host, tracking.imap.user or a
 * password source is not set. A CA file that cannot be read is a MassmailError 'validation'
 * (exit 2) naming it; the password is asked for only when the fold logs in.
 *
 * @example
 * const target = trackingTarget(store.settings.get(), process.env);
 * if (target.configured) await foldReports({...target, sends, deadlineMs: 120_000});
 */
export function trackingTarget(settings: Pick<Settings, 'tracking'>, env: NodeJS.ProcessEnv = process.env): TrackingTarget {
	const {tracking} = settings;
	const {imap} = tracking;
	const environmentPassword = env[trackingPasswordVariable];
	const hasPassword = (environmentPassword !== undefined && environmentPassword !== '') || imap.passwordCommand !== '';
	const missing: Array<{key: string; what: string}> = [];
	if (tracking.returnPath === '') {
		missing.push({key: 'tracking.returnPath', what: 'the bounce address every message is sent from (bounces@example.com)'});
	}

	if (imap.host === '') {
		missing.push({key: 'tracking.imap.host', what: 'the IMAP server of that mailbox'});
	}

	if (imap.user === '') {
		missing.push({key: 'tracking.imap.user', what: 'the IMAP login of that mailbox'});
	}

	if (!hasPassword) {
		missing.push({key: `${trackingPasswordVariable} or tracking.imap.passwordCommand`, what: 'its password (never stored)'});
	}

	if (missing.length > 0) {
		return {configured: false, missing};
	}

	const ca = imap.caFile === '' ? undefined : readCaFile(imap.caFile, 'tracking.imap.caFile');
	const password = environmentPassword !== undefined && environmentPassword !== ''
		? async () => environmentPassword
		: async () => runPasswordCommand(imap.passwordCommand, 'tracking.imap.passwordCommand');
	const host = imap.host.includes(':') ? `[${imap.host}]` : imap.host;
	return {
		configured: true,
		imap: {
			host: imap.host,
			port: imap.port,
			tls: imap.tls,
			user: imap.user,
			password,
			allowUnverifiedTls: imap.allowUnverifiedTls,
			...(ca === undefined ? {} : {ca}),
		},
		returnPath: tracking.returnPath,
		delimiter: tracking.delimiter,
		description: `${host}:${imap.port} (${tlsWords[imap.tls]}${imap.allowUnverifiedTls ? ', certificate not verified' : ''}) as ${imap.user}`,
	};
}

/**
 * The bounce mailbox to fold from, or MassmailError 'usage' (exit 2) naming the settings to set.
 */
export function requireTrackingTarget(settings: Pick<Settings, 'tracking'>, env: NodeJS.ProcessEnv = process.env): Extract<TrackingTarget, {configured: true}> {
	const target = trackingTarget(settings, env);
	if (!target.configured) {
		throw new MassmailError('usage', `delivery reports are not set up: set ${target.missing.map(each => each.key).join(', ')}`, {
			details: target.missing.map(each => `  ${each.key}: ${each.what}`),
			hint: 'for example: massmail config set tracking.returnPath bounces@example.com; massmail config set tracking.imap.host mail.example.com; massmail config set tracking.imap.user bounces@example.com',
		});
	}

	return target;
}
