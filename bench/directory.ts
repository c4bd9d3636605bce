/**
 * The directory at the size PRODUCT.md asks for: 100,000 mailboxes in 5,000 domains.
 * `node --import=tsx bench/directory.ts` (also part of `npm run bench`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {pathToFileURL} from 'node:url';
import {openStore} from '../source/core/store.js';
import {importCsv} from '../source/core/import.js';
import {resolveGroup} from '../source/core/groups.js';

const domainCount = 5000;
const perDomain = 20;

function makeCsv(): string {
	const lines = ['email,name,role,disabled'];
	for (let d = 0; d < domainCount; d++) {
		const domain = `domain-${d}.example`;
		for (let u = 0; u < perDomain; u++) {
			const role = u === 0 ? 'primary' : (u === 1 ? 'admin' : 'user');
			const disabled = u === perDomain - 1 ? 'yes' : '';
			lines.push(`user${u}@${domain},"User ${u}, of ${domain}",${role},${disabled}`);
		}
	}

	return lines.join('\n') + '\n';
}

function time<T>(label: string, run: () => T): T {
	const start = performance.now();
	const result = run();
	console.log(`${label.padEnd(44)} ${(performance.now() - start).toFixed(0).padStart(6)} ms`);
	return result;
}

/** Prints the time of each step and the peak memory. */
export async function benchDirectory(): Promise<void> {
	const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'massmail-bench-'));
	try {
		const env = {...process.env, MASSMAIL_CONFIG_DIR: dir};
		const csvFile = path.join(dir, 'mailboxes.csv');
		await fs.promises.writeFile(csvFile, makeCsv());
		console.log(`directory: ${domainCount * perDomain} mailboxes in ${domainCount} domains`);
		time('import (read + parse + check + save)', () => {
			const store = openStore({env});
			const text = fs.readFileSync(csvFile, 'utf8');
			const {directory} = importCsv(store.directory(), text, csvFile);
			store.saveDirectory(directory);
		});
		const directory = time('load directory.json', () => openStore({env}).directory());
		const domains = time('domains() (5,000 summaries)', () => directory.domains());
		time('JSON of the domain list', () => JSON.stringify(domains));
		const all = time('resolveGroup all', () => resolveGroup(directory, {kind: 'all'}));
		time('resolveGroup all (again)', () => resolveGroup(directory, {kind: 'all'}));
		const admins = time('resolveGroup admins', () => resolveGroup(directory, {kind: 'admins'}));
		time('resolveGroup primary-admins', () => resolveGroup(directory, {kind: 'primary-admins'}));
		time('re-import the same file (all updates)', () => importCsv(directory, fs.readFileSync(csvFile, 'utf8'), csvFile));
		console.log(`all: ${all.recipients.length} recipients, ${all.skipped.length} skipped; admins: ${admins.recipients.length}`);
		console.log(`directory.json: ${(fs.statSync(path.join(dir, 'directory.json')).size / 1e6).toFixed(1)} MB`);
		console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
	} finally {
		await fs.promises.rm(dir, {recursive: true, force: true});
	}
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
	await benchDirectory();
}
