/**
 * What the screens get from outside: the store, the delivery context, the terminal
 * hand-over for $EDITOR, the theme and the size. Provided once by the app (run-dashboard
 * in production, the test in tests), read with the hooks below. Components never open
 * files or sockets themselves.
 */
import {createContext, useContext} from 'react';
import type {Store} from '../core/store.js';
import type {Delivery, DeliveryContext} from '../core/delivery/index.js';
import type {DeliveryEvent, DeliveryResult} from '../core/types.js';
import type {Theme} from './theme.js';
import type {DirectorySync} from './sync-service.js';
import type {SendOperations} from './send-service.js';
import type {DeliveryTracking} from './tracking-service.js';
import type {ScheduleOperations} from './schedule-service.js';

export interface DashboardServices {
	store: Store;
	env: NodeJS.ProcessEnv;
	demo: boolean;
	/** The directory from its source (directory.source): read and plan, apply, test. */
	sync: DirectorySync;
	/** Start, resume and retry sends, test copies, the connection check, reports: the engine and the files, for the screens. */
	sends: SendOperations;
	/** Delivery reports: the background fold of the bounce mailbox while a send's page or History watches, its status, the mailboxes that bounce. */
	tracking: DeliveryTracking;
	/** Scheduled sends: schedule a reviewed send, list, change the time, cancel, run now; the header's next send and timer warning. */
	schedule: ScheduleOperations;
	/** The delivery context (capture server, send records), opened on first use and closed on exit. */
	delivery(): DeliveryContext;
	/**
	 * Hand the terminal to $VISUAL/$EDITOR on `text` and give it back.
	 * Resolves to the edited text, or rejects with a message saying what went wrong.
	 */
	editText(text: string, options: {extension: string}): Promise<string>;
	/** The send now running, so Ctrl+C, SIGTERM and SIGHUP can stop it with its record complete. */
	session: {
		active?: {
			delivery: Delivery;
			/** The promise of `delivery.start()`, started once by delivery-flow's startDelivery. */
			done: Promise<DeliveryResult>;
			/** The events from the start until the Progress screen subscribes. */
			backlog?: {take(): DeliveryEvent[]};
		};
		/**
		 * The send started last, kept after it ends: a send can finish before its Progress screen
		 * is drawn, which then shows its end rather than losing it.
		 */
		last?: NonNullable<DashboardServices['session']['active']>;
		/** Set once the dashboard quits: a send whose connection check ends after that is cancelled, never started. */
		closed?: boolean;
	};
	/** Quit the dashboard with this exit status (the terminal is restored by whoever started it). */
	exit(status: number): void;
}

export const ServicesContext = createContext<DashboardServices | undefined>(undefined);

export function useServices(): DashboardServices {
	const services = useContext(ServicesContext);
	if (!services) {
		throw new Error('useServices outside <ServicesContext.Provider>');
	}

	return services;
}

export const ThemeContext = createContext<Theme | undefined>(undefined);

export function useTheme(): Theme {
	const theme = useContext(ThemeContext);
	if (!theme) {
		throw new Error('useTheme outside <ThemeContext.Provider>');
	}

	return theme;
}

export interface Layout {
	columns: number;
	/** The terminal's rows; the frame is one row shorter (see run-dashboard). */
	rows: number;
	/** Rows a screen's body may use: the frame minus header and footer. */
	bodyRows: number;
}

export const LayoutContext = createContext<Layout>({columns: 80, rows: 24, bodyRows: 20});

export function useLayout(): Layout {
	return useContext(LayoutContext);
}

/** Header (2 rows) + footer (1 row) + the one row the frame leaves free. */
export const chromeRows = 4;

/**
 * The store's edition: a screen that saves the directory or the settings calls `changed()`,
 * and whatever shows them (the header's counts and destination, the domains) reads them again.
 */
export interface StoreEdition {
	version: number;
	changed(): void;
}

export const StoreEditionContext = createContext<StoreEdition>({version: 0, changed() {}});

/** Call after saving the directory or the settings: `const storeChanged = useStoreChanged(); ...; storeChanged();` */
export function useStoreChanged(): () => void {
	return useContext(StoreEditionContext).changed;
}

/** A number that changes whenever the store was saved; depend on it to read the store again. */
export function useStoreVersion(): number {
	return useContext(StoreEditionContext).version;
}
