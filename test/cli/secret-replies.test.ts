/**
 * A server that says the password back (issue 21, item 3): in the reply refusing the login — the
 * base64 of what AUTH PLAIN or AUTH LOGIN sent, as some servers quote it — or in a reply after the
 * login. The password is in none of what massmail prints, stores or exports, in any of its forms.
 * A real SMTP server (smtp-server) on 127.0.0.1, the built command line.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {SMTPServer, type SMTPServerOptions} from 'smtp-server';
import {listenOnLoopback} from '../../source/core/capture-server.js';
import {lastJsonLine, runCli} from '../helpers/cli.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const user = 'admin';
const password = 'Hunter2Secret-9f3';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** Every form of the password a server could quote: AUTH PLAIN's, AUTH LOGIN's, a quote cut short, the password. */
const forms = [password, b64(`\u0000${user}\u0000${password}`), b64(password), b64(`\u0000${user}\u0000${password}`).slice(0, 16), b64(password).replace(/=+$/, '')];

function leaked(text: string): string[] {
	return forms.filter(form => text.includes(form));
}

async function start(t: ExecutionContext, options: Partial<SMTPServerOptions>): Promise<number> {
	const server = new SMTPServer({logger: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true, ...options});
	server.on('error', () => undefined);
	const port = await listenOnLoopback(server);
	t.teardown(async () => new Promise<void>(resolve => {
		server.close(() => {
			resolve();
		});
	}));
	return port;
}

async function directory(t: ExecutionContext): Promise<string> {
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	fs.writeFileSync(csv, 'email,name,role,disabled\nann@example.com,Ann,user,\nbob@example.com,Bob,user,\n');
	const imported = await runCli(['import', csv], {configDir: dir});
	t.is(imported.code, 0, imported.stderr);
	return dir;
}

function env(port: number): NodeJS.ProcessEnv {
	return {MASSMAIL_SMTP_URL: `smtp://${user}@127.0.0.1:${port}`, MASSMAIL_SMTP_PASSWORD: password};
}

/** Every file of the data folder, as latin1 text (the password's bytes show whatever the encoding). */
function filesOf(dir: string): Array<{file: string; text: string}> {
	return fs.readdirSync(dir, {recursive: true, withFileTypes: true})
		.filter(entry => entry.isFile())
		.map(entry => {
			const file = path.join(entry.parentPath, entry.name);
			return {file, text: fs.readFileSync(file, 'latin1')};
		});
}

for (const method of ['PLAIN', 'LOGIN'] as const) {
	test(`a login refused with the base64 of what AUTH ${method} sent quoted back: the error shows neither it nor the password`, async t => {
		const port = await start(t, {
			authMethods: [method],
			onAuth(auth, _session, callback) {
				// What the client sent, as the server received it, quoted back the way some servers log it.
				const sent = method === 'PLAIN' ? b64(`\u0000${auth.username ?? ''}\u0000${auth.password ?? ''}`) : b64(auth.password ?? '');
				callback(Object.assign(new Error(`5.7.8 Authentication failed for ${sent} (${auth.password ?? ''})`), {responseCode: 535}));
			},
		});
		const dir = await directory(t);
		const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes'], {configDir: dir, env: env(port)});
		t.is(result.code, 3, result.stderr);
		t.regex(result.stderr, /refused the login of "admin": .*Authentication failed for \*\*\* \(\*\*\*\)/);
		t.deepEqual(leaked(result.stdout + result.stderr), []);
		for (const {file, text} of filesOf(dir)) {
			t.deepEqual(leaked(text), [], file);
		}
	});
}

test('a server that says the password back after the login: not in the output, the record, show --json or --csv', async t => {
	const port = await start(t, {
		authMethods: ['PLAIN'],
		onAuth(auth, _session, callback) {
			callback(null, {user: auth.username});
		},
		onRcptTo(address, _session, callback) {
			if (address.address.startsWith('bob@')) {
				callback(Object.assign(new Error(`5.1.1 no mailbox; you are ${user}:${password} ${b64(`\u0000${user}\u0000${password}`)}`), {responseCode: 550}));
				return;
			}

			callback();
		},
		onData(stream, _session, callback) {
			stream.resume();
			stream.on('end', () => {
				callback(null, `Ok: queued for ${password} (${b64(password)})`);
			});
		},
	});
	const dir = await directory(t);
	const result = await runCli(['send', '--to', 'all', '--subject', 'S', '--message', 'M', '--yes', '--json'], {configDir: dir, env: env(port)});
	t.is(result.code, 1, result.stderr);
	t.deepEqual(leaked(result.stdout + result.stderr), []);
	const {id} = lastJsonLine(result.stdout) as {id: string};

	const show = await runCli(['show', id, '--json'], {configDir: dir});
	t.is(show.code, 0, show.stderr);
	const recipients = (JSON.parse(show.stdout) as {recipients: Array<{address: string; response: string}>}).recipients;
	t.deepEqual(recipients.map(each => [each.address, each.response]), [
		['ann@example.com', '250 Ok: queued for *** (***)'],
		['bob@example.com', '550 5.1.1 no mailbox; you are admin:*** ***'],
	]);
	const csv = await runCli(['show', id, '--csv'], {configDir: dir});
	const text = await runCli(['show', id], {configDir: dir});
	t.deepEqual(leaked(show.stdout + csv.stdout + text.stdout + text.stderr), []);
	for (const {file, text: content} of filesOf(dir)) {
		t.deepEqual(leaked(content), [], file);
	}
});
