/**
 * A data folder whose directory holds `LOCAL@example.com` users, imported through the built
 * command line as an administrator would: the start of most command-line send tests.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {runCli} from './cli.js';
import {tempConfigDir} from './temp-dir.js';

/** The folder (MASSMAIL_CONFIG_DIR) after importing one user per local part. */
export async function importedDirectory(t: ExecutionContext, locals: string[]): Promise<string> {
	const {dir} = tempConfigDir(t);
	const csv = path.join(dir, 'users.csv');
	writeFileSync(csv, ['email,name,role,disabled', ...locals.map(local => `${local}@example.com,,user,`)].join('\n'));
	const result = await runCli(['import', csv], {configDir: dir});
	t.is(result.code, 0, result.stderr);
	return dir;
}

/** `count` local parts: `u0`, `u1`, … */
export function numbered(prefix: string, count: number): string[] {
	return Array.from({length: count}, (_, i) => `${prefix}${i}`);
}
