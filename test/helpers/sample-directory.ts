/**
 * The small directory the send tests share: two domains, a primary administrator in each,
 * one disabled mailbox, and optionally many more users to keep a send running.
 */
import {Directory} from '../../source/core/directory.js';

export function sampleDirectory(extraUsers = 0, extraUsersDomain = 'example.com'): Directory {
	const directory = Directory.empty();
	directory.addDomain('example.com');
	directory.addDomain('example.org');
	directory.addMailbox({address: 'ann@example.com', name: 'Ann Lee', role: 'primary'});
	directory.addMailbox({address: 'bob@example.com', name: 'Bob'});
	directory.addMailbox({address: 'gone@example.com', name: 'Gone', disabled: true});
	directory.addMailbox({address: 'ivan@example.org', name: 'Ivan', role: 'primary'});
	for (let i = 0; i < extraUsers; i++) {
		directory.addMailbox({address: `user${i}@${extraUsersDomain}`, name: `User ${i}`});
	}

	return directory;
}
