/**
 * The screen registry: one component per route. Adding a screen = a `Route` variant in
 * state/router.ts + its component here (TypeScript insists on both) + its key table in
 * key-bindings.ts (and in `helpSections`).
 */
import type {ComponentType} from 'react';
import {displayDomain} from '../../core/address.js';
import type {Route, RouteOf, ScreenName} from '../state/router.js';
import {DomainsScreen} from './domains.js';
import {ActionsScreen} from './actions.js';
import {SendEmailScreen, SendReminderScreen} from './compose.js';
import {ReviewScreen} from './review.js';
import {ProgressScreen} from './progress.js';
import {SummaryScreen} from './summary.js';
import {summaryTitle} from '../state/summary.js';
import {HelpScreen} from './help.js';
import {HistoryScreen} from './history.js';
import {SendDetailScreen} from './send-detail.js';
import {ScheduledDetailScreen} from './scheduled-detail.js';
import {CapturedScreen} from './captured.js';
import {UsersScreen} from './users.js';
import {ImportScreen} from './import.js';
import {AddDomainScreen, RemoveDomainScreen} from './directory-actions.js';
import {SettingsScreen} from './settings.js';
import {SyncScreen} from './sync.js';

export const screens: {[S in ScreenName]: ComponentType<{route: RouteOf<S>}>} = {
	domains: DomainsScreen,
	actions: ActionsScreen,
	'send-email': SendEmailScreen,
	'send-reminder': SendReminderScreen,
	review: ReviewScreen,
	progress: ProgressScreen,
	summary: SummaryScreen,
	history: HistoryScreen,
	'send-detail': SendDetailScreen,
	'scheduled-detail': ScheduledDetailScreen,
	captured: CapturedScreen,
	users: UsersScreen,
	import: ImportScreen,
	'add-domain': AddDomainScreen,
	'remove-domain': RemoveDomainScreen,
	settings: SettingsScreen,
	sync: SyncScreen,
	help: HelpScreen,
};

const titles: {[S in ScreenName]: (route: RouteOf<S>) => string} = {
	domains: () => 'Domains',
	actions: () => 'Actions',
	'send-email': () => 'Send Email',
	// Told apart: a follow-up (History > a send > r) threads under that send; Domains' r starts a thread of its own.
	'send-reminder': route => route.preset?.followUpOf ? 'Send Reminder (follow-up)' : 'Send Reminder (new thread)',
	// The audience is the first line of the screen; the header names only what is reviewed.
	review: route => `Review: ${route.plan.kind === 'reminder' ? 'reminder' : 'email'}`,
	progress: route => route.title,
	summary: route => summaryTitle(route),
	history: () => 'History',
	'send-detail': route => `Send ${route.sendId}`,
	'scheduled-detail': route => `Scheduled ${route.scheduleId}`,
	// The send's id is on the screen's last line; the header has no room for it next to the DEMO badge.
	captured: () => 'Captured mail',
	users: route => `Users of ${displayDomain(route.domain)}`,
	import: () => 'Import CSV',
	'add-domain': () => 'Add domain',
	'remove-domain': route => `Remove ${displayDomain(route.domain)}`,
	settings: () => 'Settings',
	sync: () => 'Sync',
	help: () => 'Keys',
};

/** The title in the header for a route. */
export function screenTitle(route: Route): string {
	return (titles[route.screen] as (route: Route) => string)(route);
}
