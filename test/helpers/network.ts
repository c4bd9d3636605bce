/** This machine's first IPv4 address that is not loopback: traffic to it stays on this machine. */
import os from 'node:os';

export function ownNonLoopbackAddress(): string | undefined {
	for (const entries of Object.values(os.networkInterfaces())) {
		for (const entry of entries ?? []) {
			if (entry.family === 'IPv4' && !entry.internal) {
				return entry.address;
			}
		}
	}

	return undefined;
}
