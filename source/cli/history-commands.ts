/** history, show, config: reading the send records and the settings. */
import {SendLog} from '../core/journal.js';
import {SettingsStore} from '../core/settings.js';
import {reportCsv} from '../core/report.js';
import type {SendSummary} from '../core/types.js';
import {formatCount} from '../core/format.js';
import type {Command} from './command.js';
import {json, table} from './output.js';

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

const historyCommand: Command = {
	name: 'history',
	arity: [0, 0],
	summary: 'List every send, newest first.',
	options: {json: {type: 'boolean', description: 'print [{"id","kind","subject","createdAt","total","sent","failed","status"}]'}},
	async run({options, io, store}) {
		const sends = new SendLog(store().paths.sendsDir).list();
		if (options.json) {
			io.out(json(sends));
		} else if (sends.length === 0) {
			io.out('Nothing sent yet.');
		} else {
			io.out(table(['ID', 'WHEN', 'KIND', 'STATUS', 'SENT', 'FAILED', 'TOTAL', 'AUDIENCE', 'SUBJECT'],
				sends.map(s => [s.id, when(s.createdAt), s.kind, s.status, s.sent, s.failed, s.total, s.audience, s.subject])));
		}

		return 0;
	},
};

function describeSummary(s: SendSummary): string[] {
	return [
		`Send ${s.id} (${s.kind}), ${when(s.createdAt)}: ${s.status}`,
		`Subject:  ${s.subject}`,
		`Audience: ${s.audience}${s.followUpOf ? ` (follow-up of ${s.followUpOf})` : ''}`,
		`Sent ${formatCount(s.sent)}, failed ${formatCount(s.failed)}, of ${formatCount(s.total)}${s.captured ? ' — to local capture: nothing left this machine' : ''}`,
	];
}

const showCommand: Command = {
	name: 'show',
	args: 'SEND_ID',
	arity: [1, 1],
	summary: 'Show one send: its counts and each recipient\'s outcome, attempts and the server\'s reply.',
	options: {
		json: {type: 'boolean', description: 'the history object plus "recipients": [{"address","status","attempts","response"}]'},
		csv: {type: 'boolean', description: 'the per-recipient report as CSV'},
		failed: {type: 'boolean', description: 'only the failed recipients'},
	},
	async run({args, options, io, store}) {
		const sends = new SendLog(store().paths.sendsDir);
		const summary = sends.summary(args[0]!);
		let recipients = sends.recipients(args[0]!);
		if (options.failed) {
			recipients = recipients.filter(r => r.status === 'failed');
		}

		if (options.json) {
			io.out(json({...summary, recipients}));
		} else if (options.csv) {
			io.out(reportCsv(recipients));
		} else {
			io.out(describeSummary(summary).join('\n'));
			if (recipients.length > 0) {
				io.out('');
				io.out(table(['ADDRESS', 'STATUS', 'ATTEMPTS', 'RESPONSE'], recipients.map(r => [r.address, r.status, r.attempts, r.response ?? ''])));
			}
		}

		return 0;
	},
};

const configListCommand: Command = {
	name: 'config list',
	arity: [0, 0],
	summary: 'Show every setting and its value.',
	async run({io, store}) {
		const settings = store().settings;
		io.out(table(['KEY', 'VALUE', 'MEANING'], SettingsStore.keys().map(({key, description}) => [key, String(settings.getKey(key)), description])));
		return 0;
	},
};

const configGetCommand: Command = {
	name: 'config get',
	args: 'KEY',
	arity: [1, 1],
	summary: 'Print one setting.',
	async run({args, io, store}) {
		io.out(String(store().settings.getKey(args[0]!)));
		return 0;
	},
};

const configSetCommand: Command = {
	name: 'config set',
	args: 'KEY VALUE',
	arity: [2, 2],
	summary: 'Change one setting. The SMTP password is never stored: use MASSMAIL_SMTP_PASSWORD or smtp.passwordCommand.',
	async run({args, io, store}) {
		const settings = store().settings;
		settings.setKey(args[0]!, args[1]!);
		io.out(`${args[0]} = ${String(settings.getKey(args[0]!))}`);
		return 0;
	},
};

export const historyCommands: Command[] = [historyCommand, showCommand, configListCommand, configGetCommand, configSetCommand];
