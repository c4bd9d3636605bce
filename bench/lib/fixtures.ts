/**
 * What the benchmarks send and to whom: a directory CSV of N mailboxes in M domains,
 * a ~2 KB message, and the built command line to import and send them.
 */
import {createWriteStream, existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {once} from 'node:events';
import {runMeasured, type RunResult} from './run.js';

/** The repository's root folder. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built command line (`npm run build`). */
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

/** The Node flags of the program's own `#!` line, so the benchmarks run it as `massmail` runs. */
export function cliNodeFlags(): string[] {
	if (!existsSync(cliPath)) {
		return [];
	}

	const shebang = readFileSync(cliPath, 'utf8').split('\n', 1)[0]!;
	const words = shebang.replace(/^#!\S*env\s+(-S\s+)?/, '').split(/\s+/);
	return words[0] === 'node' ? words.slice(1) : [];
}

export function cliBuilt(): boolean {
	return existsSync(cliPath);
}

/** `d0042.example.com`: zero-padded so that alphabetical order is creation order. */
export function domainName(index: number): string {
	return `d${String(index).padStart(4, '0')}.example.com`;
}

/**
 * Write `email,name,role,disabled` rows: `mailboxes` spread evenly over `domains`, each domain with
 * one primary administrator, two administrators and users; none disabled, so every row is a recipient.
 */
export async function writeDirectoryCsv(file: string, mailboxes: number, domains: number): Promise<void> {
	const out = createWriteStream(file);
	out.write('email,name,role,disabled\n');
	let chunk = '';
	for (let index = 0; index < mailboxes; index++) {
		const domain = index % domains;
		const slot = Math.floor(index / domains);
		const role = slot === 0 ? 'primary' : (slot <= 2 ? 'admin' : 'user');
		chunk += `user${index}@${domainName(domain)},"User ${index}, Bench",${role},false\n`;
		if (chunk.length > 64 * 1024) {
			if (!out.write(chunk)) {
				await once(out, 'drain');
			}

			chunk = '';
		}
	}

	out.end(chunk);
	await once(out, 'finish');
}

/** A plain-text message of about `bytes` bytes (lines of 72 characters). */
export function messageText(bytes = 2048): string {
	const words = 'The mail server will be down for maintenance on Saturday night between two and four; please save your work and log out before then.'.split(' ');
	const lines: string[] = [];
	let line = '';
	let total = 0;
	let index = 0;
	while (total < bytes) {
		const word = words[index++ % words.length];
		if (line.length + word.length + 1 > 72) {
			lines.push(line);
			total += line.length + 1;
			line = '';
		}

		line = line ? `${line} ${word}` : word;
	}

	return lines.join('\n') + '\n';
}

export function writeMessageFile(file: string, bytes = 2048): void {
	writeFileSync(file, messageText(bytes));
}

/**
 * A sender address in the data folder's settings, as an administrator sets it once: on a machine
 * without a fully qualified name (this one's host is `vm`) there is no default, and a send to a
 * real server is refused. Leaves settings that are already there alone.
 */
export function ensureSenderAddress(configDir: string): void {
	const file = path.join(configDir, 'settings.json');
	if (!existsSync(file)) {
		writeFileSync(file, JSON.stringify({sender: {address: 'postmaster@bench.example.net'}}), {mode: 0o600});
	}
}

/** The environment the command line runs in: its own data folder (with a sender address), and optionally an SMTP server. */
export function cliEnv(configDir: string, smtpPort?: number): NodeJS.ProcessEnv {
	ensureSenderAddress(configDir);
	const env: NodeJS.ProcessEnv = {...process.env, MASSMAIL_CONFIG_DIR: configDir, NO_COLOR: '1'};
	delete env.MASSMAIL_SMTP_PASSWORD;
	if (smtpPort === undefined) {
		delete env.MASSMAIL_SMTP_URL;
	} else {
		env.MASSMAIL_SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;
	}

	return env;
}

/** The line of a program's output that says what went wrong (a stack trace's "Error: …" line), else its end. */
export function firstError(output: string): string {
	const lines = output.trim().split('\n');
	return lines.find(line => /^\w*Error\b|^massmail:/.test(line.trim()))?.trim() ?? lines.slice(-3).join(' | ').slice(0, 500);
}

/** `massmail import FILE.csv` into `configDir`; throws with the program's words when it fails. */
export async function importDirectory(configDir: string, csvFile: string): Promise<RunResult> {
	const result = await runMeasured(process.execPath, [cliPath, 'import', csvFile], {env: cliEnv(configDir), timeoutMs: 120_000});
	if (result.code !== 0) {
		throw new Error(`massmail import failed (exit ${result.code ?? result.signal}): ${firstError(result.stderr || result.stdout)}`);
	}

	return result;
}
