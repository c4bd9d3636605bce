import path from 'node:path';
import test from 'ava';
import {resolvePaths} from '../../source/core/paths.js';

test('MASSMAIL_CONFIG_DIR puts everything in that folder', t => {
	const paths = resolvePaths({env: {MASSMAIL_CONFIG_DIR: '/srv/mm'}});
	t.deepEqual(paths, {
		root: '/srv/mm',
		settingsFile: '/srv/mm/settings.json',
		directoryFile: '/srv/mm/directory.json',
		sendsDir: '/srv/mm/sends',
		captureDir: '/srv/mm/captured',
		demo: false,
	});
});

test('the demo profile is a folder of its own, settings included', t => {
	const paths = resolvePaths({demo: true, env: {MASSMAIL_CONFIG_DIR: '/srv/mm'}});
	t.is(paths.root, '/srv/mm/demo');
	t.is(paths.settingsFile, '/srv/mm/demo/settings.json');
	t.is(paths.directoryFile, '/srv/mm/demo/directory.json');
	t.true(paths.demo);
});

test('without MASSMAIL_CONFIG_DIR: XDG config for settings, XDG data for the rest', t => {
	if (process.platform !== 'linux') {
		t.pass('XDG folders are the Linux rule');
		return;
	}

	const env = {HOME: '/home/ann', XDG_CONFIG_HOME: '/home/ann/.cfg', XDG_DATA_HOME: '/home/ann/.data'};
	const paths = resolvePaths({env});
	t.is(paths.settingsFile, '/home/ann/.cfg/massmail/settings.json');
	t.is(paths.root, '/home/ann/.data/massmail');
	t.is(paths.directoryFile, '/home/ann/.data/massmail/directory.json');
	t.is(resolvePaths({env, demo: true}).settingsFile, '/home/ann/.data/massmail/demo/settings.json');

	const defaults = resolvePaths({env: {HOME: '/home/bob', XDG_CONFIG_HOME: 'relative'}});
	t.is(defaults.settingsFile, path.join('/home/bob/.config/massmail/settings.json'));
	t.is(defaults.root, '/home/bob/.local/share/massmail');
});
