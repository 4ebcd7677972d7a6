import path from "node:path";
import {
  formatIssue,
  loadManifests,
  type ManifestIssue,
  mergeResources,
  type ResourceSet,
  StoreError,
  StoreManager,
} from "@store/core";
import { loadApplied } from "./applied";
import { builtinBackends } from "./backends";
import type { ResolvedIo } from "./io";

/** The global options of brief §7 (they may appear before or after the command). */
export interface GlobalOptions {
  dataDir?: string;
  filename?: string[];
  project?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Everything a command needs: the io, the resolved options, and lazily the resources and manager. */
export class Context {
  readonly dataDir: string;
  readonly manifestPaths: string[];
  readonly project: string;
  readonly json: boolean;
  readonly verbose: boolean;
  private manager?: StoreManager;

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

  /** The manifests given with -f, validated (throws INVALID_MANIFEST with every issue). */
  loadFlagManifests(): ResourceSet {
    return this.relativeIssues(() => loadManifests({ paths: this.manifestPaths }));
  }

  /** The resources saved by `apply` in the data directory. */
  loadApplied(): ResourceSet {
    return this.relativeIssues(() => loadApplied(this.dataDir));
  }

  /**
   * The applied resources with the -f manifests layered over them for this invocation. Warnings of
   * applied resources were shown when they were applied; only those of -f manifests are printed.
   */
  loadResources(): ResourceSet {
    const applied = this.loadApplied();
    if (this.manifestPaths.length === 0) return applied;
    const fromFlags = this.loadFlagManifests();
    this.printWarnings(fromFlags.warnings);
    return mergeResources(applied, fromFlags);
  }

  /** A manager over the applied (+ -f) resources, with the builtin backends registered. */
  async openManager(): Promise<StoreManager> {
    if (this.manager) return this.manager;
    const resources = this.loadResources();
    this.manager = new StoreManager({
      dataDir: this.dataDir,
      resources,
      backends: await builtinBackends(),
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

  warn(message: string): void {
    this.io.stderr.write(`wfstore: warning: ${message}\n`);
  }

  /** Paths in messages: relative to the working directory when inside it, as the user typed them. */
  displayPath(p: string): string {
    const rel = path.relative(this.io.cwd, p);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
  }
}
