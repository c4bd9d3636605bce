/**
 * Starting a send: the context a send works in (the store, the send records, where mail goes),
 * and the ways to start one — a new send, a resume or retry of an earlier one — then a test
 * copy and Settings' "test connection". What they start is a Delivery (engine.ts).
 */
import {randomBytes} from 'node:crypto';
import type {CaptureServer} from '../capture-server.js';
import {MessageTemplate, validateDraft} from '../compose.js';
import {MassmailError} from '../errors.js';
import {massmailCommand} from '../format.js';
import {newSendId, ReportAppender, resentLines, SendLog, statusCodes, type SendRecord, type UnreadablePolicy} from '../journal.js';
import {currentOperator} from '../operator.js';
import {senderForSend} from '../sender.js';
import {relayName} from '../settings.js';
import {describeTarget, resolveSmtpTarget} from '../smtp-config.js';
import type {Store} from '../store.js';
import {checkReportRequest} from '../tracking/request.js';
import {noDsnText} from '../tracking/request.js';
import {temporarilyBounced} from '../tracking/results.js';
import type {MessageDraft, Recipient, Settings} from '../types.js';
import {Delivery} from './engine.js';
import {engineOptions, type DeliveryOverrides} from './options.js';
import type {Thread} from './recipients.js';
import {relayTargets, type RelayStart} from './relays.js';
import {replyOf} from './replies.js';
import {verifySession, type ConnectionTarget, type Deadlines, type SmtpSession} from './transport.js';
import {verifySessionPatiently, type OtherRelays} from './first-session.js';

/** What the engine works with: the store, the send records, the environment, and a capture server it may start. */
export interface DeliveryContext {
	store: Store;
	sends: SendLog;
	env?: NodeJS.ProcessEnv;
	/** Where mail goes now (starts the capture server when no SMTP server is configured). */
	target(): Promise<ConnectionTarget>;
	/** Stops a capture server it started. */
	close(): Promise<void>;
}

/** A context over a store; the capture server starts only when a send needs it. */
export function openDeliveryContext(store: Store, env: NodeJS.ProcessEnv = process.env): DeliveryContext {
	const sends = new SendLog(store.paths.sendsDir);
	let capture: Promise<CaptureServer> | undefined;
	return {
		store,
		sends,
		env,
		async target() {
			const settings = store.settings.get();
			const target = resolveSmtpTarget(settings, env);
			const heloName = settings.smtp.heloName ?? '';
			if (target.kind === 'server') {
				const relays: ConnectionTarget[] = target.servers.map(relay => ({
					host: relay.host,
					port: relay.port,
					tls: relay.tls,
					user: relay.user,
					allowUnverifiedTls: target.allowUnverifiedTls,
					ca: target.ca,
					password: target.password,
					description: relayName(relay),
					captured: false,
					heloName,
				}));
				return {...relays[0]!, description: describeTarget(target), ...(relays.length > 1 ? {relays} : {})};
			}

			// Loaded when first needed: smtp-server, with Node's http, https and zlib, stays out of the dashboard's start.
			capture ??= import('../capture-server.js').then(async ({startCaptureServer}) => startCaptureServer(store.paths.captureDir));
			const server = await capture;
			return {
				host: server.host,
				port: server.port,
				tls: 'none',
				user: '',
				allowUnverifiedTls: false,
				description: describeTarget(target),
				captured: true,
				heloName,
			};
		},
		async close() {
			if (capture) {
				const server = await capture;
				capture = undefined;
				await server.close();
			}
		},
	};
}

export interface SendRequest {
	draft: MessageDraft;
	/** The group as typed (`domain:example.com`), or `send:ID`. */
	audience: string;
	recipients: Recipient[];
	/** Send id: each recipient threads under the Message-ID it got from that send. */
	followUpOf?: string;
	/** How to read the recipients of `followUpOf` when its record is damaged; without it, a damaged one refuses. */
	unreadable?: UnreadablePolicy;
	/** The id a scheduled send was given when scheduled (core/schedule); absent: a new one. */
	id?: string;
}

/** The password is asked for (its command run) once per send, however many connections and relays open. */
function askingOnce(target: ConnectionTarget): ConnectionTarget {
	const {password} = target;
	if (!password) {
		return target;
	}

	let asked: Promise<string> | undefined;
	const once = async () => {
		asked ??= password();
		try {
			return await asked;
		} catch (error) {
			asked = undefined;
			throw error;
		}
	};

	return {...target, password: once, ...(target.relays ? {relays: target.relays.map(relay => ({...relay, password: once}))} : {})};
}

function snapshot(settings: Settings): SendRecord['settings'] {
	const {host, port, tls, user, allowUnverifiedTls} = settings.smtp;
	return {smtp: {host, port, tls, user, allowUnverifiedTls}, sender: settings.sender, delivery: settings.delivery};
}

/** For a follow-up: the Message-ID each address got in the original send. */
function threadIds(sends: SendLog, originalId: string, addresses: string[], unreadable?: UnreadablePolicy): Thread {
	const original = sends.record(originalId);
	const originalRecipients = sends.readRecipients(originalId, {unreadable}).addresses;
	const indexOf = new Map<string, number>();
	for (const [index, address] of originalRecipients.entries()) {
		indexOf.set(address.toLowerCase(), index);
	}

	const ids = new Int32Array(addresses.length).fill(-1);
	for (const [index, address] of addresses.entries()) {
		ids[index] = indexOf.get(address.toLowerCase()) ?? -1;
	}

	return {ids, originalId, senderAddress: original.draft.from.address};
}

/**
 * The check before a run, of each relay at once: one that cannot be reached, or refuses the login
 * or TLS, is left (the run says so when it starts); when every relay fails, the first one's error
 * (with one relay: its error, as always).
 */
async function checkRelays(target: ConnectionTarget, check: (relay: ConnectionTarget, others: OtherRelays) => Promise<SmtpSession>): Promise<RelayStart[]> {
	const targets = relayTargets(target);
	let oneReady: () => void = () => undefined;
	let allTried: () => void = () => undefined;
	const tried = new Set<ConnectionTarget>();
	const others: OtherRelays = {
		ready: new Promise<void>(resolve => {
			oneReady = resolve;
		}),
		tried: new Promise<void>(resolve => {
			allTried = resolve;
		}),
		triedOnce(relay) {
			tried.add(relay);
			if (tried.size === targets.length) {
				allTried();
			}
		},
	};
	const checked = await Promise.allSettled(targets.map(async relay => {
		const session = await check(relay, others);
		oneReady();
		others.triedOnce(relay);
		return session;
	}));
	if (checked.every(result => result.status === 'rejected')) {
		throw (checked[0] as PromiseRejectedResult).reason;
	}

	return checked.map((result, index) => result.status === 'fulfilled'
		? {target: targets[index]!, firstSession: result.value}
		: {target: targets[index]!, left: leftAtCheck(result.reason)});
}

/** Why a relay was left at the check, as a MassmailError (the transport's own, mostly). */
function leftAtCheck(reason: unknown): MassmailError {
	return reason instanceof MassmailError ? reason : new MassmailError('connection', (reason as Error).message);
}

/**
 * Checks the connection and the login first (unreachable/TLS -> MassmailError 'connection',
 * refused login -> 'auth': nothing written, nothing sent), then writes the send record and takes
 * its lock. Does not start sending: call `start()`.
 */
export async function createDelivery(ctx: DeliveryContext, request: SendRequest, overrides?: DeliveryOverrides): Promise<Delivery> {
	if (request.recipients.length === 0) {
		throw new MassmailError('validation', 'there is no recipient to send to');
	}

	const target = askingOnce(await ctx.target());
	// Without a sender address: postmaster@localhost to the capture server, else refused (exit 2).
	const draft: MessageDraft = {...request.draft, from: senderForSend(request.draft.from, {captured: target.captured})};
	validateDraft(draft);
	// A To or Subject line that cannot be folded is refused now, before a record or a message.
	new MessageTemplate(draft, {sendId: 'check'}).checkRecipients(request.recipients);

	const settings = ctx.store.settings.get();
	const options = engineOptions(settings, overrides, massmailCommand(ctx.store.paths.demo));
	// A bounce address too long for its VERP addresses: exit 2 now, before a record or a message.
	checkReportRequest(options.reports, request.recipients.length, newSendId());
	const thread = request.followUpOf === undefined
		? undefined
		: threadIds(ctx.sends, request.followUpOf, request.recipients.map(r => r.address), request.unreadable);
	const relays = await checkRelays(target, relay => verifySession(relay, options.deadlines));
	let created: ReturnType<SendLog['create']>;
	try {
		created = ctx.sends.create({
			kind: draft.kind,
			draft,
			audience: request.audience,
			captured: target.captured,
			destination: target.description,
			settings: snapshot(settings),
			followUpOf: request.followUpOf,
			operator: currentOperator(ctx.env ?? process.env),
			recipients: request.recipients,
			id: request.id,
		});
	} catch (error) {
		for (const relay of relays) {
			relay.firstSession?.destroy();
		}

		throw error;
	}

	const {record, lock} = created;
	const work = new Uint32Array(request.recipients.length);
	for (let index = 0; index < work.length; index++) {
		work[index] = index;
	}

	return new Delivery({
		sends: ctx.sends,
		record,
		lock,
		target,
		options,
		addresses: request.recipients.map(r => r.address),
		names: request.recipients.map(r => r.name),
		work,
		thread,
		attempts: new Uint16Array(request.recipients.length),
		status: new Uint8Array(request.recipients.length),
		relays,
		run: 'new',
	});
}

/**
 * Resumes (`only: 'unfinished'`: every recipient without a final outcome) or retries
 * (`only: 'failed'`: the failed recipients, with a fresh set of attempts) an existing send.
 * A recipient whose acceptance was journaled is never sent again — except, with `bounced`
 * (a retry only), one whose delivery report says it bounced with a temporary status (4.x.x:
 * over quota, the next hop down until the queue gave up); a permanent bounce (5.x.x) never is.
 * A damaged record refuses unless `unreadable` says how to treat the recipients it cannot read.
 */
export async function reopenDelivery(ctx: DeliveryContext, sendId: string, options: {only: 'unfinished' | 'failed'; unreadable?: UnreadablePolicy; bounced?: boolean; onRetry?: (text: string) => void}, overrides?: DeliveryOverrides): Promise<Delivery> {
	const record = ctx.sends.record(sendId);
	const settings = ctx.store.settings.get();
	const engine = engineOptions(settings, overrides, massmailCommand(ctx.store.paths.demo));
	const lock = ctx.sends.lock(sendId);
	try {
		const target = askingOnce(await ctx.target());
		if (target.captured !== record.captured) {
			throw new MassmailError('usage', record.captured
				? `send ${sendId} went to the local capture server; now mail would go to ${target.description}`
				: `send ${sendId} went to ${record.destination}; now mail would go to local capture`, {
				hint: 'set the SMTP server back as it was for this send, or start a new send',
			});
		}

		const state = ctx.sends.outcomes(sendId, record.total, {unreadable: options.unreadable});
		const wanted = options.only === 'failed' ? statusCodes.failed : statusCodes.pending;
		const bounced = options.bounced && options.only === 'failed' ? temporarilyBounced(ctx.sends, sendId, state.status) : undefined;
		const chosen: number[] = [];
		for (const [index, value] of state.status.entries()) {
			if (value === wanted || bounced?.[index]) {
				chosen.push(index);
			}
		}

		const {addresses, names} = ctx.sends.readRecipients(sendId, {unreadable: options.unreadable});
		const thread = record.followUpOf === undefined ? undefined : threadIds(ctx.sends, record.followUpOf, addresses);
		// The check is tried again with the send's backoff: a resume often comes right after a failure.
		const relays: RelayStart[] = chosen.length > 0
			? await checkRelays(target, async (relay, others) => verifySessionPatiently(relay, {
				deadlines: engine.deadlines, reconnectDelayMs: engine.reconnectDelayMs, maxConnectFailures: engine.maxConnectFailures, others,
				onRetry: options.onRetry && (text => options.onRetry!(target.relays ? `${relay.description}: ${text}` : text)),
			}))
			: relayTargets(target).map(relay => ({target: relay}));
		const resent = bounced ? chosen.filter(index => bounced[index]) : [];
		if (resent.length > 0) {
			// Their bounce was about the copy sent before: from now on only reports on the new one count
			// (a second retry --bounced does not send it a third time on the old report).
			new ReportAppender(ctx.sends.sendsDir, sendId, record.total).append(resentLines(resent));
		}

		return new Delivery({
			sends: ctx.sends,
			record,
			lock,
			target,
			options: engine,
			addresses,
			names,
			work: Uint32Array.from(chosen),
			thread,
			attempts: state.attempts,
			status: state.status,
			relays,
			run: options.only,
		});
	} catch (error) {
		lock.release();
		throw error;
	}
}

/**
 * Each relay (the one server, with one) greeted and logged in to at once, then left (QUIT): what
 * each said of itself, or why it could not be reached, in the order of relayTargets.
 */
async function greetEachRelay(target: ConnectionTarget): Promise<Array<PromiseSettledResult<SmtpSession>>> {
	const checked = await Promise.allSettled(relayTargets(target).map(async relay => verifySession(relay, {replyMs: 20_000, dataMs: 20_000})));
	for (const result of checked) {
		if (result.status === 'fulfilled') {
			result.value.quit();
		}
	}

	return checked;
}

/** Settings' "test connection": resolves with what was reached, rejects with the server's words. */
export async function checkConnection(ctx: DeliveryContext): Promise<string> {
	const target = await ctx.target();
	// Each relay, when there are several: the first that fails is what is said.
	const checked = await greetEachRelay(target);
	const failed = checked.find(result => result.status === 'rejected');
	if (failed) {
		throw failed.reason;
	}

	return target.captured
		? target.description
		: `connected to ${target.description}${target.user === '' ? '' : `, logged in as ${target.user}`}`;
}

/** What to say before a send when a server will not be asked for delivery reports. */
export interface DsnNotice {
	/** The whole sentence (the command line's dry run). */
	text: string;
	/** One line (the dashboard's Review). */
	short: string;
}

/**
 * Asks the SMTP server (its EHLO reply) whether it offers DSN, before a send: what to say when it
 * does not (reports are then not asked for), undefined when it does or when the mail goes to the
 * local capture server, which needs none. With several relays each is asked: one without DSN loses
 * the reports of the messages it sends. One that cannot be reached is not named here (the send's
 * own check says so); rejects only when none can.
 */
export async function dsnNotice(ctx: DeliveryContext): Promise<DsnNotice | undefined> {
	const target = await ctx.target();
	if (target.captured) {
		return undefined;
	}

	const relays = relayTargets(target);
	const checked = await greetEachRelay(target);
	const without = relays.filter((_, index) => {
		const result = checked[index]!;
		return result.status === 'fulfilled' && !result.value.offersDsn;
	}).map(relay => relay.description);

	if (checked.every(result => result.status === 'rejected')) {
		throw (checked[0] as PromiseRejectedResult).reason;
	}

	if (without.length === 0) {
		return undefined;
	}

	if (relays.length === 1) {
		return {text: noDsnText(target.description), short: 'the server offers no DSN: delivery reports are not asked for'};
	}

	return {
		text: noDsnText(without, true),
		short: `${without.join(', ')} ${without.length > 1 ? 'offer' : 'offers'} no DSN: ${without.length === relays.length ? 'delivery reports are not asked for' : `no reports for what ${without.length > 1 ? 'they send' : 'it sends'}`}`,
	};
}

/** Sends one copy of a draft to one address (not journaled in any send). Resolves with the server's reply. */
export async function sendTestCopy(ctx: DeliveryContext, typed: MessageDraft, address: string): Promise<string> {
	const target = await ctx.target();
	const draft: MessageDraft = {...typed, from: senderForSend(typed.from, {captured: target.captured})};
	validateDraft(draft);
	const deadlines: Deadlines = {replyMs: 30_000, dataMs: 60_000};
	const session = await verifySession(target, deadlines);
	const template = new MessageTemplate(draft, {sendId: 'test-' + randomBytes(4).toString('hex')});
	template.checkRecipients([{address, name: ''}]);
	const {envelope, raw} = template.render({address, name: ''}, 0);
	return new Promise((resolve, reject) => {
		session.send({from: envelope.from, to: envelope.to}, {head: Buffer.alloc(0), body: raw}, outcome => {
			session.quit();
			if (outcome.kind === 'accepted') {
				resolve(outcome.response);
			} else if (outcome.kind === 'permanent' || outcome.kind === 'temporary' || outcome.kind === 'limited') {
				reject(new MassmailError('validation', `the server refused the test copy to ${address}: ${outcome.response}`));
			} else {
				reject(new MassmailError('connection', `the test copy to ${address} was not sent: ${replyOf({message: outcome.response})}`));
			}
		});
	});
}
