/**
 * Reading records that another run may be writing (History, one send): read again each time
 * the screen shows, and every second while the record says a send is running.
 */
import {useContext, useEffect, useState} from 'react';
import {ScreenActiveContext} from './use-keys.js';

/**
 * `read()` now, again whenever the screen comes back to the top (or `key` changes), and
 * every second while `running(value)`. Returns the value and a function to read at once.
 *
 * @example
 * const [state, reload] = usePolledRead(() => sends.list(), list => list.some(s => s.status === 'running'));
 */
export function usePolledRead<T>(read: () => T, running: (value: T) => boolean, key?: unknown): [T, () => void] {
	const active = useContext(ScreenActiveContext);
	const [value, setValue] = useState<T>(read);
	const isRunning = running(value);
	useEffect(() => {
		if (!active) {
			return;
		}

		setValue(read());
		if (!isRunning) {
			return;
		}

		const timer = setInterval(() => setValue(read()), 1000);
		return () => clearInterval(timer);
		// `read` is a new function each render; what it reads is decided by `key`.
	}, [active, isRunning, key]);
	return [value, () => setValue(read())];
}
