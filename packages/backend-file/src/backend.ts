import path from "node:path";
import {
  type BackendContext,
  type BackendInstance,
  type GetQuery,
  type ListQuery,
  type PruneQuery,
  type PutOptions,
  type PutRecord,
  type StoreEntry,
  StoreError,
  type StoreRef,
} from "@store/core";
import { StoreDirectory } from "./directory";
import type { ResolvedFileOptions } from "./options";

export const DEFAULT_BASE_PATH = "stores";
/** The directory of the default project ("" is not a directory name; no project id starts with "_"). */
export const DEFAULT_PROJECT_DIR = "_default";

/** One instance serves every store and project routed to its provider: one StoreDirectory each. */
export class FileBackendInstance implements BackendInstance {
  private readonly byRef = new Map<string, StoreDirectory>();
  private readonly byPath = new Map<string, StoreDirectory>();
  private closed = false;

  constructor(
    readonly options: ResolvedFileOptions,
    private readonly context: BackendContext,
  ) {}

  /** The directory holding the value files of `ref` (created on its first write). */
  directoryOf(ref: StoreRef): string {
    return this.directory(ref).dir;
  }

  async get(ref: StoreRef, key: string, query: GetQuery): Promise<StoreEntry | undefined> {
    try {
      return await this.directory(ref).get(key, query.notBefore);
    } catch (error) {
      throw this.failure(error, ref, `get of key ${JSON.stringify(key)}`);
    }
  }

  async put(ref: StoreRef, record: PutRecord, options: PutOptions): Promise<void> {
    try {
      await this.directory(ref).put(record, options.maxEntries);
    } catch (error) {
      throw this.failure(error, ref, `put of key ${JSON.stringify(record.key)}`);
    }
  }

  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    try {
      await this.directory(ref).putMany(records);
    } catch (error) {
      throw this.failure(error, ref, `put of ${records.length} entries`);
    }
  }

  async delete(ref: StoreRef, key: string): Promise<boolean> {
    try {
      return await this.directory(ref).delete(key);
    } catch (error) {
      throw this.failure(error, ref, `delete of key ${JSON.stringify(key)}`);
    }
  }

  async list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    try {
      return await this.directory(ref).list(query);
    } catch (error) {
      throw this.failure(error, ref, "list");
    }
  }

  async prune(ref: StoreRef, query: PruneQuery): Promise<number> {
    try {
      return await this.directory(ref).prune(query);
    } catch (error) {
      throw this.failure(error, ref, "prune");
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.byPath.values()) d.close();
    this.byPath.clear();
    this.byRef.clear();
  }

  private directory(ref: StoreRef): StoreDirectory {
    const id = `${ref.basePath ?? ""}\u0000${ref.store}\u0000${ref.project}`;
    const hit = this.byRef.get(id);
    if (hit) return hit;
    if (this.closed) throw new StoreError("CLOSED", "file: the backend is closed");
    const dir = this.resolveDirectory(ref);
    let d = this.byPath.get(dir);
    if (!d) {
      d = new StoreDirectory(dir, ref.store, ref.project, {
        fsync: this.options.fsync,
        lockStaleMs: this.options.lockStaleMs,
        lockTimeoutMs: this.options.lockTimeoutMs,
        warn: this.context.warn,
      });
      this.byPath.set(dir, d);
    }
    this.byRef.set(id, d);
    return d;
  }

  /** `<root>/<basePath ?? "stores">/<store>/<project or _default>`, never outside the root. */
  private resolveDirectory(ref: StoreRef): string {
    const root = this.options.root;
    const basePath = ref.basePath ?? DEFAULT_BASE_PATH;
    const base = path.resolve(root, basePath);
    if (path.isAbsolute(basePath) || !isInside(root, base, true)) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `file: store "${ref.store}": base_path ${JSON.stringify(basePath)} leads outside ${root}; it must be a relative path inside it`,
        { details: { store: ref.store, basePath } },
      );
    }
    for (const [what, name] of [
      ["store", ref.store],
      ["project", ref.project],
    ] as const) {
      if (name === "." || name === ".." || /[/\\\0]/.test(name)) {
        throw new StoreError("INVALID_ARGUMENT", `file: invalid ${what} name ${JSON.stringify(name)}`);
      }
    }
    const dir = path.join(base, ref.store, ref.project === "" ? DEFAULT_PROJECT_DIR : ref.project);
    if (!isInside(base, dir, false)) {
      throw new StoreError("INVALID_ARGUMENT", `file: store "${ref.store}" resolves outside ${base}`);
    }
    return dir;
  }

  private failure(error: unknown, ref: StoreRef, doing: string): StoreError {
    const where = `store "${ref.store}"${ref.project ? ` project "${ref.project}"` : ""}`;
    if (StoreError.isInstance(error)) {
      if (!error.message.startsWith("file: ")) error.message = `file: ${where}: ${doing}: ${error.message}`;
      return error;
    }
    const e = error as NodeJS.ErrnoException;
    return new StoreError("BACKEND_IO", `file: ${where}: ${doing} failed: ${e?.message ?? String(error)}`, {
      cause: error,
      details: { store: ref.store, project: ref.project, ...(e?.code ? { errno: e.code } : {}) },
    });
  }
}

function isInside(parent: string, child: string, allowSame: boolean): boolean {
  const rel = path.relative(parent, child);
  if (rel === "") return allowSame;
  return !rel.startsWith("..") && !path.isAbsolute(rel);
}
