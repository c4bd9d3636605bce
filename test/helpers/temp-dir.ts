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
	const dir = tempFolder(t, 'massmail-test-');
	return {dir, env: {...process.env, MASSMAIL_CONFIG_DIR: dir}};
}

/** A new temporary folder, removed when the test ends (whether it passed or not). */
export function tempFolder(t: Pick<ExecutionContext, 'teardown'>, prefix: string): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	t.teardown(() => {
		fs.rmSync(dir, {recursive: true, force: true});
	});
	return dir;
}

/** The path of a file in test/fixtures. */
export function fixture(name: string): string {
	return path.join(import.meta.dirname, '..', 'fixtures', name);
}
