import {Directory} from './directory.js';
import type {Role} from './types.js';

const sample: Array<{domain: string; users: Array<[local: string, name: string, role?: Role, disabled?: boolean]>}> = [
	{
		domain: 'example.com',
		users: [
			['ann.lee', 'Ann Lee', 'primary'],
			['bob', 'Bob Martin', 'admin'],
			['carol', 'Carol Nguyen'],
			['dave', 'Dave Okafor'],
			['erin', 'Erin Schmidt'],
			['frank', 'Frank Ito', 'user', true],
			['grace', 'Grace Hopper'],
		],
	},
	{
		domain: 'example.org',
		users: [
			['helpdesk', 'Helpdesk', 'primary'],
			['ivan', 'Ivan Petrov', 'admin'],
			['judy', 'Judy Kim'],
			['ken', 'Ken Adams'],
			['lena', 'Lena Svensson'],
		],
	},
	{
		domain: 'bücher.example',
		users: [
			['inhaber', 'Jürgen Weiß', 'primary'],
			['lager', 'Lager'],
			['marie', 'Marie Dupont'],
			['niklas', 'Niklas Groß'],
		],
	},
	{
		domain: 'school.example.net',
		users: [
			['principal', 'Olivia Brown', 'primary'],
			['it', 'IT Office', 'admin'],
			['peter', 'Peter Novak'],
			['quinn', 'Quinn Taylor'],
		],
	},
];

/** The sample directory of the demo profile: four domains (one internationalized), 20 mailboxes, one disabled. */
export function demoDirectory(): Directory {
	const directory = Directory.empty();
	for (const {domain, users} of sample) {
		const name = directory.addDomain(domain);
		for (const [local, displayName, role = 'user', disabled = false] of users) {
			directory.addMailbox({address: `${local}@${name}`, name: displayName, role, disabled});
		}
	}

	return directory;
}
