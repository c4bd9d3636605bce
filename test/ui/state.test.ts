/**
 * The dashboard's state as plain functions: the router's back stack, the list window,
 * the filter, marks, text editing and the progress counters.
 */
import test from 'ava';
import {initialRouterState, routerReducer, currentEntry} from '../../source/ui/state/router.js';
import {FilterIndex, filterItems, initialListState, listReducer, visibleRange, type ListAction, type ListState} from '../../source/ui/state/list.js';
import {editWithKey, insertText, moveLine, textState, type TextState} from '../../source/ui/state/text-edit.js';
import {keystroke, paste, BACKSPACE, CTRL_A, CTRL_U, CTRL_W, DELETE, ENTER, ESC, F1, HOME, LEFT, PAGE_DOWN, SPACE, TAB} from './harness.js';
import {doneRatio, failureLimit, initialProgressState, latestLimit, limitingLines, ProgressFolder, progressReducer, relayLeftLines} from '../../source/ui/state/progress.js';
import type {DeliveryProgress} from '../../source/core/types.js';

/** What typing `sequence` makes of the text (undefined: not an edit). */
function edit(state: TextState, sequence: string, multiline = false): TextState | undefined {
	const {input, key} = keystroke(sequence);
	return editWithKey(state, input, key, multiline);
}

test('the router opens screens on a back stack and Esc comes back to the one below', t => {
	let state = initialRouterState();
	t.is(currentEntry(state).route.screen, 'domains');
	state = routerReducer(state, {type: 'push', route: {screen: 'actions', domain: 'example.com', marked: []}});
	state = routerReducer(state, {type: 'replace', route: {screen: 'send-email'}});
	t.deepEqual(state.stack.map(entry => entry.route.screen), ['domains', 'send-email']);
	state = routerReducer(state, {type: 'push', route: {screen: 'help'}});
	state = routerReducer(state, {type: 'back'});
	t.is(currentEntry(state).route.screen, 'send-email');
	state = routerReducer(state, {type: 'back'});
	state = routerReducer(state, {type: 'back'});
	t.deepEqual(state.stack.map(entry => entry.route.screen), ['domains'], 'the home screen stays');
});

test('every opened screen gets its own key, so a reopened form starts empty', t => {
	let state = initialRouterState();
	state = routerReducer(state, {type: 'push', route: {screen: 'send-email'}});
	const first = currentEntry(state).key;
	state = routerReducer(state, {type: 'back'});
	state = routerReducer(state, {type: 'push', route: {screen: 'send-email'}});
	t.not(currentEntry(state).key, first);
	state = routerReducer(state, {type: 'home', route: {screen: 'send-reminder'}});
	t.deepEqual(state.stack.map(entry => entry.route.screen), ['domains', 'send-reminder']);
});

function run(state: ListState, ...actions: ListAction[]): ListState {
	return actions.reduce(listReducer, state);
}

test('the list cursor moves within the rows and the window follows it', t => {
	const count = 5000;
	const pageSize = 18;
	let state = run(initialListState(), {type: 'move', delta: -1, count, pageSize});
	t.is(state.cursor, 0, 'cannot go above the first row');
	state = run(state, ...Array.from({length: 20}, (): ListAction => ({type: 'move', delta: 1, count, pageSize})));
	t.is(state.cursor, 20);
	t.deepEqual(visibleRange(state, count, pageSize), {start: 3, end: 21});
	state = run(state, {type: 'last', count, pageSize});
	t.is(state.cursor, 4999);
	t.deepEqual(visibleRange(state, count, pageSize), {start: 4982, end: 5000});
	state = run(state, {type: 'page', direction: -1, count, pageSize});
	t.is(state.cursor, 4981);
	t.true(state.top <= state.cursor && state.cursor < state.top + pageSize);
	state = run(state, {type: 'first', count, pageSize});
	t.deepEqual([state.cursor, state.top], [0, 0]);
});

test('a shorter page (terminal resized) keeps the cursor in the window', t => {
	let state = run(initialListState(), {type: 'select', index: 30, count: 100, pageSize: 20});
	state = run(state, {type: 'clamp', count: 100, pageSize: 5});
	const {start, end} = visibleRange(state, 100, 5);
	t.true(start <= 30 && 30 < end);
});

test('typing a filter goes back to the first match; clearing it shows everything again', t => {
	const domains = ['alpha.com', 'beta.org', 'example.com', 'example.org'];
	let state = run(initialListState(), {type: 'select', index: 3, count: 4, pageSize: 10}, {type: 'start-filter'}, {type: 'set-filter', filter: 'exa'});
	t.is(state.cursor, 0);
	t.deepEqual(filterItems(domains, state.filter, name => name), ['example.com', 'example.org']);
	t.deepEqual(filterItems(domains, 'exa org', name => name), ['example.org'], 'every word must match');
	state = run(state, {type: 'clear-filter'});
	t.is(filterItems(domains, state.filter, name => name), domains);
	t.false(state.filtering);
});

test('a FilterIndex finds what filterItems finds, as a filter is typed, erased, widened and changed, and gives the same array again for the same filter', t => {
	const names = Array.from({length: 300}, (_, index) => `d${String(index).padStart(4, '0')}.${index % 3 === 0 ? 'Example.ORG' : 'example.com'}`);
	const index = new FilterIndex(names, name => name);
	// Typed a character at a time and erased; then words that do not narrow the last filter.
	const typed = ['d', 'd0', 'd01', 'd012', 'd01', 'd0', 'd', '', 'org', 'org d02', 'org  D02 ', 'd02', 'd02 com', 'com d02', '2 org', 'zzz', 'z', ''];
	for (const filter of typed) {
		t.deepEqual(index.filter(filter), filterItems(names, filter, name => name), `filter "${filter}"`);
	}

	t.is(index.filter(''), names, 'no filter: the items themselves');
	t.is(index.filter('d01'), index.filter('D01 '), 'the same words: the same array');
});

test('marks are toggled by key and survive the filter', t => {
	let state = run(initialListState(), {type: 'toggle-mark', key: 'a.com'}, {type: 'toggle-mark', key: 'b.com'}, {type: 'set-filter', filter: 'b'});
	t.deepEqual(state.marked, ['a.com', 'b.com']);
	state = run(state, {type: 'toggle-mark', key: 'a.com'});
	t.deepEqual(state.marked, ['b.com']);
	state = run(state, {type: 'clear-marks'});
	t.deepEqual(state.marked, []);
});

test('text editing: typing, backspace (DEL), cursor keys, Enter only in the message', t => {
	let state = textState('Helo');
	state = edit(state, LEFT)!;
	state = edit(state, 'l')!;
	t.deepEqual(state, {value: 'Hello', cursor: 4});
	state = edit(state, BACKSPACE)!;
	t.is(state.value, 'Helo');
	t.deepEqual(edit(state, SPACE), {value: 'Hel o', cursor: 4}, 'Space types a space');
	t.deepEqual(edit(textState('abc'), HOME), {value: 'abc', cursor: 0});
	t.deepEqual(edit({value: 'abc', cursor: 1}, DELETE), {value: 'ac', cursor: 1}, 'Delete removes the character under the cursor');
	t.deepEqual(edit(textState('one two'), CTRL_W), {value: 'one ', cursor: 4}, 'Ctrl+W');
	t.deepEqual(edit(textState('one two'), CTRL_U), {value: '', cursor: 0}, 'Ctrl+U');
	t.deepEqual(edit({value: 'abc', cursor: 3}, CTRL_A), {value: 'abc', cursor: 0}, 'Ctrl+A');
	t.deepEqual(edit(textState(''), paste('a\rb'), true), {value: 'a\nb', cursor: 3}, 'a paste is inserted whole');
	t.is(edit(textState(''), F1), undefined, 'F1 is not an edit');
	t.is(edit(state, ENTER), undefined, 'Enter leaves a one-line field');
	t.is(edit(textState('a'), TAB), undefined, 'Tab is not an edit');
	t.is(edit(textState('a'), ESC), undefined, 'Esc is not an edit');
	t.is(edit(textState('a'), PAGE_DOWN), undefined, 'PgDn is not an edit');
	const multi = edit(textState('line one'), ENTER, true)!;
	t.is(multi.value, 'line one\n');
	t.is(insertText(textState(''), 'a\r\nb\tc', false).value, 'a b c', 'a paste into a one-line field stays one line');
	t.is(insertText(textState(''), 'x\u0007y', true).value, 'xy', 'control characters never enter a field');
});

test('Up and Down move between lines of the message, and hand over at its edges', t => {
	const state = {value: 'first\nsecond line\nthird', cursor: 9};
	t.is(moveLine(state, -1)?.cursor, 3);
	t.is(moveLine(state, 1)?.cursor, 21);
	t.is(moveLine({value: 'one\ntwo', cursor: 1}, -1), undefined);
	t.is(moveLine({value: 'one\ntwo', cursor: 5}, 1), undefined);
});

const progress = (patch: Partial<DeliveryProgress>): DeliveryProgress => ({
	total: 10, sent: 0, failed: 0, deferred: 0, remaining: 10, rate: 0, elapsedMs: 0, etaMs: null, ...patch,
});

test('progress folds a batch of events: counters, state, latest outcomes newest first, failures', t => {
	let state = initialProgressState(progress({}));
	state = progressReducer(state, {type: 'events', events: [
		{type: 'outcome', address: 'a@x.org', status: 'sent', attempts: 1, response: '250 OK'},
		{type: 'outcome', address: 'b@x.org', status: 'failed', attempts: 1, response: '550 no such user'},
		{type: 'progress', progress: progress({sent: 1, failed: 1, remaining: 8, rate: 12.5})},
		{type: 'state', state: 'paused'},
	]});
	t.deepEqual(state.latest.map(item => item.address), ['b@x.org', 'a@x.org']);
	t.deepEqual(state.failures.map(item => `${item.address} ${item.response}`), ['b@x.org 550 no such user']);
	t.is(state.failureCount, 1);
	t.is(state.state, 'paused');
	t.is(doneRatio(state.progress), 0.2);
	t.is(progressReducer(state, {type: 'events', events: []}), state, 'an empty batch changes nothing');
});

test('progress folds events as they arrive, keeping only what the screen shows: the newest 10 outcomes, the newest 100 failures, every failure counted', t => {
	const folder = new ProgressFolder();
	t.is(folder.take(), undefined, 'nothing came: no frame to draw');
	for (let index = 0; index < 250; index++) {
		folder.add({type: 'outcome', address: `u${index}@x.org`, status: index % 2 === 0 ? 'failed' : 'sent', attempts: 1, response: index % 2 === 0 ? `550 no ${index}` : '250 OK'});
	}

	folder.add({type: 'progress', progress: progress({total: 250, sent: 125, failed: 125, remaining: 0})});
	const action = folder.take();
	t.truthy(action);
	let state = progressReducer(initialProgressState(progress({total: 250, remaining: 250})), action!);
	t.deepEqual(state.latest.map(item => item.address), Array.from({length: latestLimit}, (_, index) => `u${249 - index}@x.org`));
	t.is(state.failures.length, failureLimit);
	t.is(state.failures[0]?.response, '550 no 248');
	t.is(state.failures.at(-1)?.response, `550 no ${248 - ((failureLimit - 1) * 2)}`);
	t.is(state.failureCount, 125);
	t.is(state.progress.sent, 125);
	t.is(folder.take(), undefined, 'a take empties the folder');

	// The next frame's outcomes go on top of the previous ones; the state and the counters carry over.
	folder.add({type: 'state', state: 'cancelling'});
	folder.add({type: 'outcome', address: 'last@x.org', status: 'deferred', attempts: 2, response: '451 later'});
	state = progressReducer(state, folder.take()!);
	t.deepEqual(state.latest.slice(0, 2).map(item => `${item.address} ${item.status}`), ['last@x.org deferred', 'u249@x.org sent']);
	t.is(state.latest.length, latestLimit);
	t.is(state.failureCount, 125);
	t.is(state.state, 'cancelling');
	t.is(state.progress.sent, 125);
});

test('a batch of events gives the same state whether folded as it came or all at once', t => {
	const events = Array.from({length: 40}, (_, index) => ({type: 'outcome' as const, address: `u${index}@x.org`, status: index % 3 === 0 ? 'failed' as const : 'sent' as const, attempts: 1, response: `r${index}`}));
	const folder = new ProgressFolder();
	for (const event of events) {
		folder.add(event);
	}

	const start = initialProgressState(progress({}));
	t.deepEqual(progressReducer(start, folder.take()!), progressReducer(start, {type: 'events', events}));
});

test('a relay the run left stays on Progress, with why and who sends the rest, each line cut to the width', t => {
	const folder = new ProgressFolder();
	folder.add({type: 'relay-left', relay: 'mx2.example.com:25', reason: 'lost the SMTP server mx2.example.com:25: connect ECONNREFUSED (5 connections failed in a row)', remaining: 340, relays: ['mx1.example.com:25']});
	let state = progressReducer(initialProgressState(progress({})), folder.take()!);
	folder.add({type: 'outcome', address: 'a@x.org', status: 'sent', attempts: 1, response: '250 ok'});
	state = progressReducer(state, folder.take()!);
	t.is(state.relaysLeft.length, 1, 'kept across batches');
	t.deepEqual(relayLeftLines(state.relaysLeft, 200), ['Left relay mx2.example.com:25; mx1.example.com:25 sends the rest: lost the SMTP server mx2.example.com:25: connect ECONNREFUSED (5 connections failed in a row)']);
	t.deepEqual(relayLeftLines(state.relaysLeft, 70).map(line => line.length <= 70 && line.includes('mx1.example.com:25 sends the rest')), [true], 'cut, it still says who sends the rest');
	t.deepEqual(relayLeftLines([{relay: 'a:25', reason: 'x\u001B[2J', relays: []}], 80), ['Left relay a:25; no relay is left: x\\x1b[2J']);
});

test('the lines a limiting server gets on Progress: how it limits, the pace found, the ETA\'s basis, what it said, each cut to the width', t => {
	t.is(limitingLines(progress({}), 78), undefined, 'no line while the server does not limit the send');
	const reply = '450 4.7.1 Error: too much mail from 127.0.0.1';
	t.deepEqual(limitingLines(progress({limiting: {connections: 2, perMinute: null, holding: true, reply}}), 78), [
		'Server limits this send: 2 connections; finding its pace',
		`Server said: ${reply}`,
	]);
	t.deepEqual(limitingLines(progress({etaMs: 60_000, etaFrom: 'pace', limiting: {connections: 2, perMinute: 84.2, holding: false, reply}}), 78), [
		'Server limits this send: 2 connections, ~84/min; the ETA is at this pace',
		`Server said: ${reply}`,
	]);
	// At 60 columns the ETA's basis gives way; the server's words are cut, never wrapped over the counters.
	const narrow = limitingLines(progress({etaFrom: 'pace', limiting: {connections: 1, perMinute: 0.5, holding: false, reply: `${reply} (see https://example.com/a/long/help/page)`}}), 58)!;
	t.deepEqual(narrow, ['Server limits this send: 1 connection, ~30/h', 'Server said: 450 4.7.1 Error: too much mail from 127.0.0.…']);
	t.true(narrow.every(line => line.length <= 58));
	// Only connections limited, no reply kept: one line.
	t.deepEqual(limitingLines(progress({limiting: {connections: 3, perMinute: null, holding: false}}), 78), ['Server limits this send: 3 connections']);
	// The window learnt, as the server counts it.
	t.deepEqual(limitingLines(progress({etaFrom: 'pace', limiting: {connections: 2, perMinute: 99, holding: true, window: {messages: 33, ms: 20_400, nextInMs: 5000}}}), 78), ['Server limits this send: 2 connections, ~99/min (33 per 20 s)']);
});
