import fs from 'node:fs';
import {Directory} from './directory.js';
import {overviewFileOf, overviewOf, readOverviewFile, writeOverviewFile, type DirectoryOverview} from './directory-overview.js';
import {fileStamp, readJsonFileStamped, writeFileAtomic} from './json-file.js';
import {withFileLock} from './file-lock.js';
import {resolvePaths, type Paths} from './paths.js';
import {SettingsStore} from './settings.js';
import {demoDirectory} from './demo.js';
import {MassmailError} from './errors.js';
import path from 'node:path';

/**
 * The local store: where files are, the settings, and the directory. Other massmail processes
 * may change both files at any time: reads notice it (a stat per read), and every change is
 * made under the file's lock on its latest content.
 */
export interface Store {
	paths: Paths;
	settings: SettingsStore;
	/**
	 * The directory; no file yet means an empty directory. Cached: the same object while the
	 * file is unchanged, read again when another process (or a hand edit) changed it.
	 * Treat it as read-only; change it with {@link Store.editDirectory}.
	 */
	directory(): Directory;
	/**
	 * The domains with their counts, as {@link Store.directory}'s `domains()` gives them, for a
	 * screen that shows no mailbox: from directory-overview.json while it was made from the
	 * current directory.json (a few ms instead of reading 100,000 mailboxes), else from the
	 * directory read in full. The same object while directory.json is unchanged.
	 */
	directoryOverview(): DirectoryOverview;
	/**
	 * The one way to change the directory: takes the lock of directory.json (waiting up to
	 * MASSMAIL_LOCK_WAIT_MS; MassmailError('locked') after that), reads the file again,
	 * calls `change` with that latest directory, writes what it returns atomically (mode 0600),
	 * and releases the lock. `change` must not modify `latest` (it is the cached one): it
	 * changes a clone, or returns a new one. When it throws, nothing is written.
	 * @example store.editDirectory(latest => { const next = latest.clone(); next.addDomain('example.com'); return next; })
	 */
	editDirectory(change: (latest: Directory) => Directory): Directory;
	/** Replaces the whole directory, whatever is in the file now (under the lock): for seeding and tests, not for edits. */
	saveDirectory(directory: Directory): void;
}

/** Loads the directory file with its stamp; missing -> undefined; corrupt -> MassmailError('store') naming the file. */
function loadDirectoryStamped(file: string): {directory: Directory | undefined; stamp: string | undefined} {
	const {data, stamp} = readJsonFileStamped(file);
	return {directory: data === undefined ? undefined : Directory.fromJSON(data, file), stamp};
}

/** Writes the directory file atomically, mode 0600 (no lock: see {@link Store.editDirectory}). */
export function saveDirectoryFile(file: string, directory: Directory): void {
	writeFileAtomic(file, directory.fileTextLines(), 0o600);
}

/**
 * Opens the store: creates its folders (mode 0700) and, for the demo profile,
 * seeds the sample directory when the profile has none yet.
 * @example const store = openStore({demo: true}); store.directory().domains()
 */
export function openStore(options: {demo?: boolean; env?: NodeJS.ProcessEnv} = {}): Store {
	const paths = resolvePaths(options);
	for (const dir of new Set([paths.root, path.dirname(paths.settingsFile)])) {
		try {
			fs.mkdirSync(dir, {recursive: true, mode: 0o700});
		} catch (error) {
			throw new MassmailError('store', `${dir}: cannot create the folder: ${(error as Error).message}`, {cause: error});
		}

		// A folder made earlier (by hand, by an older massmail) is narrowed: the directory lists people.
		try {
			if ((fs.statSync(dir).mode & 0o077) !== 0) {
				fs.chmodSync(dir, 0o700);
			}
		} catch {
			// Not ours to change (another owner): leave it as it is.
		}
	}

	const file = paths.directoryFile;
	const lock = {what: 'the directory', env: options.env};
	const overviewFile = overviewFileOf(file);
	let cached: {directory: Directory; stamp: string | undefined} | undefined;
	let overview: {overview: DirectoryOverview; stamp: string | undefined} | undefined;
	const load = () => {
		const {directory, stamp} = loadDirectoryStamped(file);
		cached = {directory: directory ?? Directory.empty(), stamp};
		if (stamp !== undefined && overview?.stamp !== stamp) {
			overview = {overview: overviewOf(cached.directory), stamp};
			// A directory written by an older massmail, or by hand: the next start draws its first screen from this.
			if (!readOverviewFile(overviewFile, stamp)) {
				writeOverviewFile(overviewFile, overview.overview, stamp);
			}
		}

		return cached.directory;
	};

	const write = (directory: Directory) => {
		saveDirectoryFile(file, directory);
		// Still under the lock: the file is the one just written.
		cached = {directory, stamp: fileStamp(file)};
		overview = {overview: overviewOf(directory), stamp: cached.stamp};
		if (cached.stamp !== undefined) {
			writeOverviewFile(overviewFile, overview.overview, cached.stamp);
		}
	};

	const store: Store = {
		paths,
		settings: new SettingsStore(paths, options.env),
		directory() {
			if (cached && fileStamp(file) === cached.stamp) {
				return cached.directory;
			}

			return load();
		},
		directoryOverview() {
			const stamp = fileStamp(file);
			if (overview && overview.stamp === stamp) {
				return overview.overview;
			}

			const kept = stamp === undefined ? undefined : readOverviewFile(overviewFile, stamp);
			if (kept) {
				overview = {overview: kept, stamp};
				return kept;
			}

			const directory = store.directory();
			// The version just read (another process may have written since the stamp above).
			if (overview === undefined || overview.stamp !== cached?.stamp) {
				overview = {overview: overviewOf(directory), stamp: cached?.stamp};
			}

			return overview.overview;
		},
		editDirectory(change) {
			return withFileLock(file, lock, () => {
				const next = change(store.directory());
				write(next);
				return next;
			});
		},
		saveDirectory(directory) {
			withFileLock(file, lock, () => {
				write(directory);
			});
		},
	};

	if (paths.demo && !fs.existsSync(paths.directoryFile)) {
		// Looked at again under the lock: a demo opened at the same moment may have seeded it (and been changed since).
		withFileLock(file, lock, () => {
			if (!fs.existsSync(file)) {
				write(demoDirectory());
			}
		});
		// The sample organisation's own postmaster, so the demo's mail reads as theirs.
		if (!fs.existsSync(paths.settingsFile)) {
			store.settings.update({sender: {address: 'postmaster@example.com'}});
		}
	}

	return store;
}
