import test from 'ava';
import {domainsKeys, findBinding, findBindings, formatKey, formatKeys, formKeys, helpSectionOf, helpSections, keyMatches, textEditKeys, type KeySpec, type KeyTable} from '../../source/ui/key-bindings.js';
import {createKeyReader, type Keystroke} from '../../source/ui/keypress.js';
import type {BindingHandlers} from '../../source/ui/hooks/use-keys.js';
import {command, historyKeys, reviewKeys, sendDetailKeys, settingsKeys, usersKeys, type CommandOf, type KeyBinding} from '../../source/ui/key-bindings.js';
import {defaultTrackingIntervalMs} from '../../source/ui/tracking-service.js';
import {footerText} from '../../source/ui/components/frame.js';
import {keystroke, paste, BACKSPACE, CTRL_E, DELETE, ENTER, F1, SHIFT_TAB, SPACE, TAB} from './harness.js';

const key = (sequence: string) => keystroke(sequence).key;

test('keys are matched by the names the reader gives them', t => {
	t.true(keyMatches('j', key('j')));
	t.true(keyMatches('G', key('G')));
	t.true(keyMatches('ctrl+e', key(CTRL_E)));
	t.false(keyMatches('e', key(CTRL_E)), 'Ctrl+E is not e');
	t.true(keyMatches('shift+tab', key(SHIFT_TAB)));
	t.false(keyMatches('tab', key(SHIFT_TAB)));
	t.true(keyMatches('tab', key(TAB)));
	t.true(keyMatches('backspace', key(BACKSPACE)), 'DEL, what terminals send for Backspace');
	t.true(keyMatches('backspace', key('\b')), 'and BS');
	t.false(keyMatches('backspace', key(DELETE)), 'the Delete key is another');
	t.true(keyMatches('f1', key(F1)));
	t.false(keyMatches('f1', key('\u001B[21~')), 'F10');
	t.true(keyMatches('space', key(SPACE)));
	t.true(keyMatches('right', key('\u001B[1;5C')), 'Ctrl+Right moves as Right does');
	t.false(keyMatches('j', key(paste('j'))), 'a paste is text, not a key');
});

test('a screen looks its keys up in its table', t => {
	const find = (table: KeyTable, sequence: string) => {
		const {input, key} = keystroke(sequence);
		return findBindings(table, input, key).map(binding => binding.id);
	};

	t.deepEqual(find(domainsKeys, 'k'), ['up']);
	t.deepEqual(find(domainsKeys, ENTER), ['actions']);
	t.is(findBinding(domainsKeys, '.', key('.'))?.id, 'actions');
	t.deepEqual(find(formKeys, TAB), ['complete', 'next-field'], 'Tab completes a domain, else moves on');
});

test('a key the reader has no name for does not compile (tsc checks this file)', t => {
	const written: KeySpec[] = ['pageup', 'ctrl+e', 'shift+tab', 'f12', 'space', 'G', '?'];
	// @ts-expect-error: PgUp is `pageup`, as the reader names it.
	written.push('pgup');
	// @ts-expect-error: Ctrl+letter is written in lower case.
	written.push('ctrl+E');
	// @ts-expect-error: Ctrl+M is the byte of Enter: no binding could ever see it.
	written.push('ctrl+m');
	// @ts-expect-error: there is no F13.
	written.push('f13');
	t.deepEqual(written.slice(0, 7).map(spec => formatKey(spec)), ['PgUp', 'Ctrl+E', 'S-Tab', 'F12', 'Space', 'G', '?']);
});

test('the footer shows key and label, fits the width and always ends with help', t => {
	const bindings = domainsKeys.filter(binding => binding.footer);
	const text = footerText([...bindings, {id: 'help', keys: ['?'], label: 'Help', description: '', footer: true}], 40, true);
	t.true(text.length <= 40);
	t.true(text.endsWith('? Help'));
	t.true(text.startsWith(' a/./Enter Actions'));
	t.is(formatKeys(domainsKeys[0], {unicode: false}), 'Up/k');
});

test('the way out (Esc) stays in the footer of a screen with more commands than fit: just before the help, at 80 and 60 columns', t => {
	const help: KeyBinding = {id: 'help', keys: ['?'], label: 'Help', description: '', footer: true};
	for (const table of [sendDetailKeys, usersKeys, settingsKeys]) {
		const bindings = [...table.filter(binding => binding.footer), help];
		for (const columns of [80, 60]) {
			const text = footerText(bindings, columns, true);
			t.true(text.length <= columns - 1, text);
			t.regex(text, /Esc Back {2,3}\? Help$/, `${columns}: ${text}`);
			t.true(text.startsWith(` ${formatKeys(bindings[0]!, {unicode: true})} ${bindings[0]!.label}`), text);
		}
	}

	// When everything fits, the order is the table's.
	const shown = [...reviewKeys, help].filter(binding => binding.footer);
	t.is(footerText(shown, 200, true), ` ${shown.map(binding => `${formatKeys(binding, {unicode: true})} ${binding.label}`).join('   ')}`);
});

test('every binding of the help has a description, and ids are unique within a table', t => {
	for (const section of helpSections) {
		const ids = section.table.map(binding => binding.id);
		t.is(new Set(ids).size, ids.length, section.title);
		for (const binding of section.table) {
			t.true(binding.description.length > 0, `${section.title}: ${binding.id}`);
		}
	}
});

/** What the reader makes of terminal input, written as a person names the keys. */
function names(strokes: Keystroke[]): string[] {
	return strokes.map(({input, key}) => {
		if (key.name === 'paste') {
			return `paste:${input}`;
		}

		const name = key.ctrl ? `Ctrl+${key.name}` : key.meta ? `Alt+${key.name}` : key.name;
		return key.shift && key.name.length > 1 ? `Shift+${name}` : name;
	});
}

test('the key reader names the keys a terminal sends, however they are bunched', t => {
	const read = (...chunks: string[]) => {
		const reader = createKeyReader();
		const strokes = chunks.flatMap(chunk => reader.push(chunk));
		return names([...strokes, ...reader.flush()]);
	};

	t.deepEqual(read('B\u0013'), ['B', 'Ctrl+s'], 'a letter then Ctrl+S, typed quickly');
	t.deepEqual(read('e\t\t\t\t'), ['e', 'tab', 'tab', 'tab', 'tab']);
	t.deepEqual(read('ok\r'), ['o', 'k', 'enter']);
	t.deepEqual(read('a\t\u007F'), ['a', 'tab', 'backspace']);
	t.deepEqual(read('a pasted text'), ['a', 'space', 'p', 'a', 's', 't', 'e', 'd', 'space', 't', 'e', 'x', 't'], 'no paste is guessed from length');
	t.deepEqual(read('\u001BOP', '\u001B[11~', '\u001B[[A', '\u001B[1P'), ['f1', 'f1', 'f1', 'f1'], 'F1 as xterm, VT220, the Linux console send it');
	t.deepEqual(read('\u001B[24~\u001B[15~'), ['f12', 'f5']);
	t.deepEqual(read('\u001B[A\u001B[B\u001B[C\u001B[D\u001B[H\u001B[F\u001B[5~\u001B[6~\u001B[3~\u001B[Z'),
		['up', 'down', 'right', 'left', 'home', 'end', 'pageup', 'pagedown', 'delete', 'Shift+tab']);
	t.deepEqual(read('\u001B[1;5C'), ['Ctrl+right']);
	t.deepEqual(read('\u001Be'), ['escape', 'e'], 'Esc and the next key in one read: neither is lost');
	t.deepEqual(read('\u001B'), ['escape'], 'a lone Esc');
	t.deepEqual(read('\u001B[', 'B'), ['down'], 'a sequence split across reads');
	t.deepEqual(read('G'), ['G']);
});

test('a bracketed paste is one keypress holding the text, even across reads', t => {
	const reader = createKeyReader();
	const strokes = [
		...reader.push('x\u001B[200~first line\r'),
		...reader.push('second\u001B[20'),
		...reader.push('1~y'),
	];
	t.deepEqual(names(strokes), ['x', 'paste:first line\rsecond', 'y']);
	t.false(reader.pending);
});

test('the text-edit keys are in the help, and every screen with keys opens the help at its own section', t => {
	const section = helpSections.find(section => section.table === textEditKeys);
	t.truthy(section);
	t.deepEqual(textEditKeys.flatMap(binding => binding.keys).filter(spec => spec.startsWith('ctrl+')), ['ctrl+a', 'ctrl+e', 'ctrl+w', 'ctrl+u']);
	t.is(helpSectionOf('users')?.title, 'Users of a domain');
	t.is(helpSectionOf('send-reminder')?.title, 'Send Email / Send Reminder');
	t.is(helpSectionOf('help'), undefined);
});

test('a handler id the table does not have does not compile (tsc checks this file)', t => {
	const handlers: BindingHandlers<CommandOf<typeof reviewKeys>> = {
		send() {},
		// @ts-expect-error: a misspelt id is a type error, not a key silently switched off.
		sned() {},
	};
	t.truthy(handlers.send);
	// @ts-expect-error: so is looking a command up by a wrong id.
	t.throws(() => command(reviewKeys, 'sned'));
	t.is(command(reviewKeys, 'test-copy').keys[0], 't');
});

test('the help of R says how often the bounce mailbox is read, as the dashboard reads it', t => {
	const every = `every ${defaultTrackingIntervalMs / 1000} s`;
	for (const table of [historyKeys, sendDetailKeys]) {
		const reload = table.find(binding => binding.keys.includes('R'));
		t.truthy(reload);
		t.true(reload!.description.includes(every), reload!.description);
	}
});
