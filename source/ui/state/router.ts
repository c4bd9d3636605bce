/**
 * Which screen is showing: one value, a discriminated union, with a back stack for Esc.
 *
 * Adding a screen: add a variant to `Route` (its `screen` name plus whatever it needs to
 * open), a component in source/ui/screens/, and an entry in source/ui/screens/index.ts.
 * TypeScript then refuses to compile until the registry has the screen.
 */
import type {DeliveryResult, MessageDraft, RecipientGroup, Resolution, SendKind} from '../../core/types.js';

/** How a form opens: the To it starts with, and (for a reminder of an earlier send) subject and thread. */
export interface ComposePreset {
	group?: RecipientGroup;
	subject?: string;
	body?: string;
	/** The send this reminder follows up (threads under). */
	followUpOf?: string;
}

/** Everything the Review screen shows and the send needs. */
export interface SendPlan {
	kind: SendKind;
	draft: MessageDraft;
	group: RecipientGroup;
	/** The group as typed on the command line (`domain:example.com`): the record's audience. */
	audience: string;
	resolution: Resolution;
	followUpOf?: string;
}

export type Route =
	| {screen: 'domains'}
	| {screen: 'actions'; domain?: string; marked: string[]}
	| {screen: 'send-email'; preset?: ComposePreset}
	| {screen: 'send-reminder'; preset?: ComposePreset}
	| {screen: 'review'; plan: SendPlan}
	/** The running send, named by its id: the send itself is services.session.active (delivery-flow.ts). */
	| {screen: 'progress'; sendId: string; title: string}
	| {
		screen: 'summary';
		result: DeliveryResult;
		destination: string;
		title: string;
		/** The message's subject, shown with the title. */
		subject?: string;
		/** The send ended on an unexpected error (the record still holds every outcome). */
		error?: string;
	}
	| {screen: 'history'}
	/** One send of History: its recipients and what can be done with it. */
	| {screen: 'send-detail'; sendId: string}
	/** One scheduled send of History (schedule/<ID>.json): its time and text; change the time, send now, cancel. */
	| {screen: 'scheduled-detail'; scheduleId: string}
	/** The messages of a send that went to the local capture server. */
	| {screen: 'captured'; sendId: string}
	/** The mailboxes of one domain: add, remove, role, disable. */
	| {screen: 'users'; domain: string}
	| {screen: 'import'}
	| {screen: 'add-domain'}
	| {screen: 'remove-domain'; domain: string}
	| {screen: 'settings'}
	/** The directory from its source: read, the changes shown, applied on Enter. */
	| {screen: 'sync'}
	| {screen: 'help'};

export type ScreenName = Route['screen'];

export type RouteOf<S extends ScreenName> = Extract<Route, {screen: S}>;

export interface StackEntry {
	route: Route;
	/** Unique per opened screen: keys the screen's remembered state (see use-screen-state). */
	key: number;
}

export interface RouterState {
	/** Never empty; the last entry is showing. */
	stack: StackEntry[];
	nextKey: number;
}

export type RouterAction =
	/** Open a screen; Esc comes back here. */
	| {type: 'push'; route: Route}
	/** Show a screen in place of the current one (Esc skips the current one): review -> progress -> summary. */
	| {type: 'replace'; route: Route}
	/** One step back; the home screen stays. */
	| {type: 'back'}
	/** Back to the home screen, then optionally open a screen on it. */
	| {type: 'home'; route?: Route};

export const homeRoute: Route = {screen: 'domains'};

export function initialRouterState(route: Route = homeRoute): RouterState {
	const stack: StackEntry[] = [{route: homeRoute, key: 0}];
	if (route.screen !== 'domains') {
		stack.push({route, key: 1});
	}

	return {stack, nextKey: stack.length};
}

export function routerReducer(state: RouterState, action: RouterAction): RouterState {
	switch (action.type) {
		case 'push': {
			return {stack: [...state.stack, {route: action.route, key: state.nextKey}], nextKey: state.nextKey + 1};
		}

		case 'replace': {
			if (state.stack.length === 1) {
				return {stack: [state.stack[0], {route: action.route, key: state.nextKey}], nextKey: state.nextKey + 1};
			}

			return {stack: [...state.stack.slice(0, -1), {route: action.route, key: state.nextKey}], nextKey: state.nextKey + 1};
		}

		case 'back': {
			if (state.stack.length === 1) {
				return state;
			}

			return {...state, stack: state.stack.slice(0, -1)};
		}

		case 'home': {
			const stack = [state.stack[0]];
			let {nextKey} = state;
			if (action.route) {
				stack.push({route: action.route, key: nextKey});
				nextKey++;
			}

			return {stack, nextKey};
		}
	}
}

export function currentEntry(state: RouterState): StackEntry {
	return state.stack.at(-1)!;
}

/** The screen under the current one (what Esc goes back to), if any. */
export function previousRoute(state: RouterState): Route | undefined {
	return state.stack.at(-2)?.route;
}
