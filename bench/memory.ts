/**
 * Issue 21 item 9: memory at the edges, through the built program as users run it.
 * - a 50 MB message sent to 40 recipients over 20 connections into Postfix's smtp-sink (goal: peak ≤ 400 MB);
 * - 1,000,000 mailboxes in 50,000 domains imported from CSV (goal: peak ≤ 600 MB).
 * The peak is the kernel's maximum resident set size of the process (GNU time). `node --import=tsx bench/index.ts memory`.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {makeTempDir, removeTempDir} from './lib/children.js';
import {cliBuilt, cliEnv, cliNodeFlags, cliPath, firstError, writeDirectoryCsv} from './lib/fixtures.js';
import {findPostfixTool, postfixInstallHint, startSink} from './lib/postfix.js';
import {runMeasured} from './lib/run.js';
import {formatNumber, type Figure} from './lib/table.js';

const messageBytes = 50_000_000;
const recipients = 40;
const connections = 20;
const mailboxes = 1_000_000;
const domains = 50_000;
const messageGoalMb = 400;
const importGoalMb = 600;

/** About `bytes` of text in lines of some 70 characters, every 50th starting with a dot (dot-stuffed on the wire), with accented letters. */
function largeMessage(bytes: number): string {
	const lines: string[] = [];
	let size = 0;
	for (let index = 0; size < bytes; index++) {
		const line = `${index % 50 === 0 ? '.' : ''}Line ${index} of the long message: gr\u00FC\u00DFe, and text to fill the line.`;
		lines.push(line);
		size += Buffer.byteLength(line) + 1;
	}

	return lines.join('\n') + '\n';
}

function shown(command: string[], folder: string): string {
	return command.map(word => word.replace(folder, '$WORK')).join(' ');
}

async function messagePeak(work: string): Promise<Figure> {
	const name = `${messageBytes / 1e6} MB message, ${recipients} recipients, ${connections} connections: peak RSS`;
	const sinkBinary = findPostfixTool('smtp-sink');
	if (!sinkBinary) {
		console.log(`memory: ${name}: not measured. ${postfixInstallHint}`);
		return {part: 'memory', name, value: undefined, unit: 'MB', target: `≤ ${messageGoalMb}`, ok: undefined};
	}

	const configDir = path.join(work, 'send');
	mkdirSync(configDir, {mode: 0o700});
	const csv = path.join(work, 'recipients.csv');
	await writeDirectoryCsv(csv, recipients, 1);
	const imported = await runMeasured(process.execPath, [cliPath, 'import', csv], {env: cliEnv(configDir), timeoutMs: 60_000});
	if (imported.code !== 0) {
		throw new Error(`massmail import failed: ${firstError(imported.stderr)}`);
	}

	const messageFile = path.join(work, 'message.txt');
	writeFileSync(messageFile, largeMessage(messageBytes));
	const sink = await startSink(sinkBinary, work);
	try {
		const command = [process.execPath, ...cliNodeFlags(), cliPath, 'send', '--to', 'all', '--subject', 'Large', '--message-file', messageFile, '--concurrency', String(connections), '--yes', '--json'];
		console.log(`memory: ${shown(['MASSMAIL_SMTP_URL=smtp://127.0.0.1:PORT', '/usr/bin/time', '-v', 'node', ...command.slice(1)], work)}`);
		const result = await runMeasured(command[0], command.slice(1), {env: cliEnv(configDir, sink.port), timeoutMs: 600_000});
		await sink.waitFor(recipients, 5000);
		if (result.code !== 0 || sink.received() !== recipients) {
			throw new Error(`the send did not deliver all ${recipients} messages (exit ${result.code ?? result.signal}, ${sink.received()} at the sink): ${firstError(result.stderr || result.stdout)}`);
		}

		console.log(`memory: ${name}: ${result.peakMb === undefined ? 'not measured' : `${formatNumber(result.peakMb)} MB`} (goal ≤ ${messageGoalMb} MB), ${formatNumber(result.ms / 1000)} s`);
		return {part: 'memory', name, value: result.peakMb, unit: 'MB', target: `≤ ${messageGoalMb}`, ok: result.peakMb === undefined ? undefined : result.peakMb <= messageGoalMb};
	} finally {
		await sink.stop();
	}
}

async function importPeak(work: string): Promise<Figure> {
	const name = `import of ${formatNumber(mailboxes)} mailboxes in ${formatNumber(domains)} domains: peak RSS`;
	const csv = path.join(work, 'mailboxes.csv');
	await writeDirectoryCsv(csv, mailboxes, domains);
	const configDir = path.join(work, 'import');
	mkdirSync(configDir, {mode: 0o700});
	const command = [process.execPath, ...cliNodeFlags(), cliPath, 'import', csv];
	console.log(`memory: ${shown(['/usr/bin/time', '-v', 'node', ...command.slice(1)], work)}`);
	const result = await runMeasured(command[0], command.slice(1), {env: cliEnv(configDir), timeoutMs: 600_000});
	if (result.code !== 0) {
		throw new Error(`massmail import failed (exit ${result.code ?? result.signal}): ${firstError(result.stderr || result.stdout)}`);
	}

	console.log(`memory: ${name}: ${result.peakMb === undefined ? 'not measured' : `${formatNumber(result.peakMb)} MB`} (goal ≤ ${importGoalMb} MB), ${formatNumber(result.ms / 1000)} s`);
	return {part: 'memory', name, value: result.peakMb, unit: 'MB', target: `≤ ${importGoalMb}`, ok: result.peakMb === undefined ? undefined : result.peakMb <= importGoalMb};
}

/** Both peaks against their goals. */
export async function benchMemory(): Promise<Figure[]> {
	if (!cliBuilt()) {
		throw new Error('dist/cli.js is missing: run npm run build first');
	}

	const work = makeTempDir('memory');
	try {
		return [await messagePeak(work), await importPeak(work)];
	} finally {
		removeTempDir(work);
	}
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
	const {printTable, verdict} = await import('./lib/table.js');
	const figures = await benchMemory();
	printTable('== Memory ==', ['figure', 'value', 'unit', 'target', ''], figures.map(f => [f.name, f.value === undefined ? 'not measured' : formatNumber(f.value), f.unit, f.target, verdict(f.ok)]));
}
