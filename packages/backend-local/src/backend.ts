import {
  type BackendContext,
  type BackendInstance,
  type Conflict,
  conflict,
  type DeleteOptions,
  type GetQuery,
  type ListQuery,
  type PruneQuery,
  type PutOptions,
  type PutRecord,
  type SnapshotQuery,
  type SnapshotReader,
  type StoreEntry,
  type StoreError,
  type StoreRef,
} from "@store/core/backend";
import type { Database } from "better-sqlite3";
import type { OpenedDatabase } from "./database";
import { describeOp, errors, ioError } from "./errors";
import { encodeKey } from "./key-encoding";
import { listRows } from "./list-rows";
import type { ResolvedLocalOptions } from "./options";
import { recordRemoval, removeBeyond, removeOlder } from "./removals";
import { type CurrentRow, putWithRetention } from "./retention";
import { type GetRow, type ListRow, parseStored, toEntry } from "./rows";
import { LocalSnapshot } from "./snapshot";
import { prepareStatements, type Statements, written } from "./statements";
import { cutoff, fromMillis, toMillis } from "./timestamps";
import { upsertArgs, type WriteParams, writeParams } from "./write-params";

/**
 * One SQLite file (better-sqlite3, WAL) serving every store routed to its provider. Every op is one
 * statement or one BEGIN IMMEDIATE transaction, so it is atomic also against other processes.
 */
export class LocalBackend implements BackendInstance {
  /**
   * The better-sqlite3 connection, for diagnostics and online backups (`db.backup(file)`). Writes
   * through it skip core's validation and the backend's bookkeeping of counts and version floors.
   */
  readonly db: Database;
  /** The schema version this instance upgraded the file from when it opened it (0: created it), if it did. */
  readonly migratedFrom: number | undefined;
  private readonly s: Statements;
  private readonly timer: NodeJS.Timeout | undefined;
  /** Exports in progress (each on a read-only connection of its own), closed with the backend. */
  private readonly snapshots = new Set<LocalSnapshot>();
  /**
   * Export from one consistent snapshot (see LocalSnapshot). Absent for ":memory:", which has one
   * connection only: export then pages through `list`.
   */
  readonly snapshot?: (ref: StoreRef, query: SnapshotQuery) => SnapshotReader;
  /** Written since the last periodic checkpoint. */
  private dirty = false;
  private closed = false;

  constructor(
    opened: OpenedDatabase,
    readonly options: ResolvedLocalOptions,
    private readonly context: BackendContext,
  ) {
    this.db = opened.db;
    this.migratedFrom = opened.migratedFrom;
    this.s = prepareStatements(this.db);
    if (options.file !== ":memory:") {
      this.snapshot = (ref, query) => {
        if (this.closed) throw errors.closed(describeOp("export", ref));
        const snapshot = LocalSnapshot.open(options, ref, query, (done) => this.snapshots.delete(done));
        this.snapshots.add(snapshot);
        return snapshot;
      };
    }
    if (options.checkpointIntervalMs > 0 && options.file !== ":memory:") {
      this.timer = setInterval(() => this.checkpoint(), options.checkpointIntervalMs);
      this.timer.unref();
    }
  }

  get(ref: StoreRef, key: string, query: GetQuery): StoreEntry | undefined {
    let row: GetRow | undefined;
    try {
      row = this.s.get.get(ref.store, ref.project, encodeKey(key), cutoff(query.notBefore)) as
        | GetRow
        | undefined;
    } catch (error) {
      throw this.fail(error, "get", ref, key);
    }
    if (row === undefined) return undefined;
    const updatedAt = fromMillis(row[2]);
    return {
      key,
      value: parseStored(row[0], ref, key),
      createdAt: row[1] === row[2] ? updatedAt : fromMillis(row[1]),
      updatedAt,
      taskId: row[3],
      version: row[4],
    };
  }

  put(ref: StoreRef, record: PutRecord, options: PutOptions): number | Conflict {
    try {
      this.dirty = true;
      const w = writeParams(ref, record, cutoff(options.notBefore));
      if (options.maxEntries === undefined) {
        // One statement in autocommit: atomic, and it takes the write lock before it reads. A condition
        // that fails here is checked again below, so the conflict reports what a locked read saw.
        if (options.ifVersion !== undefined) {
          const version = written(
            this.s.updateIfVersion,
            w.updatedAt,
            w.taskId,
            w.value,
            w.store,
            w.project,
            w.key,
            options.ifVersion,
            w.notBefore,
          );
          if (version !== undefined) return version;
        } else if (options.ifAbsent) {
          const version = written(this.s.insertIfAbsent, ...upsertArgs(w), w.notBefore);
          if (version !== undefined) return version;
        } else {
          return this.upsert(record, w);
        }
      }
      return this.immediate(() => this.checkedPut(ref, record, w, options));
    } catch (error) {
      throw this.fail(error, "put", ref, record.key);
    }
  }

  /** Checks the condition and writes, inside BEGIN IMMEDIATE. A failed condition writes nothing. */
  private checkedPut(
    ref: StoreRef,
    record: PutRecord,
    w: WriteParams,
    options: PutOptions,
  ): number | Conflict {
    const current = this.s.current.get(ref.store, ref.project, w.key) as CurrentRow | undefined;
    const live = current !== undefined && current[2] >= w.notBefore ? current[1] : undefined;
    if (
      (options.ifAbsent && live !== undefined) ||
      (options.ifVersion !== undefined && live !== options.ifVersion)
    ) {
      return conflict(live);
    }
    if (options.maxEntries === undefined) return this.upsert(record, w);
    return putWithRetention(this.s, ref, record, w, current, options.maxEntries);
  }

  /** One upsert; an import record also sets created_at. Resolves the version written. */
  private upsert(record: PutRecord, w: WriteParams): number {
    return written(
      record.createdAt === undefined ? this.s.upsert : this.s.upsertWithCreated,
      ...upsertArgs(w),
    ) as number;
  }

  putMany(ref: StoreRef, records: PutRecord[]): void {
    try {
      this.dirty = true;
      this.immediate(() => {
        for (const record of records) this.upsert(record, writeParams(ref, record, 0));
      });
    } catch (error) {
      throw this.fail(error, `import of ${records.length} entries`, ref);
    }
  }

  delete(ref: StoreRef, key: string, options: DeleteOptions): boolean | Conflict {
    try {
      this.dirty = true;
      const notBefore = cutoff(options.notBefore);
      return this.immediate(() => {
        const current = this.s.current.get(ref.store, ref.project, encodeKey(key)) as CurrentRow | undefined;
        const live = current !== undefined && current[2] >= notBefore ? current[1] : undefined;
        if (options.ifVersion !== undefined && live !== options.ifVersion) return conflict(live);
        if (current === undefined) return false;
        this.s.deleteById.run(current[0]);
        recordRemoval(this.s, ref, current[1], 1);
        // An expired entry is removed too, but for the caller it did not exist.
        return live !== undefined;
      });
    } catch (error) {
      throw this.fail(error, "delete", ref, key);
    }
  }

  list(ref: StoreRef, query: ListQuery): StoreEntry[] {
    let rows: ListRow[];
    try {
      rows = listRows(this.s, ref, query);
    } catch (error) {
      throw this.fail(error, "list", ref);
    }
    const entries = new Array<StoreEntry>(rows.length);
    for (let i = 0; i < rows.length; i++) entries[i] = toEntry(rows[i] as ListRow, ref);
    return entries;
  }

  prune(ref: StoreRef, query: PruneQuery): number {
    try {
      this.dirty = true;
      return this.immediate(() => {
        let removed = 0;
        if (query.olderThan !== undefined) removed += removeOlder(this.s, ref, toMillis(query.olderThan));
        if (query.maxEntries !== undefined) removed += removeBeyond(this.s, ref, query.maxEntries);
        return removed;
      });
    } catch (error) {
      throw this.fail(error, "prune", ref);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const snapshot of this.snapshots) snapshot.abort();
    try {
      this.db.close();
    } catch (error) {
      throw ioError(error, `closing ${this.options.file}`, { details: { file: this.options.file } });
    }
  }

  /** The error for a failed op, naming the store, project and key; CLOSED once the backend is closed. */
  private fail(error: unknown, doing: string, ref: StoreRef, key?: string): StoreError {
    if (this.closed) return errors.closed(describeOp(doing, ref, key));
    return ioError(error, doing, { ref, ...(key === undefined ? {} : { key }) });
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
