// `npm start`: bundle the program (scripts/bundle.mjs, a second or two) only when a source is
// newer than the last build, then open the dashboard on the demo profile in this same process.
// One Node start instead of two (a build check, then the program) is ~0.1 s of the first frame;
// npm's own start is another ~0.2-0.3 s that only running dist/cli.js directly avoids.
// The stamp is dist/.build-stamp, written by scripts/bundle.mjs after a build that succeeded
// (by `npm run build` too). Type checking is `npm run typecheck`'s (and `npm test`'s): starting
// needs none. Run as `node --max-semi-space-size=4 --no-allocation-site-pretenuring scripts/start.mjs`:
// the flags of cli.js's `#!`.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {pathToFileURL} from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['cli.tsx', 'source', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/bundle.mjs', 'scripts/ink-patches.mjs'];

/** The newest modification time under a file or folder, in ms. */
function newest(entry) {
	let stat;
	try {
		stat = fs.statSync(entry);
	} catch {
		return 0;
	}

	if (!stat.isDirectory()) {
		return stat.mtimeMs;
	}

	let latest = stat.mtimeMs;
	for (const name of fs.readdirSync(entry)) {
		latest = Math.max(latest, newest(path.join(entry, name)));
	}

	return latest;
}

const built = fs.existsSync(cli) && fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
const changed = Math.max(...inputs.map(input => newest(path.join(root, input))));
let ready = true;
if (changed > built) {
	process.stderr.write('Building massmail (sources changed since the last build)…\n');
	try {
		// In a child: the dashboard's process never loads esbuild.
		execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.mjs')], {stdio: 'inherit', cwd: root});
	} catch {
		// esbuild has printed what failed.
		ready = false;
		process.exitCode = 1;
	}
}

if (ready) {
	// As `node dist/cli.js --demo` would see it, with what follows `npm start --` after it (the
	// schedule timer reads argv[1] for the program's path).
	process.argv.splice(1, 1, cli, '--demo');
	await import(pathToFileURL(cli).href);
}
