import test from 'ava';
import {classifyReply, enhancedCode} from '../../source/core/delivery/replies.js';

// Replies as real servers send them (Postfix 3.7's anvil and smtpd, and common others).
const cases: Array<[string, Parameters<typeof classifyReply>[0], boolean, ReturnType<typeof classifyReply>]> = [
	['Postfix: too many connections, at the greeting', {message: 'Invalid greeting', code: 'EPROTOCOL', responseCode: 421, response: '421 4.7.0 mail.example.com Error: too many connections from 127.0.0.1', command: 'CONN'}, false, 'limited'],
	['Postfix: too much mail, at MAIL FROM', {message: 'Mail command failed', code: 'EENVELOPE', responseCode: 450, response: '450 4.7.1 Error: too much mail from 127.0.0.1', command: 'MAIL FROM'}, false, 'limited'],
	['Postfix: too many errors, then it hangs up', {message: 'Mail command failed', code: 'EENVELOPE', responseCode: 421, response: '421 4.7.0 mail.example.com Error: too many errors', command: 'MAIL FROM'}, false, 'limited'],
	['Exim ratelimit', {message: '', code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 Sender rate limit exceeded', command: 'RCPT TO'}, false, 'limited'],
	['a 4.7.x at MAIL FROM without the words', {message: '', code: 'EENVELOPE', responseCode: 450, response: '450 4.7.0 Client host blocked for a while', command: 'MAIL FROM'}, false, 'limited'],
	['greylisting one mailbox', {message: '', code: 'EENVELOPE', responseCode: 450, response: '450 4.2.0 <ann@example.com>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/', command: 'RCPT TO'}, false, 'temporary'],
	['mailbox busy', {message: '', code: 'EENVELOPE', responseCode: 451, response: '451 4.3.0 Mailbox busy, try again later', command: 'RCPT TO'}, false, 'temporary'],
	['no such user', {message: '', code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <x@example.com>: Recipient address rejected: User unknown in virtual mailbox table', command: 'RCPT TO'}, false, 'permanent'],
	['message refused after the dot', {message: '', code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 Spam message rejected', command: 'DATA'}, true, 'permanent'],
	['refused login', {message: 'Invalid login', code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Error: authentication failed: authentication failure', command: 'AUTH PLAIN'}, false, 'auth'],
	['certificate', {message: 'self-signed certificate', code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', command: 'CONN'}, false, 'tls'],
	['dropped before the dot', {message: 'Connection closed unexpectedly', code: 'ECONNECTION', command: 'CONN'}, false, 'connection'],
	['dropped after the dot', {message: 'Connection closed unexpectedly', code: 'ECONNECTION', command: 'CONN'}, true, 'ambiguous'],
	['a silent server', {message: 'Timeout', code: 'ETIMEDOUT', command: 'CONN'}, false, 'connection'],
	['refused connection', {message: 'connect ECONNREFUSED 127.0.0.1:2525', code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN'}, false, 'connection'],
];

for (const [name, error, dataSent, expected] of cases) {
	test(`reply table: ${name} is ${expected}`, t => {
		t.is(classifyReply(error, dataSent), expected);
	});
}

test('the enhanced status code is read from a reply', t => {
	t.is(enhancedCode('450 4.7.1 Error: too much mail from 127.0.0.1'), '4.7.1');
	t.is(enhancedCode('250-2.0.0 Ok'), '2.0.0');
	t.is(enhancedCode('451 Try later'), undefined);
	t.is(enhancedCode(undefined), undefined);
});
