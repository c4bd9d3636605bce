/**
 * The settings: one definition of each, and the file they are kept in.
 *
 * spec.ts   how one setting is read, checked and shown (text, numbers, words, URLs, CA files,
 *           durations, paces), with no key in it: the settings and the directory sources build on it
 * table.ts  the one table: every key with what it means, a value it takes, its kind of value, its
 *           default; what `config`, the Settings form, the check of settings.json and README's
 *           table of settings are made from. A directory source's settings come from its own file
 *           (sources/index.ts lists them)
 * store.ts  SettingsStore: settings.json (conf, mode 0600), read and checked, changed under its lock
 * host-list.ts  smtp.host as several relays (`mx1.example.com,mx2.example.com:2525`): its entries, a wrong one named by its place
 * url-secrets.ts  URLs that may hold a password: where one is, the URL as it may be shown, what part
 *           of a text is not a URL (for the URL settings, MASSMAIL_SMTP_URL and the sources' readers)
 */
export {parseDuration, showDuration, showRate} from './spec.js';
export {
	changedSettings, defaultSettings, defaultTracking, directorySourceKinds, findSettingSpec, localMailDomain, maximumConcurrency, readSetting, settingSpec, settingSpecs, settingsProblems,
	settingValue, showSetting, storedSettingProblems, withoutStoredSecrets, withSetting, type SettingKey, type SettingSpec, type SettingsPatch,
} from './table.js';
export {SettingsStore, shellWord} from './store.js';
export {readCaFile} from '../tls.js';
export {ordinal, parseHostList, relayName, type HostEntry} from './host-list.js';
export {shownUrl, urlParts, urlPassword, urlSyntaxProblem} from './url-secrets.js';
