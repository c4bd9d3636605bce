/**
 * The SmarterMail source's HTTP: one JSON request (a reply past 64 MiB refused), over a lookup
 * that lets the password and its token go only where they may (`secretsMayGo`): over https, or
 * over plain http to a loopback address — the address connected to, never the name in the URL.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import {isLoopbackAddress} from '../tls.js';

/** A larger reply is refused rather than held in memory. */
const maxReplyBytes = 64 * 1024 * 1024;

/**
 * May a secret (the password, then the token it buys) go to this address over this scheme?
 * Over https always (the certificate is verified); over plain http only to a loopback address,
 * the address actually connected to, not the name in the URL.
 *
 * @example
 * secretsMayGo('https:', '203.0.113.5') // true
 * secretsMayGo('http:', '127.0.0.1')    // true
 * secretsMayGo('http:', '203.0.113.5')  // false
 */
export function secretsMayGo(protocol: string, address: string): boolean {
	if (protocol === 'https:') {
		return true;
	}

	return protocol === 'http:' && isLoopbackAddress(address);
}

/** A reply: its status, and its body as JSON when it is JSON. */
export interface Reply {
	status: number;
	statusText: string;
	/** The parsed JSON body, or undefined when the body was empty or not JSON. */
	json: unknown;
	bodyIsJson: boolean;
}

/** The reasons a plain-http connection was refused, kept to word the error. */
export class PlainTextRefused extends Error {
	constructor(readonly address: string) {
		super(`plain http to ${address}`);
	}
}

/** `HTTP 401 Unauthorized`: a reply's status as people read it. */
export function httpWords(reply: Reply): string {
	return `HTTP ${reply.status}${reply.statusText === '' ? '' : ` ${reply.statusText}`}`;
}

/**
 * One request and its reply, the body read as JSON when it is JSON. `signal` ends it; a reply
 * larger than 64 MiB ends with `tooLarge`'s error; a name that resolves only to addresses that may
 * not carry the secrets fails with a PlainTextRefused.
 */
export async function jsonRequest(url: URL, options: {
	method: string;
	headers: Record<string, string>;
	payload: Buffer | undefined;
	agent: http.Agent;
	signal: AbortSignal;
	tooLarge: (limit: string) => Error;
}): Promise<Reply> {
	const module = url.protocol === 'https:' ? https : http;
	return new Promise<Reply>((resolve, reject) => {
		const request = module.request(url, {
			method: options.method,
			headers: options.headers,
			agent: options.agent,
			signal: options.signal,
			lookup: guardedLookup(url.protocol),
		}, response => {
			const chunks: Buffer[] = [];
			let size = 0;
			response.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > maxReplyBytes) {
					response.destroy(options.tooLarge(`${maxReplyBytes / 1024 / 1024} MiB`));
					return;
				}

				chunks.push(chunk);
			});
			response.on('error', reject);
			response.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: unknown;
				let bodyIsJson = false;
				if (text.trim() !== '') {
					try {
						json = JSON.parse(text);
						bodyIsJson = true;
					} catch {
						json = undefined;
					}
				}

				resolve({status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', json, bodyIsJson});
			});
		});
		request.on('error', reject);
		request.end(options.payload);
	});
}

/**
 * The name in an http:// URL may resolve anywhere: the connection goes only to the addresses
 * that may carry the password (see secretsMayGo), and fails when none may.
 */
function guardedLookup(protocol: string): net.LookupFunction {
	return (hostname, options, callback) => {
		dns.lookup(hostname, {...options, all: true}, (error, addresses) => {
			if (error) {
				callback(error, '', 0);
				return;
			}

			const allowed = addresses.filter(entry => secretsMayGo(protocol, entry.address));
			if (allowed.length === 0) {
				callback(new PlainTextRefused(addresses[0]?.address ?? hostname), '', 0);
				return;
			}

			if (options.all) {
				callback(null, allowed);
			} else {
				callback(null, allowed[0].address, allowed[0].family);
			}
		});
	};
}
