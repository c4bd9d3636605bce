/**
 * The `smartermail` directory source, described (source.ts): SmarterMail's own list of domains
 * and users over its web API, read as a system administrator. Its reader (smartermail-read.ts)
 * is loaded only when the source is opened.
 */
import {MassmailError} from '../errors.js';
import {plain, url} from '../settings/spec.js';
import {shownUrl} from '../settings/url-secrets.js';
import {defineSource} from './source.js';

export const smartermailSource = defineSource({
	kind: 'smartermail',
	title: 'SmarterMail (web API)',
	settings: {
		url: {
			description: 'the SmarterMail web address (https://, or http:// to this machine)',
			example: 'https://mail.example.com',
			...url({schemes: /^https?:\/\//i, expected: 'https:// (or http:// to this machine)', passwordFrom: 'MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand', userIn: 'directory.smartermail.user'}),
			label: 'SmarterMail URL',
			default: '',
			needed: 'the web address: https://mail.example.com',
		},
		user: {
			description: 'a SmarterMail system administrator',
			example: 'admin',
			...plain,
			label: 'Admin user',
			default: '',
			needed: 'the system administrator\'s user name',
		},
	},
	fields: ['url', 'user', 'directory.passwordCommand', 'directory.maxAge'],
	// Never a password, even one written into the file by hand (the sync refuses it).
	label: values => shownUrl(values.url),
	async open(values, context) {
		const password = await context.password();
		if (password === undefined) {
			throw new MassmailError('auth', 'no password for the SmarterMail administrator', {hint: 'set MASSMAIL_DIRECTORY_PASSWORD, or directory.passwordCommand'});
		}

		const {openSmarterMailSource} = await import('./smartermail-read.js');
		return openSmarterMailSource({url: values.url, user: values.user, password});
	},
});
