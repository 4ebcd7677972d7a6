/**
 * The limit for the local backend (issue 15): the best schema for this job built by hand on raw
 * better-sqlite3, with none of core's work and none of the backend's code. A rowid table with a unique
 * index on (store, project, key), integer millisecond timestamps, a covering recency index
 * (store, project, updated_at DESC, key, version), versions, and a table of per-project counts and
 * version floors kept by the statements themselves (no triggers). WAL, synchronous=NORMAL, prepared
 * statements with positional parameters, rows read as arrays.
 *
 * It still does what the job needs and any application must: JSON.stringify on put, JSON.parse on
 * reads, RFC 3339 timestamps back out of the integers (with a per-day cache, and once per entry when it
 * was written once, as a careful hand-written formatter would), versions that grow with every write and never repeat after a removal, and entries
 * as objects.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { exportEntries, keyFor, type SeedEntry, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { EXPORT_STORE, PRUNE_KEEP } from "./local";
import { check, RETAINED_MAX, STORE } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

const DAY_MS = 86_400_000;
const NO_CUTOFF = Number.MIN_SAFE_INTEGER;

const SCHEMA = `
  CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    store TEXT NOT NULL, project TEXT NOT NULL, key TEXT NOT NULL,
    updated_at INTEGER NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL,
    task_id TEXT NOT NULL, value TEXT NOT NULL
  );
  CREATE UNIQUE INDEX entries_key ON entries (store, project, key);
  CREATE INDEX entries_recency ON entries (store, project, updated_at DESC, key, version);
  CREATE TABLE projects (
    store TEXT NOT NULL, project TEXT NOT NULL, n INTEGER, floor INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store, project)
  ) WITHOUT ROWID;
`;

const COLUMNS = "key, value, created_at, updated_at, task_id, version";
const RECENCY = "entries INDEXED BY entries_recency";
const NEWEST = "ORDER BY updated_at DESC, key";
const OLDEST = "ORDER BY updated_at ASC, key DESC";

const SQL = {
  get: `SELECT value, created_at, updated_at, task_id, version FROM entries
    WHERE store = ? AND project = ? AND key = ? AND updated_at >= ?`,
  upsert: `INSERT INTO entries (store, project, key, updated_at, version, created_at, task_id, value)
    VALUES (?, ?, ?, ?, coalesce((SELECT floor FROM projects WHERE store = ? AND project = ?), 0) + 1, ?, ?, ?)
    ON CONFLICT (store, project, key) DO UPDATE SET updated_at = excluded.updated_at, version = version + 1,
      task_id = excluded.task_id, value = excluded.value RETURNING version`,
  restore: `INSERT INTO entries (store, project, key, updated_at, version, created_at, task_id, value)
    VALUES (?, ?, ?, ?, coalesce((SELECT floor FROM projects WHERE store = ? AND project = ?), 0) + 1, ?, ?, ?)
    ON CONFLICT (store, project, key) DO UPDATE SET updated_at = excluded.updated_at, version = version + 1,
      created_at = excluded.created_at, task_id = excluded.task_id, value = excluded.value`,
  putIfVersion: `UPDATE entries SET updated_at = ?, version = version + 1, task_id = ?, value = ?
    WHERE store = ? AND project = ? AND key = ? AND version = ? RETURNING version`,
  newest: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at >= ? ${NEWEST} LIMIT ?`,
  atOffset: `SELECT e.key, e.value, e.created_at, e.updated_at, e.task_id, e.version FROM (
      SELECT id FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at >= ? ${NEWEST} LIMIT ? OFFSET ?
    ) AS page CROSS JOIN entries AS e ON e.id = page.id`,
  ties: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at = ? AND key > ?
    ORDER BY key LIMIT ?`,
  older: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ? ${NEWEST} LIMIT ?`,
  all: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? ${NEWEST}`,
  count: "SELECT n FROM projects WHERE store = ? AND project = ?",
  startCount: `INSERT INTO projects (store, project, n) VALUES (?, ?, (SELECT count(*) FROM entries
    WHERE store = ? AND project = ?)) ON CONFLICT (store, project) DO UPDATE SET n = excluded.n`,
  /** Raises the floor and moves a counted n by the last `?`s; writes only when something changes. */
  removed: `INSERT INTO projects (store, project, floor) VALUES (?, ?, ?)
    ON CONFLICT (store, project) DO UPDATE SET floor = max(floor, excluded.floor), n = n + ?
    WHERE floor < excluded.floor OR (n IS NOT NULL AND ? <> 0)`,
  deleteKey: "DELETE FROM entries WHERE store = ? AND project = ? AND key = ? RETURNING version",
  deleteOldest: `DELETE FROM entries WHERE id = (SELECT id FROM ${RECENCY} WHERE store = ? AND project = ?
    ${OLDEST} LIMIT 1) RETURNING version`,
  olderTop: `SELECT max(version) FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ?`,
  deleteOlder: `DELETE FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ?`,
  beyondTop: `SELECT max(version) FROM (SELECT version FROM ${RECENCY} WHERE store = ? AND project = ?
    ${NEWEST} LIMIT -1 OFFSET ?)`,
  deleteBeyond: `DELETE FROM entries WHERE id IN (SELECT id FROM ${RECENCY} WHERE store = ? AND project = ?
    ${NEWEST} LIMIT -1 OFFSET ?)`,
  clear: "DELETE FROM entries WHERE store = ? AND project = ?",
  version: "SELECT version FROM entries WHERE store = ? AND project = ? AND key = ?",
} as const;

/**
 * The version a `RETURNING version` write resolved. Stepped to the end with all(): SQLite runs its
 * automatic checkpoint only when a write statement finishes, and get() stops at the first row.
 */
const returned = (statement: Database.Statement, ...args: unknown[]) =>
  (statement.all(...args) as number[])[0];

type Row = [
  key: string,
  value: string,
  createdAt: number,
  updatedAt: number,
  taskId: string,
  version: number,
];

let cachedDay = Number.NaN;
let dayPrefix = "";
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** Epoch ms → RFC 3339 with milliseconds, the date part cached per day, digits from tables. */
function iso(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    dayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const t = ms - day * DAY_MS;
  const s = Math.floor(t / 1000);
  return `${dayPrefix}${TWO[Math.floor(s / 3600)]}:${TWO[Math.floor(s / 60) % 60]}:${TWO[s % 60]}.${THREE[t % 1000]}Z`;
}

function toEntry(row: Row) {
  const updatedAt = iso(row[3]);
  return {
    key: row[0],
    value: JSON.parse(row[1]),
    createdAt: row[2] === row[3] ? updatedAt : iso(row[2]),
    updatedAt,
    taskId: row[4],
    version: row[5],
  };
}

export const rawSqliteSubject: SubjectFactory = {
  id: "raw-sqlite",
  label: "limit: raw better-sqlite3, best schema by hand",
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
    const s = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Record<
      keyof typeof SQL,
      Database.Statement
    >;
    for (const name of ["get", "newest", "atOffset", "ties", "older", "all"] as const) s[name].raw(true);
    for (const name of [
      "upsert",
      "putIfVersion",
      "count",
      "deleteKey",
      "deleteOldest",
      "olderTop",
      "beyondTop",
      "version",
    ] as const) {
      s[name].pluck(true);
    }
    const begin = db.prepare("BEGIN IMMEDIATE");
    const commit = db.prepare("COMMIT");
    const tx = <T>(fn: () => T): T => {
      begin.run();
      try {
        const r = fn();
        commit.run();
        return r;
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    };
    /** Restores entries with their seeded timestamps, 1,000 per transaction (as core's import does). */
    const insertAll = (
      store: string,
      entries: Iterable<{
        key: string;
        value: unknown;
        updatedAt: string;
        createdAt: string;
        taskId: string;
      }>,
    ) => {
      let batch: Array<{
        key: string;
        value: unknown;
        updatedAt: string;
        createdAt: string;
        taskId: string;
      }> = [];
      const flush = () => {
        const b = batch;
        tx(() => {
          for (const e of b) {
            const at = Date.parse(e.updatedAt);
            s.restore.run(
              store,
              "",
              e.key,
              at,
              store,
              "",
              Date.parse(e.createdAt),
              e.taskId,
              JSON.stringify(e.value),
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
    /** Removes by one of the prune statements, raising the floor to the largest version removed. */
    const removeWith = (top: Database.Statement, del: Database.Statement, store: string, arg: number) =>
      tx(() => {
        const floor = top.get(store, "", arg) as number | null;
        if (floor === null) return 0;
        const removed = del.run(store, "", arg).changes;
        s.removed.run(store, "", floor, -removed, -removed);
        return removed;
      });

    insertAll(STORE.main, ds.entries());
    insertAll(STORE.retained, ds.entries(ds.size - RETAINED_MAX, ds.size));
    tx(() => s.startCount.run(STORE.retained, "", STORE.retained, ""));
    insertAll(EXPORT_STORE, exportEntries(ds));

    const deep = ds.deepPosition;
    const before = ds.atPosition(deep - 1);
    const cursorAt = ds.updatedAtMs(before);
    const cursorKey = keyFor(before);
    const deepPage = () => {
      const ties = s.ties.all(STORE.main, "", cursorAt, cursorKey, 50) as Row[];
      const rows =
        ties.length === 50
          ? ties
          : ties.concat(s.older.all(STORE.main, "", cursorAt, 50 - ties.length) as Row[]);
      return rows.map(toEntry);
    };
    check(deepPage()[0]?.key === keyFor(ds.atPosition(deep)), "raw deep cursor page");
    const offsetPage = () => (s.atOffset.all(STORE.main, "", NO_CUTOFF, 50, deep) as Row[]).map(toEntry);
    check(offsetPage()[0]?.key === keyFor(ds.atPosition(deep)), "raw deep offset page");
    /** Versions of the main store's keys, kept from every write's RETURNING, else read once. */
    const versions = new Map<number, number>();
    const versionOf = (i: number) => versions.get(i) ?? (s.version.get(STORE.main, "", keyFor(i)) as number);

    const c: Partial<Record<ScenarioId, Contender>> = {};
    const id = "raw-sqlite";
    c.get = {
      id,
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const key = keyFor(keys.at(start + j));
          const row = s.get.get(STORE.main, "", key, NO_CUTOFF) as
            | [string, number, number, string, number]
            | undefined;
          if (row) {
            const updatedAt = iso(row[2]);
            const entry = {
              key,
              value: JSON.parse(row[0]),
              createdAt: row[1] === row[2] ? updatedAt : iso(row[1]),
              updatedAt,
              taskId: row[3],
              version: row[4],
            };
            if (entry.version < 1) throw new Error("bad row");
          }
        }
      },
    };
    c["newest-50"] = {
      id,
      run(ops) {
        for (let j = 0; j < ops; j++) (s.newest.all(STORE.main, "", NO_CUTOFF, 50) as Row[]).map(toEntry);
      },
    };
    c["deep-offset"] = {
      id,
      note: "deferred join: the offset walks the covering recency index, the table is read for 50 rows",
      run(ops) {
        for (let j = 0; j < ops; j++) offsetPage();
      },
    };
    c["deep-cursor"] = {
      id,
      run(ops) {
        for (let j = 0; j < ops; j++) deepPage();
      },
    };
    const single = ctx.size > 50_000 ? { maxRounds: 5 } : {};
    c.export = {
      id,
      fixedOps: 1,
      weight: ds.size,
      ...single,
      note: "one SELECT over the recency index, every row as an entry",
      run() {
        let n = 0;
        for (const row of s.all.iterate(EXPORT_STORE, "") as Iterable<Row>) if (toEntry(row)) n++;
        check(n === ds.size, `raw export read ${n}`);
      },
    };
    const prune = (
      scenario: string,
      removes: number,
      remove: () => number,
      restoreTo: number,
    ): Contender => ({
      id,
      fixedOps: 1,
      ...single,
      note: "BEGIN IMMEDIATE, largest version removed (covering), DELETE, floor, COMMIT",
      run() {
        const removed = remove();
        check(removed === removes, `raw ${scenario} removed ${removed}`);
      },
      reset: () => insertAll(STORE.main, ds.entries(0, restoreTo)),
    });
    c["prune-age"] = prune(
      "prune-age",
      ds.oldCount,
      () => removeWith(s.olderTop, s.deleteOlder, STORE.main, Date.now() - ds.pruneTtlDays * DAY_MS),
      ds.oldCount,
    );
    c["prune-count"] = prune(
      "prune-count",
      ds.oldCount,
      () => removeWith(s.beyondTop, s.deleteBeyond, STORE.main, ds.pruneMaxEntries),
      ds.oldCount,
    );
    c["prune-newest-500"] = prune(
      "prune-newest-500",
      ds.size - PRUNE_KEEP,
      () => removeWith(s.beyondTop, s.deleteBeyond, STORE.main, PRUNE_KEEP),
      ds.size - PRUNE_KEEP,
    );
    c.put = {
      id,
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const i = keys.at(start + j);
          const now = Date.now();
          const json = JSON.stringify(valueFor(i, start + j));
          versions.set(
            i,
            returned(s.upsert, STORE.main, "", keyFor(i), now, STORE.main, "", now, "bench", json) as number,
          );
        }
      },
    };
    c["put-if-version"] = {
      id,
      note: "UPDATE … WHERE version = ? RETURNING version",
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const i = keys.at(start + j);
          const json = JSON.stringify(valueFor(i, start + j));
          const v = returned(
            s.putIfVersion,
            Date.now(),
            "bench",
            json,
            STORE.main,
            "",
            keyFor(i),
            versionOf(i),
          );
          check(v !== undefined, `raw conditional put of ${keyFor(i)} conflicted`);
          versions.set(i, v as number);
        }
      },
      reset(ops, start) {
        // As for local: the versions the next run needs are read here, untimed.
        for (let j = start + ops; j < start + 5 * ops; j++) versions.set(keys.at(j), versionOf(keys.at(j)));
      },
    };
    c["put-retention"] = {
      id,
      note: "BEGIN IMMEDIATE, count, upsert, delete the oldest, floor and count, COMMIT",
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const now = Date.now();
          const json = JSON.stringify(valueFor(start + j));
          tx(() => {
            const n = s.count.get(STORE.retained, "") as number;
            returned(
              s.upsert,
              STORE.retained,
              "",
              `ret_${start + j}`,
              now,
              STORE.retained,
              "",
              now,
              "bench",
              json,
            );
            if (n + 1 > RETAINED_MAX) {
              const version = s.deleteOldest.get(STORE.retained, "") as number;
              s.removed.run(STORE.retained, "", version, 0, 0);
            } else {
              s.removed.run(STORE.retained, "", 0, 1, 1);
            }
          });
        }
      },
    };
    c.delete = {
      id,
      run(ops, start) {
        for (let j = 0; j < ops; j++) {
          tx(() => {
            const version = s.deleteKey.get(STORE.main, "", keyFor(deletes.at(start + j))) as
              | number
              | undefined;
            if (version !== undefined) s.removed.run(STORE.main, "", version, -1, -1);
          });
        }
      },
      reset(ops, start) {
        const back: SeedEntry[] = [];
        for (let j = 0; j < ops; j++) back.push(ds.entry(deletes.at(start + j)));
        insertAll(STORE.main, back);
      },
    };
    c.import = {
      id,
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
      id,
      contenders: c,
      entries: ds.size,
      notes: ["schema and statements: written by hand for this job (see src/subjects/raw-sqlite.ts)"],
      close: () => db.close(),
    };
  },
};
