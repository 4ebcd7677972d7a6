import path from "node:path";
import { camelCaseOptions } from "./contract/options";
import type {
  BackendCapabilities,
  BackendContext,
  BackendDefinition,
  BackendInstance,
} from "./contract/types";
import { ManifestError, StoreError, toStoreError } from "./errors";
import { BUILTIN_PROVIDERS, backendOfModule, DEFAULT_PROVIDER, importBackendPackage } from "./plugins";
import { ResourceSet, type StoreBackendProviderConfig, type WorkflowStoreConfig } from "./resources";
import { describe, pointerToPath } from "./schema/errors";
import { SchemaValidators } from "./schema/validators";
import { StoreHandle } from "./store/handle";
import type { ResolvedStore, StoreRuntime } from "./store/resolved";
import type { ResultOf, StoreOp, StoreRef } from "./types";
import { LIMITS, validateProjectId, validateStoreName } from "./validate";

/** A backend imported only when a store needs it (a CLI registers its bundled backends this way). */
export interface LazyBackend {
  /** The provider or package name it serves: `local`, `file`, `command`, or a plugin's package name. */
  name: string;
  /** Imports the module that exports the backend (its default export, or the definition itself). */
  load(): Promise<unknown>;
}

export interface StoreManagerOptions {
  /** Where builtin backends keep data. Default: `$WFSTORE_DATA_DIR`, else `./.wfstore`. */
  dataDir?: string;
  /** Declared stores and providers. Undeclared stores are auto-provisioned with defaults. */
  resources?: ResourceSet;
  /**
   * Backends registered by name, as definitions or lazy loaders. They serve the builtin providers of
   * that name (`local`, `file`, `command`) and providers whose `plugin:` names them, without a lookup
   * by package name.
   */
  backends?: Array<BackendDefinition<unknown> | LazyBackend>;
  /** The provider of auto-provisioned stores. Default `local`. */
  defaultProvider?: string;
  /** The clock, in epoch milliseconds. Tests use a fake one to exercise TTL. */
  now?: () => number;
  /** Largest serialized value accepted by put. Default 16 MiB. */
  maxValueBytes?: number;
  /** Where plugin packages are resolved from when core cannot see them itself. Default: cwd. */
  resolveFrom?: string;
  onWarning?: (message: string) => void;
}

interface ProviderInstance {
  instance: BackendInstance;
  definition: BackendDefinition<unknown>;
  capabilities: Readonly<BackendCapabilities>;
}

/**
 * True when there are no options and the schema requires none: the common case of a builtin provider,
 * answered without compiling the schema (so a command on such a store never loads ajv).
 */
function acceptsNoOptions(schema: Record<string, unknown>, options: Record<string, unknown>): boolean {
  if (Object.keys(options).length > 0) return false;
  const keys = Object.keys(schema);
  const harmless = new Set([
    "type",
    "additionalProperties",
    "properties",
    "description",
    "title",
    "$schema",
    "$id",
  ]);
  return schema.type === "object" && keys.every((k) => harmless.has(k));
}

/**
 * The registry of stores: resolves each (store, project) to its definition, provider and backend
 * instance, once, and closes the backends. The operations themselves belong to `StoreHandle`.
 */
export class StoreManager implements StoreRuntime {
  readonly dataDir: string;
  readonly resources: ResourceSet;
  readonly maxValueBytes: number;
  readonly now: () => number;
  private readonly registered = new Map<string, BackendDefinition<unknown> | LazyBackend>();
  private readonly defaultProvider: string;
  private readonly resolveFrom: string;
  private readonly warn: (message: string) => void;
  private readonly validators = new SchemaValidators();
  private readonly providers = new Map<string, Promise<ProviderInstance>>();
  private readonly resolved = new Map<string, ResolvedStore>();
  private readonly resolving = new Map<string, Promise<ResolvedStore>>();
  private closed = false;

  constructor(options: StoreManagerOptions = {}) {
    this.dataDir = path.resolve(options.dataDir ?? process.env.WFSTORE_DATA_DIR ?? ".wfstore");
    this.resources = options.resources ?? ResourceSet.empty();
    this.maxValueBytes = options.maxValueBytes ?? LIMITS.valueMaxBytes;
    this.now = options.now ?? Date.now;
    this.defaultProvider = options.defaultProvider ?? DEFAULT_PROVIDER;
    this.resolveFrom = options.resolveFrom ?? process.cwd();
    this.warn = options.onWarning ?? ((m) => process.emitWarning(m, { code: "WFSTORE" }));
    for (const b of options.backends ?? []) this.registered.set(b.name, b);
  }

  /** A handle on one store (and project), e.g. `manager.store("metrics", { project }).get(key)`. */
  store(name: string, options: { project?: string } = {}): StoreHandle {
    return new StoreHandle(this, validateStoreName(name), validateProjectId(options.project));
  }

  /** Runs one op; the result type follows the op. */
  async execute<O extends StoreOp>(op: O): Promise<ResultOf<O>> {
    const handle = this.store(op.store, { project: op.project });
    switch (op.op) {
      case "get": {
        const entry = await handle.getEntry(op.key);
        return (
          entry
            ? { op: "get", found: true, value: entry.value, version: entry.version }
            : { op: "get", found: false }
        ) as ResultOf<O>;
      }
      case "put": {
        const { taskId, ifVersion, ifAbsent } = op;
        return {
          op: "put",
          entry: await handle.put(op.key, op.value, { taskId, ifVersion, ifAbsent }),
        } as ResultOf<O>;
      }
      case "delete":
        return {
          op: "delete",
          existed: await handle.delete(op.key, { ifVersion: op.ifVersion }),
        } as ResultOf<O>;
      case "list":
        return {
          op: "list",
          entries: await handle.list({ limit: op.limit, offset: op.offset }),
        } as ResultOf<O>;
      case "prune":
        return {
          op: "prune",
          removed: await handle.prune({ maxEntries: op.maxEntries, ttlDays: op.ttlDays }),
        } as ResultOf<O>;
      default:
        throw new StoreError("INVALID_ARGUMENT", `unknown op ${JSON.stringify((op as { op: unknown }).op)}`);
    }
  }

  /** The definition, provider and backend serving `store` in `project` (resolved once, then cached). */
  resolve(store: string, project: string): ResolvedStore | Promise<ResolvedStore> {
    const cacheKey = `${store}\u0000${project}`;
    const hit = this.resolved.get(cacheKey);
    if (hit) return hit;
    if (this.closed) throw new StoreError("CLOSED", "the store manager is closed");
    let pending = this.resolving.get(cacheKey);
    if (!pending) {
      pending = this.resolveUncached(store, project).then(
        (r) => {
          this.resolved.set(cacheKey, r);
          this.resolving.delete(cacheKey);
          return r;
        },
        (error) => {
          this.resolving.delete(cacheKey);
          throw error;
        },
      );
      this.resolving.set(cacheKey, pending);
    }
    return pending;
  }

  private async resolveUncached(store: string, project: string): Promise<ResolvedStore> {
    const config: WorkflowStoreConfig = this.resources.findStore(store, project) ?? {
      name: store,
      provider: this.defaultProvider,
      retention: {},
    };
    const { instance, capabilities } = await this.provider(config.provider, store);
    const maxEntries = config.retention.maxEntries;
    if (maxEntries !== undefined && !capabilities.retentionOnPut && !capabilities.prune) {
      throw new StoreError(
        "UNSUPPORTED",
        `store "${store}" keeps at most ${maxEntries} entries (retention max_entries), but its provider "${config.provider}" can neither prune nor trim on put, so that limit cannot be kept: give the provider a prune command, or remove max_entries`,
        { details: { store, provider: config.provider, capability: "prune" } },
      );
    }
    const ref: StoreRef =
      config.basePath === undefined ? { store, project } : { store, project, basePath: config.basePath };
    return {
      ref,
      providerName: config.provider,
      backend: instance,
      capabilities,
      retention: config.retention,
      ...(config.schema === undefined ? {} : { checkSchema: this.validators.checker(config.schema, store) }),
    };
  }

  /** One backend instance per provider, created on first use. */
  private provider(name: string, forStore: string): Promise<ProviderInstance> {
    let pending = this.providers.get(name);
    if (!pending) {
      pending = this.createProvider(name, forStore);
      // A failed creation is not cached, so fixing the cause (installing a package) can be retried.
      pending.catch(() => this.providers.delete(name));
      this.providers.set(name, pending);
    }
    return pending;
  }

  private async createProvider(name: string, forStore: string): Promise<ProviderInstance> {
    const declared = this.resources.findProvider(name);
    const { definition, options } = declared
      ? await this.definitionForDeclared(declared)
      : { definition: await this.definitionForBuiltin(name, forStore), options: {} };
    const validOptions = this.checkOptions(definition, options, declared);
    const context: BackendContext = {
      dataDir: this.dataDir,
      providerName: name,
      baseDir: declared?.baseDir ?? this.resolveFrom,
      now: this.now,
      warn: this.warn,
    };
    let instance: BackendInstance;
    try {
      instance = await definition.create(validOptions, context);
    } catch (error) {
      throw toStoreError(error, "BACKEND_IO", `provider "${name}" (${definition.name}) failed to start`);
    }
    const capabilities = { ...definition.capabilities };
    for (const flag of Object.keys(capabilities) as (keyof BackendCapabilities)[]) {
      if (instance.capabilities?.[flag] === false) capabilities[flag] = false;
    }
    if (capabilities.prune && typeof instance.prune !== "function") {
      await instance.close();
      throw new StoreError(
        "PROVIDER_PROTOCOL",
        `backend "${definition.name}" declares the prune capability, but its instance has no prune method`,
        { details: { backend: definition.name } },
      );
    }
    return { instance, definition, capabilities: Object.freeze(capabilities) };
  }

  private async definitionForDeclared(
    declared: StoreBackendProviderConfig,
  ): Promise<{ definition: BackendDefinition<unknown>; options: Record<string, unknown> }> {
    if (declared.mode === "plugin") {
      const pkg = declared.plugin as string;
      const purpose = `provider "${declared.name}"`;
      const definition = this.registered.has(pkg)
        ? await this.registeredDefinition(pkg)
        : await importBackendPackage(pkg, this.resolveFrom, purpose);
      return { definition, options: (declared.spec.options ?? {}) as Record<string, unknown> };
    }
    // `commands:` and `process:` providers are served by the command backend; the spec is its options.
    const { description: _, ...options } = declared.spec;
    return { definition: await this.builtinDefinition("command", `provider "${declared.name}"`), options };
  }

  private async definitionForBuiltin(name: string, forStore: string): Promise<BackendDefinition<unknown>> {
    if (this.registered.has(name)) return this.registeredDefinition(name);
    if (name === "local" || name === "file") return this.builtinDefinition(name, `store "${forStore}"`);
    throw new StoreError(
      "PROVIDER_NOT_FOUND",
      `store "${forStore}" uses provider "${name}", which is not declared: add a StoreBackendProvider named "${name}", or use the builtin "local" or "file"`,
      { details: { store: forStore, provider: name } },
    );
  }

  private async builtinDefinition(
    kind: keyof typeof BUILTIN_PROVIDERS,
    purpose: string,
  ): Promise<BackendDefinition<unknown>> {
    if (this.registered.has(kind)) return this.registeredDefinition(kind);
    return importBackendPackage(BUILTIN_PROVIDERS[kind], this.resolveFrom, purpose);
  }

  private async registeredDefinition(name: string): Promise<BackendDefinition<unknown>> {
    const source = this.registered.get(name) as BackendDefinition<unknown> | LazyBackend;
    if (!("load" in source)) return source;
    let mod: unknown;
    try {
      mod = await source.load();
    } catch (error) {
      throw toStoreError(error, "BACKEND_IO", `backend "${name}" cannot be loaded`);
    }
    const definition = backendOfModule(mod, `backend "${name}"`);
    this.registered.set(name, definition);
    return definition;
  }

  /** Options in camelCase, validated against the backend's schema (issues name the manifest field). */
  private checkOptions(
    definition: BackendDefinition<unknown>,
    raw: Record<string, unknown>,
    declared?: StoreBackendProviderConfig,
  ): Record<string, unknown> {
    const where = declared ? `provider "${declared.name}"` : definition.name;
    const { options, written } = camelCaseOptions(raw, where);
    if (!definition.optionsSchema || acceptsNoOptions(definition.optionsSchema, options)) return options;
    const validate = this.validators.compile(definition.optionsSchema);
    if (validate(options)) return options;
    const prefix = declared?.mode === "plugin" ? "spec.options" : "spec";
    throw new ManifestError(
      (validate.errors ?? []).map((e) => {
        const [first = "", ...rest] = pointerToPath(e.instancePath).split(".");
        const field = [written.get(first) ?? first, ...rest].join(".");
        // An unknown top-level option is named as the manifest spelled it, not as core converted it.
        const unknown = e.keyword === "additionalProperties" && !e.instancePath;
        const named = unknown
          ? {
              ...e,
              params: {
                additionalProperty:
                  written.get(String(e.params.additionalProperty)) ?? e.params.additionalProperty,
              },
            }
          : e;
        return {
          path: [prefix, field].filter(Boolean).join("."),
          message: `${describe(named)} (options of backend "${definition.name}")`,
          ...declared?.source,
        };
      }),
    );
  }

  /** Closes every backend. Further ops fail with CLOSED. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resolved.clear();
    const instances = await Promise.allSettled([...this.providers.values()]);
    this.providers.clear();
    const failures: unknown[] = [];
    for (const p of instances) {
      if (p.status !== "fulfilled") continue;
      try {
        await p.value.instance.close();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw toStoreError(failures[0], "BACKEND_IO", "closing a backend failed");
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
