/**
 * Storage with no domain words, under the journal and the JSON files alike (as etcd keeps
 * fileutil under its WAL): nothing here knows what a send, a directory or a setting is, and
 * errors are Node's own, for the layer above to name its file.
 *
 * durable.ts       whole writes and reads, the atomic replace of a file (an unpredictable temporary
 *                  name, removed on failure), fsync of a folder, the end of the last whole line of
 *                  an append-only file (a torn last line cut before appending)
 * process-lock.ts  a lock held while one process runs, told stale at once by PID, boot id and
 *                  start time (../file-lock.ts is the other kind: a short edit of a shared file)
 */
export {endOfLastLine, fsyncDirectory, keepPrivate, openForAppend, readFullySync, writeAllSync, writeAtomicSync} from './durable.js';
export {lockHolder, takeProcessLock, type LockHolder, type ProcessLock} from './process-lock.js';
