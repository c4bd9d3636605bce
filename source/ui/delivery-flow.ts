/**
 * Starting and stopping a send from the dashboard, shared by Review (and, in part two,
 * History's resume and retry): start once, follow it on the Progress screen, and let
 * Ctrl+C / SIGTERM stop it with its record complete.
 */
import type {Delivery} from '../core/delivery/index.js';
import type {DeliveryEvent} from '../core/types.js';
import type {DashboardServices} from './services.js';
import type {Navigation} from './hooks/use-navigation.js';
import type {DialogApi} from './components/dialog.js';
import {formatCount, massmailCommand} from './components/text.js';
import {command, stopSendKeys} from './key-bindings.js';

/**
 * Start `delivery` and show its progress in place of the current screen.
 * The send is registered as the session's active one until it ends.
 */
export function startDelivery(services: DashboardServices, navigation: Navigation, delivery: Delivery, title: string): void {
	if (services.session.closed) {
		// The dashboard was quit while Review was still connecting: nobody is watching, so nothing
		// may go out. The send is recorded as cancelled (resumable from History or the command line).
		delivery.cancel();
		return;
	}

	// The first outcomes can come before the Progress screen subscribes: keep them for it.
	const early: DeliveryEvent[] = [];
	const stopEarly = delivery.subscribe(event => early.push(event));
	const backlog = {
		take() {
			stopEarly();
			return early.splice(0);
		},
	};
	const done = delivery.start();
	const active = {delivery, done, backlog};
	services.session.active = active;
	services.session.last = active;
	const clear = () => {
		if (services.session.active === active) {
			services.session.active = undefined;
		}
	};

	done.then(clear, clear);
	navigation.replace({screen: 'progress', sendId: delivery.id, title});
}

/**
 * Ctrl+C during a send: stop now (in-flight messages finish and are recorded; resume later),
 * cancel the send for good, or keep sending. Either way the record stays complete.
 */
export function askToStopSend(dialog: DialogApi, services: DashboardServices, options: {quitAfter?: boolean} = {}): void {
	const active = services.session.active;
	if (!active) {
		return;
	}

	const {delivery, done} = active;
	// No message starts while the question is open (see Progress's Cancel); Keep sending goes on.
	const pausedHere = delivery.pause();
	const progress = delivery.progress();
	const quitAfter = options.quitAfter ?? true;
	const quit = (status: number) => {
		if (quitAfter) {
			done.then(() => services.exit(status), () => services.exit(status));
		}
	};

	dialog.open({
		kind: 'choice',
		title: 'Stop this send?',
		tone: 'warning',
		lines: [
			`Paused while you answer. ${formatCount(progress.sent)} of ${formatCount(progress.total)} sent so far; every outcome is on record either way.`,
			'Stop: messages in flight finish, the rest waits. Resume later with:',
			`  ${massmailCommand(services.demo)} resume ${delivery.id}`,
			'Cancel: the send ends here, marked cancelled; the rest goes only if it is resumed.',
		],
		choices: [
			{binding: command(stopSendKeys, 'stop'), label: quitAfter ? 'Stop and quit' : undefined, action() {
				delivery.interrupt();
				quit(130);
			}},
			{binding: command(stopSendKeys, 'cancel-send'), action() {
				delivery.cancel();
			}},
			{binding: command(stopSendKeys, 'keep'), action() {
				if (pausedHere) {
					delivery.resume();
				}
			}},
		],
	});
}
