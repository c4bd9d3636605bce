/**
 * Every key of the dashboard, declared once as data.
 *
 * A screen's handlers look keys up in its table (`findBinding`), the footer shows the
 * bindings marked `footer` that the screen currently handles, and the `?` help screen
 * lists every table. Nothing compares `input === 'q'` in render code, so the footer,
 * the help and the behaviour cannot drift apart.
 *
 * Adding a key: add a record to the screen's table below, then give the screen a
 * handler with the same `id` in its `useScreenKeys(...)` call.
 */
import type {Key} from 'ink';
import type {Symbols} from './theme.js';

/**
 * One key, written the way a person reads it:
 * a printable character (`'j'`, `'G'`, `'?'`, `'/'`), or one of
 * `up down left right pageup pagedown home end enter escape tab shift+tab backspace space f1`,
 * or `ctrl+<letter>`.
 */
export type KeySpec = string;

/**
 * A keypress as Ink reports it, plus what Ink cannot tell: Ink 6 reports every function key
 * as an empty input without a flag, so the app marks F1 itself from the raw sequence.
 */
export type KeyPress = Key & {f1?: boolean};

/** The sequences terminals send for F1 (xterm, VT220, the Linux console), without the leading Esc. */
const f1Sequences = new Set(['OP', '[11~', '[[A', '[1P']);

/** Whether a raw input sequence (as read from the terminal) is F1. */
export function isF1Sequence(sequence: string): boolean {
	return f1Sequences.has(sequence.replace(/^\u001B+/, ''));
}

/** Whether the key is typed into a text field that has the keyboard: a printable character or Space. */
export function isTypedKey(spec: KeySpec): boolean {
	return spec === 'space' || [...spec].length === 1;
}

export interface KeyBinding {
	/** What the key does, as the screen's handler map names it. */
	id: string;
	keys: KeySpec[];
	/** Short, for the footer: `Send`. */
	label: string;
	/** One line, for the help screen. */
	description: string;
	/** Shown in the footer (when the screen handles it at the moment). */
	footer: boolean;
}

export type KeyTable = readonly KeyBinding[];

/** Whether one key spec matches a keypress as Ink reports it. */
export function keyMatches(spec: KeySpec, input: string, key: KeyPress): boolean {
	switch (spec) {
		case 'f1': {
			return key.f1 === true;
		}

		case 'up': {
			return key.upArrow;
		}

		case 'down': {
			return key.downArrow;
		}

		case 'left': {
			return key.leftArrow;
		}

		case 'right': {
			return key.rightArrow;
		}

		case 'pageup': {
			return key.pageUp;
		}

		case 'pagedown': {
			return key.pageDown;
		}

		case 'home': {
			return key.home;
		}

		case 'end': {
			return key.end;
		}

		case 'enter': {
			return key.return;
		}

		case 'escape': {
			return key.escape;
		}

		case 'tab': {
			return key.tab && !key.shift;
		}

		case 'shift+tab': {
			return key.tab && key.shift;
		}

		// Terminals send DEL (0x7f) for Backspace, which Ink calls `delete`.
		case 'backspace': {
			return key.backspace || key.delete;
		}

		case 'space': {
			return input === ' ' && !key.ctrl && !key.meta;
		}

		default: {
			if (spec.startsWith('ctrl+')) {
				return key.ctrl && input === spec.slice(5);
			}

			return input === spec && !key.ctrl && !(key.meta && !key.escape);
		}
	}
}

/** Whether one of the binding's keys matches the keypress. */
export function bindingMatches(binding: KeyBinding, input: string, key: Key): boolean {
	return binding.keys.some(spec => keyMatches(spec, input, key));
}

/** The first binding of the table that matches the keypress, or undefined. */
export function findBinding(table: KeyTable, input: string, key: Key): KeyBinding | undefined {
	return table.find(binding => bindingMatches(binding, input, key));
}

/** Every binding of the table that matches, in table order (a handler may pass a key on to the next). */
export function findBindings(table: KeyTable, input: string, key: Key): KeyBinding[] {
	return table.filter(binding => bindingMatches(binding, input, key));
}

const keyNames: Record<string, {unicode: string; ascii: string}> = {
	up: {unicode: '↑', ascii: 'Up'},
	down: {unicode: '↓', ascii: 'Down'},
	left: {unicode: '←', ascii: 'Left'},
	right: {unicode: '→', ascii: 'Right'},
	pageup: {unicode: 'PgUp', ascii: 'PgUp'},
	pagedown: {unicode: 'PgDn', ascii: 'PgDn'},
	home: {unicode: 'Home', ascii: 'Home'},
	end: {unicode: 'End', ascii: 'End'},
	enter: {unicode: 'Enter', ascii: 'Enter'},
	escape: {unicode: 'Esc', ascii: 'Esc'},
	tab: {unicode: 'Tab', ascii: 'Tab'},
	'shift+tab': {unicode: 'S-Tab', ascii: 'S-Tab'},
	backspace: {unicode: 'Bksp', ascii: 'Bksp'},
	space: {unicode: 'Space', ascii: 'Space'},
	f1: {unicode: 'F1', ascii: 'F1'},
};

/** How a key is written on screen: `↑`, `Ctrl+E`, `j`. */
export function formatKey(spec: KeySpec, symbols?: Pick<Symbols, 'unicode'>): string {
	const name = keyNames[spec];
	if (name) {
		return symbols?.unicode === false ? name.ascii : name.unicode;
	}

	if (spec.startsWith('ctrl+')) {
		return `Ctrl+${spec.slice(5).toUpperCase()}`;
	}

	return spec;
}

/** All the keys of a binding: `↑/k`. */
export function formatKeys(binding: KeyBinding, symbols?: Pick<Symbols, 'unicode'>): string {
	return binding.keys.map(spec => formatKey(spec, symbols)).join('/');
}

// ---------------------------------------------------------------- the tables

const bind = (id: string, keys: KeySpec[], label: string, description: string, footer = true): KeyBinding => ({
	id,
	keys,
	label,
	description,
	footer,
});

/** Keys that every screen shares; a screen's own table is consulted first. */
export const globalKeys: KeyTable = [
	bind('help', ['?'], 'Help', 'Show every key of every screen'),
	// `?` is typed into a text field; F1 opens the help from anywhere (the footer shows it while typing).
	bind('help-anywhere', ['f1'], 'Help', 'The same, also while typing in a text field (where ? is typed)'),
	bind('quit', ['ctrl+c'], 'Quit', 'Quit; asks first during a send (the record stays complete) or when typed text would be lost', false),
];

/** Moving in any list; shared by the list screens. */
export const listKeys: KeyTable = [
	bind('up', ['up', 'k'], 'Up', 'Move up', false),
	bind('down', ['down', 'j'], 'Down', 'Move down', false),
	bind('first', ['g', 'home'], 'First', 'Go to the first row', false),
	bind('last', ['G', 'end'], 'Last', 'Go to the last row', false),
	bind('page-up', ['pageup'], 'Page up', 'One page up', false),
	bind('page-down', ['pagedown'], 'Page down', 'One page down', false),
];

/** Editing a filter line (after `/`). */
export const filterKeys: KeyTable = [
	bind('accept', ['enter', 'down'], 'Keep', 'Keep the filter and go back to the list'),
	bind('clear', ['escape'], 'Clear', 'Clear the filter'),
];

export const domainsKeys: KeyTable = [
	...listKeys,
	bind('actions', ['a', '.', 'enter'], 'Actions', 'Open the Actions menu on the domain (or the marked domains)'),
	bind('filter', ['/'], 'Filter', 'Filter the domains as you type'),
	bind('mark', ['space'], 'Mark', 'Mark or unmark the domain (the Actions then apply to every marked domain)'),
	bind('unmark-all', ['u'], 'Unmark all', 'Clear every mark', false),
	bind('send-email', ['e'], 'Email', 'Send Email to the domain (or the marked domains)', false),
	bind('send-reminder', ['r'], 'Reminder', 'Send Reminder to the domain (or the marked domains)', false),
	bind('history', ['h'], 'History', 'Every send: outcomes, resume, retry, reminders, export'),
	bind('sync', ['s'], 'Sync', 'Read the mailboxes from the mail server (directory.source); shows the changes before applying them'),
	bind('back', ['escape'], 'Clear', 'Clear the filter', false),
	bind('quit', ['q'], 'Quit', 'Quit massmail'),
];

/** The Sync screen: reading the source, then its changes before they are applied. */
export const syncKeys: KeyTable = [
	bind('up', ['up', 'k'], 'Up', 'Scroll the changes up', false),
	bind('down', ['down', 'j'], 'Down', 'Scroll the changes down', false),
	bind('page-up', ['pageup'], 'Page up', 'One page up', false),
	bind('page-down', ['pagedown', 'space'], 'Page down', 'One page down', false),
	bind('apply', ['enter', 'y'], 'Apply', 'Apply the changes shown, all at once'),
	bind('apply-anyway', ['y'], 'Apply anyway', 'Apply a sync that removes many mailboxes or empties a domain (Enter does not)'),
	bind('again', ['r'], 'Read again', 'Read the source again'),
	bind('cancel', ['escape'], 'Cancel', 'Stop reading the source; nothing is changed'),
	bind('back', ['escape', 'n'], 'Leave unchanged', 'Back without applying: the directory stays as it is'),
	bind('close', ['escape'], 'Back', 'Back after a failed read (nothing was changed)'),
	bind('done', ['enter', 'escape'], 'Done', 'Back to the domains'),
];

export const actionsKeys: KeyTable = [
	bind('up', ['up', 'k', 'shift+tab'], 'Up', 'Move up', false),
	bind('down', ['down', 'j', 'tab'], 'Down', 'Move down', false),
	bind('choose', ['enter'], 'Choose', 'Open the highlighted action'),
	bind('back', ['escape'], 'Back', 'Back to the previous screen'),
];

/** Form screens (Send Email, Send Reminder, and later Settings). */
export const formKeys: KeyTable = [
	bind('complete', ['tab', 'right'], 'Complete', 'In the domain field: complete the name from the directory', false),
	bind('next-field', ['tab'], 'Next', 'Next field'),
	bind('previous-field', ['shift+tab'], 'Previous', 'Previous field', false),
	bind('field-down', ['down'], 'Down', 'Next field (in the message: next line)', false),
	bind('field-up', ['up'], 'Up', 'Previous field (in the message: previous line)', false),
	bind('choose-left', ['left'], 'Choice', 'In a choice field (To): previous choice', false),
	bind('choose-right', ['right', 'space'], 'Choice', 'In a choice field (To): next choice', false),
	bind('submit', ['enter'], 'Next', 'Next field; on [Review]: check the form and review the send', false),
	bind('editor', ['ctrl+e'], 'Editor', 'Edit the message in $VISUAL / $EDITOR'),
	bind('toggle-html', ['ctrl+t'], 'Plain/HTML', 'Switch the message between plain text and HTML'),
	bind('review', ['ctrl+s'], 'Review', 'Check the form and review the send'),
	bind('back', ['escape'], 'Back', 'Back (asks first when the form holds typed text)'),
];

export const reviewKeys: KeyTable = [
	bind('send', ['s', 'enter'], 'Send', 'Send now (asks once more with the count above the threshold)'),
	bind('test-copy', ['t'], 'Test copy', 'Send one copy to an address of your choice'),
	bind('back', ['escape', 'b'], 'Back', 'Back to the form'),
];

export const progressKeys: KeyTable = [
	bind('pause', ['p'], 'Pause', 'Pause the send (messages in flight finish)'),
	bind('resume', ['p'], 'Resume', 'Resume the paused send'),
	bind('cancel', ['c'], 'Cancel', 'Cancel the send (asks first; the record keeps what was sent)'),
	bind('interrupt', ['ctrl+c'], 'Stop', 'Asks: stop now and resume later, cancel, or keep sending', false),
];

export const summaryKeys: KeyTable = [
	bind('done', ['enter', 'escape'], 'Done', 'Back to the domains'),
	bind('up', ['up', 'k'], 'Up', 'Scroll the failures up', false),
	bind('down', ['down', 'j'], 'Down', 'Scroll the failures down', false),
	bind('quit', ['q'], 'Quit', 'Quit massmail'),
];

export const helpKeys: KeyTable = [
	bind('up', ['up', 'k'], 'Up', 'Scroll up', false),
	bind('down', ['down', 'j'], 'Down', 'Scroll down', false),
	bind('page-up', ['pageup'], 'Page up', 'One page up', false),
	bind('page-down', ['pagedown', 'space'], 'Page down', 'One page down', false),
	bind('back', ['escape', '?', 'q'], 'Back', 'Close the help'),
];

/** Dialogs answer with their own letters; these are the common ones. */
export const dialogKeys: KeyTable = [
	bind('yes', ['y', 'enter'], 'Yes', 'Confirm'),
	bind('no', ['n', 'escape'], 'No', 'Go back without doing it'),
];

export const historyKeys: KeyTable = [
	...listKeys,
	bind('open', ['enter'], 'Open', 'Open the send: each recipient\'s outcome, and resume, retry, reminder, export'),
	bind('filter', ['/'], 'Filter', 'Filter the sends as you type (subject, audience, status, id)'),
	bind('reload', ['R'], 'Reload', 'Read the send records again', false),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

export const sendDetailKeys: KeyTable = [
	...listKeys,
	bind('filter', ['/'], 'Filter', 'Filter the recipients as you type (address, status, server reply)'),
	bind('failed-only', ['f'], 'Failed', 'Show only the failed recipients, or all again'),
	bind('resume', ['s'], 'Resume', 'Resume the interrupted send: the recipients without an outcome, with live progress'),
	bind('retry', ['t'], 'Retry', 'Send again to the failed recipients only'),
	bind('remind', ['r'], 'Remind', 'Send Reminder to this send\'s recipients, threaded under what each received'),
	bind('export', ['x'], 'Export', 'Write the per-recipient report to a file (CSV, or JSON for a .json name)'),
	bind('captured', ['m'], 'Mail', 'The captured messages of this send (it went to local capture)'),
	bind('reload', ['R'], 'Reload', 'Read the record again', false),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

export const capturedKeys: KeyTable = [
	...listKeys,
	bind('open', ['enter'], 'Read', 'Read the message: its headers and text'),
	bind('filter', ['/'], 'Filter', 'Filter the messages by recipient'),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

export const capturedMessageKeys: KeyTable = [
	bind('up', ['up', 'k'], 'Up', 'Scroll up', false),
	bind('down', ['down', 'j'], 'Down', 'Scroll down', false),
	bind('page-up', ['pageup'], 'Page up', 'One page up', false),
	bind('page-down', ['pagedown', 'space'], 'Page down', 'One page down', false),
	bind('next', ['n'], 'Next', 'The next captured message'),
	bind('previous', ['p'], 'Previous', 'The previous captured message'),
	bind('back', ['escape', 'q'], 'Back', 'Back to the list'),
];

export const usersKeys: KeyTable = [
	...listKeys,
	bind('filter', ['/'], 'Filter', 'Filter the mailboxes as you type (address, name, role)'),
	bind('add', ['a'], 'Add', 'Add a mailbox to this domain'),
	bind('role', ['r'], 'Role', 'Change the role: user, administrator, primary administrator (one per domain)'),
	bind('disable', ['d'], 'Disable/Enable', 'Disable the mailbox (every send skips it), or enable it again'),
	bind('rename', ['n'], 'Name', 'Change the display name', false),
	bind('remove', ['x'], 'Remove', 'Remove the mailbox (asks)'),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

/** One-field screens: Import CSV, Add domain. */
export const promptScreenKeys: KeyTable = [
	bind('submit', ['enter'], 'OK', 'Do it with what is typed'),
	bind('back', ['escape'], 'Back', 'Back (asks first when something is typed)'),
];

export const removeDomainKeys: KeyTable = [
	bind('remove', ['y'], 'Remove', 'Remove the domain and its mailboxes'),
	bind('back', ['n', 'escape'], 'Keep', 'Keep the domain and go back'),
];

export const settingsKeys: KeyTable = [
	bind('next-field', ['tab', 'down'], 'Next', 'Next field'),
	bind('previous-field', ['shift+tab', 'up'], 'Previous', 'Previous field', false),
	bind('choose-left', ['left'], 'Choice', 'In a choice field: previous choice', false),
	bind('choose-right', ['right', 'space'], 'Choice', 'In a choice field: next choice', false),
	bind('submit', ['enter'], 'Next', 'Next field; on [Save] or [Test connection]: do it', false),
	bind('save', ['ctrl+s'], 'Save', 'Check and save the settings'),
	bind('test', ['ctrl+t'], 'Test connection', 'Connect (and log in) with the saved settings; shows the server\'s words'),
	bind('test-source', ['ctrl+t'], 'Test source', 'In the Directory source section: read the saved source and count its mailboxes, or show its words'),
	bind('back', ['escape'], 'Back', 'Back (asks first when there are unsaved changes)'),
];

/** Every table with a title, in the order the help screen shows them. Add new screens here. */
export const helpSections: Array<{title: string; table: KeyTable}> = [
	{title: 'Everywhere', table: globalKeys},
	{title: 'Domains', table: domainsKeys},
	{title: 'Filter line', table: filterKeys},
	{title: 'Actions menu', table: actionsKeys},
	{title: 'Send Email / Send Reminder', table: formKeys},
	{title: 'Review', table: reviewKeys},
	{title: 'Progress', table: progressKeys},
	{title: 'Summary', table: summaryKeys},
	{title: 'History', table: historyKeys},
	{title: 'A send', table: sendDetailKeys},
	{title: 'Captured mail', table: capturedKeys},
	{title: 'A captured message', table: capturedMessageKeys},
	{title: 'Users of a domain', table: usersKeys},
	{title: 'Import CSV / Add domain', table: promptScreenKeys},
	{title: 'Remove domain', table: removeDomainKeys},
	{title: 'Sync (the directory from its source)', table: syncKeys},
	{title: 'Settings', table: settingsKeys},
	{title: 'Questions', table: dialogKeys},
	{title: 'Help', table: helpKeys},
];

// ---------------------------------------------------------------- keys that arrive together

const noKey: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

/** One character as Ink would report it on its own. */
function keyOfCharacter(character: string): {input: string; key: Key} {
	const code = character.codePointAt(0) ?? 0;
	switch (character) {
		case '\r':
		case '\n': {
			return {input: '', key: {...noKey, return: true}};
		}

		case '\t': {
			return {input: '', key: {...noKey, tab: true}};
		}

		case '\u007F': {
			return {input: '', key: {...noKey, delete: true}};
		}

		case '\b': {
			return {input: '', key: {...noKey, backspace: true}};
		}

		default: {
			if (code < 0x20) {
				return {input: String.fromCodePoint(code + 0x60), key: {...noKey, ctrl: true}};
			}

			return {input: character, key: {...noKey, shift: /[A-Z]/.test(character)}};
		}
	}
}

/** Runs of printable text longer than this are a paste, kept whole; shorter ones are keys typed fast. */
export const pasteLength = 8;

/**
 * Ink hands over everything one read from the terminal holds that is not an escape
 * sequence as one input: `B` then Ctrl+S typed quickly (or coalesced over SSH) arrive as
 * `"B\u0013"`, and `jj` as `"jj"`. Split such input into the keys a person pressed, so
 * each goes through the bindings; a long printable run (a paste) stays one input.
 */
export function splitKeys(input: string, key: Key): Array<{input: string; key: Key}> {
	const characters = [...input];
	const special = key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown
		|| key.home || key.end || key.escape || key.meta || key.ctrl || key.tab || key.return || key.backspace || key.delete;
	if (characters.length <= 1 || special) {
		return [{input, key}];
	}

	const hasControl = characters.some(character => (character.codePointAt(0) ?? 0) < 0x20 || character === '\u007F');
	if (!hasControl && characters.length > pasteLength) {
		return [{input, key}];
	}

	const keys: Array<{input: string; key: Key}> = [];
	let run: string[] = [];
	const flush = () => {
		if (run.length > pasteLength) {
			keys.push({input: run.join(''), key: {...noKey}});
		} else {
			keys.push(...run.map(character => keyOfCharacter(character)));
		}

		run = [];
	};

	for (const character of characters) {
		const code = character.codePointAt(0) ?? 0;
		if (code < 0x20 || character === '\u007F') {
			flush();
			keys.push(keyOfCharacter(character));
		} else {
			run.push(character);
		}
	}

	flush();
	return keys;
}
