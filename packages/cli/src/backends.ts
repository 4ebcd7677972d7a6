import { BUILTIN_PROVIDERS, type LazyBackend, StoreError } from "@store/core";

/** The scale-out backend ships with the CLI too; a provider names it with `plugin:`. */
export const POSTGRES_PACKAGE = "@store/backend-postgres";

/**
 * The backends that ship with the CLI, registered lazily: a command imports only the backend of the
 * store it touches (`store get` on a local store never loads the file, command or postgres code), and
 * `apply`, `validate` and `get` load none. A broken native module (better-sqlite3) then breaks only the
 * stores on `local`.
 */
export function builtinBackends(): LazyBackend[] {
  return [
    lazy("local", BUILTIN_PROVIDERS.local, () => import("@store/backend-local"), { noOptions: true }),
    lazy("file", BUILTIN_PROVIDERS.file, () => import("@store/backend-file"), { noOptions: true }),
    lazy("command", BUILTIN_PROVIDERS.command, () => import("@store/backend-command")),
    lazy(POSTGRES_PACKAGE, POSTGRES_PACKAGE, () => import("@store/backend-postgres")),
  ];
}

/**
 * `noOptions`: registered under the name of a builtin provider (`local`, `file`), the backend serves
 * only stores that name that provider without declaring it, and core passes it no options (a provider
 * that wants options is declared with `plugin:` and loads the package with its schema). Dropping the
 * options schema there spares every such command compiling it, which would load ajv at each start.
 */
function lazy(
  name: string,
  pkg: string,
  load: () => Promise<unknown>,
  options: { noOptions?: boolean } = {},
): LazyBackend {
  return {
    name,
    async load() {
      let mod: unknown;
      try {
        mod = await load();
      } catch (error) {
        throw loadFailure(name, pkg, error);
      }
      return options.noOptions ? withoutOptionsSchema(mod) : mod;
    },
  };
}

/** Marks a backend definition (core's defineBackend); the same symbol in every copy of core. */
const DEFINITION = Symbol.for("@store/core.backend");

function withoutOptionsSchema(mod: unknown): unknown {
  // The definition is the default export; a CommonJS build loaded through require() nests it once more.
  const m = mod as { default?: { default?: unknown } } | undefined;
  const definition = [mod, m?.default, m?.default?.default].find(
    (d) => typeof d === "object" && d !== null && (d as Record<symbol, unknown>)[DEFINITION] === true,
  );
  if (!definition) return mod; // core reports a module without a backend
  // Object spread keeps the marker (an enumerable symbol), so core still recognises the definition.
  return { default: { ...definition, optionsSchema: undefined } };
}

function loadFailure(name: string, pkg: string, reason: unknown): StoreError {
  const e = reason as { code?: string; message?: string };
  const missing =
    (e?.code === "ERR_MODULE_NOT_FOUND" || e?.code === "MODULE_NOT_FOUND") &&
    String(e.message).includes(`'${pkg}'`);
  return missing
    ? new StoreError(
        "PLUGIN_NOT_INSTALLED",
        `the ${name} backend needs "${pkg}", which ships with @store/cli but is not installed: reinstall @store/cli`,
        { cause: reason, details: { package: pkg } },
      )
    : new StoreError(
        "BACKEND_IO",
        `the ${name} backend (${pkg}) cannot be loaded: ${e?.message ?? String(reason)}`,
        {
          cause: reason,
          details: { package: pkg },
        },
      );
}
