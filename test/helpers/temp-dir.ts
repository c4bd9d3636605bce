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

/** The sender address every test installation has, unless made `bare`. */
export const testSenderAddress = 'postmaster@mail.example.net';

/**
 * A data folder for one test. It holds a settings file with `sender.address` set, as an
 * administrator sets it once: on a machine without a fully qualified name (CI's host is `vm`)
 * there is no default sender and a send to a real server is refused. `bare`: no settings file
 * at all, for the tests of a new installation's defaults.
 */
export function tempConfigDir(t: ExecutionContext, options: {bare?: boolean} = {}): TempConfig {
	const dir = tempFolder(t, 'massmail-test-');
	if (!options.bare) {
		fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({sender: {address: testSenderAddress}}), {mode: 0o600});
	}

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
