/**
 * What a send record holds besides its id, time and recipients, for the journal's tests that
 * write records with SendLog directly (no engine, no server).
 */
import type {SendLog, SendRecord} from '../../source/core/journal.js';

export const recordFields: Omit<SendRecord, 'id' | 'createdAt' | 'total'> = {
	kind: 'email',
	draft: {kind: 'email', from: {name: 'Admin', address: 'postmaster@example.net'}, friendlyName: '', subject: 'Hello', body: 'Body', html: false},
	audience: 'domain:example.com',
	captured: true,
	destination: 'local capture: nothing leaves this machine',
	settings: {
		smtp: {host: '', port: 587, tls: 'starttls', user: '', allowUnverifiedTls: false},
		sender: {name: 'Admin', address: 'postmaster@example.net'},
		delivery: {concurrency: 2, rate: 0, maxAttempts: 3, retryDelayMs: 10, confirmThreshold: 100},
	},
};

/**
 * A send's record as the engine leaves it after the server accepted every message (an outcome `S`
 * each), from recordFields' sender unless `fields` says otherwise. Returned with its lock held, as
 * a send in progress holds it: `release()` it to leave the send finished-like.
 */
export async function acceptedSend(sends: SendLog, addresses: string[], fields: Partial<Omit<SendRecord, 'id' | 'createdAt' | 'total'>> = {}): Promise<{record: SendRecord; release: () => void}> {
	const {record, lock} = sends.create({...recordFields, ...fields, recipients: addresses.map(address => ({address, name: ''}))});
	const writer = sends.openOutcomes(record.id, () => undefined);
	for (const index of addresses.keys()) {
		writer.append({index, code: 'S', attempts: 1, response: '250 2.0.0 Ok: queued', ambiguous: false});
	}

	await writer.close();
	return {record, release: () => lock.release()};
}
