import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BACKEND_SPECIFICATION_VERSION, type BackendDefinition, isBackendDefinition } from "./backend";
import { StoreError } from "./errors";

/** The npm packages that serve the builtin provider kinds, imported only when a store needs them. */
export const BUILTIN_BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  local: "@store/backend-local",
  file: "@store/backend-file",
  command: "@store/backend-command",
};

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
      const requireFrom = createRequire(path.join(resolveFrom, "package.json"));
      mod = await import(pathToFileURL(requireFrom.resolve(packageName)).href);
    } catch (second) {
      if (!isNotFound(second, packageName)) throw loadFailed(packageName, second);
      throw new StoreError(
        "PLUGIN_NOT_INSTALLED",
        `${purpose} needs the package "${packageName}", which is not installed: run \`npm install ${packageName}\` (or pnpm add / yarn add)`,
        { cause: second, details: { package: packageName } },
      );
    }
  }
  return pickDefinition(mod, packageName);
}

function pickDefinition(mod: unknown, packageName: string): BackendDefinition<unknown> {
  const m = mod as Record<string, unknown> | undefined;
  // ESM default export, CJS module.exports seen through ESM, or a named `backend` export.
  const candidates = [m?.default, (m?.default as Record<string, unknown> | undefined)?.default, m?.backend];
  const found = candidates.find(isBackendDefinition);
  if (!found) {
    throw new StoreError(
      "UNSUPPORTED",
      `package "${packageName}" does not export a backend: its default export must come from defineBackend() of @store/core`,
      { details: { package: packageName } },
    );
  }
  if (found.specificationVersion !== BACKEND_SPECIFICATION_VERSION) {
    throw new StoreError(
      "UNSUPPORTED",
      `package "${packageName}" implements backend contract ${found.specificationVersion}; this @store/core implements ${BACKEND_SPECIFICATION_VERSION}`,
      { details: { package: packageName } },
    );
  }
  return found;
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
