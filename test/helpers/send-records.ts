/**
 * What a send record holds besides its id, time and recipients, for the journal's tests that
 * write records with SendLog directly (no engine, no server).
 */
import type {SendRecord} from '../../source/core/journal.js';

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
