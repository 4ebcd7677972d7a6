import path from "node:path";
import type { ValidateFunction } from "ajv";
import type {
  BackendCapabilities,
  BackendContext,
  BackendDefinition,
  BackendInstance,
  PutRecord,
} from "./backend";
import { ManifestError, StoreError, toStoreError } from "./errors";
import { BUILTIN_BACKEND_PACKAGES, importBackendPackage } from "./plugins";
import { ResourceSet, type StoreBackendProviderConfig, type WorkflowStoreConfig } from "./resources";
import { assertMatchesSchema, describe, pointerToPath, SchemaValidators } from "./schema-validator";
import { StoreHandle } from "./store-handle";
import { DAY_MS, toTimestamp } from "./time";
import type { ResultOf, StoreOp, StoreRef } from "./types";
import {
  LIMITS,
  serializeValue,
  validateKey,
  validateProjectId,
  validatePruneArgs,
  validateStoreName,
  validateTaskId,
} from "./validate";

export interface StoreManagerOptions {
  /** Where builtin backends keep data. Default: `$WFSTORE_DATA_DIR`, else `./.wfstore`. */
  dataDir?: string;
  /** Declared stores and providers. Undeclared stores are auto-provisioned with defaults. */
  resources?: ResourceSet;
  /** Backends registered explicitly, by name. They serve builtin providers of that name (`local`,
   *  `file`, `command`) and providers whose `plugin:` names them, without any import. */
  backends?: BackendDefinition<unknown>[];
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

/** Everything an op on one (store, project) needs, resolved once and cached. */
export interface ResolvedStore {
  ref: StoreRef;
  config: WorkflowStoreConfig;
  providerName: string;
  backend: BackendInstance;
  capabilities: BackendCapabilities;
  validate?: ValidateFunction;
}

interface ProviderInstance {
  instance: BackendInstance;
  definition: BackendDefinition<unknown>;
}

const NO_QUERY = Object.freeze({});

/**
 * Routes ops to backends. Core owns validation, schema checks, TTL visibility and retention here,
 * so every backend behaves the same; backends with the capability do retention and TTL natively.
 */
export class StoreManager {
  readonly dataDir: string;
  readonly resources: ResourceSet;
  readonly maxValueBytes: number;
  readonly now: () => number;
  private readonly registered = new Map<string, BackendDefinition<unknown>>();
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
    this.defaultProvider = options.defaultProvider ?? "local";
    this.resolveFrom = options.resolveFrom ?? process.cwd();
    this.warn = options.onWarning ?? ((m) => process.emitWarning(m, { code: "WFSTORE" }));
    for (const b of options.backends ?? []) this.registered.set(b.name, b as BackendDefinition<unknown>);
  }

  /** A handle on one store (and project), e.g. `manager.store("metrics", { project }).get(key)`. */
  store(name: string, options: { project?: string } = {}): StoreHandle {
    return new StoreHandle(this, validateStoreName(name), validateProjectId(options.project));
  }

  /** Runs one op of brief §3; the result type follows the op. */
  async execute<O extends StoreOp>(op: O): Promise<ResultOf<O>> {
    const handle = this.store(op.store, { project: op.project });
    switch (op.op) {
      case "get": {
        const entry = await handle.getEntry(op.key);
        return (
          entry ? { op: "get", found: true, value: entry.value } : { op: "get", found: false }
        ) as ResultOf<O>;
      }
      case "put":
        return { op: "put", entry: await handle.put(op.key, op.value, { taskId: op.taskId }) } as ResultOf<O>;
      case "delete":
        return { op: "delete", existed: await handle.delete(op.key) } as ResultOf<O>;
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
    const { instance, definition } = await this.provider(config.provider, store);
    const ref: StoreRef =
      config.basePath === undefined ? { store, project } : { store, project, basePath: config.basePath };
    return {
      ref,
      config,
      providerName: config.provider,
      backend: instance,
      capabilities: definition.capabilities,
      validate: config.schema === undefined ? undefined : this.validators.compile(config.schema),
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
    this.checkOptions(definition, options, declared);
    const context: BackendContext = {
      dataDir: this.dataDir,
      providerName: name,
      baseDir: declared?.baseDir ?? this.resolveFrom,
      now: this.now,
      warn: this.warn,
    };
    try {
      return { instance: await definition.create(options, context), definition };
    } catch (error) {
      throw toStoreError(error, "BACKEND_IO", `provider "${name}" (${definition.name}) failed to start`);
    }
  }

  private async definitionForDeclared(
    declared: StoreBackendProviderConfig,
  ): Promise<{ definition: BackendDefinition<unknown>; options: unknown }> {
    if (declared.mode === "plugin") {
      const pkg = declared.plugin as string;
      const definition =
        this.registered.get(pkg) ??
        (await importBackendPackage(pkg, this.resolveFrom, `provider "${declared.name}"`));
      return { definition, options: declared.spec.options ?? {} };
    }
    // `commands:` and `process:` are both served by the command backend; it reads the spec itself.
    return {
      definition: await this.builtinDefinition("command", `provider "${declared.name}"`),
      options: declared.spec,
    };
  }

  private async definitionForBuiltin(name: string, forStore: string): Promise<BackendDefinition<unknown>> {
    const registered = this.registered.get(name);
    if (registered) return registered;
    if (name === "local" || name === "file") return this.builtinDefinition(name, `store "${forStore}"`);
    throw new StoreError(
      "PROVIDER_NOT_FOUND",
      `store "${forStore}" uses provider "${name}", which is not declared: add a StoreBackendProvider named "${name}", or use the builtin "local" or "file"`,
      { details: { store: forStore, provider: name } },
    );
  }

  private async builtinDefinition(name: string, purpose: string): Promise<BackendDefinition<unknown>> {
    return (
      this.registered.get(name) ??
      importBackendPackage(BUILTIN_BACKEND_PACKAGES[name] as string, this.resolveFrom, purpose)
    );
  }

  private checkOptions(
    definition: BackendDefinition<unknown>,
    options: unknown,
    declared?: StoreBackendProviderConfig,
  ) {
    if (!definition.optionsSchema) return;
    const validate = this.validators.compile(definition.optionsSchema);
    if (validate(options)) return;
    const prefix = declared?.mode === "plugin" ? "spec.options" : "spec";
    throw new ManifestError(
      (validate.errors ?? []).map((e) => ({
        path: [prefix, pointerToPath(e.instancePath)].filter(Boolean).join("."),
        message: `${describe(e)} (options of backend "${definition.name}")`,
        ...declared?.source,
      })),
    );
  }

  // ── the ops, called by StoreHandle with validated names ──────────────────────────────────────────

  /** `notBefore` for a store with a TTL: entries updated before it are invisible. */
  cutoff(r: ResolvedStore): string | undefined {
    const ttl = r.config.retention.ttlDays;
    return ttl ? toTimestamp(this.now() - ttl * DAY_MS) : undefined;
  }

  /** Validates, schema-checks and timestamps a write (shared by put and import). */
  prepare(r: ResolvedStore, key: unknown, value: unknown, taskId: unknown): PutRecord {
    const k = validateKey(key);
    const json = serializeValue(value, this.maxValueBytes);
    if (r.validate) assertMatchesSchema(r.validate, value, r.ref.store, k);
    return {
      key: k,
      value: value as PutRecord["value"],
      json,
      taskId: validateTaskId(taskId),
      updatedAt: toTimestamp(this.now()),
    };
  }

  async put(r: ResolvedStore, record: PutRecord): Promise<void> {
    const maxEntries = r.config.retention.maxEntries;
    try {
      if (maxEntries !== undefined && r.capabilities.retentionOnPut) {
        await r.backend.put(r.ref, record, { maxEntries });
        return;
      }
      await r.backend.put(r.ref, record, NO_QUERY);
      if (maxEntries !== undefined) {
        if (!r.capabilities.prune) throw unsupported(r, "retention (max_entries) needs prune");
        await r.backend.prune(r.ref, { maxEntries });
      }
    } catch (error) {
      throw backendError(error, r, `put of key ${JSON.stringify(record.key)}`);
    }
  }

  async prune(r: ResolvedStore, maxEntriesArg: unknown, ttlDaysArg: unknown): Promise<number> {
    const args = validatePruneArgs(maxEntriesArg, ttlDaysArg);
    const maxEntries = args.maxEntries ?? r.config.retention.maxEntries;
    const ttlDays = args.ttlDays ?? r.config.retention.ttlDays;
    if (maxEntries === undefined && !ttlDays) return 0;
    if (!r.capabilities.prune) throw unsupported(r, "prune");
    const query = {
      ...(maxEntries === undefined ? {} : { maxEntries }),
      ...(ttlDays ? { olderThan: toTimestamp(this.now() - ttlDays * DAY_MS) } : {}),
    };
    try {
      return await r.backend.prune(r.ref, query);
    } catch (error) {
      throw backendError(error, r, "prune");
    }
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

export function unsupported(r: ResolvedStore, what: string): StoreError {
  return new StoreError(
    "UNSUPPORTED",
    `store "${r.ref.store}": provider "${r.providerName}" does not support ${what}`,
    { details: { store: r.ref.store, provider: r.providerName } },
  );
}

/** Any failure from a backend becomes a StoreError naming the store and what was being done. */
export function backendError(error: unknown, r: ResolvedStore, doing: string): StoreError {
  return toStoreError(
    error,
    "BACKEND_IO",
    `store "${r.ref.store}" (provider "${r.providerName}"): ${doing} failed`,
  );
}
