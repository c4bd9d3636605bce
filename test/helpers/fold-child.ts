/**
 * A fold in a process of its own, for the tests of folds at once and of a fold killed half-way
 * (test/core/tracking-fold.test.ts): `node --import=tsx fold-child.ts '{"sendsDir", "port", "batchSize"}'`
 * folds the bounce mailbox of test/helpers/bounce-mailbox.ts on 127.0.0.1:port into the records of
 * sendsDir. It prints one JSON line per batch, `{"pid", "looked"}`, then `{"summary"}` or `{"error": {kind, message}}`.
 */
import {SendLog} from '../../source/core/journal.js';
import {foldReports} from '../../source/core/tracking/fold.js';
import {bounceUser} from './bounce-mailbox.js';

const options = JSON.parse(process.argv[2] ?? '{}') as {sendsDir: string; port: number; batchSize?: number};
try {
	const summary = await foldReports({
		imap: {host: '127.0.0.1', port: options.port, tls: 'none', user: bounceUser, password: async () => 'bounce-secret'},
		returnPath: bounceUser,
		delimiter: '+',
		sends: new SendLog(options.sendsDir),
		deadlineMs: 20_000,
		batchSize: options.batchSize,
		onProgress(progress) {
			process.stdout.write(JSON.stringify({pid: process.pid, looked: progress.looked}) + '\n');
		},
	});
	process.stdout.write(JSON.stringify({summary}) + '\n');
} catch (error) {
	process.stdout.write(JSON.stringify({error: {kind: (error as {kind?: string}).kind ?? 'internal', message: (error as Error).message}}) + '\n');
	process.exitCode = 1;
}
