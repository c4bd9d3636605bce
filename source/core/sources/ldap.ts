/**
 * The `ldap` directory source, described (source.ts): every entry under a base that a filter
 * returns is a mailbox; three more filters mark the disabled, administrators and primary
 * administrators. Its reader (ldap-read.ts, with ldapts) is loaded only when the source is opened.
 */
import {caFile, plain, url} from '../settings/spec.js';
import {shownUrl} from '../settings/url-secrets.js';
import {defineSource, unlessEmpty} from './source.js';

export const ldapSource = defineSource({
	kind: 'ldap',
	title: 'LDAP directory',
	settings: {
		url: {
			description: 'ldap://HOST:PORT (StartTLS when offered, required for a password off loopback) or ldaps://HOST:PORT',
			example: 'ldap://ldap.example.com',
			...url({schemes: /^ldaps?:\/\//i, expected: 'ldap:// or ldaps://', passwordFrom: 'MASSMAIL_DIRECTORY_PASSWORD or directory.passwordCommand', userIn: 'directory.ldap.bindDn'}),
			label: 'LDAP URL',
			default: '',
			needed: 'the server\'s address: ldap://HOST:PORT or ldaps://HOST:PORT',
		},
		caFile: {
			description: 'a PEM file of the CAs to trust for the LDAP server\'s certificate (a private CA); empty: Node\'s own list',
			example: '/etc/ssl/private-ca.pem',
			...caFile,
			label: 'CA file',
			default: '',
		},
		bindDn: {description: 'the DN to bind as; empty: an anonymous bind', example: 'cn=reader,dc=example,dc=com', ...plain, label: 'Bind DN', default: ''},
		base: {
			description: 'where the mailboxes are searched (the search base)',
			example: 'o=domains,dc=example,dc=com',
			...plain,
			label: 'Search base',
			default: '',
			needed: 'the DN under which the mailboxes are: o=domains,dc=example,dc=com',
		},
		filter: {description: 'the entries that are mailboxes', example: '(&(objectClass=mailUser)(mail=*))', ...plain, label: 'Filter', default: '(mail=*)'},
		mailAttribute: {description: 'the attribute holding the address', example: 'mail', ...plain, label: 'Mail attribute', default: 'mail'},
		nameAttribute: {description: 'the attribute holding the display name', example: 'cn', ...plain, label: 'Name attribute', default: 'cn'},
		disabledFilter: {
			description: 'entries matching base + (&FILTER this) are disabled; empty: the source does not say (local flags kept)',
			example: '(!(accountStatus=active))',
			...plain,
			label: 'Disabled filter',
			default: '',
		},
		adminFilter: {
			description: 'entries matching base + (&FILTER this) are domain administrators; with neither this nor primaryFilter the roles are local',
			example: '(domainGlobalAdmin=yes)',
			...plain,
			label: 'Admin filter',
			default: '',
		},
		primaryFilter: {
			description: 'entries matching base + (&FILTER this) are primary administrators (wins over admin)',
			example: '(title=primary)',
			...plain,
			label: 'Primary filter',
			default: '',
		},
	},
	fields: [
		'url', 'bindDn', 'directory.passwordCommand', 'base', 'filter', 'mailAttribute', 'nameAttribute', 'disabledFilter', 'adminFilter',
		'primaryFilter', 'caFile', 'directory.maxAge',
	],
	// Never a password, even one written into the file by hand (the sync refuses it).
	label: values => shownUrl(values.url),
	async open(values, context) {
		const {openLdapSource} = await import('./ldap-read.js');
		const bindDn = unlessEmpty(values.bindDn);
		return openLdapSource({
			url: values.url,
			bindDn,
			// An anonymous bind needs none: no password command is run.
			password: bindDn === undefined ? undefined : await context.password(),
			base: values.base,
			filter: unlessEmpty(values.filter),
			mailAttribute: unlessEmpty(values.mailAttribute),
			nameAttribute: unlessEmpty(values.nameAttribute),
			disabledFilter: unlessEmpty(values.disabledFilter),
			adminFilter: unlessEmpty(values.adminFilter),
			primaryFilter: unlessEmpty(values.primaryFilter),
			caFile: unlessEmpty(values.caFile),
		});
	},
});
