/**
 * The bundle's patches of what Ink does at each frame (scripts/ink-patches.mjs) apply to the Ink
 * installed, and a frame drawn through them is the same text, byte for byte, as through Ink as it
 * is: the same random styled lines written into Outputs frame after frame, patched and not.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {build, type Plugin} from 'esbuild';
// @ts-expect-error -- a build script, plain JavaScript without types
import {inkFramePatches, rememberTextWidths, shareOutputCaches, skipEqualStyles} from '../../scripts/ink-patches.mjs';

const require = createRequire(import.meta.url);
const inkBuild = path.dirname(require.resolve('ink'));
const outputFile = path.join(inkBuild, 'output.js');
// The package Ink imports (one copy, at the top of node_modules; it exports no require entry): its
// styledChars.js beside its index.
const styledCharsFile = path.join(path.dirname(fileURLToPath(import.meta.resolve('@alcalzone/ansi-tokenize'))), 'styledChars.js');

interface Output {
	write(x: number, y: number, text: string, options: {transformers: unknown[]}): void;
	get(): {output: string; height: number};
	caches: unknown;
}

type OutputClass = new (options: {width: number; height: number}) => Output;

/** Ink's Output class, bundled with the given plugins and loaded. */
async function loadOutput(plugins: Plugin[]): Promise<OutputClass> {
	const result = await build({
		stdin: {contents: `export {default} from ${JSON.stringify(outputFile)};`, resolveDir: inkBuild, loader: 'js'},
		bundle: true,
		format: 'esm',
		platform: 'node',
		write: false,
		logLevel: 'silent',
		plugins,
	});
	const code = result.outputFiles[0]!.text;
	return ((await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as {default: OutputClass}).default;
}

/** A seeded generator, so that a failure can be run again. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
		return state / 2_147_483_648;
	};
}

const styles = ['\u001B[31m', '\u001B[39m', '\u001B[1m', '\u001B[22m', '\u001B[2m', '\u001B[7m', '\u001B[27m', '\u001B[4m', '\u001B[24m', '\u001B[0m', '\u001B[38;5;208m', '\u001B[90m', '\u001B[44m', '\u001B[49m'];
const characters = ['a', 'b', ' ', ' ', '.', '@', '│', '❯', '…', '✓', '界'];

function styledLine(next: () => number): string {
	let line = '';
	const length = Math.floor(next() * 70);
	for (let index = 0; index < length; index++) {
		if (next() < 0.2) {
			line += styles[Math.floor(next() * styles.length)];
		}

		line += characters[Math.floor(next() * characters.length)];
	}

	return next() < 0.7 ? `${line}\u001B[0m` : line;
}

test('the patches apply to the Ink and ansi-tokenize installed', t => {
	t.truthy(shareOutputCaches(readFileSync(outputFile, 'utf8')), `${outputFile} no longer reads as the patch expects`);
	t.truthy(rememberTextWidths(readFileSync(path.join(inkBuild, 'render-node-to-output.js'), 'utf8')), 'render-node-to-output.js no longer reads as the patch expects');
	t.truthy(skipEqualStyles(readFileSync(styledCharsFile, 'utf8')), `${styledCharsFile} no longer reads as the patch expects`);
});

test('frames drawn through the patched Output are the same text as through Ink\'s own, frame after frame', async t => {
	const [Original, Patched] = await Promise.all([loadOutput([]), loadOutput(inkFramePatches as Plugin[])]);
	t.is(new Patched({width: 1, height: 1}).caches, new Patched({width: 1, height: 1}).caches, 'the patched frames share their caches');
	const next = random(20);
	// A few lines drawn again and again (a header, a footer), and others new at each frame.
	const kept = Array.from({length: 8}, () => styledLine(next));
	for (let frame = 0; frame < 300; frame++) {
		const original = new Original({width: 80, height: 23});
		const patched = new Patched({width: 80, height: 23});
		for (let row = 0; row < 23; row++) {
			const line = next() < 0.5 ? kept[Math.floor(next() * kept.length)]! : styledLine(next);
			const x = Math.floor(next() * 10);
			original.write(x, row, line, {transformers: []});
			patched.write(x, row, line, {transformers: []});
		}

		t.deepEqual(patched.get(), original.get(), `frame ${frame}`);
	}
});
