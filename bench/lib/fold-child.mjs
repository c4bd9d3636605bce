/**
 * The tracking benchmark's fold, in a process that does nothing else: plain JavaScript importing the
 * built core (dist/, `npm run build`), started with the program's own Node flags, so its memory is
 * the fold's and not a TypeScript loader's.
 *
 * `node fold-child.mjs '{"sendsDir", "port", "user", "returnPath"}'` with the password in
 * MASSMAIL_TRACKING_PASSWORD (never on the command line) folds the bounce mailbox on
 * 127.0.0.1:port into the records of sendsDir, then prints one JSON line:
 * `{"ms", "cpuMs", "maxRssMb", "summary"}` or `{"error": {kind, message}}`.
 */
import {performance} from 'node:perf_hooks';
import process from 'node:process';
import {SendLog} from '../../dist/source/core/journal.js';
import {foldReports} from '../../dist/source/core/tracking/fold.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const password = process.env.MASSMAIL_TRACKING_PASSWORD ?? '';
const started = performance.now();
try {
	const summary = await foldReports({
		imap: {host: '127.0.0.1', port: options.port, tls: 'none', user: options.user, password: async () => password},
		returnPath: options.returnPath,
		delimiter: '+',
		sends: new SendLog(options.sendsDir),
		deadlineMs: 300_000,
	});
	const ms = performance.now() - started;
	// resourceUsage(): maxRSS in kilobytes (the process's peak, start-up included), CPU times in microseconds.
	const usage = process.resourceUsage();
	process.stdout.write(JSON.stringify({ms, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssMb: usage.maxRSS / 1024, summary}) + '\n');
} catch (error) {
	process.stdout.write(JSON.stringify({error: {kind: error?.kind ?? 'internal', message: error instanceof Error ? error.message : String(error)}}) + '\n');
	process.exitCode = 1;
}
