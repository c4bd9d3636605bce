/**
 * Run by delivery-crash.test.ts in a child process: starts a send and keeps sending until killed.
 * Arguments: config folder, SMTP port, recipient count, concurrency, strict ('strict' or not). Prints the send id.
 */
import {openStore} from '../../source/core/store.js';
import {createDelivery, openDeliveryContext} from '../../source/core/delivery/index.js';

const [dir, port, count, concurrency, strict] = process.argv.slice(2);
const env = {MASSMAIL_CONFIG_DIR: dir, MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${port}`};
const ctx = openDeliveryContext(openStore({env}), env);
const recipients = Array.from({length: Number(count)}, (_, i) => ({address: `user${i}@example.com`, name: `User ${i}`}));
const delivery = await createDelivery(ctx, {
	draft: {kind: 'email', from: {name: 'Admin', address: 'postmaster@example.net'}, friendlyName: '', subject: 'Crash test', body: 'Hello.\n'.repeat(100), html: false},
	audience: 'all',
	recipients,
}, {concurrency: Number(concurrency), rate: 0, strictJournal: strict === 'strict'});
process.stdout.write(delivery.id + '\n');
await delivery.start();
