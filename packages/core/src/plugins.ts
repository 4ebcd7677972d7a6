import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { checkSpecificationVersion, isBackendDefinition } from "./contract/define";
import type { BackendDefinition } from "./contract/types";
import { StoreError } from "./errors";

/** The provider of stores that name none, and of auto-provisioned stores. */
export const DEFAULT_PROVIDER = "local";

/**
 * The builtin provider kinds and the packages that serve them, imported only when a store needs them:
 * `local` and `file` by name, `commands:` and `process:` providers by the command backend.
 */
export const BUILTIN_PROVIDERS: Readonly<Record<"local" | "file" | "command", string>> = Object.freeze({
  local: "@store/backend-local",
  file: "@store/backend-file",
  command: "@store/backend-command",
});

/**
 * Imports a backend package by name: first as core itself would resolve it, then from `resolveFrom`
 * (the user's project), so a CLI installed globally still finds plugins installed locally.
 */
export async function importBackendPackage(
  packageName: string,
  resolveFrom: string,
  purpose: string,
): Promise<BackendDefinition<unknown>> {
  let mod: unknown;
  try {
    mod = await import(packageName);
  } catch (first) {
    if (!isNotFound(first, packageName)) throw loadFailed(packageName, first);
    try {
      mod = await import(pathToFileURL(resolveFromProject(packageName, resolveFrom)).href);
    } catch (second) {
      if (!isNotFound(second, packageName)) throw loadFailed(packageName, second);
      throw new StoreError(
        "PLUGIN_NOT_INSTALLED",
        `${purpose} needs the package "${packageName}", which is not installed: run \`npm install ${packageName}\` (or pnpm add / yarn add)`,
        { cause: second, details: { package: packageName } },
      );
    }
  }
  return backendOfModule(mod, `package "${packageName}"`);
}

/** The backend a module exports: its default export (ESM or CJS) or a named `backend` export. */
export function backendOfModule(mod: unknown, what: string): BackendDefinition<unknown> {
  if (isBackendDefinition(mod)) return checked(mod, what);
  const m = mod as Record<string, unknown> | undefined;
  const candidates = [m?.default, (m?.default as Record<string, unknown> | undefined)?.default, m?.backend];
  const found = candidates.find(isBackendDefinition);
  if (!found) {
    throw new StoreError(
      "UNSUPPORTED",
      `${what} does not export a backend: its default export must come from defineBackend() of @store/core`,
      { details: { module: what } },
    );
  }
  return checked(found, what);
}

function checked(definition: BackendDefinition<unknown>, what: string): BackendDefinition<unknown> {
  checkSpecificationVersion(definition.specificationVersion, what);
  return definition;
}

/**
 * The entry file of `packageName` as seen from the project at `resolveFrom`. `require.resolve` knows
 * every layout (workspaces, Yarn PnP) but only the `require` condition, so an ESM-only package
 * (`exports: { import: … }`) is found by reading its package.json, preferring `import`.
 */
function resolveFromProject(packageName: string, resolveFrom: string): string {
  try {
    return createRequire(path.join(resolveFrom, "package.json")).resolve(packageName);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error;
    const entry = esmEntry(packageName, resolveFrom);
    if (entry === undefined) throw error;
    return entry;
  }
}

function esmEntry(packageName: string, from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const packageDir = path.join(dir, "node_modules", packageName);
    const manifest = path.join(packageDir, "package.json");
    if (fs.existsSync(manifest)) {
      let entry = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { exports?: unknown }).exports;
      if (typeof entry === "object" && entry !== null && !Array.isArray(entry) && "." in entry) {
        entry = (entry as Record<string, unknown>)["."];
      }
      // Conditions, nested: node, then import, then default.
      for (let depth = 0; depth < 8 && typeof entry === "object" && entry !== null; depth++) {
        const c = entry as Record<string, unknown>;
        entry = Array.isArray(entry) ? entry[0] : (c.node ?? c.import ?? c.default);
      }
      return typeof entry === "string" ? path.join(packageDir, entry) : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function isNotFound(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === "ERR_MODULE_NOT_FOUND" || e?.code === "MODULE_NOT_FOUND") &&
    // Only the package itself missing; a missing dependency *of* the plugin is a different problem.
    (e.message ?? "").includes(`'${packageName}'`)
  );
}

function loadFailed(packageName: string, error: unknown): StoreError {
  return new StoreError(
    "BACKEND_IO",
    `cannot load backend package "${packageName}": ${(error as Error)?.message}`,
    {
      cause: error,
      details: { package: packageName },
    },
  );
}
