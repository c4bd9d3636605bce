/**
 * Rendering the dashboard in tests: real core objects on a temporary MASSMAIL_CONFIG_DIR,
 * ink-testing-library at 80×24, keys by name, every render/write/unmount inside act().
 */
import {act} from 'react';
import {render} from 'ink-testing-library';
import type {ExecutionContext} from 'ava';
import {openStore, type Store} from '../../source/core/store.js';
import {openDeliveryContext, type DeliveryContext} from '../../source/core/delivery.js';
import {App} from '../../source/ui/app.js';
import {createTheme} from '../../source/ui/theme.js';
import type {DashboardServices} from '../../source/ui/services.js';
import {createDirectorySync} from '../../source/ui/sync-service.js';
import {createSendOperations} from '../../source/ui/send-service.js';
import type {Route} from '../../source/ui/state/router.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

(globalThis as {IS_REACT_ACT_ENVIRONMENT?: boolean}).IS_REACT_ACT_ENVIRONMENT = true;

export const ENTER = '\r';
export const ESC = '\u001B';
export const TAB = '\t';
export const SHIFT_TAB = '\u001B[Z';
export const UP = '\u001B[A';
export const DOWN = '\u001B[B';
export const RIGHT = '\u001B[C';
export const LEFT = '\u001B[D';
export const PAGE_UP = '\u001B[5~';
export const PAGE_DOWN = '\u001B[6~';
export const BACKSPACE = '\u007F';
export const SPACE = ' ';
export const CTRL_C = '\u0003';
export const CTRL_E = '\u0005';
export const CTRL_S = '\u0013';
export const CTRL_T = '\u0014';
export const CTRL_D = '\u0004';

export function stripAnsi(text: string): string {
	return text.replaceAll(/\u001B\[[\d;?]*[ -/]*[@-~]/g, '').replaceAll(/\u001B\][^\u0007]*\u0007/g, '');
}

export interface Dashboard {
	store: Store;
	services: DashboardServices;
	/** The screen as plain text, trailing blanks trimmed per line. */
	screen(): string;
	lines(): string[];
	/** One key (or text) per call, inside act(). */
	press(...keys: string[]): Promise<void>;
	type(text: string): Promise<void>;
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
		await context?.close();
	});

	const size = {columns: options.columns ?? 80, rows: options.rows ?? 24};
	let instance!: ReturnType<typeof render>;
	await act(async () => {
		instance = render(<App services={services} theme={createTheme(env)} size={size} initialRoute={options.route} />);
	});

	const lines = () => stripAnsi(instance.lastFrame() ?? '').split('\n').map(line => line.trimEnd());
	const screen = () => lines().join('\n');
	const dashboard: Dashboard = {
		store,
		services,
		screen,
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
