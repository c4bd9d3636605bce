/**
 * Sending a draft to its recipients, as the command line, the dashboard, the tests and the
 * benchmark do it. Starting a send is in start.ts; the run it starts, the class Delivery, in
 * engine.ts; beside them one file per concern: the SMTP transport, the reply table and what each
 * kind of reply decides, the connections, the recipients' order and retries, the pace, the
 * progress, the end of a run.
 *
 * @example
 * const ctx = openDeliveryContext(store);
 * const delivery = await createDelivery(ctx, {draft, audience: 'domain:example.com', recipients});
 * delivery.subscribe(event => console.log(event));
 * const result = await delivery.start(); // result.stopped says why when the server gave out
 * await ctx.close();
 */
export {checkConnection, createDelivery, dsnNotice, openDeliveryContext, reopenDelivery, sendTestCopy, type DeliveryContext, type DsnNotice, type SendRequest} from './start.js';
export {Delivery} from './engine.js';
export type {DeliveryOverrides} from './options.js';
export type {ConnectionTarget} from './transport.js';
