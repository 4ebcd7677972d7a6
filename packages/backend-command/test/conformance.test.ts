import { runConformanceSuite } from "@store/testkit";
import { describe, it } from "vitest";
import { commandBackend } from "../src/index";
import { KV_V2, kvShOptions, MEMORY_V2 } from "./providers";

// Protocol v1 through the POSIX-sh reference provider: keyset paging is core's (no cursor in v1).
runConformanceSuite({
  name: "@store/backend-command v1 (providers/kv.sh)",
  backend: commandBackend,
  runner: { describe, it },
  options: ({ dataDir }) => kvShOptions(dataDir),
  capabilities: { cursor: false },
});

// Protocol v2 through the persistent Node reference provider: it announces every capability.
runConformanceSuite({
  name: "@store/backend-command v2 (providers/kv-v2.mjs)",
  backend: commandBackend,
  runner: { describe, it },
  options: ({ dataDir }) => ({ process: [process.execPath, KV_V2], workingDir: dataDir }),
});

// The README's example provider, as printed there.
runConformanceSuite({
  name: "@store/backend-command v2 (providers/memory-v2.mjs, the README example)",
  backend: commandBackend,
  runner: { describe, it },
  options: ({ dataDir }) => ({ process: `exec node ${MEMORY_V2}`, workingDir: dataDir }),
});
