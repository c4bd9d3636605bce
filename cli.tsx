#!/usr/bin/env -S node --max-semi-space-size=4 --no-allocation-site-pretenuring
// The flags above keep V8's young generation small: loading a 100,000-mailbox directory
// otherwise grows it to 3 x 16 MB of mostly garbage, and a send peaked at ~154 MB instead
// of ~137 MB, at the same speed; and keep each message's objects young: once many of them
// outlived a young collection (one message goes behind another's final dot), V8 began to
// allocate them straight in the old generation, where they stayed until a full collection,
// and a send of 100,000 peaked at 220 MB instead of ~130 MB. (`env -S`: GNU coreutils 8.30+,
// BSD and macOS.)
import {runCli} from './source/cli/main.js';

// exitCode, not exit(): let stdout drain (a large `--json` listing piped to another program).
process.exitCode = await runCli(process.argv.slice(2));
