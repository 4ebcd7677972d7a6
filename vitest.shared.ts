import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

const root = path.dirname(fileURLToPath(import.meta.url));
const src = (pkg: string, entry = "index") => path.join(root, "packages", pkg, "src", `${entry}.ts`);

/**
 * Tests import workspace packages from source, so a change in core is seen without a rebuild.
 * (Plugins loaded by package name still come from dist: core's errors and markers use Symbol.for,
 * so the two copies recognise each other, exactly as two installed copies would.)
 */
const sources: Record<string, string> = {
  "@store/core": src("core"),
  "@store/core/backend": src("core", "backend"),
  "@store/testkit": src("testkit"),
  "@store/backend-local": src("backend-local"),
  "@store/backend-file": src("backend-file"),
  "@store/backend-command": src("backend-command"),
  "@store/backend-postgres": src("backend-postgres"),
};

/** Exact package names only: `@store/core` must not also rewrite `@store/core/backend`. */
export const sourceAliases = Object.entries(sources).map(([name, file]) => ({
  find: new RegExp(`^${name.replace(/[/.]/g, "\\$&")}$`),
  replacement: file,
}));

export function packageTestConfig(overrides: ViteUserConfig["test"] = {}) {
  return defineConfig({
    resolve: { alias: sourceAliases },
    test: {
      globals: true,
      // In CI each package also writes a JSON report; scripts/test-summary.mjs adds them up.
      reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results.json" }]] : ["default"],
      testTimeout: 60_000,
      hookTimeout: 30_000,
      ...overrides,
    },
  });
}
