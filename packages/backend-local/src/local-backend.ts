import type {
  BackendContext,
  BackendInstance,
  GetQuery,
  ListQuery,
  PruneQuery,
  PutOptions,
  PutRecord,
  StoreEntry,
  StoreRef,
} from "@store/core";
import { StoreError } from "@store/core";
import type { Database } from "better-sqlite3";
import { ioError, PREFIX } from "./errors";
import { decodeKey, encodeKey } from "./key-encoding";
import type { ResolvedLocalOptions } from "./options";
import { prepareStatements, type Statements } from "./statements";

/** A row as the list statements return it (raw mode: an array, no per-row object with names). */
type ListRow = [key: string, value: string, createdAt: string, updatedAt: string, taskId: string];
type GetRow = [value: string, createdAt: string, updatedAt: string, taskId: string];

function toEntry(row: ListRow): StoreEntry {
  return {
    key: decodeKey(row[0]),
    value: JSON.parse(row[1]),
    createdAt: row[2],
    updatedAt: row[3],
    taskId: row[4],
  };
}

export class LocalBackend implements BackendInstance {
  /**
   * The better-sqlite3 connection, for diagnostics and online backups (`db.backup(file)`). Writes
   * through it skip core's validation; the entry counts stay right (triggers keep them).
   */
  readonly db: Database;
  private readonly s: Statements;
  private readonly timer: NodeJS.Timeout | undefined;
  /** Written since the last periodic checkpoint. */
  private dirty = false;
  private closed = false;

  constructor(
    db: Database,
    readonly options: ResolvedLocalOptions,
    private readonly context: BackendContext,
  ) {
    this.db = db;
    this.s = prepareStatements(db);
    if (options.checkpointIntervalMs > 0 && options.file !== ":memory:") {
      this.timer = setInterval(() => this.checkpoint(), options.checkpointIntervalMs);
      this.timer.unref();
    }
  }

  get(ref: StoreRef, key: string, query: GetQuery): StoreEntry | undefined {
    let row: GetRow | undefined;
    try {
      row = this.s.get.get(ref.store, ref.project, encodeKey(key), query.notBefore ?? "") as
        | GetRow
        | undefined;
    } catch (error) {
      throw this.fail(error, "get of", ref, key);
    }
    if (row === undefined) return undefined;
    return { key, value: JSON.parse(row[0]), createdAt: row[1], updatedAt: row[2], taskId: row[3] };
  }

  put(ref: StoreRef, record: PutRecord, options: PutOptions): void {
    try {
      this.dirty = true;
      if (options.maxEntries === undefined) {
        // One statement in autocommit: atomic, and it takes the write lock before it reads.
        const upsert = record.createdAt === undefined ? this.s.upsert : this.s.upsertWithCreated;
        upsert.run(
          ref.store,
          ref.project,
          encodeKey(record.key),
          record.json,
          record.taskId,
          record.createdAt ?? record.updatedAt,
          record.updatedAt,
        );
        return;
      }
      const maxEntries = options.maxEntries;
      this.immediate(() => this.putWithRetention(ref, record, maxEntries));
    } catch (error) {
      throw this.fail(error, "put of", ref, record.key);
    }
  }

  /**
   * Upsert, then keep the newest `maxEntries` (by updatedAt, then key). Runs inside BEGIN IMMEDIATE.
   * The project's count (kept exact by triggers) says in O(1) whether anything must go.
   */
  private putWithRetention(ref: StoreRef, r: PutRecord, maxEntries: number): void {
    const { store, project } = ref;
    const key = encodeKey(r.key);
    const createdAt = r.createdAt ?? r.updatedAt;
    let n = this.s.count.get(store, project) as number | undefined;
    if (n === undefined) {
      // The first put with retention on this project, by any process: count it once.
      this.s.startCount.run(store, project, store, project);
      n = this.s.count.get(store, project) as number;
    }
    if (n < maxEntries) {
      // Room for one more: even a new key cannot overflow.
      const upsert = r.createdAt === undefined ? this.s.upsert : this.s.upsertWithCreated;
      upsert.run(store, project, key, r.json, r.taskId, createdAt, r.updatedAt);
      return;
    }
    // Full: an existing key is updated in place; a new one replaces the last entry in list order.
    if (
      this.s.updateExisting.run(r.json, r.taskId, r.updatedAt, r.createdAt ?? null, store, project, key)
        .changes === 0
    ) {
      this.s.recycleOldest.run(
        key,
        r.json,
        r.taskId,
        createdAt,
        r.updatedAt,
        store,
        project,
        store,
        project,
        r.updatedAt,
        r.updatedAt,
        key,
      );
    }
    // Over the limit already (it was lowered since): drop the excess too.
    if (n > maxEntries) this.deleteOldest(store, project, n - maxEntries);
  }

  putMany(ref: StoreRef, records: PutRecord[]): void {
    try {
      this.dirty = true;
      this.immediate(() => {
        for (const r of records) {
          const upsert = r.createdAt === undefined ? this.s.upsert : this.s.upsertWithCreated;
          upsert.run(
            ref.store,
            ref.project,
            encodeKey(r.key),
            r.json,
            r.taskId,
            r.createdAt ?? r.updatedAt,
            r.updatedAt,
          );
        }
      });
    } catch (error) {
      throw this.fail(error, `import of ${records.length} entries into`, ref);
    }
  }

  delete(ref: StoreRef, key: string): boolean {
    try {
      this.dirty = true;
      return this.s.deleteKey.run(ref.store, ref.project, encodeKey(key)).changes > 0;
    } catch (error) {
      throw this.fail(error, "delete of", ref, key);
    }
  }

  list(ref: StoreRef, query: ListQuery): StoreEntry[] {
    let rows: ListRow[];
    try {
      rows = this.listRows(ref, query);
    } catch (error) {
      throw this.fail(error, "list of", ref);
    }
    const entries = new Array<StoreEntry>(rows.length);
    for (let i = 0; i < rows.length; i++) entries[i] = toEntry(rows[i] as ListRow);
    return entries;
  }

  private listRows(ref: StoreRef, { limit, offset, after, notBefore = "" }: ListQuery): ListRow[] {
    const { store, project } = ref;
    if (after === undefined) return this.s.list.all(store, project, notBefore, limit, offset) as ListRow[];
    const key = encodeKey(after.key);
    const at = after.updatedAt;
    if (offset > 0) {
      return this.s.listAfterOffset.all(store, project, at, at, key, notBefore, limit, offset) as ListRow[];
    }
    const ties = this.s.listTies.all(store, project, at, key, notBefore, limit) as ListRow[];
    if (ties.length === limit) return ties;
    const older = this.s.listOlder.all(store, project, at, notBefore, limit - ties.length) as ListRow[];
    return ties.length === 0 ? older : ties.concat(older);
  }

  prune(ref: StoreRef, query: PruneQuery): number {
    try {
      this.dirty = true;
      return this.immediate(() => {
        const { store, project } = ref;
        let removed = 0;
        if (query.olderThan !== undefined) {
          removed += this.s.deleteOlder.run(store, project, query.olderThan).changes;
        }
        if (query.maxEntries !== undefined) {
          const n = this.s.count.get(store, project) as number | undefined;
          if (n === undefined) {
            removed += this.s.deleteBeyond.run(store, project, store, project, query.maxEntries).changes;
          } else if (n > query.maxEntries) {
            // The count is exact (triggers), so the excess is the oldest n - maxEntries.
            removed += this.deleteOldest(store, project, n - query.maxEntries);
          }
        }
        return removed;
      });
    } catch (error) {
      throw this.fail(error, "prune of", ref);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      this.db.close();
    } catch (error) {
      throw ioError(error, `closing ${this.options.file}`, { file: this.options.file });
    }
  }

  /**
   * The error for a failed operation (`doing`: "get of", "import of 3 entries into"…), naming the
   * store, project and key; CLOSED once the backend is closed.
   */
  private fail(error: unknown, doing: string, ref: StoreRef, key?: string): StoreError {
    const project = ref.project === "" ? "" : ` (project "${ref.project}")`;
    const target = `${key === undefined ? "" : `key ${JSON.stringify(key)} in `}store "${ref.store}"${project}`;
    const details = { store: ref.store, project: ref.project, ...(key === undefined ? {} : { key }) };
    if (this.closed) {
      return new StoreError("CLOSED", `${PREFIX} ${doing} ${target}: the backend is closed`, {
        cause: error,
        details,
      });
    }
    return ioError(error, `${doing} ${target}`, details);
  }

  private deleteOldest(store: string, project: string, count: number): number {
    return count === 1
      ? this.s.deleteOldestOne.run(store, project, store, project).changes
      : this.s.deleteOldest.run(store, project, store, project, count).changes;
  }

  /**
   * BEGIN IMMEDIATE takes the write lock before the first read, so a read-then-write transaction can
   * never fail with SQLITE_BUSY_SNAPSHOT; waiting for the lock goes through the busy timeout.
   */
  private immediate<T>(fn: () => T): T {
    this.s.begin.run();
    try {
      const result = fn();
      this.s.commit.run();
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.s.rollback.run();
      throw error;
    }
  }

  /**
   * A passive checkpoint now and then: it never waits for locks, and it copies the WAL back into the
   * database while no reader pins it, so the next write can restart the WAL and truncate it to
   * journal_size_limit even when this process stopped writing at a moment a reader held it back.
   */
  private checkpoint(): void {
    if (!this.dirty || this.closed) return;
    try {
      const [busy, log, done] = this.s.checkpoint.get() as [number, number, number];
      this.dirty = busy !== 0 || done < log;
    } catch (error) {
      this.context.warn(ioError(error, `checkpoint of ${this.options.file}`).message);
    }
  }
}
