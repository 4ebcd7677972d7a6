import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package's directory: `@acme/store-backend-redis` resolves from here to its own dist. */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Tests that load the package by name (as core and the CLI do) use its build; fail clearly without
 * one. (`turbo run test` builds first.)
 */
export function assertBuilt(): void {
  for (const file of ["dist/index.js", "dist/index.cjs", "node_modules/@store/core/dist/index.js"]) {
    if (!fs.existsSync(path.join(PACKAGE_DIR, file))) {
      throw new Error(`${file} is missing: run \`pnpm --filter @acme/store-backend-redis... build\` first`);
    }
  }
}
