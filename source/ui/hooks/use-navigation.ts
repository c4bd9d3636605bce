/**
 * Moving between screens, from inside a screen: `const nav = useNavigation(); nav.push({screen: 'help'})`.
 * The router reducer (state/router.ts) holds the stack; this is its dispatch, named.
 */
import {createContext, useContext} from 'react';
import type {Route, ScreenName} from '../state/router.js';

export interface Navigation {
	/** Open a screen; Esc on it comes back to the current one. */
	push(route: Route): void;
	/** Show a screen in place of the current one. */
	replace(route: Route): void;
	/** One step back (the home screen stays). */
	back(): void;
	/** Back to the home screen, optionally opening a screen on it. */
	home(route?: Route): void;
	/** Back to the topmost open screen of this name (keeping its state); false when none is open. */
	backTo(screen: ScreenName): boolean;
	/** The screen under the current one, if any. */
	previous?: Route;
}

export const NavigationContext = createContext<Navigation | undefined>(undefined);

export function useNavigation(): Navigation {
	const navigation = useContext(NavigationContext);
	if (!navigation) {
		throw new Error('useNavigation outside <NavigationContext.Provider>');
	}

	return navigation;
}
