/**
 * What a sync says it changes (core/sync.ts planSync and describeChanges), read as people read it:
 * every domain that goes or comes is named, with its mailboxes or without.
 */
import test from 'ava';
import {Directory} from '../../source/core/directory.js';
import {describeChanges, planSync} from '../../source/core/sync.js';

test('a sync names a domain it removes that had no mailbox (one added by hand), as it applies it', t => {
	const current = Directory.empty();
	current.addDomain('example.org');
	current.addDomain('empty.example');
	current.addMailbox({address: 'ann@example.org', name: 'Ann'});
	const {next, changes} = planSync(current, [
		{key: 'line 1', email: 'ann@example.org'},
		{key: 'line 2', email: 'extra@example.org'},
	], 'doveadm user *');
	t.deepEqual(next.domains().map(domain => domain.name), ['example.org'], 'the sync removes it');
	t.deepEqual(describeChanges(changes), [
		'doveadm user *: 1 added, 0 removed, 0 changed; 2 mailboxes after (1 before).',
		'  empty.example: +0 -0 ~0 (domain removed)',
		'  example.org: +1 -0 ~0',
	]);
});
