/** An SMTP session of the engine's (transport.ts) to a test server on 127.0.0.1, without TLS or login. */
import {openSession, type Deadlines, type SmtpSession} from '../../source/core/delivery/transport.js';

/** Opens a session to `port` with `deadlines`; rejects with the opening's error. */
export async function plainSession(port: number, deadlines: Deadlines): Promise<SmtpSession> {
	const target = {host: '127.0.0.1', port, tls: 'none' as const, user: '', allowUnverifiedTls: false, description: '', captured: false};
	return new Promise<SmtpSession>((resolve, reject) => {
		openSession(target, deadlines, (failure, opened) => {
			if (failure || !opened) {
				reject(failure?.error);
			} else {
				resolve(opened);
			}
		});
	});
}
