/**
 * One single-line text field with the keyboard (the field layer): typing edits it through
 * state/text-edit.ts, and every key that is not an edit (Enter, Esc, Tab, ↑/↓…) goes on to
 * the screen's bindings. Draw it with components/text-field.tsx `TextView`.
 */
import {useState} from 'react';
import {editWithKey, textState, type TextState} from '../state/text-edit.js';
import {useKeyLayer} from './use-keys.js';

export function useTextInput(initial = '', isActive = true): [TextState, (state: TextState) => void] {
	const [state, setState] = useState<TextState>(() => textState(initial));
	useKeyLayer('field', (input, key) => {
		// Keys may come faster than renders: the edit is made on the latest state.
		if (editWithKey(state, input, key, false)) {
			setState(current => editWithKey(current, input, key, false) ?? current);
			return true;
		}

		return false;
	}, isActive);
	return [state, setState];
}
