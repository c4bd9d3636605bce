/**
 * Ctrl+E: edit a text in $VISUAL/$EDITOR. The services hand the terminal over and back;
 * this hook then has Ink draw the whole frame again (the alternate screen came back blank).
 */
import {useCallback} from 'react';
import {useStdout} from 'ink';
import {useServices} from '../services.js';

export function useExternalEditor(): (text: string, options?: {extension?: string}) => Promise<string> {
	const services = useServices();
	const {write} = useStdout();
	return useCallback(async (text, options = {}) => {
		try {
			return await services.editText(text, {extension: options.extension ?? '.txt'});
		} finally {
			// Writing through Ink clears its idea of the screen and redraws the last frame in full.
			write('');
		}
	}, [services, write]);
}
