import { runConformanceSuite } from "@store/testkit";
import { fileBackend } from "../src/index";

runConformanceSuite({ name: "@store/backend-file", backend: fileBackend });

runConformanceSuite({
  name: "@store/backend-file (fsync: never)",
  backend: fileBackend,
  options: () => ({ fsync: "never" }),
});
