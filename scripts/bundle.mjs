// The program as users run it: cli.tsx and everything it imports, node_modules included, in one
// file, dist/cli.js. Loading Ink and React from their ~hundreds of small modules took ~0.5-0.8 s
// of the dashboard's start (ESM resolution, the CommonJS lexer, a stat and an open per file:
// `node --cpu-prof`); one file is parsed in a fraction of that. tsc still checks the types
// (`npm run typecheck`) and emits dist/source/ for the benchmarks that import the core.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {build} from 'esbuild';
import {inkFramePatches} from './ink-patches.mjs';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Ink imports react-devtools-core (not installed) only under DEV=true, and then says how to install
 * it when the import fails with ERR_MODULE_NOT_FOUND. Left external, its static import would be
 * hoisted to the bundle's top and fail every start; this stub fails the same way, when imported.
 */
const missingDevtools = {
	name: 'missing-react-devtools-core',
	setup(builder) {
		builder.onResolve({filter: /^react-devtools-core$/}, () => ({path: 'react-devtools-core', namespace: 'missing'}));
		builder.onLoad({filter: /.*/, namespace: 'missing'}, () => ({
			contents: 'throw Object.assign(new Error("Cannot find package \'react-devtools-core\'"), {code: "ERR_MODULE_NOT_FOUND"});',
			loader: 'js',
		}));
	},
};

/**
 * Chunks are named by their content's hash. Those this build did not make are an earlier build's:
 * a massmail started before this build (a dashboard left open, a long send) may still load one of
 * them later, so they go only once a day old. (esbuild leaves a file it would write unchanged as it
 * is, so the time of this build's own chunks says nothing.)
 */
function removeOldChunks(made) {
	const folder = path.join(root, 'dist', 'chunks');
	const before = Date.now() - (24 * 60 * 60 * 1000);
	const names = fs.existsSync(folder) ? fs.readdirSync(folder) : [];
	for (const name of names) {
		const file = path.join(folder, name);
		if (!made.has(file) && fs.statSync(file).mtimeMs < before) {
			fs.rmSync(file, {force: true});
		}
	}
}

/**
 * Yoga (Ink's layout engine) carries its WebAssembly as a base64 data: URL and, where `fetch`
 * exists, fetches it: in Node that first call of fetch loads undici, ~0.1 s of the dashboard's
 * first frame, to decode a string. Told that there is no fetch, it decodes the string itself
 * (atob) and instantiates the same bytes. A Yoga whose loader no longer reads this way is bundled
 * as it is (and the build says so).
 */
const yogaWithoutFetch = {
	name: 'yoga-without-fetch',
	setup(builder) {
		builder.onLoad({filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/}, async args => {
			const source = await fs.promises.readFile(args.path, 'utf8');
			const fetchTest = '"function"!=typeof fetch';
			if (!source.includes(fetchTest)) {
				return {contents: source, loader: 'js', warnings: [{text: `${args.path} no longer tests for fetch as expected: bundled as it is (Yoga may load undici at start)`}]};
			}

			return {contents: source.replaceAll(fetchTest, 'true'), loader: 'js'};
		});
	},
};

async function bundle() {
	const result = await build({
		absWorkingDir: root,
		entryPoints: ['cli.tsx'],
		outdir: 'dist',
		// The dashboard and the commands' own dynamic imports become chunks loaded when asked for,
		// as real ES modules: Ink's top-level await does not sit inside esbuild's lazy wrappers,
		// where an import cycle waiting on it never settles (exit status 13), and the commands
		// that draw nothing do not parse Ink and React.
		splitting: true,
		chunkNames: 'chunks/[name]-[hash]',
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: 'node20',
		tsconfig: 'tsconfig.build.json',
		// The CommonJS packages bundled here call require() for Node's own modules, and a few read
		// __dirname: an ES module has neither, so the bundle makes them (under names no module uses).
		banner: {
			js: [
				'import {createRequire as __massmailCreateRequire} from \'node:module\';',
				'import {fileURLToPath as __massmailFileURLToPath} from \'node:url\';',
				'const require = __massmailCreateRequire(import.meta.url);',
				'const __filename = __massmailFileURLToPath(import.meta.url);',
				'const __dirname = __massmailFileURLToPath(new URL(\'.\', import.meta.url));',
			].join('\n'),
		},
		// pg loads pg-native, an optional package that is not installed, only for `new
		// pg.native.Client`, which massmail never asks for: left to a require() at run time.
		external: ['pg-native'],
		// React, its reconciler and the scheduler in their production builds only: main.ts sets
		// NODE_ENV=production before the dashboard's import anyway (unless it is set), and the
		// development reconciler (750 KB, in a function V8 compiles eagerly) was compiled at every
		// start for nothing: ~0.05-0.1 s of the first frame. main.ts's assignment stays for the
		// program run from source; here it assigns to a constant, which esbuild would warn about.
		define: {'process.env.NODE_ENV': '"production"'},
		logOverride: {'assign-to-define': 'silent'},
		plugins: [missingDevtools, yogaWithoutFetch, ...inkFramePatches],
		metafile: true,
		logLevel: 'warning',
	});
	removeOldChunks(new Set(Object.keys(result.metafile.outputs).map(file => path.join(root, file))));
	// What scripts/start.mjs (`npm start`) compares the sources' times with.
	fs.writeFileSync(path.join(root, 'dist', '.build-stamp'), new Date().toISOString() + '\n');
}

try {
	await bundle();
} catch (error) {
	// esbuild has printed its own errors (with the file and line); anything else is said here.
	if (!Array.isArray(error?.errors)) {
		process.stderr.write(`massmail build: ${error?.message ?? error}\n`);
	}

	process.exitCode = 1;
}
