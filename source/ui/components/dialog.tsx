/**
 * The one modal of the dashboard: a question with lettered answers, or a one-line prompt.
 * While it is open it has every key (the modal layer consumes them all but Ctrl+C) and the
 * footer shows only its answers. Its keys are commands of key-bindings.ts (`confirmKeys`,
 * `typedConfirmKeys`, `messageKeys`, `promptKeys`, or a table of the caller's, such as `roleKeys`): the dialog
 * matches, shows and lists them from there.
 *
 * @example
 * const dialog = useDialog();
 * dialog.open(confirmDialog({title: 'Discard the typed text?', yes: 'Discard', onYes: () => nav.back()}));
 */
import {createContext, useContext, useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import {bindingMatches, command, confirmKeys, formatKey, globalKeys, messageKeys, promptKeys, typedConfirmKeys, type KeyBinding} from '../key-bindings.js';
import {useKeyLayer, useScreenKeys} from '../hooks/use-keys.js';
import {useUnsavedWork} from '../hooks/use-unsaved.js';
import {useLayout, useServices, useTheme} from '../services.js';
import {editWithKey, textState, type TextState} from '../state/text-edit.js';
import {TextView} from './text-field.js';
import {printable, wrapLine} from './text.js';

export interface DialogChoice {
	/** The command of a table in key-bindings.ts that answers so: `command(roleKeys, 'admin')`. */
	binding: KeyBinding;
	/** What the answer says here, when not the binding's label (`Discard` for `yes`). */
	label?: string;
	/** Runs after the dialog has closed. */
	action?: () => void;
}

export type DialogRequest =
	| {
		kind: 'choice';
		title: string;
		lines?: string[];
		tone?: 'normal' | 'warning' | 'error';
		choices: DialogChoice[];
	}
	| {
		kind: 'prompt';
		title: string;
		lines?: string[];
		label: string;
		initial?: string;
		/** Text typed before a question covered the prompt; `initial` still counts as nothing typed. */
		typed?: string;
		/** The problem with the text, or undefined when it is fine. */
		validate?: (text: string) => string | undefined;
		/** Said under the field as it is typed: what the text means (a time in full) or what is wrong with it. */
		preview?: (text: string) => {text: string; ok: boolean} | undefined;
		onSubmit: (text: string) => void;
		onCancel?: () => void;
	};

export interface DialogApi {
	open(request: DialogRequest): void;
	close(): void;
	current?: DialogRequest;
}

export const DialogContext = createContext<DialogApi | undefined>(undefined);

export function useDialog(): DialogApi {
	const dialog = useContext(DialogContext);
	if (!dialog) {
		throw new Error('useDialog outside <DialogContext.Provider>');
	}

	return dialog;
}

/**
 * Yes/No question: `y`/Enter does it, `n`/Esc does not. With `typedYes`, only `y` does it
 * (`typedConfirmKeys`): Enter is swallowed and the question stays — for a question opened by
 * Enter whose yes cannot be taken back (sending above the threshold), as the sync guard does.
 */
export function confirmDialog(options: {
	title: string;
	lines?: string[];
	yes?: string;
	no?: string;
	tone?: 'normal' | 'warning' | 'error';
	typedYes?: boolean;
	onYes: () => void;
	onNo?: () => void;
}): DialogRequest {
	const table = options.typedYes ? typedConfirmKeys : confirmKeys;
	return {
		kind: 'choice',
		title: options.title,
		lines: options.lines,
		tone: options.tone,
		choices: [
			{binding: command(table, 'yes'), label: options.yes, action: options.onYes},
			{binding: command(table, 'no'), label: options.no, action: options.onNo},
		],
	};
}

/** Ctrl+C while typed text would be lost: quit anyway, or go on editing. */
export function quitDialog(options: {onQuit: () => void; onKeep?: () => void}): DialogRequest {
	return confirmDialog({
		title: 'Quit massmail?',
		lines: ['What you typed is lost.'],
		yes: 'Quit',
		no: 'Keep editing',
		tone: 'warning',
		onYes: options.onQuit,
		onNo: options.onKeep,
	});
}

/** A message with one answer (Enter or Esc). */
export function messageDialog(options: {title: string; lines?: string[]; tone?: 'normal' | 'warning' | 'error'; onClose?: () => void}): DialogRequest {
	return {
		kind: 'choice',
		title: options.title,
		lines: options.lines,
		tone: options.tone ?? 'error',
		choices: [{binding: command(messageKeys, 'ok'), action: options.onClose}],
	};
}

/** The choices as the footer shows them: the binding, under the label the dialog gives it. */
function choiceBindings(choices: DialogChoice[]): KeyBinding[] {
	return choices.map(choice => (choice.label === undefined ? choice.binding : {...choice.binding, label: choice.label}));
}

/** Ctrl+C is the global key (quit, or stop the send): a dialog lets it through. */
const quitKey = command(globalKeys, 'quit');

function ChoiceDialog({request, close}: {request: Extract<DialogRequest, {kind: 'choice'}>; close: () => void}) {
	const bindings = useMemo(() => choiceBindings(request.choices), [request]);
	useKeyLayer('modal', (input, key) => {
		const index = request.choices.findIndex(choice => bindingMatches(choice.binding, input, key));
		if (index !== -1) {
			close();
			request.choices[index].action?.();
			return true;
		}

		// A dialog swallows every other key.
		return !bindingMatches(quitKey, input, key);
	}, true, bindings);
	return null;
}

function PromptDialog({request, close, text, setText, setError}: {
	request: Extract<DialogRequest, {kind: 'prompt'}>;
	close: () => void;
	text: TextState;
	setText: (text: TextState) => void;
	setError: (error?: string) => void;
}) {
	const dialog = useDialog();
	const services = useServices();
	// Typed: the text is no longer what the prompt opened with. Esc and Ctrl+C then ask, as forms do.
	const typed = text.value !== (request.initial ?? '');
	useUnsavedWork(typed);
	// The question replaces the prompt; "Keep editing" opens it again on the typed text.
	const reopen = () => dialog.open({...request, typed: text.value});
	// Typing: any key that is not one of the prompt's commands edits the text (registered first,
	// so the commands below are asked before it); the prompt swallows the rest but Ctrl+C.
	useKeyLayer('modal', (input, key) => {
		const edited = editWithKey(text, input, key, false);
		if (edited) {
			setText(edited);
			setError(undefined);
			return true;
		}

		return !bindingMatches(quitKey, input, key);
	});
	useScreenKeys(promptKeys, {
		submit() {
			const problem = request.validate?.(text.value);
			if (problem) {
				setError(problem);
				return;
			}

			close();
			request.onSubmit(text.value);
		},
		cancel() {
			if (!typed) {
				close();
				request.onCancel?.();
				return;
			}

			dialog.open(confirmDialog({
				title: 'Discard what you typed?',
				lines: [request.title],
				yes: 'Discard',
				no: 'Keep editing',
				tone: 'warning',
				onYes: () => request.onCancel?.(),
				onNo: reopen,
			}));
		},
		quit() {
			// Nothing typed, or a send running (its own question): the global Ctrl+C decides.
			if (!typed || services.session.active) {
				return false;
			}

			dialog.open(quitDialog({onQuit: () => services.exit(0), onKeep: reopen}));
		},
	}, {layer: 'modal'});
	return null;
}

/** Draws the open dialog in place of the screen's body, and takes the keys. */
export function DialogView({request, close}: {request: DialogRequest; close: () => void}) {
	const theme = useTheme();
	const {columns} = useLayout();
	const [text, setText] = useState(() => textState(request.kind === 'prompt' ? request.typed ?? request.initial ?? '' : ''));
	const [error, setError] = useState<string | undefined>(undefined);
	const width = Math.min(columns - 4, 72);
	// Broken at spaces here, not by Ink: its wrap keeps the space a line was broken at, as the next line's first character.
	const wrapped = (text: string) => text.split('\n').flatMap(line => wrapLine(line, width - 4)).join('\n');
	const tone = request.kind === 'choice' ? request.tone ?? 'normal' : 'normal';
	const preview = request.kind === 'prompt' ? request.preview?.(text.value) : undefined;
	const borderColor = tone === 'error' ? theme.error : tone === 'warning' ? theme.warning : theme.accent;
	return (
		<Box flexDirection="column" flexGrow={1} alignItems="center" justifyContent="center">
			<Box flexDirection="column" borderStyle={theme.symbols.unicode ? 'round' : 'classic'} borderColor={borderColor} paddingX={1} width={width}>
				{/* A title or line may quote a server, a file or a source: its control characters are shown, not obeyed. */}
				<Text bold wrap="wrap">{wrapped(printable(request.title))}</Text>
				{(request.lines ?? []).map((line, index) => (
					<Text key={index} wrap="wrap">{wrapped(printable(line, {lines: true}))}</Text>
				))}
				{request.kind === 'prompt' ? (
					<Box marginTop={1} flexDirection="column">
						<Box>
							<Text>{request.label}: </Text>
							<TextView state={text} focused width={width - request.label.length - 6} />
						</Box>
						{error ? <Text color={theme.error}>{printable(error)}</Text> : null}
						{!error && preview ? <Text color={preview.ok ? theme.success : theme.error} wrap="wrap">{wrapped(printable(preview.text))}</Text> : null}
					</Box>
				) : (
					// A choice that does not fit goes whole onto the next line, never cut in two.
					<Box marginTop={1} flexWrap="wrap" columnGap={3}>
						{request.choices.map(choice => (
							<Text key={choice.binding.id}>
								[{formatKey(choice.binding.keys[0], theme.symbols)}] {choice.label ?? choice.binding.label}
							</Text>
						))}
					</Box>
				)}
			</Box>
			{request.kind === 'choice'
				? <ChoiceDialog request={request} close={close} />
				: <PromptDialog request={request} close={close} text={text} setText={setText} setError={setError} />}
		</Box>
	);
}
