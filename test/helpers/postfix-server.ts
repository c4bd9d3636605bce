/**
 * A real Postfix for one test: a private instance (`postfix -c DIR start`) in a temporary folder,
 * listening only on 127.0.0.1 at a free port, delivering through its real queue to one Maildir per
 * recipient (virtual(8)), with the client limits Postfix applies through anvil(8) when asked.
 *
 * The folder holds everything: `etc/` (main.cf, master.cf: config_directory), `queue/`
 * (queue_directory), `data/` (data_directory), `mail/DOMAIN/LOCAL/` (the Maildirs), `maillog`
 * (postlogd's log). It never reads
 * or changes /etc/postfix or the system's instance, and several instances can run at once.
 *
 * The mailboxes are the addresses a test lists (`mailboxes`), in a texthash virtual_mailbox_maps:
 * virtual(8) accepts no map that could make up a mailbox for any address (it refuses `$1` in a
 * regexp table, and socketmap or tcp tables outright). Any other address of a served domain gets
 * Postfix's own "550 5.1.1 … User unknown in virtual mailbox table" at RCPT TO (unless
 * `transportMaps` is given: see there).
 *
 * Delivery reports (RFC 3464, asked for with the DSN parameters) go to the envelope sender like any
 * mail: make the return path one of `mailboxes` (with `recipientDelimiter` for VERP), route some
 * recipients to a failing transport (`transportMaps`), and set `delayWarningTime` for delay reports.
 *
 * Needs root (Postfix's master runs as root; CI runs as root) and Debian's postfix package
 * (`bash scripts/test-prerequisites.sh`).
 */
import {execFile, execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {promisify} from 'node:util';
import {freePort} from '../../bench/lib/postfix.js';
import {endAtExit, forgetAtExit} from './end-at-exit.js';
import {account} from './processes.js';

const run = promisify(execFile);
const postfixBinary = '/usr/sbin/postfix';
export const postfixInstallCommand = 'bash scripts/test-prerequisites.sh';

export interface PostfixOptions {
	/** The addresses that have a Maildir (any other address of a served domain is refused with 550). */
	mailboxes?: string[];
	/**
	 * virtual_mailbox_domains. Default: the domains of `mailboxes`, or `['example.com']` when none.
	 * Mail to any other domain is refused (554 Relay access denied): nothing leaves the machine.
	 */
	domains?: string[];
	/** smtpd_client_connection_count_limit: simultaneous connections per client (Postfix default 50). */
	connectionCountLimit?: number;
	/** smtpd_client_connection_rate_limit: connections per client per `rateTimeUnit` (default 0: none). */
	connectionRateLimit?: number;
	/** smtpd_client_message_rate_limit: MAIL FROM per client per `rateTimeUnit` (default 0: none). */
	messageRateLimit?: number;
	/** anvil_rate_time_unit, e.g. `'10s'` (Postfix default 60s). */
	rateTimeUnit?: string;
	/**
	 * recipient_delimiter, e.g. `'+'`: `bounces+x.1@example.com` then reaches the mailbox
	 * `bounces@example.com` (VERP return paths). Default: none (Postfix's default).
	 */
	recipientDelimiter?: string;
	/**
	 * transport_maps (texthash): address -> `transport:nexthop`, e.g.
	 * `{'full@example.com': 'error:5.2.2 mailbox full', 'later@example.com': 'retry:4.4.1 try again later'}`.
	 * Those recipients are accepted at RCPT TO, then bounced (error) or deferred (retry) by the queue,
	 * with a delivery report to the envelope sender: a real "accepted, then failed". For that the
	 * harness turns smtpd_reject_unlisted_recipient off (Postfix 3.7 refuses an error: or retry:
	 * recipient at RCPT TO otherwise), so any other unlisted address of a served domain is accepted
	 * too and bounced after ("unknown user"), instead of refused with 550.
	 */
	transportMaps?: Record<string, string>;
	/**
	 * delay_warning_time, e.g. `'1s'`: a sender asking for NOTIFY=DELAY gets a delay report once a
	 * deferred message is older than that. Deferred mail is then also retried every second
	 * (queue_run_delay, minimal_backoff_time, maximal_backoff_time), so the report comes within
	 * seconds. Default: no delay reports (Postfix's default 0h).
	 */
	delayWarningTime?: string;
	/** Any other main.cf setting; applied last, so it overrides the harness's own. */
	extraMain?: Record<string, string>;
}

export interface PostfixServer {
	host: '127.0.0.1';
	port: number;
	/** The instance's temporary folder, and its config_directory (for `postfix -c … check`). */
	folder: string;
	configDirectory: string;
	/** The Maildir folder of an address (it exists once a message was delivered). */
	maildir: (address: string) => string;
	/** The raw message files delivered to an address (Maildir new/ and cur/), oldest name first. */
	messages: (address: string) => Buffer[];
	/** Messages delivered per recipient address (lower case), every Maildir of every domain. */
	countsByRecipient: () => Map<string, number>;
	/** Messages delivered into all the Maildirs. */
	delivered: () => number;
	/** Messages still in the queue (maildrop, incoming, active, deferred, hold). */
	queued: () => number;
	/**
	 * Resolves once at least `count` messages are in the Maildirs (delivery follows "250 queued"
	 * asynchronously); rejects after `timeoutMs` with the counts and the end of the log.
	 */
	waitForDelivered: (count: number, timeoutMs?: number) => Promise<void>;
	/** The instance's log (maillog_file, written by postlogd a moment after each event). */
	logLines: () => string[];
	/**
	 * Kills every process of the instance at once (SIGKILL: a relay machine dying mid-send), keeping
	 * its folder: what it accepted stays in its queue, delivered once `startAgain` runs it.
	 */
	kill: () => void;
	/** Starts a killed instance again on its port, folder and queue. */
	startAgain: () => Promise<void>;
	/** Stops the instance, ends any process left of it, and removes the folder. Safe to call twice. */
	stop: () => Promise<void>;
}

/** uid and gid of a system account, from /etc/passwd. */
/** Processes whose environment names this instance's config directory (master's children inherit it). */
function instanceProcesses(configDirectory: string): number[] {
	const marker = Buffer.from(`MAIL_CONFIG=${configDirectory}\0`);
	const pids: number[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
			continue;
		}

		try {
			if (fs.readFileSync(`/proc/${entry}/environ`).includes(marker)) {
				pids.push(Number(entry));
			}
		} catch {
			// Gone, or a kernel thread.
		}
	}

	return pids;
}

function killAll(pids: number[]): void {
	for (const pid of pids) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}
}

function mainCf(folder: string, port: number, domains: string[], mailUser: {uid: number; gid: number}, options: PostfixOptions): string {
	const rejectOutside = 'error:5.7.1 this test server delivers only to its own virtual mailboxes';
	const settings: Record<string, string> = {
		compatibility_level: '3.6',
		config_directory: path.join(folder, 'etc'),
		queue_directory: path.join(folder, 'queue'),
		data_directory: path.join(folder, 'data'),
		syslog_name: `postfix-test-${port}`,
		maillog_file: path.join(folder, 'maillog'),
		maillog_file_prefixes: folder,
		myhostname: 'localhost.localdomain',
		mydestination: '',
		inet_interfaces: 'loopback-only',
		inet_protocols: 'ipv4',
		smtpd_peername_lookup: 'no',
		// Nothing leaves this machine: only the virtual domains are accepted, everything else is refused.
		smtpd_relay_restrictions: 'reject_unauth_destination',
		relay_domains: '',
		default_transport: rejectOutside,
		relay_transport: rejectOutside,
		local_transport: rejectOutside,
		alias_maps: '',
		alias_database: '',
		local_recipient_maps: '',
		virtual_mailbox_domains: domains.join(' '),
		virtual_mailbox_base: path.join(folder, 'mail'),
		virtual_mailbox_maps: `texthash:${path.join(folder, 'etc', 'mailboxes')}`,
		virtual_uid_maps: `static:${mailUser.uid}`,
		virtual_gid_maps: `static:${mailUser.gid}`,
		// 127.0.0.1 is limited like any other client (the default exempts $mynetworks).
		smtpd_client_event_limit_exceptions: '',
	};
	const limits: Array<[keyof PostfixOptions, string]> = [
		['connectionCountLimit', 'smtpd_client_connection_count_limit'],
		['connectionRateLimit', 'smtpd_client_connection_rate_limit'],
		['messageRateLimit', 'smtpd_client_message_rate_limit'],
		['rateTimeUnit', 'anvil_rate_time_unit'],
	];
	for (const [option, parameter] of limits) {
		if (options[option] !== undefined) {
			settings[parameter] = String(options[option]);
		}
	}

	if (options.recipientDelimiter !== undefined) {
		settings.recipient_delimiter = options.recipientDelimiter;
	}

	if (options.transportMaps !== undefined) {
		settings.transport_maps = `texthash:${path.join(folder, 'etc', 'transport')}`;
		settings.smtpd_reject_unlisted_recipient = 'no';
	}

	if (options.delayWarningTime !== undefined) {
		Object.assign(settings, {
			delay_warning_time: options.delayWarningTime,
			queue_run_delay: '1s',
			minimal_backoff_time: '1s',
			maximal_backoff_time: '1s',
		});
	}

	Object.assign(settings, options.extraMain);
	return Object.entries(settings).map(([name, value]) => `${name} = ${value}`).join('\n') + '\n';
}

function masterCf(port: number): string {
	// service type private unpriv chroot wakeup maxproc command: no chroot, one SMTP listener on loopback.
	return [
		`127.0.0.1:${port} inet n - n - - smtpd`,
		'pickup unix n - n 60 1 pickup',
		'cleanup unix n - n - 0 cleanup',
		'qmgr unix n - n 300 1 qmgr',
		'rewrite unix - - n - - trivial-rewrite',
		'bounce unix - - n - 0 bounce',
		'defer unix - - n - 0 bounce',
		'trace unix - - n - 0 bounce',
		'verify unix - - n - 1 verify',
		'flush unix n - n 1000? 0 flush',
		'proxymap unix - - n - - proxymap',
		'showq unix n - n - - showq',
		'error unix - - n - - error',
		'retry unix - - n - - error',
		'discard unix - - n - - discard',
		'virtual unix - n n - - virtual',
		'anvil unix - - n - 1 anvil',
		'scache unix - - n - 1 scache',
		'postlog unix-dgram n - n - 1 postlogd',
		'',
	].join('\n');
}

function countFiles(folder: string): number {
	try {
		return fs.readdirSync(folder).length;
	} catch {
		return 0;
	}
}

function countTree(folder: string): number {
	let count = 0;
	let entries: fs.Dirent[];
	try {
		entries = fs.readdirSync(folder, {withFileTypes: true});
	} catch {
		return 0;
	}

	for (const entry of entries) {
		count += entry.isDirectory() ? countTree(path.join(folder, entry.name)) : 1;
	}

	return count;
}

/**
 * The RCPT TO and DATA commands Postfix answered with an error, from the counts it logs as each
 * client disconnects (`rcpt=8/10`: 10 sent, 8 accepted; a bare `rcpt=10`: none refused). A
 * pipelined MAIL FROM refused gets its RCPT TO and DATA refused too ("503 need MAIL command").
 */
export function refusedCommandsInLog(lines: string[]): number {
	let refused = 0;
	for (const line of lines.filter(text => text.includes(' disconnect from '))) {
		for (const [, ok, sent] of line.matchAll(/\b(?:rcpt|data)=(\d+)\/(\d+)/g)) {
			refused += Number(sent) - Number(ok);
		}
	}

	return refused;
}

/** Start a private Postfix instance; stop it with `stop()` (in `t.teardown`). */
export async function startPostfix(options: PostfixOptions = {}): Promise<PostfixServer> {
	if (!fs.existsSync(postfixBinary) || !fs.existsSync('/usr/sbin/postconf')) {
		throw new Error(`Postfix is not installed (${postfixBinary} not found): install it with \`${postfixInstallCommand}\` (as root, or with sudo).`);
	}

	if (process.getuid?.() !== 0) {
		throw new Error('startPostfix needs root: Postfix\'s master runs as root (CI runs the tests as root).');
	}

	const postfixUser = account('postfix');
	const mailUser = account('nobody');
	if (!postfixUser || !mailUser) {
		throw new Error(`The postfix and nobody accounts must exist: reinstall Postfix with \`${postfixInstallCommand}\`.`);
	}

	const mailboxes = [...new Set((options.mailboxes ?? []).map(address => address.toLowerCase()))];
	for (const address of mailboxes) {
		if (!/^[^@/\s.][^@/\s]*@[^@/\s]+$/.test(address)) {
			throw new Error(`Not an address startPostfix can give a Maildir: ${address}`);
		}
	}

	const mailboxDomains = [...new Set(mailboxes.map(address => address.slice(address.indexOf('@') + 1)))];
	const domains = (options.domains ?? (mailboxDomains.length > 0 ? mailboxDomains : ['example.com'])).map(domain => domain.toLowerCase());
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'massmail-postfix-'));
	const configDirectory = path.join(folder, 'etc');
	const mailBase = path.join(folder, 'mail');
	const queueDirectory = path.join(folder, 'queue');
	let port: number;
	const removeFolder = () => {
		fs.rmSync(folder, {recursive: true, force: true});
	};

	try {
		// The postfix user must reach the queue and data folders; nobody (virtual's uid) writes the Maildirs.
		fs.chmodSync(folder, 0o755);
		for (const sub of ['etc', 'queue', 'data', 'mail']) {
			fs.mkdirSync(path.join(folder, sub), {mode: 0o755});
		}

		fs.chownSync(path.join(folder, 'data'), postfixUser.uid, postfixUser.gid);
		fs.chmodSync(path.join(folder, 'data'), 0o700);
		fs.chownSync(mailBase, mailUser.uid, mailUser.gid);
		fs.chmodSync(mailBase, 0o700);
		// DOMAIN/LOCAL/: the trailing slash makes it a Maildir.
		const map = mailboxes.map(address => {
			const [local, domain] = [address.slice(0, address.lastIndexOf('@')), address.slice(address.lastIndexOf('@') + 1)];
			return `${address} ${domain}/${local}/\n`;
		});
		fs.writeFileSync(path.join(configDirectory, 'mailboxes'), map.join(''));
		if (options.transportMaps !== undefined) {
			const routes = Object.entries(options.transportMaps).map(([address, transport]) => {
				if (/[\s:]/.test(address) || /[\r\n]/.test(transport) || !/^[a-z][\w-]*:/.test(transport)) {
					throw new Error(`Not a transport_maps entry startPostfix can write: ${address} ${transport}`);
				}

				return `${address.toLowerCase()} ${transport}\n`;
			});
			fs.writeFileSync(path.join(configDirectory, 'transport'), routes.join(''));
		}

		// The port is free when asked but could be taken before master binds it: then try another.
		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			fs.writeFileSync(path.join(configDirectory, 'main.cf'), mainCf(folder, port, domains, mailUser, options));
			fs.writeFileSync(path.join(configDirectory, 'master.cf'), masterCf(port));
			try {
				// `start` returns once master has bound its listener and started (master -w).
				await run(postfixBinary, ['-c', configDirectory, 'start'], {timeout: 30_000});
				break;
			} catch (error) {
				const output = `${(error as {stderr?: string}).stderr ?? ''}${(error as Error).message}`;
				if (attempt < 3 && /address already in use/i.test(output)) {
					continue;
				}

				throw new Error(`postfix -c ${configDirectory} start failed: ${output.trim()}`, {cause: error});
			}
		}
	} catch (error) {
		killAll(instanceProcesses(configDirectory));
		removeFolder();
		throw error;
	}

	endAtExit(folder, () => {
		try {
			execFileSync(postfixBinary, ['-c', configDirectory, 'abort'], {stdio: 'ignore', timeout: 5000});
		} catch {
			// Not running.
		}

		killAll(instanceProcesses(configDirectory));
	});

	const maildir = (address: string): string => {
		const at = address.lastIndexOf('@');
		const local = address.slice(0, at).toLowerCase();
		const domain = address.slice(at + 1).toLowerCase();
		if (at < 1 || local.includes('/') || domain.includes('/') || local.startsWith('.')) {
			throw new Error(`Not an address with a Maildir here: ${address}`);
		}

		return path.join(mailBase, domain, local);
	};

	const messageFiles = (box: string): string[] => {
		const files: string[] = [];
		for (const sub of ['new', 'cur']) {
			try {
				files.push(...fs.readdirSync(path.join(box, sub)).map(name => path.join(box, sub, name)));
			} catch {
				// No Maildir yet.
			}
		}

		// Maildir names start with the delivery time in seconds, then a unique part.
		return files.sort((a, b) => path.basename(a).localeCompare(path.basename(b), 'en', {numeric: true}));
	};

	const countsByRecipient = (): Map<string, number> => {
		const counts = new Map<string, number>();
		for (const domain of countFiles(mailBase) ? fs.readdirSync(mailBase) : []) {
			for (const local of fs.readdirSync(path.join(mailBase, domain))) {
				const count = messageFiles(path.join(mailBase, domain, local)).length;
				if (count > 0) {
					counts.set(`${local}@${domain}`, count);
				}
			}
		}

		return counts;
	};

	const delivered = (): number => {
		let total = 0;
		for (const count of countsByRecipient().values()) {
			total += count;
		}

		return total;
	};

	const logLines = (): string[] => {
		try {
			return fs.readFileSync(path.join(folder, 'maillog'), 'utf8').split('\n').filter(line => line !== '');
		} catch {
			return [];
		}
	};

	let stopped: Promise<void> | undefined;
	return {
		host: '127.0.0.1',
		port,
		folder,
		configDirectory,
		maildir,
		messages: address => messageFiles(maildir(address)).map(file => fs.readFileSync(file)),
		countsByRecipient,
		delivered,
		kill() {
			killAll(instanceProcesses(configDirectory));
		},
		async startAgain() {
			// A killed master leaves its pid file: start refuses while the pid in it lives, not otherwise.
			await run(postfixBinary, ['-c', configDirectory, 'start'], {timeout: 30_000});
		},
		queued: () => ['maildrop', 'incoming', 'active', 'deferred', 'hold'].reduce((sum, sub) => sum + countTree(path.join(queueDirectory, sub)), 0),
		async waitForDelivered(count, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const now = delivered();
				if (now >= count) {
					return;
				}

				if (Date.now() > deadline) {
					const tail = logLines().slice(-15).join('\n');
					throw new Error(`Postfix delivered ${now} of ${count} messages in ${timeoutMs} ms. End of its log:\n${tail}`);
				}

				await sleep(25);
			}
		},
		logLines,
		async stop() {
			stopped ??= (async () => {
				try {
					await run(postfixBinary, ['-c', configDirectory, 'stop'], {timeout: 15_000});
				} catch {
					try {
						await run(postfixBinary, ['-c', configDirectory, 'abort'], {timeout: 5000});
					} catch {
						// Not running any more.
					}
				}

				// master's children (smtpd, virtual, …) finish on their own; end any that linger.
				for (let wait = 0; wait < 40 && instanceProcesses(configDirectory).length > 0; wait++) {
					await sleep(25);
				}

				killAll(instanceProcesses(configDirectory));
				forgetAtExit(folder);
				removeFolder();
			})();
			return stopped;
		},
	};
}
