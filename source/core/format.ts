/** Numbers and durations as people read them, shared by the command line and the dashboard. */

// ICU's number formatter takes ~16 ms to make, on every start of the command line: made only
// for a number that is not a whole one, which counts never are.
let numberFormat: Intl.NumberFormat | undefined;

/** 1234 -> `1,234`, as Intl.NumberFormat('en-US') writes it (but -0 reads 0) */
export function formatCount(n: number): string {
	if (Number.isSafeInteger(n)) {
		const digits = String(Math.abs(n)).replace(/\B(?=(?:\d{3})+$)/g, ',');
		return n < 0 ? `-${digits}` : digits;
	}

	numberFormat ??= new Intl.NumberFormat('en-US');
	return numberFormat.format(n);
}

/**
 * massmail as a shell runs it on this profile, for the commands the program tells its user to
 * run: the demo profile keeps its records apart, so its commands take --demo.
 */
export function massmailCommand(demo: boolean): string {
	return demo ? 'massmail --demo' : 'massmail';
}

/** `1 domain`, `5,000 domains` */
export function plural(n: number, one: string, many = `${one}s`): string {
	return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** 75000 -> `1:15`, 3725000 -> `1:02:05` */
export function formatDuration(ms: number): string {
	const total = Math.max(0, Math.round(ms / 1000));
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const seconds = total % 60;
	const mm = hours > 0 ? String(minutes).padStart(2, '0') : String(minutes);
	return `${hours > 0 ? `${hours}:` : ''}${mm}:${String(seconds).padStart(2, '0')}`;
}

/** Whether the terminal can show Unicode: a UTF-8 locale, and not the Linux console. */
export function supportsUnicode(env: NodeJS.ProcessEnv): boolean {
	if (env.TERM === 'linux') {
		return false;
	}

	// The first one set wins, as in setlocale(3).
	const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
	return /utf-?8/i.test(locale);
}

/** The characters a terminal acts on instead of showing: C0, DEL, C1 (`\u009B` is CSI), and the direction controls that reorder what is read. */
const controlCharacters = /[\p{Cc}\p{Bidi_Control}]/gu;
const namedEscapes: Record<string, string> = {'\n': String.raw`\n`, '\r': String.raw`\r`, '\t': String.raw`\t`};

/** `\x1b` for a C0, DEL or C1 control, `\u202e` for a direction control: as JavaScript and C write them. */
function escapeOf(character: string): string {
	const code = character.codePointAt(0)!;
	return namedEscapes[character] ?? (code <= 0xFF ? String.raw`\x` + code.toString(16).padStart(2, '0') : String.raw`\u` + code.toString(16).padStart(4, '0'));
}

/**
 * Text that came from outside (a server's reply, a name from a source or a file, a file name) as
 * it may be shown on a terminal: every control character made visible (`\x1b`, `\n`, `\x9b`,
 * `\u202e`), so it can neither move the cursor, clear the screen, retitle the window nor reorder
 * what is read, and the administrator still sees what was there. Only what is shown is changed:
 * records keep what was received. A backslash is left as it is (the record and `--json` tell a
 * typed `\x1b` from an escape).
 *
 * `lines`: the text is shown on several lines — line breaks and tabs stay (a one-line field shows
 * them as `\n` and `\t`).
 *
 * @example printable('550 \u001B[2Jgone\n') // '550 \\x1b[2Jgone\\n'
 */
export function printable(text: string, options: {lines?: boolean} = {}): string {
	return text.replaceAll(controlCharacters, character => options.lines && (character === '\n' || character === '\t') ? character : escapeOf(character));
}

/** The characters of {@link printable} that JSON.stringify leaves as they are (it escapes only U+0000–U+001F). */
const controlsJsonKeeps = /[\u007F-\u009F\p{Bidi_Control}]/gu;

/**
 * JSON.stringify, with DEL, the C1 controls and the direction controls written as `\u009b`:
 * JSON printed on a terminal cannot act on it either, and JSON.parse reads back the same text.
 *
 * @example terminalJson({reply: '550 \u009B2J'}) // '{"reply":"550 \\u009b2J"}'
 */
export function terminalJson(value: unknown, indent?: string): string {
	return JSON.stringify(value, undefined, indent).replaceAll(controlsJsonKeeps, character => String.raw`\u` + character.codePointAt(0)!.toString(16).padStart(4, '0'));
}

/** How many characters of a text from outside a message quotes before it cuts the rest. */
export const quotedLength = 120;

/**
 * Text from outside (an address, a header, a typed value) quoted in a message, as JSON writes it,
 * cut when longer than `max` characters: its start and its end stay, quoted each, with how long it
 * was, so that a 1 MB value makes a line one can read, not a megabyte of error.
 *
 * @example quoted('ann@example.com') // '"ann@example.com"'
 * @example quoted('a'.repeat(1_000_000)) // '"aaa…(90 a)"…"aaa…(30 a)" (1,000,000 characters)'
 */
export function quoted(text: string, max = quotedLength): string {
	const characters = text.length > max ? Array.from(text) : [];
	if (characters.length <= max) {
		return JSON.stringify(text);
	}

	const tail = Math.floor(max / 4);
	return `${JSON.stringify(characters.slice(0, max - tail).join(''))}…${JSON.stringify(characters.slice(-tail).join(''))} (${plural(characters.length, 'character')})`;
}
