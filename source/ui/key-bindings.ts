/**
 * Every key of the dashboard, declared once as data.
 *
 * A screen's handlers look keys up in its table (`findBinding`), the footer shows the
 * bindings marked `footer` that the screen currently handles, and the `?` help screen
 * lists every table. Nothing compares `input === 'q'` in render code, so the footer,
 * the help and the behaviour cannot drift apart. A key is written as a `KeySpec`, a union of
 * the names keypress.ts gives keys: a misspelt key does not compile.
 *
 * Adding a key: add a record to the screen's table below, then give the screen a
 * handler with the same `id` in its `useScreenKeys(...)` call.
 */
import type {Symbols} from './theme.js';
import type {FunctionKey, KeyPress, NamedKey} from './keypress.js';
import type {ScreenName} from './state/router.js';

export type {KeyPress} from './keypress.js';

type Letter = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j' | 'k' | 'l' | 'm' | 'n' | 'o' | 'p' | 'q' | 'r' | 's' | 't' | 'u' | 'v' | 'w' | 'x' | 'y' | 'z';
type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
type Punctuation = '!' | '"' | '#' | '$' | '%' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | '-' | '.' | '/' | ':' | ';' | '<' | '=' | '>' | '?' | '@' | '[' | '\\' | ']' | '^' | '_' | '`' | '{' | '|' | '}' | '~';
/** Ctrl+H, Ctrl+I, Ctrl+J and Ctrl+M are the bytes of Backspace, Tab and Enter: the reader names them so. */
type CtrlLetter = Exclude<Letter, 'h' | 'i' | 'j' | 'm'>;

/**
 * One key, written the way a person reads it and as keypress.ts names it: a printable character
 * (`'j'`, `'G'`, `'?'`, `'/'`), a named key (`up`, `pagedown`, `enter`, `escape`, `space`, `f1`…),
 * `shift+tab`, or `ctrl+<letter>`. Anything else (`'pgup'`, `'ctrl+E'`, `'f13'`) does not compile.
 */
export type KeySpec = NamedKey | 'shift+tab' | `ctrl+${CtrlLetter}` | Letter | Uppercase<Letter> | Digit | Punctuation;

/** Whether the key is typed into a text field that has the keyboard: a printable character or Space. */
export function isTypedKey(spec: KeySpec): boolean {
	return spec === 'space' || [...spec].length === 1;
}

/**
 * One command: its id (a string literal: the screen's handler map is typed by the ids of its
 * table, so a misspelt id does not compile), its keys, its footer label and its help line.
 */
export interface KeyBinding<Id extends string = string> {
	/** What the key does, as the screen's handler map names it. */
	id: Id;
	keys: readonly KeySpec[];
	/** Short, for the footer: `Send`. */
	label: string;
	/** One line, for the help screen. */
	description: string;
	/** Shown in the footer (when the screen handles it at the moment). */
	footer: boolean;
}

export type KeyTable<Id extends string = string> = ReadonlyArray<KeyBinding<Id>>;

/** The command ids of a table: `CommandOf<typeof reviewKeys>` is `'send' | 'test-copy' | 'back'`. */
export type CommandOf<Table extends KeyTable> = Table[number]['id'];

/** The binding of a table with this id (typed: an id the table does not have does not compile). */
export function command<Table extends KeyTable>(table: Table, id: CommandOf<Table>): Table[number] {
	const found = table.find(binding => binding.id === id);
	if (!found) {
		throw new Error(`No key binding "${id}"`);
	}

	return found;
}

/**
 * Whether one key spec is this keypress, by its name: a character or Space without Ctrl or Alt,
 * `ctrl+e` with Ctrl, Tab and Shift+Tab told apart by Shift, a named key whatever the modifiers
 * (Ctrl+Right moves as Right does). A paste is text, never a key.
 */
export function keyMatches(spec: KeySpec, key: KeyPress): boolean {
	switch (spec) {
		case 'tab': {
			return key.name === 'tab' && !key.shift;
		}

		case 'shift+tab': {
			return key.name === 'tab' && key.shift;
		}

		default: {
			if (spec.startsWith('ctrl+')) {
				return key.ctrl && key.name === spec.slice(5);
			}

			return key.name === spec && !(isTypedKey(spec) && (key.ctrl || key.meta));
		}
	}
}

/** Whether one of the binding's keys is the keypress (`input`, which handlers get with it, is not needed). */
export function bindingMatches(binding: KeyBinding, _input: string, key: KeyPress): boolean {
	return binding.keys.some(spec => keyMatches(spec, key));
}

/** The first binding of the table that matches the keypress, or undefined. */
export function findBinding<Table extends KeyTable>(table: Table, input: string, key: KeyPress): Table[number] | undefined {
	return table.find(binding => bindingMatches(binding, input, key));
}

/** Every binding of the table that matches, in table order (a handler may pass a key on to the next). */
export function findBindings<Table extends KeyTable>(table: Table, input: string, key: KeyPress): Array<Table[number]> {
	return table.filter(binding => bindingMatches(binding, input, key));
}

/** How the named keys are written (F-keys: `F1`). */
const keyNames: Record<Exclude<NamedKey, FunctionKey> | 'shift+tab', {unicode: string; ascii: string}> = {
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
	delete: {unicode: 'Del', ascii: 'Del'},
	insert: {unicode: 'Ins', ascii: 'Ins'},
	clear: {unicode: 'Clear', ascii: 'Clear'},
	space: {unicode: 'Space', ascii: 'Space'},
};

/** How a key is written on screen: `↑`, `Ctrl+E`, `j`. */
export function formatKey(spec: KeySpec, symbols?: Pick<Symbols, 'unicode'>): string {
	const name = Object.hasOwn(keyNames, spec) ? keyNames[spec as keyof typeof keyNames] : undefined;
	if (name) {
		return symbols?.unicode === false ? name.ascii : name.unicode;
	}

	if (spec.startsWith('ctrl+')) {
		return `Ctrl+${spec.slice(5).toUpperCase()}`;
	}

	return /^f\d+$/.test(spec) ? spec.toUpperCase() : spec;
}

/** All the keys of a binding: `↑/k`. */
export function formatKeys(binding: KeyBinding, symbols?: Pick<Symbols, 'unicode'>): string {
	return binding.keys.map(spec => formatKey(spec, symbols)).join('/');
}

// ---------------------------------------------------------------- the tables

const bind = <const Id extends string>(id: Id, keys: KeySpec[], label: string, description: string, footer = true): KeyBinding<Id> => ({
	id,
	keys,
	label,
	description,
	footer,
});

/** Keys that every screen shares; a screen's own table is consulted first. */
export const globalKeys = [
	bind('help', ['?'], 'Help', 'Show every key of every screen'),
	// `?` is typed into a text field; F1 opens the help from anywhere (the footer shows it while typing).
	bind('help-anywhere', ['f1'], 'Help', 'The same, also while typing in a text field (where ? is typed)'),
	bind('quit', ['ctrl+c'], 'Quit', 'Quit; asks first during a send (the record stays complete) or when typed text would be lost', false),
];

/** Moving in any list; shared by the list screens. */
export const listKeys = [
	bind('up', ['up', 'k'], 'Up', 'Move up', false),
	bind('down', ['down', 'j'], 'Down', 'Move down', false),
	bind('first', ['g', 'home'], 'First', 'Go to the first row', false),
	bind('last', ['G', 'end'], 'Last', 'Go to the last row', false),
	bind('page-up', ['pageup'], 'Page up', 'One page up', false),
	bind('page-down', ['pagedown'], 'Page down', 'One page down', false),
];

/** Editing a filter line (after `/`). */
export const filterKeys = [
	bind('accept', ['enter', 'down'], 'Keep', 'Keep the filter and go back to the list'),
	bind('clear', ['escape'], 'Clear', 'Clear the filter'),
];

export const domainsKeys = [
	...listKeys,
	bind('actions', ['a', '.', 'enter'], 'Actions', 'Open the Actions menu on the domain (or the marked domains)'),
	bind('filter', ['/'], 'Filter', 'Filter the domains as you type'),
	bind('mark', ['space'], 'Mark', 'Mark or unmark the domain (the Actions then apply to every marked domain)'),
	bind('unmark-all', ['u'], 'Unmark all', 'Clear every mark', false),
	bind('send-email', ['e'], 'Email', 'Send Email to the domain (or the marked domains)', false),
	bind('send-reminder', ['r'], 'New reminder', 'Send a new Reminder to the domain (or the marked domains): a thread of its own; to follow up a send, History > the send > r', false),
	bind('history', ['h'], 'History', 'Every send: outcomes, resume, retry, reminders, export'),
	bind('sync', ['s'], 'Sync', 'Read the mailboxes from the mail server (directory.source); shows the changes before applying them'),
	bind('back', ['escape'], 'Clear', 'Clear the filter', false),
	bind('quit', ['q'], 'Quit', 'Quit massmail'),
];

/** The Sync screen: reading the source, then its changes before they are applied. */
export const syncKeys = [
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

export const actionsKeys = [
	bind('up', ['up', 'k', 'shift+tab'], 'Up', 'Move up', false),
	bind('down', ['down', 'j', 'tab'], 'Down', 'Move down', false),
	bind('first', ['g', 'home'], 'First', 'Go to the first action', false),
	bind('last', ['G', 'end'], 'Last', 'Go to the last action', false),
	bind('choose', ['enter'], 'Choose', 'Open the highlighted action'),
	bind('back', ['escape'], 'Back', 'Back to the previous screen'),
];

const formMoves = [
	bind('complete', ['tab', 'right'], 'Complete', 'In the domain field: complete the name from the directory', false),
	bind('next-field', ['tab'], 'Next', 'Next field'),
	bind('previous-field', ['shift+tab'], 'Previous', 'Previous field', false),
	bind('field-down', ['down'], 'Down', 'Next field (in the message: next line)', false),
	bind('field-up', ['up'], 'Up', 'Previous field (in the message: previous line)', false),
	bind('choose-left', ['left'], 'Choice', 'In a choice field (To): previous choice', false),
	bind('choose-right', ['right', 'space'], 'Choice', 'In a choice field (To): next choice', false),
	bind('submit', ['enter'], 'Next', 'Next field; on [Review]: check the form and review the send', false),
	bind('editor', ['ctrl+e'], 'Editor', 'Edit the message in $VISUAL / $EDITOR'),
];

const formEnd = [
	bind('review', ['ctrl+s'], 'Review', 'Check the form and review the send'),
	bind('back', ['escape'], 'Back', 'Back (asks first when the form holds typed text)'),
];

/** The keys of both forms, Send Email and Send Reminder: all the Send Reminder form has. */
export const formKeys = [...formMoves, ...formEnd];

/** The Send Email form's own: a reminder is plain text (PRODUCT.md), so its form has no Ctrl+T. */
export const emailOnlyKeys = [
	bind('toggle-html', ['ctrl+t'], 'Plain/HTML', 'Switch the message between plain text and HTML'),
];

/** The Send Email form: the forms' keys and its own, in the footer's order. */
export const emailFormKeys = [...formMoves, ...emailOnlyKeys, ...formEnd];

export const reviewKeys = [
	bind('send', ['s', 'enter'], 'Send', 'Send now (asks once more with the count above the threshold)'),
	bind('schedule', ['l'], 'Schedule', 'Send later: a time as --at takes it (18:00, tomorrow 18:00, Sat 18:00, +2h), shown in full; nothing is sent now (massmail run-due sends it then)'),
	bind('test-copy', ['t'], 'Test copy', 'Send one copy to an address of your choice'),
	bind('back', ['escape', 'b'], 'Back', 'Back to the form'),
];

export const progressKeys = [
	bind('pause', ['p'], 'Pause', 'Pause the send (messages in flight finish)'),
	bind('resume', ['p'], 'Resume', 'Resume the paused send'),
	bind('cancel', ['c'], 'Cancel', 'Cancel the send (asks first; the record keeps what was sent)'),
	bind('interrupt', ['ctrl+c'], 'Stop', 'Asks: stop now and resume later, cancel, or keep sending', false),
];

export const summaryKeys = [
	bind('done', ['enter', 'escape'], 'Done', 'Back to the domains (to History after a send started from History)'),
	bind('up', ['up', 'k'], 'Up', 'Scroll the failures up', false),
	bind('down', ['down', 'j'], 'Down', 'Scroll the failures down', false),
	bind('quit', ['q'], 'Quit', 'Quit massmail'),
];

export const helpKeys = [
	bind('up', ['up', 'k'], 'Up', 'Scroll up', false),
	bind('down', ['down', 'j'], 'Down', 'Scroll down', false),
	bind('page-up', ['pageup'], 'Page up', 'One page up', false),
	bind('page-down', ['pagedown', 'space'], 'Page down', 'One page down', false),
	bind('back', ['escape', '?', 'q'], 'Back', 'Close the help'),
];

/** A yes/no question (`confirmDialog`); the dialog may name the answers (`Discard`, `Keep editing`). */
export const confirmKeys = [
	bind('yes', ['y', 'enter'], 'Yes', 'Do it'),
	bind('no', ['n', 'escape'], 'No', 'Go back without doing it'),
];

/**
 * A question whose yes is typed, never Enter (`confirmDialog({typedYes: true})`): sending above
 * delivery.confirmThreshold, like the sync guard's `Apply anyway`. The Enter that opened it
 * (Review's Send) pressed once more must not send.
 */
export const typedConfirmKeys = [
	bind('yes', ['y'], 'Yes', 'Do it: y only, Enter does not answer (sending to more than delivery.confirmThreshold recipients)'),
	bind('no', ['n', 'escape'], 'No', 'Go back without doing it'),
];

/** A message (`messageDialog`). */
export const messageKeys = [
	bind('ok', ['enter', 'escape'], 'OK', 'Close the message'),
];

/** A one-line prompt in a dialog (a test copy's address, an export's file name, a new name). */
export const promptKeys = [
	bind('submit', ['enter'], 'OK', 'Do it with what is typed'),
	bind('cancel', ['escape'], 'Cancel', 'Close without doing it (asks first when something is typed)'),
	bind('quit', ['ctrl+c'], 'Quit', 'Quit; asks first when something is typed', false),
];

/** Ctrl+C during a send. */
export const stopSendKeys = [
	bind('stop', ['s'], 'Stop', 'Stop now: messages in flight finish, the rest can be resumed'),
	bind('cancel-send', ['c'], 'Cancel the send', 'Cancel: the send ends, marked cancelled; the rest goes only if it is resumed'),
	bind('keep', ['k', 'escape'], 'Keep sending', 'Close the question; the send goes on'),
];

/** The role of a mailbox (Users, `r`). */
export const roleKeys = [
	bind('user', ['u'], 'User', 'Make the mailbox a user'),
	bind('admin', ['a'], 'Administrator', 'Make the mailbox an administrator of its domain'),
	bind('primary', ['p'], 'Primary administrator', 'Make the mailbox the primary administrator of its domain'),
	bind('cancel', ['escape'], 'Cancel', 'Leave the role as it is'),
];

/** Editing text in a field (forms, prompts, filter lines); any other printable key is typed. */
export const textEditKeys = [
	bind('left', ['left'], 'Left', 'Cursor one character left', false),
	bind('right', ['right'], 'Right', 'Cursor one character right (at the end of the domain field: complete)', false),
	bind('line-start', ['home', 'ctrl+a'], 'Start', 'Start of the line', false),
	bind('line-end', ['end', 'ctrl+e'], 'End', 'End of the line (in the message Ctrl+E opens the editor)', false),
	bind('delete-back', ['backspace'], 'Delete', 'Delete the character before the cursor', false),
	bind('delete-forward', ['delete'], 'Delete', 'Delete the character under the cursor', false),
	bind('delete-word', ['ctrl+w'], 'Delete word', 'Delete the word before the cursor', false),
	bind('delete-line', ['ctrl+u'], 'Delete line', 'Delete from the start of the line to the cursor', false),
	bind('line-up', ['up'], 'Line up', 'In the message: the line above (on the first line: the previous field)', false),
	bind('line-down', ['down'], 'Line down', 'In the message: the line below (on the last line: the next field)', false),
	bind('newline', ['enter'], 'New line', 'In the message: a new line', false),
];

export const historyKeys = [
	...listKeys,
	bind('open', ['enter'], 'Open', 'Open the send: each recipient\'s outcome, and resume, retry, reminder, export; a scheduled send (listed first): its time, change it, send now, cancel'),
	bind('filter', ['/'], 'Filter', 'Filter the sends as you type (subject, audience, status, id)'),
	// Every 5 s: tracking-service.ts's defaultTrackingIntervalMs (not imported here: it would load the IMAP client at start).
	bind('reload', ['R'], 'Reload', 'Read the send records again, and look for delivery reports now (they are read every 5 s while History shows)', false),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

export const sendDetailKeys = [
	...listKeys,
	bind('filter', ['/'], 'Filter', 'Filter the recipients as you type (address, status, delivery, server reply)'),
	bind('failed-only', ['f'], 'Failed', 'Show only the failed recipients, or all again'),
	bind('resume', ['s'], 'Resume', 'Resume the interrupted send: the recipients without an outcome, with live progress'),
	bind('retry', ['t'], 'Retry', 'Send again to the failed recipients only'),
	bind('remind', ['r'], 'Follow up', 'Send a Reminder threaded under this send: to its recipients, as a reply to what each received'),
	bind('export', ['x'], 'Export', 'Write the per-recipient report to a file (CSV, or JSON for a .json name)'),
	bind('captured', ['m'], 'Mail', 'The captured messages of this send (it went to local capture)'),
	bind('reload', ['R'], 'Reload', 'Read the record again, and look for delivery reports now (they are read every 5 s while this page shows)', false),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

/** A scheduled send's page (History > a scheduled send). */
export const scheduledDetailKeys = [
	bind('reschedule', ['t'], 'Time', 'Change the time: the same forms as Schedule (18:00, tomorrow 18:00, Sat 18:00, +2h)'),
	bind('edit-text', ['e'], 'Edit text', 'Change the subject (a field), then the message in $VISUAL/$EDITOR; saved when either changed'),
	bind('send-now', ['s'], 'Send now', 'Send it now, before its time (asks): the audience is resolved and checked as run-due does, with live progress'),
	bind('cancel', ['c'], 'Cancel it', 'Cancel the scheduled send (asks, y only): run-due then sends nothing of it'),
	bind('back', ['escape'], 'Back', 'Back to History'),
];

export const capturedKeys = [
	...listKeys,
	bind('open', ['enter'], 'Read', 'Read the message: its headers and text'),
	bind('filter', ['/'], 'Filter', 'Filter the messages by recipient'),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

export const capturedMessageKeys = [
	bind('up', ['up', 'k'], 'Up', 'Scroll up', false),
	bind('down', ['down', 'j'], 'Down', 'Scroll down', false),
	bind('page-up', ['pageup'], 'Page up', 'One page up', false),
	bind('page-down', ['pagedown', 'space'], 'Page down', 'One page down', false),
	bind('next', ['n'], 'Next', 'The next captured message'),
	bind('previous', ['p'], 'Previous', 'The previous captured message'),
	bind('back', ['escape', 'q'], 'Back', 'Back to the list'),
];

export const usersKeys = [
	...listKeys,
	bind('filter', ['/'], 'Filter', 'Filter the mailboxes as you type (address, name, role, state: /bounced)'),
	bind('add', ['a'], 'Add', 'Add a mailbox to this domain'),
	bind('role', ['r'], 'Role', 'Change the role: user, administrator, primary administrator (one per domain)'),
	bind('disable', ['d'], 'Disable/Enable', 'Disable the mailbox (every send skips it), or enable it again'),
	bind('rename', ['n'], 'Rename', 'Change the display name'),
	bind('remove', ['x'], 'Remove', 'Remove the mailbox (asks)'),
	bind('back', ['escape'], 'Back', 'Back (clears the filter first)'),
];

/** One-field screens: Import CSV, Add domain. */
export const promptScreenKeys = [
	bind('submit', ['enter'], 'OK', 'Do it with what is typed'),
	bind('back', ['escape'], 'Back', 'Back (asks first when something is typed)'),
];

export const removeDomainKeys = [
	bind('remove', ['y'], 'Remove', 'Remove the domain and its mailboxes'),
	bind('back', ['n', 'escape'], 'Keep', 'Keep the domain and go back'),
];

export const settingsKeys = [
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

export interface HelpSection {
	title: string;
	table: KeyTable;
	/** The screens whose `?`/F1 opens the help at this section. */
	screens?: readonly ScreenName[];
}

/** Every table with a title, in the order the help screen shows them. Add new screens here. */
export const helpSections: readonly HelpSection[] = [
	{title: 'Everywhere', table: globalKeys},
	{title: 'Domains', table: domainsKeys, screens: ['domains']},
	{title: 'Filter line', table: filterKeys},
	{title: 'Actions menu', table: actionsKeys, screens: ['actions']},
	{title: 'Send Email / Send Reminder', table: formKeys, screens: ['send-email', 'send-reminder']},
	{title: 'Send Email only (a reminder is plain text)', table: emailOnlyKeys},
	{title: 'Editing text (form fields, prompts, filter)', table: textEditKeys},
	{title: 'Review', table: reviewKeys, screens: ['review']},
	{title: 'Progress', table: progressKeys, screens: ['progress']},
	{title: 'Summary', table: summaryKeys, screens: ['summary']},
	{title: 'History', table: historyKeys, screens: ['history']},
	{title: 'A send', table: sendDetailKeys, screens: ['send-detail']},
	{title: 'A scheduled send', table: scheduledDetailKeys, screens: ['scheduled-detail']},
	{title: 'Captured mail', table: capturedKeys, screens: ['captured']},
	{title: 'A captured message', table: capturedMessageKeys},
	{title: 'Users of a domain', table: usersKeys, screens: ['users']},
	{title: 'Import CSV / Add domain', table: promptScreenKeys, screens: ['import', 'add-domain']},
	{title: 'Remove domain', table: removeDomainKeys, screens: ['remove-domain']},
	{title: 'Sync (the directory from its source)', table: syncKeys, screens: ['sync']},
	{title: 'Settings', table: settingsKeys, screens: ['settings']},
	{title: 'Questions (yes/no)', table: confirmKeys},
	{title: 'Send to many? (above the threshold: y only)', table: typedConfirmKeys},
	{title: 'Messages', table: messageKeys},
	{title: 'Prompts', table: promptKeys},
	{title: 'Stop a send (Ctrl+C while sending)', table: stopSendKeys},
	{title: 'Role of a mailbox', table: roleKeys},
	{title: 'Help', table: helpKeys},
];

/** The help section of a screen (where `?`/F1 opens the help), or undefined. */
export function helpSectionOf(screen: ScreenName | undefined): HelpSection | undefined {
	return screen === undefined ? undefined : helpSections.find(section => section.screens?.includes(screen));
}
