// `npm start`'s first step: compile with tsc only when a source is newer than the last build,
// so that a start with nothing changed draws its first frame in about a second, not after a
// 5-10 s compile. The stamp is dist/.build-stamp, written after a build that succeeded.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['cli.tsx', 'source', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

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

const built = fs.existsSync(path.join(root, 'dist', 'cli.js')) && fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
const changed = Math.max(...inputs.map(input => newest(path.join(root, input))));
if (changed > built) {
	process.stderr.write('Building massmail (sources changed since the last build)…\n');
	try {
		execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], {stdio: 'inherit', cwd: root});
	} catch {
		process.exitCode = 1;
	}

	if (process.exitCode !== 1) {
		fs.writeFileSync(stamp, new Date().toISOString() + '\n');
	}
}
