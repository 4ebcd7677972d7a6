#!/usr/bin/env node
import { EXIT, run } from "./index";

let finished = false;

// The event loop emptied while the command was still running: nothing is left that could finish it
// (a backend awaiting a process it no longer holds on to). Fail loudly: leaving now would exit 0.
process.on("beforeExit", () => {
  if (finished) return;
  finished = true;
  process.stderr.write(
    "wfstore: error BACKEND_IO: the command stopped before it finished: its backend left nothing to wait on (a provider process it no longer watches)\n",
  );
  process.exitCode = EXIT.BACKEND_FAILURE;
});

// exitCode, not process.exit(): stdout is flushed before the process ends, even when piped.
run(process.argv.slice(2)).then((code) => {
  finished = true;
  process.exitCode = code;
});
