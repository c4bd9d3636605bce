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
	const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
	const rows: string[][] = [];
	const lines: number[] = [];
	const length = input.length;
	let line = 1;
	let index = 0;
	while (index < length) {
		const row: string[] = [];
		const rowLine = line;
		// One row: fields until an unquoted line break or the end.
		for (;;) {
			let field: string;
			if (input.charCodeAt(index) === 34 /* " */) {
				const quoteLine = line;
				let value = '';
				let start = index + 1;
				for (;;) {
					const quote = input.indexOf('"', start);
					if (quote === -1) {
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
				break;
			}

			const code = input.charCodeAt(index);
			if (code === 44 /* , */) {
				index++;
				continue;
			}

			// A line break: CRLF, LF, or a lone CR.
			index += code === 13 && input.charCodeAt(index + 1) === 10 ? 2 : 1;
			line++;
			break;
		}

		rows.push(row);
		lines.push(rowLine);
	}

	return {rows, lines};
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
