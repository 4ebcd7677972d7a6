/**
 * The limit for the local backend: better-sqlite3 prepared statements running the same schema and SQL
 * (the `MIGRATIONS` and `SQL` that @store/backend-local exports), WAL, synchronous=NORMAL, with none of core's work around them. It still does what
 * any application must: JSON.stringify on put, JSON.parse on get/list, a timestamp per write.
 */
import path from "node:path";
import type { SQL } from "@store/backend-local";
import Database from "better-sqlite3";
import { keyFor, type SeedEntry, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { check, importByName, RETAINED_MAX, STORE } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

const DAY_MS = 86_400_000;

/**
 * The local backend's own migrations and statements, so the limit runs exactly what the backend runs
 * and cannot drift from it. Without the package there is nothing to compare against: not measured.
 */
async function localSql(): Promise<{ sql: typeof SQL; migrations: readonly string[] }> {
  const mod = await importByName<{ SQL: typeof SQL; MIGRATIONS: readonly string[] }>("@store/backend-local");
  return { sql: mod.SQL, migrations: mod.MIGRATIONS };
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
    const { sql, migrations } = await localSql();
    for (const migration of migrations) db.exec(migration);
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
      notes: ["schema and statements: those exported by @store/backend-local"],
      close: () => db.close(),
    };
  },
};
