#!/usr/bin/env node
import {runCli} from './source/cli/main.js';

// exitCode, not exit(): let stdout drain (a large `--json` listing piped to another program).
process.exitCode = await runCli(process.argv.slice(2));
