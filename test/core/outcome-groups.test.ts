/**
 * How the outcome log groups its writes: a sender's outcomes, arriving one after another, go to
 * the disk in few groups when a gap between groups is asked for (the engine's default), and
 * whoever waits for the disk (drain, close) never waits for that gap. Real files in a temporary folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import test from 'ava';
import {SendLog} from '../../source/core/journal.js';
import type {OutcomeLine} from '../../source/core/journal.js';
import {recordFields} from '../helpers/send-records.js';
import {tempConfigDir} from '../helpers/temp-dir.js';

const people = (count: number) => Array.from({length: count}, (_, i) => ({address: `user${i}@example.com`, name: `User ${i}`}));

function newSend(t: Parameters<typeof tempConfigDir>[0], count: number) {
	const {dir} = tempConfigDir(t);
	const sends = new SendLog(path.join(dir, 'sends'));
	const {record, lock} = sends.create({...recordFields, recipients: people(count)});
	t.teardown(() => {
		lock.release();
	});
	return {sends, id: record.id, file: path.join(dir, 'sends', record.id, 'outcomes.log')};
}

const accepted = (index: number): OutcomeLine => ({index, code: 'S', attempts: 1, response: '250 2.0.0 Ok: queued', ambiguous: false});

test('outcomes that arrive a few milliseconds apart are written in few groups when a gap between groups is asked for, each told once on disk', async t => {
	const count = 40;
	const {sends, id, file} = newSend(t, count);
	const groups: number[][] = [];
	const writer = sends.openOutcomes(id, group => {
		// Told only once the group is in the file.
		const lines = fs.readFileSync(file, 'utf8').split('\n').filter(line => /^\d/.test(line));
		t.true(group.every(outcome => lines.some(line => line.startsWith(`${outcome.index}\t`))));
		groups.push(group.map(outcome => outcome.index));
	}, {intervalMs: 0, maxGroup: 200, minGapMs: 100});
	const started = performance.now();
	for (let index = 0; index < count; index++) {
		writer.append(accepted(index));
		await sleep(3);
	}

	await writer.close();
	const elapsed = performance.now() - started;
	t.deepEqual(groups.flat(), Array.from({length: count}, (_, index) => index));
	// At least 120 ms of appends: without the gap each one, alone on a fast disk, is a group of its own.
	t.true(groups.length <= Math.ceil(elapsed / 100) + 1, `${groups.length} groups in ${Math.round(elapsed)} ms`);
	t.is(fs.readFileSync(file, 'utf8').split('\n').filter(line => /^\d/.test(line)).length, count);
});

test('drain and close write what waits at once, whatever the gap', async t => {
	const {sends, id, file} = newSend(t, 3);
	let told = 0;
	const writer = sends.openOutcomes(id, group => {
		told += group.length;
	}, {intervalMs: 0, maxGroup: 200, minGapMs: 60_000});
	writer.append(accepted(0));
	await writer.drain();
	writer.append(accepted(1));
	writer.append(accepted(2));
	const started = performance.now();
	await writer.close();
	t.true(performance.now() - started < 5000);
	t.is(told, 3);
	t.is(fs.readFileSync(file, 'utf8').split('\n').filter(line => /^\d/.test(line)).length, 3);
});

test('a full group is written without waiting for the gap', async t => {
	const {sends, id} = newSend(t, 10);
	let told = 0;
	const writer = sends.openOutcomes(id, group => {
		told += group.length;
	}, {intervalMs: 0, maxGroup: 4, minGapMs: 60_000});
	for (let index = 0; index < 10; index++) {
		writer.append(accepted(index));
	}

	// The first four went at once; the six that came during that write, a full group, right after it: not a minute later.
	const deadline = performance.now() + 5000;
	while (told < 10 && performance.now() < deadline) {
		await sleep(5);
	}

	t.is(told, 10);
	await writer.close();
});
