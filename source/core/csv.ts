import {MassmailError} from './errors.js';

/**
 * Parses CSV as RFC 4180 says: fields separated by commas, rows by CRLF or LF,
 * fields in double quotes may hold commas, line breaks and doubled quotes ("").
 * A byte order mark is dropped. A final line break does not make an empty row;
 * an empty line in the middle is a row of one empty field.
 *
 * `lines[i]` is the 1-based line of the file where `rows[i]` starts (a quoted
 * field with line breaks makes a row span several lines).
 * @example parseCsv('email,name\r\nann@example.com,"Doe, Ann"\r\n') // rows: [['email','name'],['ann@example.com','Doe, Ann']], lines: [1, 2]
 */
export function parseCsv(text: string): {rows: string[][]; lines: number[]} {
	const rows: string[][] = [];
	const lines: number[] = [];
	const reader = new CsvReader((row, line) => {
		rows.push(row);
		lines.push(line);
	});
	reader.push(text);
	reader.end();
	return {rows, lines};
}

/**
 * {@link parseCsv} a piece of text at a time: a file of a million rows is read as it is decoded,
 * never whole. Each complete row goes to `onRow` with the line it starts on; a row that a piece
 * cuts (a quoted field, a CR whose LF may follow) waits for the next piece. A syntax error is a
 * MassmailError('validation') `line N: …`, from push() or end().
 *
 * @example const reader = new CsvReader((row, line) => rows.push(row)); reader.push('a,b\nc'); reader.push(',d\n'); reader.end();
 */
export class CsvReader {
	/** Text not yet made into rows: the start of a row that the last piece cut. */
	private pending = '';
	private line = 1;
	private started = false;
	/** A cut row is parsed again only once this much text waits: a row over many pieces is read a few times, not once per piece. */
	private retryLength = 0;

	constructor(private readonly onRow: (row: string[], line: number) => void) {}

	/** Reads the rows `text` completes. */
	push(text: string): void {
		if (!this.started && text !== '') {
			this.started = true;
			text = text.startsWith('\uFEFF') ? text.slice(1) : text;
		}

		this.pending = this.pending === '' ? text : this.pending + text;
		if (this.pending.length >= this.retryLength) {
			this.rows(false);
		}
	}

	/** Reads the last row: the text has ended. */
	end(): void {
		this.rows(true);
	}

	private rows(final: boolean): void {
		const input = this.pending;
		const {length} = input;
		let index = 0;
		while (index < length) {
			const next = this.row(input, index, final);
			if (next === undefined) {
				break;
			}

			index = next;
		}

		this.pending = index === 0 ? input : input.slice(index);
		this.retryLength = this.pending.length * 2;
	}

	/** Reads one row from `index`: where the next begins, or undefined when the row goes on past the text (unless `final`). */
	private row(input: string, index: number, final: boolean): number | undefined {
		const {length} = input;
		const row: string[] = [];
		let line = this.line;
		for (;;) {
			let field: string;
			if (input.charCodeAt(index) === 34 /* " */) {
				const quoteLine = line;
				let value = '';
				let start = index + 1;
				for (;;) {
					const quote = input.indexOf('"', start);
					if (quote === -1 || (quote === length - 1 && !final)) {
						if (!final) {
							return undefined; // The field (or a doubled quote) goes on in the next piece.
						}

						throw new MassmailError('validation', `line ${quoteLine}: a quoted field is never closed (missing ")`);
					}

					value += input.slice(start, quote);
					if (input.charCodeAt(quote + 1) === 34) {
						value += '"';
						start = quote + 2;
					} else {
						index = quote + 1;
						break;
					}
				}

				line += countNewlines(value);
				field = value;
				const next = input.charCodeAt(index);
				if (index < length && next !== 44 && next !== 10 && next !== 13) {
					throw new MassmailError('validation', `line ${line}: text after a closing quote (a quote inside a quoted field is written "")`);
				}
			} else {
				let end = index;
				while (end < length) {
					const code = input.charCodeAt(end);
					if (code === 44 || code === 10 || code === 13) {
						break;
					}

					end++;
				}

				field = input.slice(index, end);
				index = end;
			}

			row.push(field);
			if (index >= length) {
				if (!final) {
					return undefined; // The field, or the row, may go on in the next piece.
				}

				break;
			}

			const code = input.charCodeAt(index);
			if (code === 44 /* , */) {
				index++;
				continue;
			}

			// A line break: CRLF, LF, or a lone CR (whose LF may be the next piece's first character).
			if (code === 13 && index + 1 === length && !final) {
				return undefined;
			}

			index += code === 13 && input.charCodeAt(index + 1) === 10 ? 2 : 1;
			line++;
			break;
		}

		this.onRow(row, this.line);
		this.line = line;
		return index;
	}
}

function countNewlines(value: string): number {
	let count = 0;
	for (let i = 0; i < value.length; i++) {
		const code = value.charCodeAt(i);
		if (code === 10 || (code === 13 && value.charCodeAt(i + 1) !== 10)) {
			count++;
		}
	}

	return count;
}

/**
 * One field as CSV writes it (RFC 4180): in double quotes, inner quotes doubled, when it holds
 * a comma, a quote or a line break; as it is otherwise. parseCsv reads it back unchanged.
 * @example csvField('550 "no", said the server') // '"550 ""no"", said the server"'
 */
export function csvField(value: string): string {
	return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
