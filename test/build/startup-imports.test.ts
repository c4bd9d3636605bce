/**
 * What the built command line loads before it does anything: dist/cli.js and the chunks it
 * imports statically, transitively. A library only some commands need goes in a chunk imported
 * when one of them runs, not into every start: chrono-node (reading `--at`) took 50-60 ms to load
 * here, and was loaded by every `massmail send`, history and list.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** dist/cli.js and every chunk it imports statically (`import … from "./chunks/x.js"`), not those it imports with import(). */
function loadedAtStart(): Map<string, string> {
	const files = new Map<string, string>();
	const visit = (file: string) => {
		if (files.has(file)) {
			return;
		}

		const text = readFileSync(file, 'utf8');
		files.set(file, text);
		// A static import or re-export may span lines (`import {\n  a,\n} from "./x.js";`); `import("./x.js")` is not one.
		for (const match of text.matchAll(/^(?:import|export)\s(?:[^;"'()]*?from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/gm)) {
			visit(path.resolve(path.dirname(file), match[1]!));
		}
	};

	visit(path.join(dist, 'cli.js'));
	return files;
}

/** The packages bundled into a file: esbuild marks each module with a `// node_modules/NAME/…` line (`// ../x/node_modules/…` when node_modules is a link). */
function packagesIn(text: string): Set<string> {
	return new Set([...text.matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm)].map(match => match[1]!));
}

test('the command line\'s start loads neither chrono-node nor the dashboard: they come with the commands that use them', t => {
	const files = loadedAtStart();
	t.true(files.size > 1, 'dist/cli.js imports chunks statically');
	const packages = new Set([...files.values()].flatMap(text => [...packagesIn(text)]));
	const bundled = new Set(readdirSync(path.join(dist, 'chunks')).flatMap(name => [...packagesIn(readFileSync(path.join(dist, 'chunks', name), 'utf8'))]));
	t.true(bundled.has('chrono-node') && bundled.has('ink'), 'the bundle\'s chunks name the packages in them');
	for (const lazy of ['chrono-node', 'ink', 'react']) {
		t.false(packages.has(lazy), `${lazy} is loaded by every command: ${[...files.keys()].filter(file => packagesIn(files.get(file)!).has(lazy)).map(file => path.relative(dist, file)).join(', ')}`);
	}
});
