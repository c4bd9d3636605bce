/**
 * Writing one message to nodemailer's data stream (its dot-stuffing DataStream, piped to the
 * socket) in slices, each after the last has drained.
 *
 * The body is one Buffer shared by every recipient (compose.ts). Handed over whole, it is held by
 * each connection until the kernel took it, and the dot-stuffing makes a copy of it for each
 * message whenever a line starts with a dot: with a 50 MB message and 20 connections that was a
 * gigabyte. In slices only the slice being written is copied, and only one slice per connection
 * waits in memory; the shared body itself is never copied.
 */

/** How much is handed to the data stream at a time. */
export const messageSliceBytes = 64 * 1024;

/**
 * Writes `parts` to `stream` one slice at a time, waiting for 'drain' when the stream holds
 * enough, then calls `written` (from where the final dot may be written). A message that fits in
 * the stream's buffer is written at once, and `written` is called before this returns. A stream
 * that is closed under it never drains: `written` is then not called (the session's own deadline
 * and its close settle the attempt).
 *
 * @example writeMessage(dataStream, [head, body], () => dataStream.end())
 */
export function writeMessage(stream: NodeJS.WritableStream, parts: readonly Buffer[], written: () => void): void {
	let part = 0;
	let offset = 0;
	const writeSlices = () => {
		while (part < parts.length) {
			const buffer = parts[part];
			if (offset >= buffer.length) {
				part++;
				offset = 0;
				continue;
			}

			const end = Math.min(buffer.length, offset + messageSliceBytes);
			const slice = buffer.subarray(offset, end);
			offset = end;
			const last = end === buffer.length && parts.slice(part + 1).every(rest => rest.length === 0);
			if (!stream.write(slice) && !last) {
				stream.once('drain', writeSlices);
				return;
			}
		}

		written();
	};

	writeSlices();
}
