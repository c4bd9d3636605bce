/**
 * The Send Email / Send Reminder form as a reducer, checked with the core's own rules
 * against a real directory.
 */
import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {composeReducer, initialComposeState, visibleFields, type ComposeAction, type ComposeFormState} from '../../source/ui/state/compose-form.js';
import {completeDomain, planOfForm, validateComposeField, type ComposeContext} from '../../source/ui/state/compose-validate.js';
import {textState} from '../../source/ui/state/text-edit.js';

function directory(): Directory {
	const d = Directory.empty();
	d.addDomain('example.com');
	d.addDomain('example.org');
	d.addDomain('other.net');
	d.addMailbox({address: 'ann@example.com', name: 'Ann', role: 'primary'});
	d.addMailbox({address: 'bob@example.com', name: 'Bob'});
	d.addMailbox({address: 'gone@example.com', name: 'Gone', disabled: true});
	d.addMailbox({address: 'ivan@example.org', name: 'Ivan', role: 'admin'});
	return d;
}

const context: ComposeContext = {directory: directory(), sender: {name: 'System Administrator', address: 'postmaster@mail.example.com'}};
const reducer = composeReducer((field, state) => validateComposeField(field, state, context));
const run = (state: ComposeFormState, ...actions: ComposeAction[]) => actions.reduce(reducer, state);
const type = (field: 'from' | 'domain' | 'address' | 'friendlyName' | 'subject' | 'message', value: string): ComposeAction => ({type: 'edit', field, text: textState(value)});

test('opened on a domain, To starts as All Users on a Domain with that domain', t => {
	const state = initialComposeState('email', {group: {kind: 'domain', domains: ['example.com']}}, {fromName: 'System Administrator'});
	t.is(state.to, 'domain');
	t.is(state.text.domain.value, 'example.com');
	t.is(state.text.from.value, 'System Administrator');
	t.deepEqual(visibleFields(state), ['from', 'to', 'domain', 'friendlyName', 'subject', 'message', 'submit']);
});

test('opened with marked domains, To is the selected-domains group', t => {
	const state = initialComposeState('email', {group: {kind: 'domain', domains: ['example.com', 'other.net']}}, {fromName: 'x'});
	t.is(state.to, 'selected');
	t.true(state.choices.includes('selected'));
	t.deepEqual(visibleFields(state).slice(0, 3), ['from', 'to', 'friendlyName']);
});

test('the reminder form has no From or friendly name field', t => {
	const state = initialComposeState('reminder', {}, {fromName: 'x'});
	t.deepEqual(visibleFields(state), ['to', 'subject', 'message', 'submit']);
});

test('a follow-up reminder has From and friendly name fields, filled with the original\'s, and keeps them (or the change)', t => {
	const followUp = {from: 'IT Team <it@example.com>', friendlyName: 'example.com user - '};
	let state = initialComposeState('reminder', {group: {kind: 'send', sendId: 's1'}, subject: 'Reminder: x', followUpOf: 's1'}, {fromName: 'x', followUp});
	t.deepEqual(visibleFields(state), ['from', 'to', 'friendlyName', 'subject', 'message', 'submit']);
	t.is(state.text.from.value, 'IT Team <it@example.com>');
	t.is(state.text.friendlyName.value, 'example.com user - ');
	const withAudience: ComposeContext = {...context, audienceOfSend: () => ({recipients: [{address: 'bob@example.com', name: 'Bob'}], skipped: []})};
	state = run(state, type('message', 'Tonight.'));
	t.deepEqual(planOfForm(state, withAudience).plan?.draft, {kind: 'reminder', from: {name: 'IT Team', address: 'it@example.com'}, friendlyName: 'example.com user - ', subject: 'Reminder: x', body: 'Tonight.', html: false});
	state = run(state, type('friendlyName', ''));
	t.is(planOfForm(state, withAudience).plan?.draft.friendlyName, '');
});

test('a header word too long to fold is named on its field', t => {
	let state = initialComposeState('email', {group: {kind: 'domain', domains: ['example.com']}}, {fromName: 'System Administrator'});
	state = run(state, type('friendlyName', 'x'.repeat(1000)), type('subject', 'y'.repeat(1000)), type('message', 'Body'));
	const {errors} = planOfForm(state, context);
	t.regex(errors.friendlyName ?? '', /word too long for a mail header/);
	t.regex(errors.subject ?? '', /^Subject holds a word too long/);
});

test('a field says what is wrong with it when it is left, and forgets it when edited', t => {
	let state = initialComposeState('email', {group: {kind: 'domain', domains: ['example.com']}}, {fromName: 'System Administrator'});
	state = run(state, {type: 'focus', field: 'domain'}, type('domain', 'nowhere.example'), {type: 'focus-next'});
	t.is(state.focus, 'friendlyName');
	t.regex(state.errors.domain ?? '', /no domain "nowhere\.example" in the directory/);
	state = run(state, {type: 'focus', field: 'domain'}, type('domain', 'example.org'));
	t.is(state.errors.domain, undefined);
	state = run(state, {type: 'focus', field: 'from'}, type('from', 'IT <not an address>'), {type: 'focus-next'});
	t.regex(state.errors.from ?? '', /not a valid address/);
	state = run(state, {type: 'focus', field: 'subject'}, {type: 'focus-next'});
	t.is(state.errors.subject, 'The subject is empty');
});

test('changing To shows the address field for Specific User', t => {
	let state = initialComposeState('email', {}, {fromName: 'x'});
	state = run(state, {type: 'focus', field: 'to'});
	const seen = [];
	for (let i = 0; i < state.choices.length; i++) {
		seen.push(state.to);
		state = run(state, {type: 'cycle-to', delta: 1});
	}

	t.deepEqual(seen, ['all', 'domain', 'admins', 'primary-admins', 'user']);
	state = run(state, {type: 'cycle-to', delta: -1});
	t.is(state.to, 'user');
	t.true(visibleFields(state).includes('address'));
	t.true(state.dirty);
});

test('HTML is detected as the message is typed until switched by hand', t => {
	let state = initialComposeState('email', {}, {fromName: 'x'});
	state = run(state, type('message', '<p>Hello</p>'));
	t.true(state.html);
	state = run(state, {type: 'toggle-html'}, type('message', '<p>Hello again</p>'));
	t.false(state.html, 'the hand-made choice stays');
});

test('a valid form becomes a plan: the draft, the audience and who it reaches (disabled skipped)', t => {
	let state = initialComposeState('email', {group: {kind: 'domain', domains: ['example.com']}}, {fromName: 'System Administrator'});
	state = run(state, type('friendlyName', 'Example.com User - '), type('subject', 'Maintenance'), type('message', 'Tonight at 22:00.'));
	const {plan, errors} = planOfForm(state, context);
	t.deepEqual(errors, {});
	t.is(plan?.audience, 'domain:example.com');
	t.deepEqual(plan?.resolution.recipients.map(r => r.address), ['ann@example.com', 'bob@example.com']);
	t.deepEqual(plan?.resolution.skipped, [{address: 'gone@example.com', reason: 'disabled'}]);
	t.deepEqual(plan?.draft.from, {name: 'System Administrator', address: 'postmaster@mail.example.com'});
	t.is(plan?.draft.friendlyName, 'Example.com User - ');
});

test('checking the whole form puts the keyboard on the first field with a problem', t => {
	let state = initialComposeState('reminder', {}, {fromName: 'x'});
	state = run(state, {type: 'focus', field: 'message'});
	const {plan, errors} = planOfForm(state, context);
	t.is(plan, undefined);
	state = run(state, {type: 'set-errors', errors});
	t.is(state.focus, 'subject');
	t.deepEqual(Object.keys(errors), ['subject', 'message']);
});

test('domain completion offers the directory domains that start with what was typed', t => {
	t.deepEqual(completeDomain(context.directory, 'exa'), ['example.com', 'example.org']);
	t.deepEqual(completeDomain(context.directory, ''), []);
});

test('no sender address set (a machine without a fully qualified name): the form goes to Review, which says which From the send takes', t => {
	const noAddress: ComposeContext = {directory: directory(), sender: {name: 'System Administrator', address: ''}};
	let state = initialComposeState('email', {group: {kind: 'domain', domains: ['example.com']}}, {fromName: 'System Administrator'});
	state = [type('subject', 'Maintenance'), type('message', 'Tonight.')].reduce(composeReducer((field, s) => validateComposeField(field, s, noAddress)), state);
	const {plan, errors} = planOfForm(state, noAddress);
	t.deepEqual(errors, {});
	t.deepEqual(plan?.draft.from, {name: 'System Administrator', address: ''}, 'left empty: Review fills in postmaster@localhost for the capture server, or refuses a real one');
	t.deepEqual(plan?.resolution.recipients.map(r => r.address), ['ann@example.com', 'bob@example.com']);
});
