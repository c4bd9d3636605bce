// What Ink does at every frame, made cheaper in the bundle (scripts/bundle.mjs) without changing a
// byte it writes. Filtering the domain list (100,000 mailboxes in 5,000 domains, 80×24), most of
// a key's CPU went to Ink turning the frame into text (`node --cpu-prof`, issue 20): splitting
// every line it draws into graphemes and ANSI codes (Intl.Segmenter, an object per character),
// measuring each text's width again, then comparing the styles of each of the grid's 80×23 cells with its neighbour's (three Sets and
// a few arrays per cell, most of the garbage). Each patch reads the dependency's source as it is,
// and when that no longer reads as expected the file is bundled unchanged and the build says so.
// test/build/ink-patches.test.ts compares the patched code with the original.
import fs from 'node:fs';

/**
 * Ink's Output keeps its caches (each line's styled characters, each text's width) in the Output
 * it makes for one frame, so each frame tokenises every line again. What they hold is a pure
 * function of the line, so frames can share them: an unchanged line (the header, the footer, a
 * row the filter left) is looked up. They start afresh once they hold `sharedOutputCacheLines`
 * lines, so scrolling through 5,000 domains does not keep them all.
 */
export function shareOutputCaches(source) {
	const perFrame = 'caches = new OutputCaches();';
	if (!source.includes(perFrame) || !source.includes('styledChars = new Map();')) {
		return undefined;
	}

	return `${source.replace(perFrame, 'caches = outputCachesForFrame();')}
let sharedOutputCaches;
const sharedOutputCacheLines = 500;
function outputCachesForFrame() {
    if (sharedOutputCaches === undefined || sharedOutputCaches.styledChars.size > sharedOutputCacheLines) {
        sharedOutputCaches = new OutputCaches();
    }
    return sharedOutputCaches;
}
`;
}

/**
 * styledCharsToString writes, between two cells, the codes that turn one's styles into the
 * other's: diffAnsiCodes, which makes three Sets and a few arrays even when the two cells have the
 * same styles (every blank cell, every letter of a word in one colour), and then gives nothing.
 * The same codes in the same order give nothing, so the diff is skipped for them.
 */
export function skipEqualStyles(source) {
	const between = 'ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));';
	const atEnd = 'ret += ansiCodesToString(diffAnsiCodes(char.styles, []));';
	if (!source.includes(between) || !source.includes(atEnd)) {
		return undefined;
	}

	return `${source
		.replace(between, `if (!sameAnsiCodes(chars[i - 1].styles, char.styles)) { ${between} }`)
		.replace(atEnd, `if (char.styles.length > 0) { ${atEnd} }`)}
function sameAnsiCodes(from, to) {
    if (from === to) {
        return true;
    }
    if (from.length !== to.length) {
        return false;
    }
    for (let index = 0; index < from.length; index++) {
        if (from[index].code !== to[index].code || from[index].endCode !== to[index].endCode) {
            return false;
        }
    }
    return true;
}
`;
}

/**
 * Drawing each text, Ink measures its widest line (widest-line, string-width) at every frame,
 * without the cache its layout has: a line with one character outside ASCII (the header's │, the
 * footer's ↓) goes through string-width's grapheme-at-a-time path each time. The width is a pure
 * function of the text, so it is remembered (the last `textWidthCacheSize` texts).
 */
export function rememberTextWidths(source) {
	const measured = 'const currentWidth = widestLine(text);';
	if (!source.includes(measured) || !source.includes("import widestLine from 'widest-line';")) {
		return undefined;
	}

	return `${source.replace(measured, 'const currentWidth = rememberedWidestLine(text);')}
const textWidths = new Map();
const textWidthCacheSize = 500;
function rememberedWidestLine(text) {
    let width = textWidths.get(text);
    if (width === undefined) {
        if (textWidths.size >= textWidthCacheSize) {
            textWidths.clear();
        }
        width = widestLine(text);
        textWidths.set(text, width);
    }
    return width;
}
`;
}

function patchPlugin(name, file, patch, without) {
	return {
		name,
		setup(builder) {
			builder.onLoad({filter: file}, async args => {
				const source = await fs.promises.readFile(args.path, 'utf8');
				const patched = patch(source);
				return patched === undefined
					? {contents: source, loader: 'js', warnings: [{text: `${args.path} no longer reads as expected: bundled as it is (${without})`}]}
					: {contents: patched, loader: 'js'};
			});
		},
	};
}

export const inkFramePatches = [
	patchPlugin('ink-shared-output-caches', /[\\/]ink[\\/]build[\\/]output\.js$/, shareOutputCaches, 'each frame tokenises every line again'),
	patchPlugin('ink-remembered-text-widths', /[\\/]ink[\\/]build[\\/]render-node-to-output\.js$/, rememberTextWidths, 'each text is measured again at each frame'),
	patchPlugin('ansi-tokenize-equal-styles', /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]styledChars\.js$/, skipEqualStyles, 'each cell is compared with its neighbour in full'),
];
