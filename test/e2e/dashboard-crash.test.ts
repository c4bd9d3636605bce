/**
 * The dashboard meeting a bug: an error thrown outside any handler (planted by a preloaded
 * script) ends it with the exit table's internal-error status, 70, the screen restored and the
 * error said as an internal one.
 */
import path from 'node:path';
import test from 'ava';
import {tempConfigDir} from '../helpers/temp-dir.js';
import {projectRoot, spawnTerminal} from '../helpers/terminal.js';

test('an unexpected error in the dashboard exits 70 and says it is an internal error', async t => {
	const {env} = tempConfigDir(t);
	const term = spawnTerminal([], {
		env,
		command: [process.execPath, '--import', path.join(projectRoot, 'test', 'fixtures', 'throw-later.mjs'), path.join(projectRoot, 'dist', 'cli.js')],
	});
	t.teardown(() => {
		term.kill('SIGKILL');
	});
	await term.waitFor('q Quit');
	term.kill('SIGUSR2');
	const {exitCode} = await term.waitForExit(15_000);
	t.is(exitCode, 70);
	t.true(term.output().includes('massmail: internal error'), term.output().slice(-400));
	t.true(term.output().includes('a bug planted by the test'));
	// The alternate screen was left: the shell's screen is back.
	t.true(term.output().includes('\u001B[?1049l'));
});
