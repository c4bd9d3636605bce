import type {MassmailError} from '../errors.js';
import type {Ending} from './ending.js';

/**
 * Where a run is; each phase carries what only it needs. `heldForDisk`: workers wait until the
 * journal catches up. `as`: how the send ends. `aborted`: the connections were closed at once.
 * `fatal`: why the server, the network or the disk stopped it, when they did. `bySignal`: a
 * SIGTERM or SIGHUP stopped it, not a person (run-due resumes such a run).
 */
export type Phase =
	| {name: 'idle'}
	| {name: 'running'; heldForDisk: boolean}
	| {name: 'paused'}
	| {name: 'stopping'; as: 'cancelled' | 'interrupted'; aborted: boolean; fatal?: MassmailError; bySignal?: boolean}
	| Ending
	| {name: 'done'};
