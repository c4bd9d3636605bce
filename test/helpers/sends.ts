/**
 * Send records made with the real engine, for the History tests: a temporary data folder,
 * optionally a real SMTP test server (MASSMAIL_SMTP_URL) — else the local capture server.
 */
import type {ExecutionContext} from 'ava';
import {openStore, type Store} from '../../source/core/store.js';
import {createDelivery, openDeliveryContext, type DeliveryContext, type DeliveryOverrides} from '../../source/core/delivery/index.js';
import type {DeliveryResult, MessageDraft, Recipient} from '../../source/core/types.js';
import {startTestSmtpServer, type TestSmtpServer, type TestSmtpServerOptions} from './smtp-test-server.js';
import {tempConfigDir} from './temp-dir.js';

export interface SendsSetup {
	env: NodeJS.ProcessEnv;
	dir: string;
	store: Store;
	ctx: DeliveryContext;
	server?: TestSmtpServer;
}

/** A data folder (and an SMTP test server unless `capture`); everything is closed when the test ends. */
export async function sendsSetup(t: ExecutionContext, options: {capture?: boolean} & Pick<TestSmtpServerOptions, 'acceptReply' | 'rawReply'> = {}): Promise<SendsSetup> {
	const {dir, env: base} = tempConfigDir(t);
	const env: NodeJS.ProcessEnv = {...base, LANG: 'en_US.UTF-8', NO_COLOR: '1'};
	delete env.MASSMAIL_SMTP_URL;
	delete env.MASSMAIL_SMTP_PASSWORD;
	let server: TestSmtpServer | undefined;
	if (!options.capture) {
		server = await startTestSmtpServer({acceptReply: options.acceptReply, rawReply: options.rawReply});
		env.MASSMAIL_SMTP_URL = `smtp://127.0.0.1:${server.port}`;
	}

	const store = openStore({env});
	const ctx = openDeliveryContext(store, env);
	t.teardown(async () => {
		await ctx.close();
		await server?.close();
	});
	return {env, dir, store, ctx, server};
}

export function draft(overrides: Partial<MessageDraft> = {}): MessageDraft {
	return {kind: 'email', from: {name: 'System Administrator', address: 'postmaster@mail.example.net'}, friendlyName: '', subject: 'Maintenance', body: 'Tonight at 22:00.', html: false, ...overrides};
}

export function people(...locals: string[]): Recipient[] {
	return locals.map(local => ({address: `${local}@example.com`, name: local}));
}

/** Quick engine settings: one attempt (a 4xx fails at once), no waiting. */
export const oneAttempt: DeliveryOverrides = {concurrency: 2, maxAttempts: 1, retryDelayMs: 5, timeoutMs: 2000, journalIntervalMs: 5};

/** Sends `draft` to `recipients` and waits for the end. */
export async function sendNow(setup: SendsSetup, recipients: Recipient[], overrides: Partial<MessageDraft> = {}, audience = 'domain:example.com'): Promise<DeliveryResult> {
	const delivery = await createDelivery(setup.ctx, {draft: draft(overrides), audience, recipients}, oneAttempt);
	return delivery.start();
}

/** Starts a slow send and interrupts it after its first accepted message: some recipients stay pending. */
export async function interruptedSend(setup: SendsSetup, recipients: Recipient[], how: 'interrupt' | 'cancel' = 'interrupt'): Promise<DeliveryResult> {
	const delivery = await createDelivery(setup.ctx, {draft: draft({subject: 'Interrupted notice'}), audience: 'all', recipients}, {...oneAttempt, concurrency: 1, rate: 5});
	const unsubscribe = delivery.subscribe(event => {
		if (event.type === 'outcome' && event.status === 'sent') {
			unsubscribe();
			if (how === 'cancel') {
				delivery.cancel();
			} else {
				delivery.interrupt();
			}
		}
	});
	return delivery.start();
}
