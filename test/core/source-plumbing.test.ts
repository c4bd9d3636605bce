/**
 * What every directory source shares (source/core/sources/plumbing.ts): the read's deadline and
 * cancel against a real TCP server that accepts and never answers. The CA file and TLS failures
 * are the core's (test/core/tls.test.ts).
 */
import net from 'node:net';
import test from 'ava';
import {MassmailError} from '../../source/core/errors.js';
import {withDeadline} from '../../source/core/sources/plumbing.js';

/** A server that accepts and never answers; `closed` settles when the client's connection is gone. */
async function silentServer(t: Pick<import('ava').ExecutionContext, 'teardown'>): Promise<{port: number; closed: Promise<void>}> {
	let closedBy: () => void = () => undefined;
	const closed = new Promise<void>(resolve => {
		closedBy = resolve;
	});
	const server = net.createServer(socket => {
		socket.on('error', () => undefined);
		socket.on('close', closedBy);
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => {
		server.close();
	});
	return {port: (server.address() as net.AddressInfo).port, closed};
}

/** Connects and waits for a first byte that never comes; the socket is destroyed when the read is stopped. */
async function waitForGreeting(port: number, stop: AbortSignal): Promise<string> {
	const socket = net.connect(port, '127.0.0.1');
	stop.addEventListener('abort', () => socket.destroy(), {once: true});
	return new Promise<string>((resolve, reject) => {
		socket.once('data', chunk => resolve(chunk.toString()));
		socket.once('error', reject);
		socket.once('close', () => reject(new Error('closed')));
	});
}

async function failure(promise: Promise<unknown>): Promise<MassmailError> {
	const error = await promise.then(() => undefined, (error: unknown) => error);
	if (!(error instanceof MassmailError)) {
		throw new Error(`expected a MassmailError, got ${error === undefined ? 'success' : String(error)}`);
	}

	return error;
}

test('a read that outlasts its deadline ends at it as \'connection\', saying what it was doing, and its connection is closed', async t => {
	const server = await silentServer(t);
	let stopSignal: AbortSignal | undefined;
	const startedAt = Date.now();
	const error = await failure(withDeadline('the test server', 300, undefined, async stop => {
		stopSignal = stop;
		return waitForGreeting(server.port, stop);
	}, {during: () => 'still waiting for a greeting', hint: 'give it more time'}));
	t.is(error.kind, 'connection');
	t.is(error.message, 'the test server did not finish within 0.3 s (still waiting for a greeting)');
	t.is(error.hint, 'give it more time');
	t.true(Date.now() - startedAt < 2000);
	t.true(stopSignal?.aborted);
	// The server sees the connection go: the read's own end closed it.
	await server.closed;
	t.pass();
});

test('a cancel ends the read at once as \'interrupted\', in the one wording, and closes its connection', async t => {
	const server = await silentServer(t);
	const controller = new AbortController();
	setTimeout(() => controller.abort(), 100);
	const startedAt = Date.now();
	const error = await failure(withDeadline('the test server', 20_000, controller.signal, async stop => waitForGreeting(server.port, stop)));
	t.is(error.kind, 'interrupted');
	t.is(error.message, 'reading the directory from the test server was cancelled');
	t.true(Date.now() - startedAt < 2000);
	await server.closed;
	t.pass();
});

test('a read cancelled before it starts does not start', async t => {
	const controller = new AbortController();
	controller.abort();
	let started = false;
	const error = await failure(withDeadline('the test server', 20_000, controller.signal, async () => {
		started = true;
		return [];
	}));
	t.is(error.kind, 'interrupted');
	t.is(error.message, 'reading the directory from the test server was cancelled');
	t.false(started);
});

test('a read that finished is never stopped afterwards, and its own failure is its own', async t => {
	const controller = new AbortController();
	let stopSignal: AbortSignal | undefined;
	t.is(await withDeadline('the test server', 100, controller.signal, async stop => {
		stopSignal = stop;
		return 'read';
	}), 'read');
	await new Promise(resolve => setTimeout(resolve, 200));
	controller.abort();
	t.false(stopSignal?.aborted);

	const refused = new MassmailError('auth', 'the test server refused the login');
	t.is(await failure(withDeadline('the test server', 20_000, undefined, async () => {
		throw refused;
	})), refused);
});
