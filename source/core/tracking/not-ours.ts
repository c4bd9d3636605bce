/**
 * What the fold already knows is none of massmail's: the UIDs of the inbox's messages judged
 * "not ours" (another program's report, a person's message, a reply to someone else's mail), so
 * that the next fold neither fetches nor parses them again. A mailbox where people keep their
 * mail would otherwise cost every 5-second look of the dashboard the whole inbox.
 *
 * It is sound because an IMAP message never changes under its UID, and a UID is never reused
 * while the mailbox's UIDVALIDITY stays: the memory belongs to one server, user and UIDVALIDITY,
 * and is forgotten when any of them changes. Only "not ours" is remembered: a report that could
 * not be matched is read again (its send may be restored), and whatever is massmail's is moved.
 *
 * The file (`sends/.fold-not-ours.json`, mode 0600) is written under the fold lock; one that
 * cannot be read or written is simply started again (the price is one full read of the inbox).
 */
import fs from 'node:fs';
import path from 'node:path';
import {writeJsonFileAtomic} from '../json-file.js';
import {uidSet} from './imap.js';

/** In the sends folder, named so that no send is ever called it. */
export const notOursFile = '.fold-not-ours.json';

/** At most this many UIDs are kept: a bound on the file, the oldest forgotten first. */
const maxRemembered = 1_000_000;

/** `'1:3,7'` -> [1, 2, 3, 7]; anything malformed -> undefined. */
export function parseUidSet(text: string): number[] | undefined {
	const uids: number[] = [];
	if (text === '') {
		return uids;
	}

	for (const part of text.split(',')) {
		const match = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(part);
		if (!match) {
			return undefined;
		}

		const first = Number(match[1]);
		const last = match[2] === undefined ? first : Number(match[2]);
		if (last < first || uids.length + (last - first) >= maxRemembered) {
			return undefined;
		}

		for (let uid = first; uid <= last; uid++) {
			uids.push(uid);
		}
	}

	return uids;
}

export class NotOursMemory {
	private readonly uids: Set<number>;

	private constructor(
		private readonly file: string,
		private readonly mailbox: string,
		uids: number[],
		/** The set as the file holds it: not written again when it is the same. */
		private written: string | undefined,
	) {
		this.uids = new Set(uids);
	}

	/**
	 * The memory of `mailbox` (server, user, folder and UIDVALIDITY in one string) in `sendsDir`:
	 * empty when there is none, it is another mailbox's, or it cannot be read.
	 */
	static load(sendsDir: string, mailbox: string): NotOursMemory {
		const file = path.join(sendsDir, notOursFile);
		try {
			const data = JSON.parse(fs.readFileSync(file, 'utf8')) as {mailbox?: unknown; uids?: unknown} | null;
			if (data?.mailbox === mailbox && typeof data.uids === 'string') {
				const uids = parseUidSet(data.uids);
				if (uids) {
					return new NotOursMemory(file, mailbox, uids, data.uids);
				}
			}
		} catch {
			// None yet, or unreadable: the fold reads the inbox whole once and writes it again.
		}

		return new NotOursMemory(file, mailbox, [], undefined);
	}

	get size(): number {
		return this.uids.size;
	}

	has(uid: number): boolean {
		return this.uids.has(uid);
	}

	add(uid: number): void {
		this.uids.add(uid);
	}

	/**
	 * Writes what is remembered of the messages still in the inbox (`present`): a message deleted
	 * or moved by its owner is forgotten. The file is not written again when nothing changed.
	 */
	save(present: Iterable<number>): void {
		const kept: number[] = [];
		for (const uid of present) {
			if (this.uids.has(uid)) {
				kept.push(uid);
			}
		}

		kept.sort((a, b) => a - b);
		const text = uidSet(kept.slice(-maxRemembered));
		if (text !== this.written) {
			try {
				writeJsonFileAtomic(this.file, {mailbox: this.mailbox, uids: text});
				this.written = text;
			} catch {
				// Not remembered: the next fold reads those messages again, nothing else is lost.
			}
		}
	}
}
