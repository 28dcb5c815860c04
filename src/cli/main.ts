#!/usr/bin/env node
// rollbackctl: `npm run ctl -- <command>` or the `rollbackctl` bin. See docs/rollbackctl.md.
import { runCli } from './program.js';

runCli(process.argv.slice(2), {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  env: process.env,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
