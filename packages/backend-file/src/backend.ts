import path from "node:path";
import type {
  BackendContext,
  BackendInstance,
  Conflict,
  DeleteOptions,
  GetQuery,
  ListQuery,
  PruneQuery,
  PutOptions,
  PutRecord,
  StoreEntry,
  StoreRef,
} from "@store/core/backend";
import { errors } from "./errors";
import { DEFAULT_BASE_PATH, DEFAULT_PROJECT_DIR } from "./layout";
import type { ResolvedFileOptions } from "./options";
import { StoreDirectory } from "./store-directory";

/** One instance serves every store and project routed to its provider: one StoreDirectory each. */
export class FileBackend implements BackendInstance {
  private readonly byRef = new Map<string, StoreDirectory>();
  private readonly byPath = new Map<string, StoreDirectory>();
  private closed = false;

  constructor(
    readonly options: ResolvedFileOptions,
    private readonly context: Pick<BackendContext, "warn">,
  ) {}

  /** The directory holding the value files of `ref` (created on its first write). */
  directoryOf(ref: StoreRef): string {
    return this.directory(ref).dir;
  }

  async get(ref: StoreRef, key: string, query: GetQuery): Promise<StoreEntry | undefined> {
    try {
      return await this.directory(ref).get(key, query.notBefore);
    } catch (error) {
      throw errors.io(error, "get", { ref, key });
    }
  }

  async put(ref: StoreRef, record: PutRecord, options: PutOptions): Promise<number | Conflict> {
    try {
      return await this.directory(ref).put(record, options);
    } catch (error) {
      throw errors.io(error, "put", { ref, key: record.key });
    }
  }

  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    try {
      await this.directory(ref).putMany(records);
    } catch (error) {
      throw errors.io(error, `put of ${records.length} entries`, { ref });
    }
  }

  async delete(ref: StoreRef, key: string, options: DeleteOptions): Promise<boolean | Conflict> {
    try {
      return await this.directory(ref).delete(key, options);
    } catch (error) {
      throw errors.io(error, "delete", { ref, key });
    }
  }

  async list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    try {
      return await this.directory(ref).list(query);
    } catch (error) {
      throw errors.io(error, "list", { ref });
    }
  }

  async prune(ref: StoreRef, query: PruneQuery): Promise<number> {
    try {
      return await this.directory(ref).prune(query);
    } catch (error) {
      throw errors.io(error, "prune", { ref });
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
    if (this.closed) throw errors.closed();
    const dir = this.resolveDirectory(ref);
    let d = this.byPath.get(dir);
    if (!d) {
      d = new StoreDirectory(dir, ref.store, ref.project, {
        root: this.options.root,
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

  /**
   * `<root>/<basePath ?? "stores">/<store>/<project or _default>`, never outside the root by its
   * path (core checked the names and the base path; this checks again). That no level of it is a
   * link is checked on disk when the directory is used (real-dirs.ts).
   */
  private resolveDirectory(ref: StoreRef): string {
    const root = this.options.root;
    const basePath = ref.basePath ?? DEFAULT_BASE_PATH;
    const base = path.resolve(root, basePath);
    if (path.isAbsolute(basePath) || !isInside(root, base, true)) {
      throw errors.error(
        "INVALID_ARGUMENT",
        `store "${ref.store}": base_path ${JSON.stringify(basePath)} leads outside ${root}; it must be a relative path inside it`,
        { details: { store: ref.store, basePath } },
      );
    }
    for (const [what, name] of [
      ["store", ref.store],
      ["project", ref.project],
    ] as const) {
      if (name === "." || name === ".." || /[/\\\0]/.test(name)) {
        throw errors.error("INVALID_ARGUMENT", `invalid ${what} name ${JSON.stringify(name)}`, {
          details: { [what]: name },
        });
      }
    }
    const dir = path.join(base, ref.store, ref.project === "" ? DEFAULT_PROJECT_DIR : ref.project);
    if (!isInside(base, dir, false)) {
      throw errors.error("INVALID_ARGUMENT", `store "${ref.store}" resolves outside ${base}`, {
        details: { store: ref.store },
      });
    }
    return dir;
  }
}

function isInside(parent: string, child: string, allowSame: boolean): boolean {
  const rel = path.relative(parent, child);
  if (rel === "") return allowSame;
  return !rel.startsWith("..") && !path.isAbsolute(rel);
}
