import { runConformanceSuite } from "@store/testkit";
import { describe, it } from "vitest";
import { fileBackend } from "../src/index";

// The whole testkit (the instance itself, then through StoreManager), with both durability policies.
runConformanceSuite({ name: "@store/backend-file", backend: fileBackend, runner: { describe, it } });

runConformanceSuite({
  name: "@store/backend-file (fsync: never)",
  backend: fileBackend,
  options: () => ({ fsync: "never" }),
  runner: { describe, it },
});
