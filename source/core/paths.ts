import os from 'node:os';
import path from 'node:path';

/** Where massmail keeps its files. */
export interface Paths {
	/** The data folder: the directory file, send records and captured mail live here. */
	root: string;
	/** conf's settings file (mode 0600). */
	settingsFile: string;
	directoryFile: string;
	/** One folder per send record. */
	sendsDir: string;
	/** `.eml` files of the local capture server, one folder per send. */
	captureDir: string;
	/** true for the separate demo profile. */
	demo: boolean;
}

const appName = 'massmail';

/**
 * Where the files live.
 *
 * - `MASSMAIL_CONFIG_DIR=/x`: everything in `/x` (settings too); the demo profile in `/x/demo`.
 * - Otherwise the platform's folders: settings in the config folder
 *   (`$XDG_CONFIG_HOME/massmail`, default `~/.config/massmail`), data in the data folder
 *   (`$XDG_DATA_HOME/massmail`, default `~/.local/share/massmail`).
 *   The demo profile is `<data>/demo`, settings included, so it never touches the real profile.
 *
 * Nothing is created here; {@link openStore} creates the folders.
 */
export function resolvePaths(options: {demo?: boolean; env?: NodeJS.ProcessEnv} = {}): Paths {
	const env = options.env ?? process.env;
	const demo = options.demo ?? false;
	let configDir: string;
	let dataDir: string;
	const single = env.MASSMAIL_CONFIG_DIR;
	if (single !== undefined && single !== '') {
		configDir = path.resolve(single);
		dataDir = configDir;
	} else {
		({configDir, dataDir} = platformDirs(env));
	}

	if (demo) {
		// The demo keeps its own settings as well: it must never send through the real server.
		dataDir = path.join(dataDir, 'demo');
		configDir = dataDir;
	}

	return {
		root: dataDir,
		settingsFile: path.join(configDir, 'settings.json'),
		directoryFile: path.join(dataDir, 'directory.json'),
		sendsDir: path.join(dataDir, 'sends'),
		captureDir: path.join(dataDir, 'captured'),
		demo,
	};
}

function platformDirs(env: NodeJS.ProcessEnv): {configDir: string; dataDir: string} {
	const home = env.HOME && env.HOME !== '' ? env.HOME : os.homedir();
	if (process.platform === 'darwin') {
		return {
			configDir: path.join(home, 'Library', 'Preferences', appName),
			dataDir: path.join(home, 'Library', 'Application Support', appName),
		};
	}

	if (process.platform === 'win32') {
		const appData = env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
		const localAppData = env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local');
		return {configDir: path.join(appData, appName, 'Config'), dataDir: path.join(localAppData, appName, 'Data')};
	}

	// XDG: relative values are invalid per the spec and ignored.
	const xdg = (name: string, fallback: string) => {
		const value = env[name];
		return value && path.isAbsolute(value) ? value : fallback;
	};

	return {
		configDir: path.join(xdg('XDG_CONFIG_HOME', path.join(home, '.config')), appName),
		dataDir: path.join(xdg('XDG_DATA_HOME', path.join(home, '.local', 'share')), appName),
	};
}
