#!/usr/bin/env node
import { run } from "./index";

// exitCode, not process.exit(): stdout is flushed before the process ends, even when piped.
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
