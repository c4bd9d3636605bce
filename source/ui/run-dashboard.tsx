/**
 * Starting and ending the dashboard: the terminal checks, the alternate screen (restored on
 * every way out: q, Ctrl+C, SIGTERM, SIGHUP, an uncaught error), resizes, and closing the
 * delivery context.
 */
import {render, type Instance} from 'ink';
import type {Store} from '../core/store.js';
import {openDeliveryContext, type DeliveryContext} from '../core/delivery/index.js';
import {exitCodes, formatError, isMassmailError} from '../core/errors.js';
import {isResumable, runEndLines} from '../core/run-end.js';
import type {DeliveryResult} from '../core/types.js';
import {App} from './app.js';
import {captureName} from '../core/smtp-config.js';
import {createTheme} from './theme.js';
import {massmailCommand, printable, setEllipsis} from './components/text.js';
import type {DashboardServices} from './services.js';
import {createDirectorySync} from './sync-service.js';
import {createSendOperations} from './send-service.js';
import {createDeliveryTracking} from './tracking-service.js';
import {createScheduleOperations} from './schedule-service.js';
import {editInEditor, enterAlternateScreen, leaveAlternateScreen, withFrameCursorFix} from './terminal.js';

export interface RunDashboardOptions {
	store: Store;
	demo: boolean;
	env?: NodeJS.ProcessEnv;
	/** Defaults to the process's streams. */
	stdin?: NodeJS.ReadStream;
	stdout?: NodeJS.WriteStream;
	stderr?: NodeJS.WriteStream;
}

/** How long SIGTERM/SIGHUP wait for the messages in flight to be recorded before leaving anyway. */
const stopGraceMs = 10_000;

/**
 * Run the dashboard until the person quits; resolves to the exit status
 * (core/errors.ts's table: 0, 2 without a terminal, 130 when a send was stopped, 70 after an
 * unexpected error).
 */
export async function runDashboard(options: RunDashboardOptions): Promise<number> {
	const env = options.env ?? process.env;
	const stdin = options.stdin ?? process.stdin;
	const stdout = options.stdout ?? process.stdout;
	const stderr = options.stderr ?? process.stderr;

	if (!stdin.isTTY || typeof stdin.setRawMode !== 'function' || !stdout.isTTY) {
		stderr.write('massmail: the dashboard needs a terminal (standard input and output must be a TTY).\n'
			+ 'Use the command line instead; see: massmail --help\n');
		return exitCodes.usage;
	}

	const theme = createTheme(env);
	// Text cut by the screens ends in the theme's ellipsis ("..." without Unicode).
	setEllipsis(theme.symbols.ellipsis);
	let status: number = exitCodes.ok;
	let failure: unknown;
	let deliveryContext: DeliveryContext | undefined;
	let instance: Instance | undefined;
	let finished = false;

	const write = (text: string) => {
		try {
			stdout.write(text);
		} catch {
			// The terminal is gone (SSH dropped): nothing left to restore.
		}
	};

	let restored = false;
	const restore = () => {
		if (!restored) {
			restored = true;
			write(leaveAlternateScreen);
		}
	};

	const quit = (code: number) => {
		if (finished) {
			return;
		}

		finished = true;
		status = code;
		services.session.closed = true;
		instance?.unmount();
	};

	const services: DashboardServices = {
		store: options.store,
		env,
		demo: options.demo,
		sync: createDirectorySync(options.store, env),
		sends: createSendOperations(() => services.delivery()),
		tracking: createDeliveryTracking({store: options.store, env, sends: () => services.delivery().sends}),
		schedule: createScheduleOperations({store: options.store, env, delivery: () => services.delivery()}),
		delivery() {
			deliveryContext ??= openDeliveryContext(options.store, env);
			return deliveryContext;
		},
		async editText(text, {extension}) {
			return editInEditor(text, {env, stdin, stdout, extension});
		},
		session: {},
		exit: quit,
	};

	const size = () => ({columns: stdout.columns || 80, rows: stdout.rows || 24});
	let repaint: (() => void) | undefined;
	const onRepaintReady = (callback: () => void) => {
		repaint = callback;
	};

	const app = () => <App services={services} theme={theme} size={size()} onRepaintReady={onRepaintReady} />;

	// Stop a running send with its record complete, then leave.
	const stopAndQuit = (code: number) => {
		const active = services.session.active;
		if (!active) {
			quit(code);
			return;
		}

		// SIGTERM, SIGHUP and a terminal gone cut the run off; a person's quit stopped it.
		active.delivery.interrupt(code === 128 + 15 || code === 128 + 1 ? 'signal' : 'person');
		const timer = setTimeout(() => quit(exitCodes.interrupted), stopGraceMs);
		timer.unref();
		const done = () => {
			clearTimeout(timer);
			quit(exitCodes.interrupted);
		};

		active.done.then(done, done);
	};

	// A signal would have ended the process: once the send is stopped and the screen given back,
	// make sure nothing (a hung connection) keeps it alive. The timer does not hold the process.
	const onSignal = (code: number) => () => {
		stopAndQuit(code);
		setTimeout(() => process.exit(status), stopGraceMs + 2000).unref();
	};

	const onSigterm = onSignal(128 + 15);
	const onSighup = onSignal(128 + 1);
	const onSigint = onSignal(exitCodes.interrupted);
	// A resize: the new size goes in before Ink's own resize handler draws (it runs next, at once);
	// after it, the whole frame is drawn again on a cleared screen, because the terminal may have
	// scrolled or reflowed what was there.
	const onResize = () => instance?.rerender(app());
	const afterInkResize = () => repaint?.();
	const onFatal = (error: unknown) => {
		failure = error;
		services.session.active?.delivery.interrupt();
		quit(exitCodes.internal);
		restore();
	};

	const onStdoutError = () => stopAndQuit(128 + 1);

	// One table for adding and removing, so that nothing is left listening after the dashboard.
	const processListeners: Array<[string, (...args: any[]) => void]> = [
		['SIGTERM', onSigterm],
		['SIGHUP', onSighup],
		['SIGINT', onSigint],
		['uncaughtException', onFatal],
		['unhandledRejection', onFatal],
	];
	for (const [event, listener] of processListeners) {
		process.on(event, listener);
	}

	// Last resort: whatever happens, the terminal is given back.
	process.on('exit', restore);
	stdout.on('resize', onResize);
	stdout.on('error', onStdoutError);

	write(enterAlternateScreen);
	try {
		instance = render(app(), {
			stdin,
			stdout: withFrameCursorFix(stdout),
			stderr,
			exitOnCtrlC: false,
			// Console output would land in the middle of the frame; the dashboard prints nothing itself.
			patchConsole: false,
			// Only changed rows are written (little output over SSH); see withFrameCursorFix.
			incrementalRendering: true,
			// A key is drawn within a frame (16 ms); the progress screen throttles itself to 2 a second.
			maxFps: 60,
		});
		stdout.on('resize', afterInkResize);
		// The first frame (drawn above, at once) showed the directory's overview. Read the mailboxes
		// now, before the first key is handled: a key typed meanwhile waits in the terminal's buffer,
		// and any screen reads the whole directory anyway (store.directory()) before it acts.
		setImmediate(() => {
			try {
				options.store.directory();
			} catch {
				// A damaged directory.json: the screen that reads it says what is wrong.
			}
		});
		await instance.waitUntilExit();
	} catch (error) {
		failure ??= error;
		status = exitCodes.internal;
	} finally {
		for (const [event, listener] of processListeners) {
			process.off(event, listener);
		}

		stdout.off('resize', onResize);
		stdout.off('resize', afterInkResize);
		stdout.off('error', onStdoutError);
		restore();
		process.off('exit', restore);
	}

	function writeRunEnd(result: DeliveryResult, destination: string, command: string) {
		const end = runEndLines(result, {command, captureDir: destination.startsWith(captureName) ? options.store.paths.captureDir : undefined});
		for (const line of end.stopped) {
			// Why the server stopped it may quote the server: shown, not obeyed.
			stderr.write(`${printable(line)}\n`);
		}

		for (const line of end.outcome) {
			stdout.write(`${line}\n`);
		}

		if (end.resume) {
			stderr.write(`${end.resume}\n`);
		}
	}

	if (isMassmailError(failure)) {
		// A user's mistake that reached the top: its sentence, no stack.
		stderr.write(`${printable(formatError(failure), {lines: true})}\n`);
		status = failure.exitCode;
	} else if (failure) {
		const message = failure instanceof Error ? failure.stack ?? failure.message : String(failure);
		stderr.write(`massmail: internal error: the dashboard stopped on an unexpected error (please report it, with what follows):\n${message}\n`);
		status = exitCodes.internal;
	}

	// Leaving a send part-way: the screen that said how to go on is gone, so say it again, as the
	// command line does on its way out.
	const last = services.session.last;
	if (last) {
		const result = await Promise.race([last.done.catch(() => undefined), new Promise<undefined>(resolve => {
			setImmediate(resolve, undefined);
		})]);
		const command = massmailCommand(options.store.paths.demo);
		if (result === undefined) {
			stderr.write(`massmail: send ${last.delivery.id} was still finishing its messages in flight when the dashboard closed; its record says what happened: ${command} show ${last.delivery.id}\n`);
		} else if (isResumable(result) || result.stopped) {
			writeRunEnd(result, last.delivery.destination, command);
		}
	}

	// A fold in progress stops: what it recorded stays, the reports not yet moved are moved by the next.
	services.tracking.close();
	try {
		await deliveryContext?.close();
	} catch {
		// Closing the capture server cannot lose anything: every outcome is already recorded.
	}

	return status;
}
