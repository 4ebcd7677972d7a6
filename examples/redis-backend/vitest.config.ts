import { defineConfig } from "vitest/config";

// No aliases into the monorepo's sources: like any third-party package, the tests use the built
// @store/core and @store/testkit from node_modules.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // One Redis server for every file: run the files one after another, never two suites at once.
    fileParallelism: false,
    server: {
      deps: {
        // In this workspace @store/core is a symlink out of node_modules, which vitest would run
        // through its own module loader; load it natively instead, as an installed copy is.
        external: [/\/packages\/core\/dist\//],
      },
    },
    reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results.json" }]] : ["default"],
  },
});
