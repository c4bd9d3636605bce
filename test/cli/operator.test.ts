/**
 * Who started a send: on a server with several administrators, history and show name the login
 * (the one behind sudo), the SSH client's address, and the host.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {lastJsonLine, runCli} from '../helpers/cli.js';
import {startTestSmtpServer} from '../helpers/smtp-test-server.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

test('history --json, show --json and show name the operator: SUDO_USER, the SSH client from SSH_CONNECTION, the host; an older record says null', async t => {
	const smtp = await startTestSmtpServer();
	t.teardown(async () => smtp.close());
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, 'email,name,role,disabled\nann@example.com,Ann,user,\n');
	t.is((await runCli(['import', csv], {configDir: dir})).code, 0);
	const env = {MASSMAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SUDO_USER: 'hfischer', SSH_CONNECTION: '192.0.2.9 51234 192.0.2.1 22'};
	const sent = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env});
	t.is(sent.code, 0, sent.stderr);
	const {id} = lastJsonLine(sent.stdout);
	const local = await runCli(['send', '--to', 'all', '--subject', 'Local', '--message', 'M', '--yes', '--json'], {configDir: dir, env: {MASSMAIL_SMTP_URL: env.MASSMAIL_SMTP_URL, SUDO_USER: '', SSH_CONNECTION: '', SSH_CLIENT: ''}});
	const localId = lastJsonLine(local.stdout).id as string;

	const history = JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout) as Array<{id: string; operator: unknown}>;
	const host = history.find(send => send.id === id)!.operator as {host: string};
	t.true(host.host.length > 0);
	t.deepEqual(history.find(send => send.id === id)!.operator, {user: 'hfischer', from: '192.0.2.9', host: host.host});
	t.deepEqual(history.find(send => send.id === localId)!.operator, {user: os.userInfo().username, from: null, host: host.host}, 'no SSH session, no terminal: from is null');
	t.like(JSON.parse((await runCli(['show', id, '--json'], {configDir: dir})).stdout), {id, operator: {user: 'hfischer', from: '192.0.2.9'}});
	t.regex((await runCli(['show', id], {configDir: dir})).stdout, new RegExp(`^By: +hfischer from 192\\.0\\.2\\.9 on ${host.host.replaceAll('.', '\\.')}$`, 'm'));
	t.regex((await runCli(['history'], {configDir: dir})).stdout, /^ID +WHEN +KIND +BY +STATUS/m);

	// A record written before the operator was kept.
	const record = path.join(dir, 'sends', id, 'send.json');
	const {operator: _dropped, ...older} = JSON.parse(readFileSync(record, 'utf8')) as Record<string, unknown>;
	writeFileSync(record, JSON.stringify(older));
	t.is(JSON.parse((await runCli(['history', '--json'], {configDir: dir})).stdout).find((send: {id: string}) => send.id === id).operator, null);
	t.regex((await runCli(['show', id], {configDir: dir})).stdout, /^By: +not recorded/m);
});
