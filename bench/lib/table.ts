/**
 * Plain-text tables for the benchmark's output.
 */

export type Cell = string | number | undefined;

function show(cell: Cell): string {
	if (cell === undefined) {
		return '–';
	}

	if (typeof cell === 'number') {
		return formatNumber(cell);
	}

	return cell;
}

/** 12345.6 -> "12,346"; 12.345 -> "12.3"; 0.1234 -> "0.123". */
export function formatNumber(value: number): string {
	if (!Number.isFinite(value)) {
		return String(value);
	}

	const abs = Math.abs(value);
	const digits = abs >= 100 ? 0 : (abs >= 10 ? 1 : (abs >= 1 ? 2 : 3));
	return value.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

/** Print a titled table; numbers are right-aligned. */
export function printTable(title: string, headers: string[], rows: Cell[][]): void {
	const text = rows.map(row => row.map(cell => show(cell)));
	const widths = headers.map((header, column) => Math.max(header.length, ...text.map(row => (row[column] ?? '').length)));
	const numeric = headers.map((_, column) => rows.every(row => row[column] === undefined || typeof row[column] === 'number'));
	const line = (cells: string[]) => cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
	console.log(`\n${title}`);
	console.log(line(headers));
	console.log(line(widths.map(width => '-'.repeat(width))));
	for (const row of text) {
		console.log(line(row));
	}
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * A distribution-free 95% confidence interval for the median (from the binomial order statistics):
 * the sorted values at ranks k and n − k + 1, k the largest rank with P(Binomial(n, ½) < k) ≤ 2.5%.
 * Undefined below 6 values, where even the smallest and largest leave more than 5% outside.
 */
export function medianInterval(values: number[]): [number, number] | undefined {
	const sorted = [...values].sort((a, b) => a - b);
	const n = sorted.length;
	let below = 0;
	let chance = 0.5 ** n;
	let k = 0;
	// `below`: P(Binomial(n, ½) < i + 1), summed rank by rank.
	for (let i = 0; i < n; i++) {
		below += chance;
		if (below > 0.025) {
			break;
		}

		k = i + 1;
		chance = (chance * (n - i)) / (i + 1);
	}

	return k === 0 ? undefined : [sorted[k - 1], sorted[n - k]];
}

/** Nearest-rank percentile, p in 0..100. */
export function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
	return sorted[rank - 1];
}

/** One measured figure against its target, for the closing summary. */
export interface Figure {
	part: string;
	name: string;
	value: number | undefined;
	unit: string;
	/** E.g. "< 1,000", "≥ 0.5"; empty when there is none. */
	target: string;
	/** undefined: no target or not measured. */
	ok: boolean | undefined;
}

export function verdict(ok: boolean | undefined): string {
	return ok === undefined ? '' : (ok ? 'ok' : 'MISSED');
}
