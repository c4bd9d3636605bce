import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {followUpAudience} from '../../source/core/follow-up.js';

test('a follow-up reaches those whom the original reached, not the failed or pending, not the disabled or removed since; an outside address (its domain not in the directory) still', t => {
	const directory = Directory.empty();
	directory.addDomain('example.com');
	directory.addMailbox({address: 'ann@example.com', name: 'Ann'});
	directory.addMailbox({address: 'bob@example.com', name: 'Bob', disabled: true});
	directory.addMailbox({address: 'cy@example.com', name: 'Cy'});
	const audience = followUpAudience(directory, [
		{address: 'ann@example.com', status: 'sent'},
		{address: 'bob@example.com', status: 'sent'},
		{address: 'cy@example.com', status: 'failed'},
		{address: 'dee@example.com', status: 'pending'},
		{address: 'gone@example.com', status: 'sent'},
		{address: 'partner@elsewhere.example', status: 'sent'},
	]);
	t.deepEqual(audience.recipients, [{address: 'ann@example.com', name: 'Ann'}, {address: 'partner@elsewhere.example', name: ''}]);
	t.deepEqual(audience.skipped, [
		{address: 'bob@example.com', reason: 'disabled'},
		{address: 'cy@example.com', reason: 'not-delivered'},
		{address: 'dee@example.com', reason: 'not-delivered'},
		{address: 'gone@example.com', reason: 'removed'},
	]);
});
