import { type BackendDefinition, defineBackend, isBackendDefinition, StoreError } from "@store/core";

/** The backends that ship with the CLI, by provider name. */
const BUILTINS: Record<string, { pkg: string; load: () => Promise<{ default: unknown }> }> = {
  local: { pkg: "@store/backend-local", load: () => import("@store/backend-local") },
  file: { pkg: "@store/backend-file", load: () => import("@store/backend-file") },
  command: { pkg: "@store/backend-command", load: () => import("@store/backend-command") },
};

/**
 * Imports the builtin backends, each on its own and only for commands that touch entries: a broken
 * native module (better-sqlite3) then breaks only the stores on `local`, and `validate`, `apply` and
 * `get` never load it. A backend that fails to load is registered as a stand-in whose creation fails
 * with the real reason, so the store that needs it reports that reason (not a generic "not installed").
 */
export async function builtinBackends(): Promise<BackendDefinition<unknown>[]> {
  const entries = Object.entries(BUILTINS);
  const loaded = await Promise.allSettled(entries.map(([, b]) => b.load()));
  return loaded.map((result, i) => {
    const [name, { pkg }] = entries[i] as [string, { pkg: string }];
    if (result.status === "fulfilled" && isBackendDefinition(result.value.default))
      return result.value.default;
    return unavailable(
      name,
      pkg,
      result.status === "rejected" ? result.reason : new Error("it exports no backend"),
    );
  });
}

function unavailable(name: string, pkg: string, reason: unknown): BackendDefinition<unknown> {
  const missing =
    (reason as { code?: string })?.code === "ERR_MODULE_NOT_FOUND" &&
    String((reason as Error).message).includes(pkg);
  return defineBackend<unknown>({
    name,
    specificationVersion: "v1",
    create() {
      throw new StoreError(
        missing ? "PLUGIN_NOT_INSTALLED" : "BACKEND_IO",
        missing
          ? `the ${name} provider needs "${pkg}", which ships with @store/cli but is not installed: reinstall @store/cli`
          : `the ${name} provider (${pkg}) cannot be loaded: ${(reason as Error)?.message ?? String(reason)}`,
        { cause: reason, details: { package: pkg } },
      );
    },
  });
}
