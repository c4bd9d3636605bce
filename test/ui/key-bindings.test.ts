import test from 'ava';
import type {Key} from 'ink';
import {domainsKeys, findBinding, findBindings, formatKeys, formKeys, helpSections, keyMatches, splitKeys} from '../../source/ui/key-bindings.js';
import {footerText} from '../../source/ui/components/frame.js';

const noKey: Key = {
	upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
	return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
	super: false, hyper: false, capsLock: false, numLock: false,
};
const key = (patch: Partial<Key>): Key => ({...noKey, ...patch});

test('keys are matched by name as Ink reports them', t => {
	t.true(keyMatches('j', 'j', noKey));
	t.false(keyMatches('j', 'j', key({ctrl: true})));
	t.true(keyMatches('ctrl+e', 'e', key({ctrl: true})));
	t.true(keyMatches('shift+tab', '', key({tab: true, shift: true})));
	t.false(keyMatches('tab', '', key({tab: true, shift: true})));
	t.true(keyMatches('backspace', '', key({delete: true})), 'DEL, what terminals send for Backspace');
	t.true(keyMatches('space', ' ', noKey));
	t.true(keyMatches('G', 'G', key({shift: true})));
});

test('a screen looks its keys up in its table', t => {
	t.is(findBinding(domainsKeys, 'k', noKey)?.id, 'up');
	t.is(findBinding(domainsKeys, '', key({return: true}))?.id, 'actions');
	t.is(findBinding(domainsKeys, '.', noKey)?.id, 'actions');
	t.deepEqual(findBindings(formKeys, '', key({tab: true})).map(binding => binding.id), ['complete', 'next-field'], 'Tab completes a domain, else moves on');
});

test('the footer shows key and label, fits the width and always ends with help', t => {
	const bindings = domainsKeys.filter(binding => binding.footer);
	const text = footerText([...bindings, {id: 'help', keys: ['?'], label: 'Help', description: '', footer: true}], 40, true);
	t.true(text.length <= 40);
	t.true(text.endsWith('? Help'));
	t.true(text.startsWith(' a/./Enter Actions'));
	t.is(formatKeys(domainsKeys[0], {unicode: false}), 'Up/k');
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

test('keys that arrive in one read are split into the keys a person pressed; a paste stays whole', t => {
	const plain = (input: string) => splitKeys(input, noKey).map(({input, key}) => (key.return ? 'Enter' : key.tab ? 'Tab' : key.delete ? 'Bksp' : key.ctrl ? `Ctrl+${input}` : input));
	t.deepEqual(plain('B\u0013'), ['B', 'Ctrl+s'], 'a letter then Ctrl+S, typed quickly');
	t.deepEqual(plain('jj'), ['j', 'j']);
	t.deepEqual(plain('ok\r'), ['o', 'k', 'Enter']);
	t.deepEqual(plain('a\t\u007F'), ['a', 'Tab', 'Bksp']);
	t.deepEqual(plain('a pasted sentence'), ['a pasted sentence']);
	t.deepEqual(plain('first line of a paste\rsecond'), ['first line of a paste', 'Enter', 's', 'e', 'c', 'o', 'n', 'd']);
	t.true(splitKeys('G', noKey)[0].key.shift === false, 'a single key is passed on as Ink reported it');
	t.deepEqual(splitKeys('GG', noKey).map(k => k.key.shift), [true, true]);
});
