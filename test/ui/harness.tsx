/**
 * Rendering the dashboard in tests: real core objects on a temporary MASSMAIL_CONFIG_DIR,
 * ink-testing-library at 80×24, keys by name, every render/write/unmount inside act().
 */
import {act} from 'react';
import {render} from 'ink-testing-library';
import type {ExecutionContext} from 'ava';
import {openStore, type Store} from '../../source/core/store.js';
import {openDeliveryContext, type DeliveryContext} from '../../source/core/delivery/index.js';
import {App} from '../../source/ui/app.js';
import {createTheme} from '../../source/ui/theme.js';
import {setEllipsis} from '../../source/ui/components/text.js';
import type {DashboardServices} from '../../source/ui/services.js';
import {createDirectorySync} from '../../source/ui/sync-service.js';
import {createSendOperations} from '../../source/ui/send-service.js';
import {createDeliveryTracking} from '../../source/ui/tracking-service.js';
import {createScheduleOperations} from '../../source/ui/schedule-service.js';
import type {Route} from '../../source/ui/state/router.js';
import {createKeyReader, type Keystroke} from '../../source/ui/keypress.js';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {keys} from '../helpers/keys.js';
import {startTestSmtpServer, type TestSmtpServer} from '../helpers/smtp-test-server.js';

(globalThis as {IS_REACT_ACT_ENVIRONMENT?: boolean}).IS_REACT_ACT_ENVIRONMENT = true;

// The key names of test/helpers/keys.ts (the one table), as the screen tests write them.
export {keys, paste} from '../helpers/keys.js';
export const ENTER = keys.enter;
export const ESC = keys.escape;
export const TAB = keys.tab;
export const SHIFT_TAB = keys.shiftTab;
export const UP = keys.up;
export const DOWN = keys.down;
export const RIGHT = keys.right;
export const LEFT = keys.left;
export const HOME = keys.home;
export const END = keys.end;
export const PAGE_UP = keys.pageUp;
export const PAGE_DOWN = keys.pageDown;
export const BACKSPACE = keys.backspace;
export const DELETE = keys.delete;
export const SPACE = keys.space;
export const F1 = keys.f1;
export const CTRL_A = keys.ctrlA;
export const CTRL_C = keys.ctrlC;
export const CTRL_D = keys.ctrlD;
export const CTRL_E = keys.ctrlE;
export const CTRL_S = keys.ctrlS;
export const CTRL_T = keys.ctrlT;
export const CTRL_U = keys.ctrlU;
export const CTRL_W = keys.ctrlW;

/** The keypress the dashboard reads from these bytes (the first, if they hold more). @example keystroke(CTRL_E).key.name // 'e' */
export function keystroke(sequence: string): Keystroke {
	const reader = createKeyReader();
	const [stroke] = [...reader.push(sequence), ...reader.flush()];
	if (!stroke) {
		throw new Error(`no keypress in ${JSON.stringify(sequence)}`);
	}

	return stroke;
}

export function stripAnsi(text: string): string {
	return text.replaceAll(/\u001B\[[\d;?]*[ -/]*[@-~]/g, '').replaceAll(/\u001B\][^\u0007]*\u0007/g, '');
}

function escapeRegExp(text: string): string {
	return text.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`);
}

export interface Dashboard {
	store: Store;
	services: DashboardServices;
	/** The screen as plain text, trailing blanks trimmed per line. */
	screen(): string;
	/** The last frame as Ink wrote it to the terminal, escape sequences and all. */
	frame(): string;
	lines(): string[];
	/** One key (or text) per call, inside act(). */
	press(...keys: string[]): Promise<void>;
	type(text: string): Promise<void>;
	/**
	 * Move to the row labelled `label` as a person does: Tab (or `options.key`) until that row has
	 * the focus mark (`❯ Subject`, `❯        [Save]`), at most `options.limit` presses (40); throws
	 * with the screen when it never gets there. Nothing is pressed when it is there already.
	 * @example await dashboard.focusField('Subject')
	 * @example await dashboard.focusField('Add domain', {key: DOWN}) // a row of the Actions menu
	 */
	focusField(label: string, options?: {key?: string; limit?: number}): Promise<void>;
	/** Exit statuses the dashboard asked for. */
	exits: number[];
	/** Let pending promises (a send, a test copy) settle and the screen update. */
	settle(test?: (screen: string) => boolean, timeoutMs?: number): Promise<void>;
	unmount(): Promise<void>;
	deliveryContext(): DeliveryContext | undefined;
}

export interface DashboardOptions {
	env?: NodeJS.ProcessEnv;
	demo?: boolean;
	route?: Route;
	columns?: number;
	rows?: number;
	/** Fill the store before the first frame. */
	setup?: (store: Store) => void;
	editText?: DashboardServices['editText'];
	/** The least time between two background folds of the bounce mailbox (the dashboard's: 5 s). */
	trackingIntervalMs?: number;
}

export async function renderDashboard(t: ExecutionContext, options: DashboardOptions = {}): Promise<Dashboard> {
	const env = options.env ?? {...tempConfigDir(t).env, LANG: 'en_US.UTF-8', NO_COLOR: '1'};
	const store = openStore({demo: options.demo ?? false, env});
	options.setup?.(store);
	let context: DeliveryContext | undefined;
	const exits: number[] = [];
	const services: DashboardServices = {
		store,
		env,
		demo: options.demo ?? false,
		sync: createDirectorySync(store, env),
		sends: createSendOperations(() => services.delivery()),
		tracking: createDeliveryTracking({store, env, sends: () => services.delivery().sends, intervalMs: options.trackingIntervalMs}),
		schedule: createScheduleOperations({store, env, delivery: () => services.delivery()}),
		delivery() {
			context ??= openDeliveryContext(store, env);
			return context;
		},
		editText: options.editText ?? (async () => {
			throw new Error('no editor in this test');
		}),
		session: {},
		exit(status) {
			// As run-dashboard's: a quit dashboard starts no send.
			services.session.closed = true;
			exits.push(status);
		},
	};
	t.teardown(async () => {
		services.tracking.close();
		await context?.close();
	});

	const theme = createTheme(env);
	// As run-dashboard does once: cut text ends in the theme's ellipsis.
	setEllipsis(theme.symbols.ellipsis);
	const size = {columns: options.columns ?? 80, rows: options.rows ?? 24};
	let instance!: ReturnType<typeof render>;
	await act(async () => {
		instance = render(<App services={services} theme={theme} size={size} initialRoute={options.route} />);
	});

	const lines = () => stripAnsi(instance.lastFrame() ?? '').split('\n').map(line => line.trimEnd());
	const screen = () => lines().join('\n');
	const dashboard: Dashboard = {
		store,
		services,
		screen,
		frame: () => instance.lastFrame() ?? '',
		lines,
		exits,
		async press(...keys) {
			for (const key of keys) {
				await act(async () => {
					instance.stdin.write(key);
				});
			}
		},
		async type(text) {
			for (const character of text) {
				await act(async () => {
					instance.stdin.write(character);
				});
			}
		},
		async focusField(label, {key = keys.tab, limit = 40} = {}) {
			const focused = new RegExp(`(^|\\s)${escapeRegExp(theme.symbols.pointer)} +${escapeRegExp(label)}( |$)`, 'm');
			for (let count = 0; !focused.test(screen()); count++) {
				if (count === limit) {
					throw new Error(`no row "${label}" got the focus mark in ${limit} presses:\n${screen()}`);
				}

				await dashboard.press(key);
			}
		},
		async settle(test, timeoutMs = 10_000) {
			const started = Date.now();
			for (;;) {
				await act(async () => {
					await new Promise(resolve => {
						setTimeout(resolve, 20);
					});
				});
				if (!test || test(screen())) {
					return;
				}

				if (Date.now() - started > timeoutMs) {
					throw new Error(`the screen never showed what was waited for:\n${screen()}`);
				}
			}
		},
		async unmount() {
			await act(async () => {
				instance.unmount();
			});
		},
		deliveryContext: () => context,
	};
	return dashboard;
}

export interface SmtpSetup {
	server: TestSmtpServer;
	env: NodeJS.ProcessEnv;
	dir: string;
}

/** A real SMTP test server on 127.0.0.1 and a data folder whose sends go to it, both ended with the test. */
export async function smtpSetup(t: ExecutionContext): Promise<SmtpSetup> {
	const server = await startTestSmtpServer();
	t.teardown(async () => server.close());
	const {dir, env} = tempConfigDir(t);
	return {server, dir, env: {...env, LANG: 'en_US.UTF-8', NO_COLOR: '1', MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${server.port}`}};
}
