import { runConformanceSuite } from "@store/testkit";
import { describe, it } from "vitest";
import { commandBackend } from "../src/index";
import { KV_V2, kvShOptions, MEMORY_V2 } from "./providers";

// Protocol v1 through the POSIX-sh reference provider: every group runs (cursor paging is emulated).
runConformanceSuite({
  name: "@store/backend-command v1 (providers/kv.sh)",
  backend: commandBackend,
  runner: { describe, it },
  options: ({ dataDir }) => kvShOptions(dataDir),
});

// Protocol v2 through the persistent Node reference provider.
runConformanceSuite({
  name: "@store/backend-command v2 (providers/kv-v2.mjs)",
  backend: commandBackend,
  runner: { describe, it },
  options: ({ dataDir }) => ({ process: [process.execPath, KV_V2], working_dir: dataDir }),
});

// The README's example provider, as printed there.
runConformanceSuite({
  name: "@store/backend-command v2 (providers/memory-v2.mjs, the README example)",
  backend: commandBackend,
  runner: { describe, it },
  options: ({ dataDir }) => ({ process: `exec node ${MEMORY_V2}`, working_dir: dataDir }),
});
