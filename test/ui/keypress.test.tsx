/**
 * The key reader on the stdin Ink was given: raw mode is Ink's, counted, so another reader of
 * the keyboard (an Ink `useInput`, as ink-text-input has) coming and going leaves ours reading.
 */
import test from 'ava';
import {act} from 'react';
import {Text, useInput} from 'ink';
import {render} from 'ink-testing-library';
import {useTerminalKeys} from '../../source/ui/keypress.js';
import {F1, paste} from './harness.js';

function InkReader() {
	useInput(() => undefined);
	return null;
}

function Keyboard({onKey, withInkReader}: {onKey: (name: string) => void; withInkReader: boolean}) {
	useTerminalKeys(stroke => {
		onKey(stroke.key.name);
	}, true);
	return (
		<>
			{withInkReader ? <InkReader /> : null}
			<Text>keys</Text>
		</>
	);
}

test.serial('an Ink useInput that goes away leaves raw mode on under the reader; the last one out turns it off', async t => {
	// Given the reader and an Ink useInput, both holding raw mode.
	const names: string[] = [];
	const onKey = (name: string) => names.push(name);
	let instance!: ReturnType<typeof render>;
	await act(async () => {
		instance = render(<Keyboard onKey={onKey} withInkReader />);
	});
	const rawMode: boolean[] = [];
	instance.stdin.setRawMode = (...mode: boolean[]) => {
		rawMode.push(...mode);
	};

	// When the useInput unmounts, raw mode stays on and keys still come.
	await act(async () => {
		instance.rerender(<Keyboard onKey={onKey} withInkReader={false} />);
	});
	t.deepEqual(rawMode, [], 'raw mode untouched');
	await act(async () => {
		instance.stdin.write(`j${F1}${paste('text')}`);
	});
	t.deepEqual(names, ['j', 'f1', 'paste']);

	// Then the reader, the last to hold it, turns raw mode off as it goes.
	await act(async () => {
		instance.unmount();
	});
	t.deepEqual(rawMode, [false]);
});
