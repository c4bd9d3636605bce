/**
 * The dashboard's root: the router, the frame (header, the screen, footer), the dialog,
 * the keyboard (keypress.ts: the one reader of stdin), and the global keys. Everything from outside comes in through
 * `services` (run-dashboard.tsx in production, the tests in tests).
 */
import {memo, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState, type ComponentType} from 'react';
import {Box, useStdin, useStdout} from 'ink';
import {resolveSmtpTarget, describeTarget} from '../core/smtp-config.js';
import type {DirectoryOverview} from '../core/directory-overview.js';
import {configuredSourceLabel, directoryIsStale} from '../core/sync.js';
import {globalKeys} from './key-bindings.js';
import {useTerminalKeys, type Keystroke} from './keypress.js';
import {KeyDispatcher, KeyDispatcherContext, ScreenActiveContext, useScreenKeys} from './hooks/use-keys.js';
import {NavigationContext, type Navigation} from './hooks/use-navigation.js';
import {ScreenMemoryContext, pruneScreenMemory} from './hooks/use-screen-state.js';
import {currentEntry, initialRouterState, previousRoute, routerReducer, type Route, type StackEntry} from './state/router.js';
import {LayoutContext, ServicesContext, StoreEditionContext, ThemeContext, chromeRows, useServices, type DashboardServices, type Layout, type StoreEdition} from './services.js';
import type {Theme} from './theme.js';
import {DialogContext, DialogView, quitDialog, type DialogApi, type DialogRequest} from './components/dialog.js';
import {UnsavedWork, UnsavedWorkContext} from './hooks/use-unsaved.js';
import {Footer, Header, type DirectoryOriginInfo} from './components/frame.js';
import {plural} from './components/text.js';
import {screens, screenTitle} from './screens/index.js';
import {askToStopSend} from './delivery-flow.js';

/** Keys handled one from another's commit before the rest of a burst goes on from a new task (see the key queue). */
const chainLimit = 20;

export interface AppProps {
	services: DashboardServices;
	theme: Theme;
	/** The terminal's size; follows resizes (run-dashboard re-renders with the new size). */
	size: {columns: number; rows: number};
	/** The screen to open first (tests); the Domains home screen by default. */
	initialRoute?: Route;
	/** Receives a function that redraws the whole frame (run-dashboard calls it after a resize). */
	onRepaintReady?: (repaint: () => void) => void;
}

function useDestination(services: DashboardServices, storeVersion: number): {text: string; error: boolean} {
	return useMemo(() => {
		try {
			return {text: describeTarget(resolveSmtpTarget(services.store.settings.get(), services.env)), error: false};
		} catch (error) {
			return {text: (error as Error).message, error: true};
		}
		// Read again when Settings saved them.
	}, [services, storeVersion]);
}

/** Where the directory comes from and when, for the header; undefined while the source is local. */
function useDirectoryOrigin(services: DashboardServices, directory: DirectoryOverview, storeVersion: number): DirectoryOriginInfo | undefined {
	return useMemo(() => {
		let settings;
		try {
			settings = services.store.settings.get();
		} catch {
			// Broken settings: the destination line says so.
			return undefined;
		}

		const configured = configuredSourceLabel(settings);
		if (configured === undefined) {
			return undefined;
		}

		const {origin} = directory;
		return {
			size: plural(directory.mailboxCount, 'mailbox', 'mailboxes'),
			label: origin?.source ?? configured,
			syncedAt: origin?.syncedAt,
			isStale: (now: number) => directoryIsStale(settings, directory, now),
		};
		// Read again when Settings or a sync saved them.
	}, [services, directory, storeVersion]);
}

/**
 * Another process (`massmail user add` or `config set` in a shell, a second dashboard) may
 * change the directory or the settings: look once a second (a stat of each file; the store
 * reads a file again only when it changed) and have whatever shows them read them again.
 */
function useOtherProcessChanges(services: DashboardServices, changed: () => void): void {
	const onChange = useRef(changed);
	onChange.current = changed;
	useEffect(() => {
		// The overview, not the directory: a new object exactly when directory.json changed, and it
		// does not read 100,000 mailboxes before the first frame is drawn.
		const read = () => [services.store.directoryOverview(), services.store.settings.get()] as const;
		let seen: readonly unknown[] | undefined;
		const look = () => {
			try {
				const now = read();
				if (seen && (now[0] !== seen[0] || now[1] !== seen[1])) {
					onChange.current();
				}

				seen = now;
			} catch {
				// A file broken meanwhile: the screen that reads it says so.
			}
		};

		look();
		const timer = setInterval(look, 1000);
		return () => {
			clearInterval(timer);
		};
	}, [services]);
}

/** The keys every screen shares: `?` help, Ctrl+C quit (during a send, or with typed text in a form: asks). */
function GlobalKeys({dialog, onHelp}: {dialog: DialogApi; onHelp?: () => void}) {
	const services = useServices();
	const unsaved = useContext(UnsavedWorkContext);
	useScreenKeys(globalKeys, {
		help: onHelp,
		'help-anywhere': onHelp,
		quit() {
			if (services.session.active) {
				askToStopSend(dialog, services);
				return;
			}

			if (unsaved.any) {
				dialog.open(quitDialog({onQuit: () => services.exit(0)}));
				return;
			}

			services.exit(0);
		},
	}, {layer: 'global'});
	return null;
}

/*
 * Each key re-renders App (its tick: see the key queue below). What it holds is memoised, so that a
 * key re-renders only the screen whose state it changed, and what reads a changed context: a key
 * while filtering 5,000 domains rendered the header, the footer and every screen on the stack.
 */
const MemoHeader = memo(Header);
const MemoFooter = memo(Footer);

/** One screen of the back stack: shown when on top (and no dialog is open), else kept with its state (display none). */
const StackScreen = memo(function StackScreen({entry, showing, hidden, memory}: {
	entry: StackEntry;
	showing: boolean;
	hidden: boolean;
	memory: Map<string, unknown>;
}) {
	const Screen = screens[entry.route.screen] as ComponentType<{route: Route}>;
	const screenMemory = useMemo(() => ({states: memory, entryKey: entry.key}), [memory, entry.key]);
	return (
		<Box display={showing && !hidden ? 'flex' : 'none'} flexDirection="column" flexGrow={1}>
			<ScreenActiveContext.Provider value={showing}>
				<ScreenMemoryContext.Provider value={screenMemory}>
					<Screen route={entry.route} />
				</ScreenMemoryContext.Provider>
			</ScreenActiveContext.Provider>
		</Box>
	);
});

export function App({services, theme, size, initialRoute, onRepaintReady}: AppProps) {
	const [router, dispatch] = useReducer(routerReducer, initialRoute, initialRouterState);
	const [dialog, setDialog] = useState<DialogRequest | undefined>(undefined);
	const dispatcher = useMemo(() => new KeyDispatcher(), []);
	const unsaved = useMemo(() => new UnsavedWork(), []);
	const [storeVersion, setStoreVersion] = useState(0);
	const storeEdition = useMemo<StoreEdition>(() => ({version: storeVersion, changed: () => setStoreVersion(version => version + 1)}), [storeVersion]);
	useOtherProcessChanges(services, () => setStoreVersion(version => version + 1));
	const memory = useRef(new Map<string, unknown>()).current;
	const {isRawModeSupported} = useStdin();
	const {write} = useStdout();
	useEffect(() => {
		// Writing through Ink makes it erase its idea of the screen and draw the last frame in full.
		onRepaintReady?.(() => write(''));
	}, [onRepaintReady, write]);

	// The one reader of the keyboard (keypress.ts): every key goes through the dispatcher's layers.
	// Keys that come faster than React commits (one read holding several, or several reads before
	// the commit: React 19 commits in a microtask, after every key of a read was parsed) are queued
	// and handled one at a time, each after React has committed what the previous one changed (its
	// handlers then see the new state, a new screen's keys are live). Each key forces a commit with
	// a tick; the layout effect of that commit takes the next key.
	const pending = useRef<Keystroke[]>([]);
	const awaitingCommit = useRef(false);
	const [tick, setTick] = useState(0);
	const dispatchNext = useCallback(() => {
		const next = pending.current.shift();
		if (next) {
			awaitingCommit.current = true;
			dispatcher.dispatch(next.input, next.key);
			setTick(count => count + 1);
		}
	}, [dispatcher]);
	// React allows about 50 updates made one from another's layout effect (then error #185, which
	// ended the dashboard on a 50-character burst: a paste without bracketed paste). A long burst
	// goes on from a new task every `chainLimit` keys; the keys wait in order meanwhile.
	const chain = useRef(0);
	useLayoutEffect(() => {
		awaitingCommit.current = false;
		if (pending.current.length === 0) {
			chain.current = 0;
			return;
		}

		if (++chain.current < chainLimit) {
			dispatchNext();
			return;
		}

		chain.current = 0;
		awaitingCommit.current = true;
		setImmediate(() => {
			awaitingCommit.current = false;
			dispatchNext();
		});
	}, [tick, dispatchNext]);
	// Not where stdin is no terminal (Ink's isRawModeSupported): raw mode cannot be had there.
	useTerminalKeys(stroke => {
		pending.current.push(stroke);
		if (!awaitingCommit.current) {
			dispatchNext();
		}
	}, isRawModeSupported === true);

	const top = currentEntry(router);
	useEffect(() => {
		pruneScreenMemory(memory, router.stack.map(entry => entry.key));
	}, [memory, router.stack]);

	const navigation = useMemo<Navigation>(() => ({
		push: route => dispatch({type: 'push', route}),
		replace: route => dispatch({type: 'replace', route}),
		back: () => dispatch({type: 'back'}),
		home: route => dispatch({type: 'home', route}),
		backTo(screen) {
			for (let index = router.stack.length - 2; index >= 0; index--) {
				if (router.stack[index].route.screen === screen) {
					for (let step = router.stack.length - 1; step > index; step--) {
						dispatch({type: 'back'});
					}

					return true;
				}
			}

			return false;
		},
		previous: previousRoute(router),
	}), [router]);

	const close = useCallback(() => setDialog(undefined), []);
	const dialogApi = useMemo<DialogApi>(() => ({open: setDialog, close, current: dialog}), [close, dialog]);

	const layout = useMemo<Layout>(() => ({
		columns: size.columns,
		rows: size.rows,
		bodyRows: Math.max(1, size.rows - chromeRows),
	}), [size.columns, size.rows]);

	// The header shows counts only: the overview (run-dashboard.tsx reads the mailboxes right after the first frame).
	const directory = services.store.directoryOverview();
	const directoryText = `${plural(directory.domainCount, 'domain')}, ${plural(directory.mailboxCount, 'mailbox', 'mailboxes')}`;
	const destination = useDestination(services, storeVersion);
	const origin = useDirectoryOrigin(services, directory, storeVersion);

	return (
		<ServicesContext.Provider value={services}>
			<StoreEditionContext.Provider value={storeEdition}>
				<ThemeContext.Provider value={theme}>
					<LayoutContext.Provider value={layout}>
						<KeyDispatcherContext.Provider value={dispatcher}>
							<UnsavedWorkContext.Provider value={unsaved}>
								<NavigationContext.Provider value={navigation}>
									<DialogContext.Provider value={dialogApi}>
										{/*
										  * One row shorter than the terminal: Ink then redraws only what changed. Clipped
										  * rows only (overflowY): nothing is wider than the terminal (every text is wrapped
										  * or cut to its box), and Ink cuts each line of a box clipped across (overflow)
										  * with slice-ansi at every frame: a quarter of the CPU of a key while filtering.
										  */}
										<Box flexDirection="column" width={size.columns} height={Math.max(1, size.rows - 1)} overflowY="hidden">
											<MemoHeader
												title={screenTitle(top.route)}
												directory={directoryText}
												origin={origin}
												destination={destination.text}
												destinationError={destination.error}
												demo={services.demo}
											/>
											<Box flexDirection="column" flexGrow={1} height={layout.bodyRows} overflowY="hidden">
												{router.stack.map((entry, index) => (
													<StackScreen key={entry.key} entry={entry} showing={index === router.stack.length - 1} hidden={dialog !== undefined} memory={memory} />
												))}
												{dialog ? <DialogView key={dialog.title} request={dialog} close={close} /> : null}
											</Box>
											<MemoFooter />
											<GlobalKeys
												dialog={dialogApi}
												onHelp={top.route.screen === 'help' ? undefined : () => navigation.push({screen: 'help'})}
											/>
										</Box>
									</DialogContext.Provider>
								</NavigationContext.Provider>
							</UnsavedWorkContext.Provider>
						</KeyDispatcherContext.Provider>
					</LayoutContext.Provider>
				</ThemeContext.Provider>
			</StoreEditionContext.Provider>
		</ServicesContext.Provider>
	);
}
