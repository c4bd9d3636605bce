/**
 * One path for keystrokes. The app reads the keyboard in one place (keypress.ts's
 * `useTerminalKeys`) and hands every key to the dispatcher, which offers it to the layers in
 * order — modal, then the focused field, then the screen, then the global keys — until a
 * handler consumes it (returns true).
 *
 * Screens do not read the keyboard. They call `useScreenKeys(table, handlers)`: the key is
 * looked up in the screen's binding table and the handler with the binding's id runs.
 * A binding without a handler at the moment is neither matched nor shown in the footer,
 * so a screen turns keys on and off by what it puts in `handlers`.
 */
import {createContext, useContext, useLayoutEffect, useMemo, useRef, useSyncExternalStore} from 'react';
import {findBindings, isTypedKey, type CommandOf, type KeyBinding, type KeyPress, type KeyTable} from '../key-bindings.js';

export type KeyLayer = 'modal' | 'field' | 'screen' | 'global';

const layerOrder: readonly KeyLayer[] = ['modal', 'field', 'screen', 'global'];

/** Returns true when it consumed the key. */
export type KeyHandler = (input: string, key: KeyPress) => boolean;

/** A binding's action; returning `false` passes the key on to the next matching binding. */
export type BindingHandler = () => void | boolean;

/** What a screen's commands do now, by command id: an id its table does not have does not compile. */
export type BindingHandlers<Id extends string = string> = {readonly [K in Id]?: BindingHandler | undefined};

interface Registration {
	layer: KeyLayer;
	handler: {current: KeyHandler};
	/** The bindings this registration shows in the footer, with a handler now. */
	footer: readonly KeyBinding[];
	order: number;
}

export class KeyDispatcher {
	private readonly registrations = new Set<Registration>();
	private readonly listeners = new Set<() => void>();
	private order = 0;
	private footerSnapshot: readonly KeyBinding[] = [];
	/** A binding without its typed keys, kept so the footer sees the same object each time. */
	private readonly untyped = new WeakMap<KeyBinding, KeyBinding>();

	register(layer: KeyLayer, handler: {current: KeyHandler}, footer: readonly KeyBinding[] = []): Registration {
		const registration: Registration = {layer, handler, footer, order: this.order++};
		this.registrations.add(registration);
		this.changed();
		return registration;
	}

	unregister(registration: Registration): void {
		this.registrations.delete(registration);
		this.changed();
	}

	setFooter(registration: Registration, footer: readonly KeyBinding[]): void {
		registration.footer = footer;
		this.changed();
	}

	/** Offer a key to the layers in order; true when someone consumed it. */
	dispatch(input: string, key: KeyPress): boolean {
		for (const layer of layerOrder) {
			// The latest registration of a layer first (a dialog opened on top of another).
			const candidates = [...this.registrations].filter(r => r.layer === layer).sort((a, b) => b.order - a.order);
			for (const registration of candidates) {
				if (registration.handler.current(input, key)) {
					return true;
				}
			}
		}

		return false;
	}

	/** Whether a modal has the keyboard (the footer then shows only its keys). */
	get modalOpen(): boolean {
		return [...this.registrations].some(r => r.layer === 'modal');
	}

	/** The bindings the footer shows now: the modal's alone when one is open, else field, screen, global. */
	footer = (): readonly KeyBinding[] => this.footerSnapshot;

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	private changed(): void {
		const registrations = [...this.registrations];
		const modal = registrations.filter(r => r.layer === 'modal');
		const shown = modal.length > 0 ? modal : registrations;
		// A text field with the keyboard takes printable keys: the footer does not offer them then.
		const typing = shown.some(r => r.layer === 'field');
		const bindings: KeyBinding[] = [];
		const seen = new Set<string>();
		for (const layer of layerOrder) {
			for (const registration of shown.filter(r => r.layer === layer).sort((a, b) => b.order - a.order)) {
				const labels = new Set<string>();
				for (const original of registration.footer) {
					const binding = typing && layer !== 'field' ? this.withoutTypedKeys(original) : original;
					// One label per key: the first layer that shows a key wins it; and a label once per table
					// (`?` and F1 both open the help: the first that works now is shown).
					const id = binding.keys.join(' ');
					if (binding.keys.length > 0 && !seen.has(id) && !labels.has(binding.label)) {
						seen.add(id);
						labels.add(binding.label);
						bindings.push(binding);
					}
				}
			}
		}

		const same = bindings.length === this.footerSnapshot.length && bindings.every((b, i) => b === this.footerSnapshot[i]);
		if (!same) {
			this.footerSnapshot = bindings;
			for (const listener of this.listeners) {
				listener();
			}
		}
	}

	private withoutTypedKeys(binding: KeyBinding): KeyBinding {
		if (!binding.keys.some(spec => isTypedKey(spec))) {
			return binding;
		}

		let untyped = this.untyped.get(binding);
		if (!untyped) {
			untyped = {...binding, keys: binding.keys.filter(spec => !isTypedKey(spec))};
			this.untyped.set(binding, untyped);
		}

		return untyped;
	}
}

export const KeyDispatcherContext = createContext<KeyDispatcher | undefined>(undefined);

/**
 * false inside a screen that is on the back stack but not showing: its keys are off.
 * Screens under the current one stay mounted (a send keeps being followed under the help).
 */
export const ScreenActiveContext = createContext(true);

export function useKeyDispatcher(): KeyDispatcher {
	const dispatcher = useContext(KeyDispatcherContext);
	if (!dispatcher) {
		throw new Error('useKeyDispatcher outside <KeyDispatcherContext.Provider>');
	}

	return dispatcher;
}

/**
 * Handle raw keys on a layer while `isActive`. For text fields and dialogs; screens use
 * `useScreenKeys`. The handler may change on every render (kept in a ref).
 */
export function useKeyLayer(layer: KeyLayer, handler: KeyHandler, isActive = true, footer: readonly KeyBinding[] = []): void {
	const dispatcher = useKeyDispatcher();
	const screenActive = useContext(ScreenActiveContext);
	const active = isActive && screenActive;
	const handlerRef = useRef(handler);
	handlerRef.current = handler;
	const registrationRef = useRef<Registration | undefined>(undefined);

	// A layout effect: the keys are live in the same commit that draws the screen, so a key
	// typed right after a screen appears never falls between two screens' handlers.
	useLayoutEffect(() => {
		if (!active) {
			return;
		}

		const registration = dispatcher.register(layer, handlerRef, footer);
		registrationRef.current = registration;
		return () => {
			registrationRef.current = undefined;
			dispatcher.unregister(registration);
		};
		// The footer is updated by the effect below without re-registering.
	}, [dispatcher, layer, active]);

	useLayoutEffect(() => {
		if (registrationRef.current) {
			dispatcher.setFooter(registrationRef.current, footer);
		}
	}, [dispatcher, footer]);
}

/**
 * A screen's keys: `table` declares them (key-bindings.ts), `handlers` maps binding ids to
 * what they do right now. Leave an id out (or undefined) to turn the key off.
 *
 * @example
 * useScreenKeys(reviewKeys, {send: () => confirmSend(), back: () => nav.back()});
 */
export function useScreenKeys<Table extends KeyTable>(
	table: Table,
	handlers: BindingHandlers<CommandOf<Table>>,
	options: {layer?: KeyLayer; isActive?: boolean} = {},
): void {
	const handlerOf = (binding: Table[number]): BindingHandler | undefined => handlers[binding.id as CommandOf<Table>];
	const active = table.filter(binding => handlerOf(binding) !== undefined);
	const footerKey = active.filter(binding => binding.footer).map(binding => binding.id).join(',');
	// A stable array while the same bindings are on, so the footer is not republished each render.
	const footer = useMemo(() => active.filter(binding => binding.footer), [table, footerKey]);

	useKeyLayer(options.layer ?? 'screen', (input, key) => {
		for (const binding of findBindings(table, input, key)) {
			const handler = handlerOf(binding);
			if (handler && handler() !== false) {
				return true;
			}
		}

		return false;
	}, options.isActive ?? true, footer);
}

/** The footer's bindings, updated as screens and dialogs turn keys on and off. */
export function useFooterBindings(): readonly KeyBinding[] {
	const dispatcher = useKeyDispatcher();
	return useSyncExternalStore(dispatcher.subscribe, dispatcher.footer, dispatcher.footer);
}
