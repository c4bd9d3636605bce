/**
 * `massmail sync` at the size PRODUCT.md asks for: 100,000 mailboxes in 5,000 domains, read from
 * a private PostgreSQL (PostfixAdmin's tables) and a private OpenLDAP (an iRedMail-like tree),
 * each through the built command line (`node dist/cli.js sync --yes`) into an empty
 * directory, then again with nothing to change. Wall time and peak memory of the whole process.
 * `node --import=tsx bench/index.ts sync`.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fillPostfixAdmin} from './lib/sql-directory.js';
import {startLdapDirectory} from './lib/ldap-directory.js';
import {makeTempDir, removeTempDir} from './lib/children.js';
import {runMeasured} from './lib/run.js';
import type {Figure} from './lib/table.js';
import {startPostgres} from '../test/helpers/postgres-server.js';

const cli = path.resolve(import.meta.dirname, '..', 'dist', 'cli.js');

async function massmail(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
	const result = await runMeasured(process.execPath, [cli, ...args], {env: {...process.env, ...env, MASSMAIL_CONFIG_DIR: dir}, timeoutMs: 120_000});
	if (result.code !== 0) {
		throw new Error(`massmail ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(-600)}`);
	}

	return result;
}

async function configure(dir: string, settings: Array<[string, string]>): Promise<void> {
	for (const [key, value] of settings) {
		await massmail(dir, ['config', 'set', key, value]);
	}
}

/** Two syncs into a fresh data folder: the first adds every mailbox, the second changes nothing. */
async function measure(label: string, settings: Array<[string, string]>, env: NodeJS.ProcessEnv, target: {seconds: number}): Promise<Figure[]> {
	const dir = makeTempDir('sync');
	try {
		await configure(dir, settings);
		// Without --json: its 100,000 addresses would be most of the work measured.
		const first = await massmail(dir, ['sync', '--yes'], env);
		const added = Number(/Synced: (\d+) mailboxes/.exec(first.stdout)?.[1]);
		const second = await massmail(dir, ['sync', '--yes'], env);
		const size = fs.statSync(path.join(dir, 'directory.json')).size;
		console.log(`${label}: ${added} mailboxes; first sync ${(first.ms / 1000).toFixed(2)} s, ${first.peakMb?.toFixed(0)} MB; unchanged sync ${(second.ms / 1000).toFixed(2)} s, ${second.peakMb?.toFixed(0)} MB; directory.json ${(size / 1e6).toFixed(1)} MB`);
		return [
			{part: 'sync', name: `${label}: 100,000 mailboxes into an empty directory`, value: first.ms / 1000, unit: 's', target: `≤ ${target.seconds}`, ok: first.ms / 1000 <= target.seconds && added === 100_000},
			{part: 'sync', name: `${label}: peak memory`, value: first.peakMb, unit: 'MB', target: '≤ 300', ok: first.peakMb === undefined ? undefined : first.peakMb <= 300},
			{part: 'sync', name: `${label}: nothing to change`, value: second.ms / 1000, unit: 's', target: `≤ ${target.seconds}`, ok: second.ms / 1000 <= target.seconds},
		];
	} finally {
		removeTempDir(dir);
	}
}

export async function benchSync(): Promise<Figure[]> {
	const figures: Figure[] = [];
	const postgres = await startPostgres();
	try {
		const filled = await fillPostfixAdmin(postgres);
		figures.push(...await measure('PostgreSQL', [
			['directory.source', 'sql'], ['directory.sql.url', postgres.url(filled.database)], ['directory.sql.query', filled.query],
		], {MASSMAIL_DIRECTORY_PASSWORD: postgres.reader.password}, {seconds: 5}));
	} finally {
		await postgres.stop();
	}

	const ldap = await startLdapDirectory({mailboxes: 100_000, domains: 5000});
	try {
		const {source} = ldap;
		figures.push(...await measure('OpenLDAP', [
			['directory.source', 'ldap'], ['directory.ldap.url', source.url], ['directory.ldap.bindDn', source.bindDn], ['directory.ldap.base', source.base],
			...Object.entries(source).filter(([key]) => key.endsWith('Filter') || key === 'filter').map(([key, value]): [string, string] => [`directory.ldap.${key}`, String(value)]),
		], {MASSMAIL_DIRECTORY_PASSWORD: source.password}, {seconds: 15}));
	} finally {
		await ldap.server.stop();
	}

	return figures;
}
