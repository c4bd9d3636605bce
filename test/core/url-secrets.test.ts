/**
 * URLs that may hold a password (core/settings/url-secrets.ts): where one is, the URL as it may
 * be shown, and why a text is not a URL, named without repeating it.
 */
import test from 'ava';
import {shownUrl, urlPassword, urlSyntaxProblem} from '../../source/core/settings.js';

test('a password is found after the user name whatever it holds, and in a parameter; a user name alone is none', t => {
	for (const url of [
		'postgres://reader:S3cret@db:5432/postfix', 'postgres://reader:12/S3cret@db/postfix', 'mysql://reader:S3@cret@db/postfix',
		'https://admin:S3cret@mail.example.com/', 'smtp://ann:S3 cret@mail.example.com',
	]) {
		t.is(urlPassword(url), 'userinfo', url);
	}

	for (const url of ['mysql://reader@db/postfix?password=S3cret', 'postgres://reader@db/x?sslpassword=S3cret', 'ldap://host/dc=x???!x-bindpw=S3cret', 'https://mail.example.com/?api_key=S3cret']) {
		t.is(urlPassword(url), 'parameter', url);
	}

	for (const url of ['postgres://reader@db:5432/postfix', 'ldap://[::1]:389', 'https://mail.example.com/?sslmode=require', 'ldap://host/dc=x?mail?sub?(mail=*@example.com)', 'not a url']) {
		t.is(urlPassword(url), undefined, url);
	}
});

test('a URL is shown with every part that may be a secret as ***', t => {
	const cases: Array<[string, string]> = [
		['postgres://reader:S3cret@db:5432/postfix', 'postgres://reader:***@db:5432/postfix'],
		['mysql://reader:S3@cret@db/postfix', 'mysql://reader:***@db/postfix'],
		['postgres://reader:12/S3cret@db/postfix', 'postgres://reader:***@db/postfix'],
		['smtp://ann:S3cret', 'smtp://ann:***'],
		['mysql://reader@db/postfix?password=S3cret&ssl=1', 'mysql://reader@db/postfix?password=***&ssl=***'],
		['https://mail.example.com/#S3cret', 'https://mail.example.com/#***'],
		['S3cret', '***'],
		['postgres://reader@[::1]:5432/postfix', 'postgres://reader@[::1]:5432/postfix'],
		['', ''],
	];
	for (const [url, shown] of cases) {
		t.is(shownUrl(url), shown, url);
	}
});

test('why a text is not a URL names the part, never the text', t => {
	const cases: Array<[string, string | undefined]> = [
		['smtp://ann:S3cret', 'its port (after the host and ":") is not a number'],
		['smtp://ann@host:70000', 'its port is above 65535'],
		['S3cret', 'it does not start with a scheme and "//" (such as smtp://)'],
		['https://', 'it names no host'],
		['smtp://[S3cret]', 'its host in [ ] is not an IPv6 address'],
		['https://S3<cret>', 'its host is not a host name or IP address'],
		['smtp://ann@mail.example.com:587', undefined],
	];
	for (const [url, problem] of cases) {
		t.is(urlSyntaxProblem(url), problem, url);
	}
});
