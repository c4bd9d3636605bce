/**
 * The background fold of the bounce mailbox, as a screen asks for it: folding while the screen is
 * on top (services.tracking.watch), stopped when it is hidden or closed; and the status, so the
 * screen can say when it last looked and read its records again after each look.
 */
import {useContext, useEffect, useSyncExternalStore} from 'react';
import {useServices} from '../services.js';
import type {TrackingStatus} from '../tracking-service.js';
import {ScreenActiveContext} from './use-keys.js';

/**
 * Folds in the background while the screen is on top and `watch` is not false (`sendId`: that
 * send too, when it is not a recent one); returns the status of the last look.
 *
 * @example
 * const tracking = useDeliveryTracking(summary && !summary.captured ? {sendId: summary.id} : false);
 * // read the record again when tracking.edition changes
 */
export function useDeliveryTracking(watch: {sendId?: string} | false): TrackingStatus {
	const {tracking} = useServices();
	const active = useContext(ScreenActiveContext);
	const watching = watch !== false && active;
	const sendId = watch === false ? undefined : watch.sendId;
	useEffect(() => watching ? tracking.watch(sendId) : undefined, [tracking, watching, sendId]);
	return useSyncExternalStore(tracking.subscribe, tracking.status);
}
