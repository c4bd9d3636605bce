/**
 * Scheduled sends in the dashboard (issue 19): Review → Schedule with the time shown in full as
 * typed, History listing them first, a scheduled send's page (cancel, send now), and the
 * header's next send and missing-timer warning — with the clock set (MASSMAIL_NOW), a real SMTP
 * test server on 127.0.0.1, and the timer looked for in the test's own folders.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import type {Store} from '../../source/core/store.js';
import {addScheduledSend} from '../../source/core/schedule/create.js';
import {openSchedule} from '../../source/core/schedule/index.js';
import {parseWhen} from '../../source/core/schedule/parse-when.js';
import {timerName} from '../../source/core/schedule/timer.js';
import {sampleDirectory} from '../helpers/sample-directory.js';
import {tempFolder} from '../helpers/temp-dir.js';
import {BACKSPACE, CTRL_S, ENTER, ESC, renderDashboard, smtpSetup, type Dashboard, type SmtpSetup} from './harness.js';

// The machine's zone, as a person's: the times are shown in it (CET in December).
process.env.TZ = 'Europe/Berlin';

/** Friday 11 December 2026, 15:00 in Berlin. */
const fridayAfternoon = '2026-12-11T14:00:00Z';

interface Setup extends SmtpSetup {
	/** The folder the timer's units are looked for in (empty: no timer installed). */
	unitDir: string;
}

/** A data folder whose sends go to the test server, the clock on Friday 15:00, no timer installed (the test's own unit folder, no crontab program). */
async function scheduleSetup(t: ExecutionContext): Promise<Setup> {
	const setup = await smtpSetup(t);
	const unitDir = tempFolder(t, 'massmail-units-');
	return {
		...setup,
		unitDir,
		env: {
			...setup.env,
			TZ: 'Europe/Berlin',
			MASSMAIL_NOW: fridayAfternoon,
			MASSMAIL_TEST_TIMER: 'systemd',
			MASSMAIL_TEST_UNIT_DIR: unitDir,
			MASSMAIL_TEST_CRONTAB: path.join(unitDir, 'no-crontab-here'),
		},
	};
}

function fits(t: ExecutionContext, dashboard: Dashboard, size: {columns: number; rows: number}, what: string): void {
	const lines = dashboard.lines();
	t.is(lines.length, size.rows - 1, `${what} at ${size.columns}×${size.rows}:\n${dashboard.screen()}`);
	t.true(lines.every(line => line.length <= size.columns), `${what} at ${size.columns}×${size.rows}: ${lines.find(line => line.length > size.columns)}`);
}

/** A send scheduled as Review's Schedule writes it: to example.com (2 mailboxes), Saturday 18:00. */
function scheduleSaturday(store: Store, env: NodeJS.ProcessEnv, subject = 'Reminder: maintenance') {
	const now = new Date(fridayAfternoon);
	return addScheduledSend(store, {
		draft: {kind: 'reminder', from: {name: 'System Administrator', address: 'postmaster@mail.example.net'}, friendlyName: '', subject, body: 'The server restarts at 22:00.\n', html: false},
		audience: 'domain:example.com',
		count: 2,
		allowExternal: false,
		overrides: {},
		when: parseWhen('Sat 18:00', {now, zone: 'Europe/Berlin'}),
	}, {now, env});
}

test.serial('Review > Schedule: the time in full as typed (or what is wrong), Enter writes it, History lists it first, the header shows it next, nothing is sent', async t => {
	const setup = await scheduleSetup(t);
	const dashboard = await renderDashboard(t, {env: setup.env, setup: store => store.saveDirectory(sampleDirectory())});
	t.teardown(async () => dashboard.unmount());
	t.notRegex(dashboard.lines()[1], /next:/, 'nothing scheduled: no next send in the header');
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type('Maintenance tonight');
	await dashboard.focusField('Message');
	await dashboard.type('The server restarts at 22:00.');
	await dashboard.press(CTRL_S);
	t.regex(dashboard.screen(), /Recipients +2 /);
	t.regex(dashboard.lines()[22], /l Schedule/, 'the footer shows Schedule beside Send');

	await dashboard.press('l');
	t.regex(dashboard.screen(), /Schedule: Email to .*2 recipients/);
	// A long line of the dialog is broken at a space, and the next line does not start with it.
	t.regex(dashboard.screen(), /│ Nothing is sent now: massmail run-due sends it then, to the group as +│\n +│ it is then\./);
	await dashboard.type('tomorow 18:00');
	t.regex(dashboard.screen(), /not a time massmail understands|understood/, 'a misspelt day: what is wrong, as typed');
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /At: tomorow 18:00/, 'Enter on a wrong time schedules nothing');
	for (let index = 0; index < 'tomorow 18:00'.length; index++) {
		await dashboard.press(BACKSPACE);
	}

	await dashboard.type('tomorrow 18:00');
	t.regex(dashboard.screen(), /Sat 12 Dec 2026 18:00 CET, in 1 day 3 hours/);
	fits(t, dashboard, {columns: 80, rows: 24}, 'the Schedule prompt');
	t.false(fs.existsSync(path.join(setup.dir, 'schedule')), 'nothing written before Enter');

	await dashboard.press(ENTER);
	await dashboard.settle(screen => /History/.test(screen.split('\n')[0]!));
	const lines = dashboard.lines();
	t.regex(lines[3]!, /^\S? *Sat 18:00 +email +scheduled +2 +domain:example\.c\S* +Maintenance tonight/, dashboard.screen());
	t.regex(dashboard.screen(), /At Sat 12 Dec 2026 18:00 CET, in 1 day 3 hours/);
	t.regex(lines[1]!, /next: Sat 18:00 Maintenance t\S* · 2 \(no timer\)$/);
	fits(t, dashboard, {columns: 80, rows: 24}, 'History');
	t.is(setup.server.messages.length, 0, 'nothing sent');
	const [scheduled] = openSchedule(dashboard.store).list().sends;
	t.is(scheduled?.state, 'scheduled');
	t.is(scheduled?.audience, 'domain:example.com');
	t.is(scheduled?.count, 2);
	t.is(scheduled?.at, '2026-12-12T17:00:00.000Z');
	t.is(scheduled?.draft.subject, 'Maintenance tonight');

	await dashboard.press(ESC);
	t.regex(dashboard.lines()[0]!, /Domains/, 'Esc from History goes home');
});

test.serial('above the confirm threshold Schedule asks, y only', async t => {
	const setup = await scheduleSetup(t);
	const dashboard = await renderDashboard(t, {env: setup.env, setup(store) {
		store.saveDirectory(sampleDirectory());
		store.settings.update({delivery: {confirmThreshold: 1}});
	}});
	t.teardown(async () => dashboard.unmount());
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type('Maintenance');
	await dashboard.focusField('Message');
	await dashboard.type('Tonight.');
	await dashboard.press(CTRL_S, 'l');
	await dashboard.type('+2h');
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /Schedule a send to 2 recipients\?/);
	t.regex(dashboard.screen(), /At: Fri 11 Dec 2026 17:00 CET, in 2 hours/);
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /Schedule a send to 2 recipients\?/, 'Enter does not answer');
	t.false(openSchedule(dashboard.store).has('x') || openSchedule(dashboard.store).list().sends.length > 0);
	await dashboard.press('y');
	await dashboard.settle(screen => /History/.test(screen.split('\n')[0]!));
	t.is(openSchedule(dashboard.store).list().sends.length, 1);
});

test.serial('a scheduled send\'s page: what, when, to whom, who; cancel asks (y only) and marks it cancelled; the header then shows none', async t => {
	const setup = await scheduleSetup(t);
	let id = '';
	const dashboard = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}, setup(store) {
		store.saveDirectory(sampleDirectory());
		id = scheduleSaturday(store, setup.env).id;
	}});
	t.teardown(async () => dashboard.unmount());
	t.regex(dashboard.lines()[1]!, /next: Sat 18:00 Reminder: mai\S* · 2 \(no timer\)/, 'the subject is cut before the warning');
	await dashboard.press(ENTER);
	const page = dashboard.screen();
	t.regex(dashboard.lines()[0]!, new RegExp(`Scheduled ${id}`));
	t.regex(page, /Scheduled reminder \S+ │ scheduled/);
	t.regex(page, /At +Sat 12 Dec 2026 18:00 CET, in 1 day 3 hours/);
	t.regex(page, /To +domain:example\.com │ 2 recipients when scheduled/);
	t.regex(page, /By +\S+ .*Fri 11 Dec 2026 15:00 CET/);
	t.regex(page, /Subject +Reminder: maintenance/);
	t.regex(page, /The server restarts at 22:00\./);
	t.regex(page, /no timer runs them: `massmail schedule install`/);
	t.regex(dashboard.lines()[22]!, /t Time +e Edit text +s Send now +c Cancel it/);
	fits(t, dashboard, {columns: 80, rows: 24}, 'the scheduled send\'s page');

	await dashboard.press('c');
	t.regex(dashboard.screen(), /Cancel "Reminder: maintenance" \(Sat 12 Dec 2026 18:00 CET\)\?/);
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /Cancel "Reminder: maintenance"/, 'Enter does not answer');
	t.is(openSchedule(dashboard.store).get(id).state, 'scheduled');
	await dashboard.press('y');
	t.is(openSchedule(dashboard.store).get(id).state, 'cancelled');
	t.regex(dashboard.screen(), /Scheduled reminder \S+ │ cancelled/);
	t.regex(dashboard.screen(), /Why +cancelled by /);
	t.notRegex(dashboard.lines()[1]!, /next:/, 'nothing waits: the header shows no next send');
	t.notRegex(dashboard.lines()[22]!, /Send now|Cancel it/, 'a cancelled send cannot be sent or cancelled');
	await dashboard.press(ESC);
	t.regex(dashboard.lines()[3]!, /Sat 18:00 +remind +cancelled/);
	t.regex(dashboard.screen(), /cancelled: cancelled by /);
	t.is(setup.server.messages.length, 0);
});

test.serial('a new time from the page: the same field, shown in full; the header follows', async t => {
	const setup = await scheduleSetup(t);
	let id = '';
	const dashboard = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}, setup(store) {
		store.saveDirectory(sampleDirectory());
		id = scheduleSaturday(store, setup.env).id;
	}});
	t.teardown(async () => dashboard.unmount());
	await dashboard.press(ENTER, 't');
	t.regex(dashboard.screen(), /Now: Sat 12 Dec 2026 18:00 CET/);
	await dashboard.type('Sun 09:30');
	t.regex(dashboard.screen(), /Sun 13 Dec 2026 09:30 CET, in 1 day 18 hours 30 minutes|Sun 13 Dec 2026 09:30 CET, in 1 day 18 hours/);
	await dashboard.press(ENTER);
	t.is(openSchedule(dashboard.store).get(id).at, '2026-12-13T08:30:00.000Z');
	t.regex(dashboard.screen(), /At +Sun 13 Dec 2026 09:30 CET/);
	t.regex(dashboard.lines()[1]!, /next: Sun 09:30 Reminder/);
});

test.serial('send now from the page: asks, then runs as a send with the Progress screen; the server gets each recipient once', async t => {
	const setup = await scheduleSetup(t);
	let id = '';
	const dashboard = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}, setup(store) {
		store.saveDirectory(sampleDirectory());
		id = scheduleSaturday(store, setup.env).id;
	}});
	t.teardown(async () => dashboard.unmount());
	await dashboard.press(ENTER, 's');
	t.regex(dashboard.screen(), /Send it now, before its time \(Sat 12 Dec 2026 18:00 CET\)\?/);
	t.is(setup.server.messages.length, 0, 'asking sends nothing');
	await dashboard.press('y');
	await dashboard.settle(screen => /Finished/.test(screen));
	t.regex(dashboard.screen(), /Finished: 2 of 2 sent/);
	t.deepEqual(setup.server.messages.map(message => message.envelope.to).sort(), [['ann@example.com'], ['bob@example.com']]);
	t.is(openSchedule(dashboard.store).get(id).state, 'started');
	t.true(dashboard.services.delivery().sends.has(id), 'the send record has the schedule\'s id');
	await dashboard.press(ENTER);
	await dashboard.settle(screen => /History/.test(screen.split('\n')[0]!));
	t.regex(dashboard.lines()[3]!, /remind +finished +2\/0\/2/, 'listed once, as the send it became');
	t.notRegex(dashboard.screen(), /scheduled/);
	t.notRegex(dashboard.lines()[1]!, /next:/);
	t.is(setup.server.messages.length, 2, 'each recipient once');
});

test.serial('the header warns that no timer runs the scheduled sends, and not once a timer unit is there', async t => {
	const setup = await scheduleSetup(t);
	const store = (s: Store) => {
		s.saveDirectory(sampleDirectory());
		scheduleSaturday(s, setup.env);
	};

	const without = await renderDashboard(t, {env: setup.env, setup: store});
	t.teardown(async () => without.unmount());
	t.regex(without.lines()[1]!, /next: Sat 18:00 Reminder: mai\S* · 2 \(no timer\)$/);

	fs.writeFileSync(path.join(setup.unitDir, timerName), '[Timer]\nOnCalendar=minutely\n');
	const withTimer = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}});
	t.teardown(async () => withTimer.unmount());
	t.regex(withTimer.lines()[1]!, /next: Sat 18:00 Reminder: maintenance · 2$/);
	t.notRegex(withTimer.screen(), /no timer/);
});

test.serial('mail to the local capture server: the header never cuts "local capture" to make room for the next send', async t => {
	const setup = await scheduleSetup(t);
	const {MASSMAIL_SMTP_URL: _server, ...env} = setup.env;
	let scheduled = false;
	const fill = (store: Store) => {
		store.saveDirectory(sampleDirectory());
		scheduleSaturday(store, env, 'Reminder: Policy change for every mailbox of example.com');
		scheduled = true;
	};

	for (const size of [{columns: 80, rows: 24}, {columns: 60, rows: 20}]) {
		const dashboard = await renderDashboard(t, {env, ...size, route: {screen: 'history'}, setup: scheduled ? undefined : fill});
		t.teardown(async () => dashboard.unmount());
		// `Mail goes to: local captu…` said nothing of where mail goes.
		t.regex(dashboard.lines()[1]!, /^ Mail goes to: local capture\b.*next: Sat 18:00/, `${size.columns}: ${dashboard.lines()[1]}`);
	}
});

test.serial('every schedule screen fits 80×24 and 60×20, the next send in the header cut to the width', async t => {
	const setup = await scheduleSetup(t);
	let id = '';
	const fill = (store: Store) => {
		store.saveDirectory(sampleDirectory());
		id = scheduleSaturday(store, setup.env, 'Reminder: maintenance of the mail servers of example.com tonight, please log out first').id;
	};

	for (const size of [{columns: 80, rows: 24}, {columns: 60, rows: 20}]) {
		const dashboard = await renderDashboard(t, {env: setup.env, ...size, route: {screen: 'history'}, setup: id === '' ? fill : undefined});
		t.teardown(async () => dashboard.unmount());
		t.regex(dashboard.lines()[1]!, /Mail goes to: \S{4,}.*next: Sat 18:00( .*)? \(no timer\)$/, `${size.columns}: ${dashboard.lines()[1]}`);
		fits(t, dashboard, size, 'History');
		t.regex(dashboard.screen(), /Sat 18:00 +remind +scheduled/);
		await dashboard.press(ENTER);
		fits(t, dashboard, size, 'the scheduled send\'s page');
		t.regex(dashboard.screen(), /Sat 12 Dec 2026 18:00 CET/);
		await dashboard.press('t');
		await dashboard.type('tomorrow 19:00');
		fits(t, dashboard, size, 'the time prompt');
		t.regex(dashboard.screen(), /Sat 12 Dec 2026 19:00 CET, in 1 day 4 hours/);
		await dashboard.press(ESC);
		await dashboard.press('y');
	}

	// Review with its Schedule prompt at 60×20.
	const dashboard = await renderDashboard(t, {env: setup.env, columns: 60, rows: 20});
	t.teardown(async () => dashboard.unmount());
	await dashboard.press(ENTER, ENTER);
	await dashboard.focusField('Subject');
	await dashboard.type('Maintenance');
	await dashboard.focusField('Message');
	await dashboard.type('Tonight.');
	await dashboard.press(CTRL_S);
	fits(t, dashboard, {columns: 60, rows: 20}, 'Review');
	await dashboard.press('l');
	await dashboard.type('tomorrow 18:00');
	fits(t, dashboard, {columns: 60, rows: 20}, 'the Schedule prompt');
	t.regex(dashboard.screen(), /Sat 12 Dec 2026 18:00 CET, in 1 day 3/);
	t.is(openSchedule(dashboard.store).get(id).state, 'scheduled');
});

test.serial('a new text from the page: the subject in a field, the message in the editor; saved when changed, refused when the composer would refuse it', async t => {
	const setup = await scheduleSetup(t);
	let id = '';
	const edited: string[] = [];
	let editorAnswer: string | Error = 'The server restarts at 23:00 instead.\n';
	const dashboard = await renderDashboard(t, {env: setup.env, route: {screen: 'history'}, setup(store) {
		store.saveDirectory(sampleDirectory());
		id = scheduleSaturday(store, setup.env).id;
	}, async editText(text) {
		edited.push(text);
		if (editorAnswer instanceof Error) {
			throw editorAnswer;
		}

		return editorAnswer;
	}});
	t.teardown(async () => dashboard.unmount());
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /e Edit text/);
	await dashboard.press('e');
	t.regex(dashboard.screen(), /Subject.*Reminder: maintenance/);

	// An empty subject is refused where it is typed; the record keeps its own.
	await dashboard.press(...Array.from({length: 'Reminder: maintenance'.length}, () => BACKSPACE));
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /Subject is empty/);
	t.deepEqual(edited, []);

	await dashboard.type('Reminder: maintenance moved');
	await dashboard.press(ENTER);
	t.deepEqual(edited, ['The server restarts at 22:00.\n'], 'the editor opens on the scheduled message');
	await dashboard.settle(screen => screen.includes('Saved'));
	t.regex(dashboard.screen(), /The subject and the message changed; run-due sends the new text/);
	const record = openSchedule(dashboard.store).get(id);
	t.is(record.draft.subject, 'Reminder: maintenance moved');
	t.is(record.draft.body, 'The server restarts at 23:00 instead.\n');
	t.is(record.at, '2026-12-12T17:00:00.000Z', 'the time is kept');
	await dashboard.press(ENTER);
	t.regex(dashboard.screen(), /Subject +Reminder: maintenance moved/);

	// The editor failing changes nothing, and says so.
	editorAnswer = new Error('$VISUAL (nano) exited with status 1');
	await dashboard.press('e');
	await dashboard.press(ENTER);
	await dashboard.settle(screen => screen.includes('nothing was changed'));
	t.regex(dashboard.screen(), /exited with status 1/);
	t.is(openSchedule(dashboard.store).get(id).draft.body, 'The server restarts at 23:00 instead.\n');
});
