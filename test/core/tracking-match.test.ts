/**
 * Whose a message of the bounce mailbox is (core/tracking/match.ts), on the reports of
 * test/fixtures/dsn/ read by readReport: the marks in their order (ENVID, VERP, returned
 * Message-ID), what makes a message none of massmail's, and what leaves it unmatched. Pure: the
 * sends are a table.
 */
import test from 'ava';
import {matchReport, parseMessageId, statusInText, type KnownSend, type MatchContext} from '../../source/core/tracking/match.js';
import {readReport} from '../../source/core/tracking/report.js';
import {fixtureSendId, foreignReport, noReportBounce, personReplying, postfixBounce, replaced, vacationReply, vacationToSomeoneElse} from '../helpers/report-messages.js';

const id = '20260301-090000-c0ffee';
const known: Record<string, KnownSend> = {
	[id]: {total: 3, domain: 'example.com', addresses: ['ann@example.com', 'bob@example.com', 'full@example.com']},
};

function context(more: Partial<MatchContext> = {}): MatchContext {
	return {returnPath: 'bounces@example.com', delimiter: '+', send: sendId => known[sendId], messageId: '<report.1@localhost>', fallbackKey: 'sha256:0', ...more};
}

async function match(text: string, more: Partial<MatchContext> = {}) {
	return matchReport(await readReport(Buffer.from(text)), context(more));
}

/** Postfix's bounce of recipient 2 with only the marks asked for left (the others made another program's or removed). */
function bounceWith(marks: {envid?: boolean; verp?: boolean; messageId?: string}): string {
	let text = postfixBounce(id, 2, 'full@example.com');
	if (!marks.envid) {
		text = text.replace(/^Original-Envelope-Id: .*\n/m, '');
	}

	if (!marks.verp) {
		text = text.replaceAll(`bounces+${id}.2@example.com`, 'bounces@example.com');
	}

	return text.replace(`Message-ID: <${id}.2@example.com>`, `Message-ID: ${marks.messageId ?? '<unrelated.1@elsewhere.example>'}`);
}

test('a DSN is matched by its ENVID, else its VERP address, else the returned Message-ID of the send\'s domain', async t => {
	for (const [marks, via] of [[{envid: true}, 'envid'], [{verp: true}, 'verp'], [{messageId: `<${id}.2@example.com>`}, 'message-id']] as const) {
		const result = await match(bounceWith(marks));
		t.like(result, {kind: 'ours', sendId: id, index: 2, via, reply: false}, via);
		t.like(result.kind === 'ours' ? result.lines[0] : undefined, {index: 2, state: 'bounced', status: '5.2.2', diagnostic: 'mailbox full', key: '<report.1@localhost> full@example.com', via});
	}

	// A Message-ID of massmail's shape from another domain is someone else's message; none at all cannot be told.
	t.deepEqual(await match(bounceWith({messageId: `<${id}.2@other.example>`})), {kind: 'not-ours'});
	t.deepEqual(await match(bounceWith({})), {kind: 'not-ours'});
	t.like(await match(bounceWith({}).replace(/^Message-ID: .*\n/m, '')), {kind: 'unmatched'});
});

test('another program\'s ENVID is not ours, unless our other marks say it is: then it cannot be told', async t => {
	t.deepEqual(await match(foreignReport()), {kind: 'not-ours'});
	const mixed = postfixBounce(id, 2, 'full@example.com').replace(`Original-Envelope-Id: massmail.${id}.2`, 'Original-Envelope-Id: INV-7');
	t.like(await match(mixed), {kind: 'unmatched', why: 'an envelope id that is not massmail\'s (INV-7) on a report of ours'});
});

test('auto-replies: to our message a reply (In-Reply-To, else VERP), to someone else\'s not ours; a person\'s message never ours', async t => {
	t.like(await match(vacationReply(id, 1)), {kind: 'ours', index: 1, via: 'in-reply-to', reply: true, lines: [{state: 'replied', status: null, diagnostic: 'Auto: Maintenance tonight', at: '2026-01-01T12:00:04.000Z', key: '<report.1@localhost> #1'}]});
	const viaVerp = replaced(vacationReply(id, 1), {[`<${id}.1@example.com>`]: '<lost@example.com>'});
	t.like(await match(viaVerp), {kind: 'ours', index: 1, via: 'verp', reply: true});
	t.deepEqual(await match(vacationToSomeoneElse()), {kind: 'not-ours'});
	t.deepEqual(await match(personReplying(id, 0)), {kind: 'not-ours'});
	// A person writing to a VERP address is still a person.
	t.deepEqual(await match(replaced(personReplying(id, 0), {'X-Original-To: bounces@example.com': `X-Original-To: bounces+${id}.0@example.com`})), {kind: 'not-ours'});
});

test('a bounce without a report part is matched by VERP, its status and words from its text', async t => {
	const result = await match(noReportBounce(id, 2), {text: 'Hi.\n<carl@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n'});
	t.like(result, {kind: 'ours', index: 2, via: 'verp', lines: [{state: 'bounced', status: '5.1.1', diagnostic: 'Sorry, no mailbox here by that name. (#5.1.1)', at: '2026-01-01T12:00:08.000Z'}]});
	t.like(await match(noReportBounce(id, 2)), {kind: 'ours', lines: [{state: 'bounced', status: '5.0.0', diagnostic: 'failure notice'}]});
	t.like(await match(replaced(noReportBounce(id, 2), {[`${id}.2@`]: 'x@'})), {kind: 'unmatched'});
	t.deepEqual(statusInText('version 2.0.0, then 4.4.1 (later)\n'), {status: '4.4.1', diagnostic: 'version 2.0.0, then 4.4.1 (later)'});
	t.is(statusInText('on 1.4.2026 at 5.30\n'), undefined);
});

test('what names a send or recipient the record does not have is unmatched; a send not asked for is skipped', async t => {
	t.like(await match(postfixBounce('20250101-000000-000000', 0, 'full@example.com')), {kind: 'unmatched', why: 'it names send 20250101-000000-000000, which the record does not have'});
	t.like(await match(postfixBounce(id, 3, 'full@example.com')), {kind: 'unmatched', why: `it names recipient 3 of send ${id}, which has 3`});
	t.like(await match(postfixBounce(id, 0, 'eve@example.com')), {kind: 'unmatched', why: `the report is about eve@example.com, recipient 0 of send ${id} is ann@example.com`});
	t.deepEqual(await match(postfixBounce(id, 2, 'full@example.com'), {only: new Set(['another'])}), {kind: 'skipped', sendId: id});
	// A report that only relays the message says nothing of the mailbox: ours, nothing recorded.
	t.like(await match(postfixBounce(id, 2, 'full@example.com').replace('Action: failed', 'Action: relayed')), {kind: 'ours', lines: []});
	// Without a Message-ID of its own, the report's key is its bytes' hash.
	t.like(await match(postfixBounce(id, 2, 'full@example.com'), {messageId: undefined, fallbackKey: 'sha256:ab'}), {lines: [{key: 'sha256:ab full@example.com'}]});
});

test('massmail\'s Message-ID read back: the send id may hold dots, the domain compares without case', t => {
	t.deepEqual(parseMessageId(`<${fixtureSendId}.7@Example.COM>`), {sendId: fixtureSendId, index: 7, domain: 'example.com'});
	t.deepEqual(parseMessageId('<a.b.12@x.example>'), {sendId: 'a.b', index: 12, domain: 'x.example'});
	t.is(parseMessageId('<20261207041511.2042A20C57F@localhost>'), undefined);
	t.is(parseMessageId(undefined), undefined);
});
