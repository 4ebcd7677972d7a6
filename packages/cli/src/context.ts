import path from "node:path";
import {
  formatIssue,
  loadManifests,
  type ManifestIssue,
  mergeResources,
  printable,
  type ResourceSet,
  StoreError,
  type StoreHandle,
  StoreManager,
} from "@store/core";
import { checkReservedPaths } from "./applied/layout";
import { loadAllApplied, loadAppliedForStore, loadAppliedProvider, resourceSetOf } from "./applied/load";
import type { AppliedResource } from "./applied/records";
import { builtinBackends } from "./backends";
import type { ResolvedIo } from "./io";

/** The global options (packages/cli/README.md; they may appear before or after the command). */
export interface GlobalOptions {
  dataDir?: string;
  filename?: string[];
  project?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Everything a command needs: the io, the resolved options, and on demand the resources and manager. */
export class Context {
  readonly dataDir: string;
  readonly manifestPaths: string[];
  readonly project: string;
  readonly json: boolean;
  readonly verbose: boolean;
  private manager?: StoreManager;
  private flagManifests?: ResourceSet;

  constructor(
    readonly io: ResolvedIo,
    options: GlobalOptions,
  ) {
    // --data-dir, else $WFSTORE_DATA_DIR, else ./.wfstore; relative paths against the working directory.
    this.dataDir = path.resolve(io.cwd, options.dataDir ?? (io.env.WFSTORE_DATA_DIR || ".wfstore"));
    this.manifestPaths = (options.filename ?? []).map((p) => path.resolve(io.cwd, p));
    this.project = options.project ?? "";
    this.json = options.json === true;
    this.verbose = options.verbose === true;
  }

  /**
   * The manifests given with -f, validated (throws INVALID_MANIFEST with every issue), once per
   * invocation. Only these need the YAML parser and ajv; applied resources load without them.
   */
  loadFlagManifests(): ResourceSet {
    this.flagManifests ??= this.relativeIssues(() => {
      const set = loadManifests({ paths: this.manifestPaths });
      checkReservedPaths(set);
      return set;
    });
    return this.flagManifests;
  }

  /** Every applied resource (for `get`, and apply's check of undeclared providers). */
  loadApplied(): AppliedResource[] {
    return this.relativeIssues(() => loadAllApplied(this.dataDir, (m) => this.warn(m)));
  }

  /** Every applied resource with the -f manifests layered over them, for this invocation only. */
  loadResources(): ResourceSet {
    const applied = resourceSetOf(this.loadApplied());
    return this.manifestPaths.length === 0 ? applied : mergeResources(applied, this.withFlagWarnings());
  }

  /** A handle on one store, with only that store's definitions and provider loaded. */
  async store(name: string): Promise<StoreHandle> {
    const flags = this.manifestPaths.length === 0 ? undefined : this.withFlagWarnings();
    const extra = (flags?.stores ?? []).filter((s) => s.name === name).map((s) => s.provider);
    const applied = this.relativeIssues(() =>
      resourceSetOf(loadAppliedForStore(this.dataDir, name, this.project, extra, (m) => this.warn(m))),
    );
    const manager = this.openManager(flags ? mergeResources(applied, flags) : applied);
    return manager.store(name, { project: this.project });
  }

  /** A provider's applied record (layered under -f), for `migrations print`. */
  providerResources(name: string): ResourceSet {
    const record = this.relativeIssues(() => loadAppliedProvider(this.dataDir, name, (m) => this.warn(m)));
    const applied = resourceSetOf(record ? [record] : []);
    return this.manifestPaths.length === 0 ? applied : mergeResources(applied, this.withFlagWarnings());
  }

  /** A manager over `resources`, with the builtin backends registered (each loaded on first use). */
  openManager(resources: ResourceSet): StoreManager {
    if (this.manager) return this.manager;
    this.manager = new StoreManager({
      dataDir: this.dataDir,
      resources,
      backends: builtinBackends(),
      resolveFrom: this.io.cwd,
      onWarning: (message) => this.warn(message),
    });
    return this.manager;
  }

  async close(): Promise<void> {
    const manager = this.manager;
    this.manager = undefined;
    await manager?.close();
  }

  /** The -f manifests with their warnings printed (applied resources' were shown when applied). */
  private withFlagWarnings(): ResourceSet {
    const first = this.flagManifests === undefined;
    const set = this.loadFlagManifests();
    if (first) this.printWarnings(set.warnings);
    return set;
  }

  printWarnings(warnings: readonly ManifestIssue[]): void {
    for (const w of warnings)
      this.warn(formatIssue({ ...w, ...(w.file ? { file: this.displayPath(w.file) } : {}) }));
  }

  /**
   * Manifests are loaded by absolute path (so `run()` works with any `cwd`), but shown as the user
   * typed them: issues name files relative to the working directory.
   */
  private relativeIssues<T>(load: () => T): T {
    try {
      return load();
    } catch (error) {
      if (StoreError.isInstance(error, "INVALID_MANIFEST")) {
        for (const issue of (error.details.issues ?? []) as ManifestIssue[]) {
          if (issue.file) issue.file = this.displayPath(issue.file);
        }
      }
      throw error;
    }
  }

  /** One line per warning, escaped: a backend's warning may quote a provider's output. */
  warn(message: string): void {
    this.io.stderr.write(`wfstore: warning: ${printable(message)}\n`);
  }

  /** Paths in messages: relative to the working directory when inside it, as the user typed them. */
  displayPath(p: string): string {
    const rel = path.relative(this.io.cwd, p);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
  }
}
