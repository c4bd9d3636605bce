/**
 * A fresh MASSMAIL_CONFIG_DIR per test, removed when the test ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {ExecutionContext} from 'ava';

export interface TempConfig {
	/** The folder, also MASSMAIL_CONFIG_DIR in `env`. */
	dir: string;
	/** process.env plus MASSMAIL_CONFIG_DIR: pass to openStore/resolvePaths or a child process. */
	env: NodeJS.ProcessEnv;
}

export function tempConfigDir(t: ExecutionContext): TempConfig {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-test-'));
	t.teardown(() => {
		fs.rmSync(dir, {recursive: true, force: true});
	});
	return {dir, env: {...process.env, MASSMAIL_CONFIG_DIR: dir}};
}

/** The path of a file in test/fixtures. */
export function fixture(name: string): string {
	return path.join(import.meta.dirname, '..', 'fixtures', name);
}
