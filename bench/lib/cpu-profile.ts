/**
 * Read a V8 .cpuprofile (`node --cpu-prof`) and sum self time by function and by area
 * (a package, Node's internals, the program's own files, the garbage collector).
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';

interface ProfileNode {
	id: number;
	callFrame: {functionName: string; url: string; lineNumber: number};
	children?: number[];
}

interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
	startTime: number;
	endTime: number;
}

export interface SelfTime {
	name: string;
	ms: number;
	share: number;
}

export interface ProfileSummary {
	totalMs: number;
	functions: SelfTime[];
	areas: SelfTime[];
}

function shortUrl(url: string, root: string): string {
	const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
	const modules = file.lastIndexOf('/node_modules/');
	if (modules !== -1) {
		return file.slice(modules + '/node_modules/'.length);
	}

	return file.startsWith(root) ? path.relative(root, file) : file;
}

function areaOf(url: string, functionName: string, root: string): string {
	if (!url) {
		// (program), (garbage collector), (idle), (root) and native functions.
		return functionName.startsWith('(') ? functionName : '(native)';
	}

	if (url.startsWith('node:')) {
		return 'node internals';
	}

	const short = shortUrl(url, root);
	if (url.includes('/node_modules/')) {
		const parts = short.split('/');
		return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
	}

	return path.dirname(short) === '.' ? short : path.dirname(short);
}

function top(map: Map<string, number>, totalMs: number, count: number): SelfTime[] {
	return [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, us]) => ({name, ms: us / 1000, share: us / 1000 / totalMs}));
}

/** Self time by function (name, file, line) and by area, the largest first. */
export function summarizeProfile(file: string, root: string, count = 15): ProfileSummary {
	const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
	const byId = new Map(profile.nodes.map(node => [node.id, node]));
	const selfUs = new Map<number, number>();
	// timeDeltas[i] is the time before sample i: sample i lasted until sample i + 1.
	for (let index = 0; index < profile.samples.length; index++) {
		const duration = profile.timeDeltas[index + 1] ?? 0;
		const id = profile.samples[index];
		selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, duration));
	}

	const functions = new Map<string, number>();
	const areas = new Map<string, number>();
	let totalUs = 0;
	for (const [id, us] of selfUs) {
		const {functionName, url, lineNumber} = byId.get(id)!.callFrame;
		const name = functionName || '(anonymous)';
		const where = url ? ` ${shortUrl(url, root)}:${lineNumber + 1}` : '';
		functions.set(`${name}${where}`, (functions.get(`${name}${where}`) ?? 0) + us);
		const area = areaOf(url, name, root);
		areas.set(area, (areas.get(area) ?? 0) + us);
		totalUs += us;
	}

	const totalMs = totalUs / 1000;
	return {totalMs, functions: top(functions, totalMs, count), areas: top(areas, totalMs, count)};
}

export interface ProfileShares {
	/** From the first sample in the window to the last (ms). */
	windowMs: number;
	/** The main thread's busy time in the window: every sample but idle (ms). */
	busyMs: number;
	/** Busy time in samples with a frame that `counted` says is the part measured (ms). */
	countedMs: number;
	/** The garbage collector's samples (ms): no stack, so nobody's. */
	gcMs: number;
	/** Busy time of the part measured in the whole profile, window or not (0: `counted` recognises nothing). */
	countedAnywhereMs: number;
}

/**
 * How a process's busy time divides within a window: from the first to the last sample whose
 * stack holds a function named `edge` (one that runs for every message, so the window is the
 * send). A sample counts for the part measured when any frame of its stack is that part's.
 * Undefined when no sample has the edge.
 */
export function profileShares(file: string, edge: string, counted: (frame: ProfileNode['callFrame']) => boolean): ProfileShares | undefined {
	const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
	const byId = new Map(profile.nodes.map(node => [node.id, node]));
	const parentOf = new Map<number, number>();
	for (const node of profile.nodes) {
		for (const child of node.children ?? []) {
			parentOf.set(child, node.id);
		}
	}

	const kinds = new Map<number, {edge: boolean; counted: boolean}>();
	const kindOf = (id: number): {edge: boolean; counted: boolean} => {
		let kind = kinds.get(id);
		if (!kind) {
			const frame = byId.get(id)!.callFrame;
			const parent = parentOf.get(id);
			const above = parent === undefined ? {edge: false, counted: false} : kindOf(parent);
			kind = {edge: above.edge || frame.functionName === edge, counted: above.counted || counted(frame)};
			kinds.set(id, kind);
		}

		return kind;
	};

	const withEdge = profile.samples.flatMap((id, index) => (kindOf(id).edge ? [index] : []));
	if (withEdge.length === 0) {
		return undefined;
	}

	const first = withEdge[0]!;
	const last = withEdge.at(-1)!;
	const shares: ProfileShares = {windowMs: 0, busyMs: 0, countedMs: 0, gcMs: 0, countedAnywhereMs: 0};
	for (let index = 0; index < profile.samples.length; index++) {
		// timeDeltas[i] is the time before sample i: sample i lasted until sample i + 1.
		const ms = Math.max(0, profile.timeDeltas[index + 1] ?? 0) / 1000;
		const id = profile.samples[index]!;
		if (kindOf(id).counted) {
			shares.countedAnywhereMs += ms;
		}

		if (index < first || index > last) {
			continue;
		}

		const name = byId.get(id)!.callFrame.functionName;
		shares.windowMs += ms;
		if (name === '(idle)') {
			continue;
		}

		shares.busyMs += ms;
		if (name === '(garbage collector)') {
			shares.gcMs += ms;
		} else if (kindOf(id).counted) {
			shares.countedMs += ms;
		}
	}

	return shares;
}
