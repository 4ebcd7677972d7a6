import { runConformanceSuite } from "@store/testkit";
import { describe, it } from "vitest";
import { localBackend } from "../src/index";

runConformanceSuite({
  name: "@store/backend-local",
  backend: localBackend,
  options: ({ dataDir }) => ({ path: `${dataDir}/conformance.sqlite` }),
  runner: { describe, it },
});
