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
