import fs from 'node:fs';
import {Directory} from './directory.js';
import {readJsonFile, writeFileAtomic} from './json-file.js';
import {resolvePaths, type Paths} from './paths.js';
import {SettingsStore} from './settings.js';
import {demoDirectory} from './demo.js';
import {MassmailError} from './errors.js';
import path from 'node:path';

/** The local store: where files are, the settings, and the directory (read once). */
export interface Store {
	paths: Paths;
	settings: SettingsStore;
	/** The directory, loaded on first use and cached; no file yet means an empty directory. */
	directory(): Directory;
	/** Writes the directory atomically (temporary file + rename) and makes it the cached one. */
	saveDirectory(directory: Directory): void;
}

/** Loads the directory file; missing -> undefined; corrupt -> MassmailError('store') naming the file. */
export function loadDirectory(file: string): Directory | undefined {
	const data = readJsonFile(file);
	return data === undefined ? undefined : Directory.fromJSON(data, file);
}

/** Writes the directory file atomically, mode 0600. */
export function saveDirectoryFile(file: string, directory: Directory): void {
	writeFileAtomic(file, directory.toFileText(), 0o600);
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
	}

	let cached: Directory | undefined;
	const store: Store = {
		paths,
		settings: new SettingsStore(paths),
		directory() {
			cached ??= loadDirectory(paths.directoryFile) ?? Directory.empty();
			return cached;
		},
		saveDirectory(directory) {
			saveDirectoryFile(paths.directoryFile, directory);
			cached = directory;
		},
	};

	if (paths.demo && !fs.existsSync(paths.directoryFile)) {
		store.saveDirectory(demoDirectory());
		// The sample organisation's own postmaster, so the demo's mail reads as theirs.
		if (!fs.existsSync(paths.settingsFile)) {
			store.settings.update({sender: {address: 'postmaster@example.com'}});
		}
	}

	return store;
}
