import type { ManifestIssue } from "./errors";

/** Where a resource was declared, for error messages. */
export interface SourceLocation {
  file?: string;
  line?: number;
  col?: number;
}

export interface RetentionPolicy {
  /** Keep at most this many entries per (store, project). */
  maxEntries?: number;
  /** Hide, and let prune remove, entries older than this many days. 0 or absent: forever. */
  ttlDays?: number;
}

/** A `WorkflowStore` after validation, in camelCase. */
export interface WorkflowStoreConfig {
  name: string;
  /** Set when the definition applies to one project only; it overrides an unscoped one there. */
  project?: string;
  provider: string;
  basePath?: string;
  schema?: Record<string, unknown> | boolean;
  retention: RetentionPolicy;
  description?: string;
  source?: SourceLocation;
}

/** How a `StoreBackendProvider` is served: a shell-command set, a long-running process or a plugin. */
export type ProviderMode = "commands" | "process" | "plugin";

/** A `StoreBackendProvider` after validation. `spec` keeps the manifest's snake_case fields. */
export interface StoreBackendProviderConfig {
  name: string;
  mode: ProviderMode;
  /** For `plugin`, the npm package (or registered backend name) that serves it. */
  plugin?: string;
  spec: Record<string, unknown>;
  /** Relative paths in the spec (commands, working_dir) resolve against this directory. */
  baseDir?: string;
  source?: SourceLocation;
}

/** One parsed manifest document, kept as written so it can be saved again (`wfstore apply`). */
export interface ManifestDocument {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: Record<string, unknown>;
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface LoadedDocument {
  document: ManifestDocument;
  source: SourceLocation;
}

/** The stores and providers a manager resolves against. Immutable; build a new one to change it. */
export class ResourceSet {
  readonly stores: readonly WorkflowStoreConfig[];
  readonly providers: readonly StoreBackendProviderConfig[];
  /** Documents of other kinds (an orchestrator's Workflow, Agent…), kept and ignored. */
  readonly others: readonly LoadedDocument[];
  /** The validated documents of our kinds, as written. */
  readonly documents: readonly LoadedDocument[];
  readonly warnings: readonly ManifestIssue[];
  private readonly storeIndex = new Map<string, WorkflowStoreConfig>();
  private readonly providerIndex = new Map<string, StoreBackendProviderConfig>();

  constructor(
    init: {
      stores?: WorkflowStoreConfig[];
      providers?: StoreBackendProviderConfig[];
      others?: LoadedDocument[];
      documents?: LoadedDocument[];
      warnings?: ManifestIssue[];
    } = {},
  ) {
    this.stores = init.stores ?? [];
    this.providers = init.providers ?? [];
    this.others = init.others ?? [];
    this.documents = init.documents ?? [];
    this.warnings = init.warnings ?? [];
    for (const s of this.stores) this.storeIndex.set(storeKey(s.name, s.project), s);
    for (const p of this.providers) this.providerIndex.set(p.name, p);
  }

  static empty(): ResourceSet {
    return new ResourceSet();
  }

  /** The definition that applies to `name` in `project`: project-scoped first, then unscoped. */
  findStore(name: string, project: string): WorkflowStoreConfig | undefined {
    return (
      (project && this.storeIndex.get(storeKey(name, project))) ||
      this.storeIndex.get(storeKey(name, undefined))
    );
  }

  findProvider(name: string): StoreBackendProviderConfig | undefined {
    return this.providerIndex.get(name);
  }
}

function storeKey(name: string, project: string | undefined): string {
  return project ? `${name}\u0000${project}` : name;
}
