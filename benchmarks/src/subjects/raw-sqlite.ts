/**
 * The limit for the local backend: better-sqlite3 prepared statements running the same schema (mirrored
 * from packages/backend-local/src/schema.ts) and the same SQL (the `SQL` object @store/backend-local
 * exports), WAL, synchronous=NORMAL, with none of core's work around them. It still does what
 * any application must: JSON.stringify on put, JSON.parse on get/list, a timestamp per write.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { keyFor, type SeedEntry, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { check, importByName, RETAINED_MAX, STORE } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

const DAY_MS = 86_400_000;

/** backend-local's migration 1, verbatim in substance. */
const SCHEMA = `
  CREATE TABLE entries (
    store TEXT NOT NULL, project TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    task_id TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (store, project, key)
  ) WITHOUT ROWID;
  CREATE INDEX entries_recency ON entries (store, project, updated_at DESC, key);
  CREATE TABLE entry_counts (
    store TEXT NOT NULL, project TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (store, project)
  ) WITHOUT ROWID;
  CREATE TRIGGER entries_counted_insert AFTER INSERT ON entries BEGIN
    UPDATE entry_counts SET n = n + 1 WHERE store = NEW.store AND project = NEW.project;
  END;
  CREATE TRIGGER entries_counted_delete AFTER DELETE ON entries BEGIN
    UPDATE entry_counts SET n = n - 1 WHERE store = OLD.store AND project = OLD.project;
  END;
`;

const COLUMNS = "key, value, created_at, updated_at, task_id";
const RECENCY = "entries INDEXED BY entries_recency";
const UPSERT = `INSERT INTO entries (store, project, key, value, task_id, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (store, project, key) DO UPDATE SET
    value = excluded.value, task_id = excluded.task_id, updated_at = excluded.updated_at`;

/** The statements raw-sqlite runs, by the names backend-local's exported `SQL` gives them. */
const NAMES = [
  "get",
  "upsert",
  "upsertWithCreated",
  "deleteKey",
  "list",
  "listTies",
  "listOlder",
  "count",
  "startCount",
  "deleteOldest",
  "deleteBeyond",
  "deleteOlder",
] as const;
type SqlName = (typeof NAMES)[number];

/**
 * A copy of backend-local's statements (packages/backend-local/src/statements.ts), used only when the
 * package cannot be loaded; otherwise its exported `SQL` is run verbatim.
 */
const MIRROR: Record<SqlName, string> = {
  get: "SELECT value, created_at, updated_at, task_id FROM entries WHERE store = ? AND project = ? AND key = ? AND updated_at >= ?",
  upsert: UPSERT,
  upsertWithCreated: `${UPSERT}, created_at = excluded.created_at`,
  deleteKey: "DELETE FROM entries WHERE store = ? AND project = ? AND key = ?",
  list: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at >= ?
    ORDER BY updated_at DESC, key LIMIT ? OFFSET ?`,
  listTies: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at = ? AND key > ?
    AND updated_at >= ? ORDER BY key LIMIT ?`,
  listOlder: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ? AND updated_at >= ?
    ORDER BY updated_at DESC, key LIMIT ?`,
  count: "SELECT n FROM entry_counts WHERE store = ? AND project = ?",
  startCount:
    "INSERT INTO entry_counts (store, project, n) SELECT ?, ?, count(*) FROM entries WHERE store = ? AND project = ?",
  deleteOldest: `DELETE FROM entries WHERE store = ? AND project = ? AND key IN (
    SELECT key FROM ${RECENCY} WHERE store = ? AND project = ? ORDER BY updated_at ASC, key DESC LIMIT ?)`,
  deleteBeyond: `DELETE FROM entries WHERE store = ? AND project = ? AND key IN (
    SELECT key FROM ${RECENCY} WHERE store = ? AND project = ? ORDER BY updated_at DESC, key LIMIT -1 OFFSET ?)`,
  deleteOlder: `DELETE FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ?`,
};

/** backend-local's exported statements when it loads (the same SQL, by construction), else the mirror. */
async function statementsSql(): Promise<{ sql: Record<SqlName, string>; source: string }> {
  try {
    const mod = await importByName<{ SQL?: Partial<Record<SqlName, string>> }>("@store/backend-local");
    if (mod.SQL && NAMES.every((n) => typeof mod.SQL?.[n] === "string")) {
      return { sql: mod.SQL as Record<SqlName, string>, source: "SQL exported by @store/backend-local" };
    }
  } catch {
    // fall through to the mirror
  }
  return { sql: MIRROR, source: "a mirror of backend-local's statements (the package did not load)" };
}

type Row = [string, string, string, string, string];

function toEntry(row: Row) {
  return { key: row[0], value: JSON.parse(row[1]), createdAt: row[2], updatedAt: row[3], taskId: row[4] };
}

export const rawSqliteSubject: SubjectFactory = {
  id: "raw-sqlite",
  label: "limit: raw better-sqlite3, same SQL",
  kind: "limit",
  family: "sqlite",
  packages: ["better-sqlite3"],
  async create(ctx) {
    const { dataset: ds, keys, deletes } = ctx;
    const db = new Database(path.join(ctx.dir, "raw.sqlite"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma(`journal_size_limit = ${32 * 1024 * 1024}`);
    db.exec(SCHEMA);
    const { sql, source } = await statementsSql();
    const q = (text: string) => db.prepare(text);
    const s = {
      begin: q("BEGIN IMMEDIATE"),
      commit: q("COMMIT"),
      get: q(sql.get).raw(true),
      upsert: q(sql.upsert),
      upsertWithCreated: q(sql.upsertWithCreated),
      deleteKey: q(sql.deleteKey),
      list: q(sql.list).raw(true),
      listTies: q(sql.listTies).raw(true),
      listOlder: q(sql.listOlder).raw(true),
      count: q(sql.count).pluck(),
      startCount: q(sql.startCount),
      deleteOldest: q(sql.deleteOldest),
      deleteBeyond: q(sql.deleteBeyond),
      deleteOlder: q(sql.deleteOlder),
      clear: q("DELETE FROM entries WHERE store = ? AND project = ?"),
    };
    const tx = <T>(fn: () => T): T => {
      s.begin.run();
      try {
        const r = fn();
        s.commit.run();
        return r;
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    };
    /** Restores entries with their seeded timestamps, 1,000 per transaction (as core's import does). */
    const insertAll = (store: string, entries: Iterable<SeedEntry>) => {
      let batch: SeedEntry[] = [];
      const flush = () => {
        const b = batch;
        tx(() => {
          for (const e of b) {
            s.upsertWithCreated.run(
              store,
              "",
              e.key,
              JSON.stringify(e.value),
              e.taskId,
              e.createdAt,
              e.updatedAt,
            );
          }
        });
        batch = [];
      };
      let n = 0;
      for (const e of entries) {
        batch.push(e);
        n++;
        if (batch.length >= 1000) flush();
      }
      if (batch.length > 0) flush();
      return n;
    };

    insertAll(STORE.main, ds.entries());
    insertAll(STORE.retained, ds.entries(ds.size - RETAINED_MAX, ds.size));
    tx(() => s.startCount.run(STORE.retained, "", STORE.retained, ""));

    const deep = ds.deepPosition;
    const before = ds.atPosition(deep - 1);
    const cursorAt = ds.updatedAt(before);
    const cursorKey = keyFor(before);
    const deepPage = () => {
      const ties = s.listTies.all(STORE.main, "", cursorAt, cursorKey, "", 50) as Row[];
      const rows =
        ties.length === 50
          ? ties
          : ties.concat(s.listOlder.all(STORE.main, "", cursorAt, "", 50 - ties.length) as Row[]);
      return rows.map(toEntry);
    };
    check(deepPage()[0]?.key === keyFor(ds.atPosition(deep)), "raw deep cursor page");

    const c: Partial<Record<ScenarioId, Contender>> = {};
    c.get = {
      id: "raw-sqlite",
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const row = s.get.get(STORE.main, "", keyFor(keys.at(start + j)), "") as Row | undefined;
          if (row) JSON.parse(row[0]);
        }
      },
    };
    c["newest-50"] = {
      id: "raw-sqlite",
      run(ops) {
        for (let j = 0; j < ops; j++) (s.list.all(STORE.main, "", "", 50, 0) as Row[]).map(toEntry);
      },
    };
    c["deep-offset"] = {
      id: "raw-sqlite",
      run(ops) {
        for (let j = 0; j < ops; j++) (s.list.all(STORE.main, "", "", 50, deep) as Row[]).map(toEntry);
      },
    };
    c["deep-cursor"] = {
      id: "raw-sqlite",
      run(ops) {
        for (let j = 0; j < ops; j++) deepPage();
      },
    };
    const restoreOld = () => {
      insertAll(STORE.main, ds.entries(0, ds.oldCount));
    };
    const single = ctx.size > 50_000 ? { maxRounds: 5 } : {};
    c["prune-age"] = {
      id: "raw-sqlite",
      fixedOps: 1,
      ...single,
      run() {
        const cutoff = new Date(Date.now() - ds.pruneTtlDays * DAY_MS).toISOString();
        const removed = tx(() => s.deleteOlder.run(STORE.main, "", cutoff).changes);
        check(removed === ds.oldCount, `raw prune removed ${removed}`);
      },
      reset: restoreOld,
    };
    c["prune-count"] = {
      id: "raw-sqlite",
      fixedOps: 1,
      ...single,
      run() {
        // The main store never used retention, so (like the backend) there is no count row: OFFSET form.
        const removed = tx(
          () => s.deleteBeyond.run(STORE.main, "", STORE.main, "", ds.pruneMaxEntries).changes,
        );
        check(removed === ds.oldCount, `raw prune removed ${removed}`);
      },
      reset: restoreOld,
    };
    c.put = {
      id: "raw-sqlite",
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const i = keys.at(start + j);
          const now = new Date().toISOString();
          s.upsert.run(STORE.main, "", keyFor(i), JSON.stringify(valueFor(i, start + j)), "bench", now, now);
        }
      },
    };
    c["put-retention"] = {
      id: "raw-sqlite",
      note: "BEGIN IMMEDIATE, upsert, count, delete oldest, COMMIT",
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const now = new Date().toISOString();
          const json = JSON.stringify(valueFor(start + j));
          tx(() => {
            s.upsert.run(STORE.retained, "", `ret_${start + j}`, json, "bench", now, now);
            const n = s.count.get(STORE.retained, "") as number;
            if (n > RETAINED_MAX)
              s.deleteOldest.run(STORE.retained, "", STORE.retained, "", n - RETAINED_MAX);
          });
        }
      },
    };
    c.delete = {
      id: "raw-sqlite",
      run(ops, start) {
        for (let j = 0; j < ops; j++) s.deleteKey.run(STORE.main, "", keyFor(deletes.at(start + j)));
      },
      reset(ops, start) {
        const back: SeedEntry[] = [];
        for (let j = 0; j < ops; j++) back.push(ds.entry(deletes.at(start + j)));
        insertAll(STORE.main, back);
      },
    };
    c.import = {
      id: "raw-sqlite",
      fixedOps: 1,
      weight: ds.size,
      noWarmup: true,
      ...single,
      note: "1,000 upserts per transaction",
      run() {
        insertAll(STORE.imported, ds.entries());
      },
      reset() {
        s.clear.run(STORE.imported, "");
      },
    };
    return {
      id: "raw-sqlite",
      contenders: c,
      entries: ds.size,
      notes: [`statements: ${source}`],
      close: () => db.close(),
    };
  },
};
