/**
 * `@store/backend-postgres` through StoreManager, and its limit: the very statements the backend runs
 * (`postgresStatements`, on a schema made by `postgresMigrationSql`) sent through `pg`, prepared, on
 * the SAME pool, with none of core's work around them. It still does what any application of that
 * schema must: JSON.stringify on put, JSON.parse on read, a timestamp per write, the key's UTF-16 sort
 * key. The server is the one the PG* variables name, else 127.0.0.1:5432, user postgres, database test.
 */
import type { Pool, QueryConfig } from "pg";
import { keyFor, type SeedEntry, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { check, importByName, loadCore, oursContenders, RETAINED_MAX, STORE, storeManifests } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

type PgModule = typeof import("pg");
type PostgresModule = typeof import("@store/backend-postgres");

const DAY_MS = 86_400_000;

/** One pool per size, shared by both subjects ("the same pool"), ended when the last one closes. */
let shared: { size: number; pool: Pool; users: number } | undefined;

async function sharedPool(size: number): Promise<Pool> {
  if (shared && shared.size === size) {
    shared.users++;
    return shared.pool;
  }
  const loaded = await importByName<PgModule & { default?: PgModule }>("pg");
  const pg = loaded.default ?? loaded; // pg is CommonJS: its exports arrive as the default export
  process.env.PGHOST ??= "127.0.0.1";
  process.env.PGPORT ??= "5432";
  process.env.PGUSER ??= "postgres";
  process.env.PGDATABASE ??= "test";
  const pool = new pg.Pool({ max: 4, application_name: "wfstore-bench" });
  pool.on("error", () => {}); // an idle connection dropped by the server: the next query reconnects
  await pool.query("SELECT 1"); // not measured: fail here, clearly, when there is no server
  shared = { size, pool, users: 1 };
  return pool;
}

async function releasePool(): Promise<void> {
  if (!shared || --shared.users > 0) return;
  const { pool } = shared;
  shared = undefined;
  await pool.end();
}

async function freshSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export const postgresSubject: SubjectFactory = {
  id: "postgres",
  label: "ours: postgres via StoreManager",
  kind: "ours",
  family: "sqlite",
  packages: ["@store/backend-postgres", "pg"],
  async create(ctx) {
    const core = await loadCore();
    const mod = await importByName<PostgresModule>("@store/backend-postgres");
    const pool = await sharedPool(ctx.size);
    const schema = `wfstore_bench_ours_${ctx.size}`;
    try {
      await freshSchema(pool, schema);
      const provider = {
        apiVersion: "wfstore.dev/v1",
        kind: "StoreBackendProvider",
        metadata: { name: "pg" },
        spec: { plugin: mod.POSTGRES_BACKEND_NAME, options: { schema, pool } },
      };
      const manager = new core.StoreManager({
        dataDir: ctx.dir,
        backends: [mod.postgresBackend],
        resources: core.loadManifests(storeManifests("pg", [provider])),
      });
      const contenders = await oursContenders("postgres", core, manager, ctx, {
        schemaEntries: ctx.size,
        singleShotRounds: ctx.size > 50_000 ? 5 : undefined,
      });
      return {
        id: "postgres",
        contenders,
        entries: ctx.size,
        notes: [`schema ${schema} on the pool raw-pg uses (4 connections)`],
        async close() {
          await manager.close();
          await freshSchema(pool, schema);
          await releasePool();
        },
      };
    } catch (error) {
      await releasePool();
      throw error;
    }
  },
};

type EntryRow = [string, string, string, string, string, string];

export const rawPgSubject: SubjectFactory = {
  id: "raw-pg",
  label: "limit: raw pg queries, same SQL, same pool",
  kind: "limit",
  family: "sqlite",
  packages: ["pg"],
  async create(ctx) {
    const { dataset: ds, keys, deletes } = ctx;
    const mod = await importByName<PostgresModule>("@store/backend-postgres");
    const pool = await sharedPool(ctx.size);
    const schema = `wfstore_bench_raw_${ctx.size}`;
    try {
      await freshSchema(pool, schema);
      await pool.query(mod.postgresMigrationSql({ schema }));
      const sql = mod.postgresStatements(schema);
      const q = (op: keyof typeof sql, values: unknown[]): QueryConfig =>
        ({
          name: `raw.${schema}.${op}`,
          text: sql[op],
          values,
          rowMode: "array",
        }) as QueryConfig;
      const sortKey = (key: string) => Buffer.from(key, "utf16le").swap16();
      const rows = async (op: keyof typeof sql, values: unknown[]) =>
        (await pool.query(q(op, values))).rows as EntryRow[];
      const toEntry = (r: EntryRow) => ({
        key: r[0],
        value: JSON.parse(r[1]),
        createdAt: r[2],
        updatedAt: r[3],
        taskId: r[4],
        version: Number(r[5]),
      });
      /** Writes entries with their seeded timestamps, 1,000 per put_many call (as core's import does). */
      const insertAll = async (store: string, entries: Iterable<SeedEntry>) => {
        let batch: SeedEntry[] = [];
        const flush = async () => {
          const b = batch;
          batch = [];
          await pool.query(
            q("putMany", [
              store,
              "",
              b.map((e) => e.key),
              b.map((e) => sortKey(e.key)),
              b.map((e) => JSON.stringify(e.value)),
              b.map((e) => e.taskId),
              b.map((e) => e.createdAt),
              b.map((e) => e.updatedAt),
              b.map(() => null),
            ]),
          );
        };
        for (const e of entries) {
          batch.push(e);
          if (batch.length >= 1000) await flush();
        }
        if (batch.length > 0) await flush();
      };
      const put = (store: string, key: string, value: unknown, maxEntries: number | null) => {
        const now = new Date().toISOString();
        const args = [
          store,
          "",
          key,
          sortKey(key),
          JSON.stringify(value),
          "bench",
          now,
          null,
          null,
          null,
          false,
          "",
          maxEntries,
        ];
        return pool.query(q("put", args));
      };

      await insertAll(STORE.main, ds.entries());
      await insertAll(STORE.retained, ds.entries(ds.size - RETAINED_MAX, ds.size));

      const deep = ds.deepPosition;
      const before = ds.atPosition(deep - 1);
      const cursorAt = ds.updatedAt(before);
      const cursorOrder = sortKey(keyFor(before));
      const deepPage = async () =>
        (await rows("listAfter", [STORE.main, "", "", cursorAt, cursorOrder, 50, 0])).map(toEntry);
      check((await deepPage())[0]?.key === keyFor(ds.atPosition(deep)), "raw deep cursor page");

      const c: Partial<Record<ScenarioId, Contender>> = {};
      c.get = {
        id: "raw-pg",
        async run(ops, start) {
          for (let j = 0; j < ops; j++) {
            const [row] = await rows("get", [STORE.main, "", keyFor(keys.at(start + j)), ""]);
            if (row) toEntry(row);
          }
        },
      };
      c["newest-50"] = {
        id: "raw-pg",
        async run(ops) {
          for (let j = 0; j < ops; j++) (await rows("list", [STORE.main, "", "", 50, 0])).map(toEntry);
        },
      };
      c["deep-offset"] = {
        id: "raw-pg",
        async run(ops) {
          for (let j = 0; j < ops; j++) (await rows("list", [STORE.main, "", "", 50, deep])).map(toEntry);
        },
      };
      c["deep-cursor"] = {
        id: "raw-pg",
        async run(ops) {
          for (let j = 0; j < ops; j++) await deepPage();
        },
      };
      const restoreOld = () => insertAll(STORE.main, ds.entries(0, ds.oldCount));
      const single = ctx.size > 50_000 ? { maxRounds: 5 } : {};
      const prune = (maxEntries: number | null, olderThan: string | null) => async () => {
        const [[removed] = []] = (await pool.query(q("prune", [STORE.main, "", maxEntries, olderThan]))).rows;
        check(Number(removed) === ds.oldCount, `raw prune removed ${removed}`);
      };
      c["prune-age"] = {
        id: "raw-pg",
        fixedOps: 1,
        ...single,
        note: "one prune_entries() call: one DELETE",
        run: () => prune(null, new Date(Date.now() - ds.pruneTtlDays * DAY_MS).toISOString())(),
        reset: restoreOld,
      };
      c["prune-count"] = {
        id: "raw-pg",
        fixedOps: 1,
        ...single,
        note: "one prune_entries() call: one DELETE",
        run: prune(ds.pruneMaxEntries, null),
        reset: restoreOld,
      };
      c.put = {
        id: "raw-pg",
        async run(ops, start) {
          for (let j = 0; j < ops; j++) {
            const i = keys.at(start + j);
            await put(STORE.main, keyFor(i), valueFor(i, start + j), null);
          }
        },
      };
      c["put-retention"] = {
        id: "raw-pg",
        note: "put_entry() with max_entries: upsert and trim in one call",
        async run(ops, start) {
          for (let j = 0; j < ops; j++)
            await put(STORE.retained, `ret_${start + j}`, valueFor(start + j), RETAINED_MAX);
        },
      };
      c.delete = {
        id: "raw-pg",
        async run(ops, start) {
          for (let j = 0; j < ops; j++) {
            await pool.query(q("delete", [STORE.main, "", keyFor(deletes.at(start + j)), null, ""]));
          }
        },
        async reset(ops, start) {
          const back: SeedEntry[] = [];
          for (let j = 0; j < ops; j++) back.push(ds.entry(deletes.at(start + j)));
          await insertAll(STORE.main, back);
        },
      };
      c.import = {
        id: "raw-pg",
        fixedOps: 1,
        weight: ds.size,
        noWarmup: true,
        ...single,
        note: "put_many() of 1,000 rows per call",
        run: () => insertAll(STORE.imported, ds.entries()),
        async reset() {
          await pool.query(q("prune", [STORE.imported, "", 0, null]));
        },
      };
      return {
        id: "raw-pg",
        contenders: c,
        entries: ds.size,
        notes: [
          "statements: postgresStatements() of @store/backend-postgres, prepared, on the pool `postgres` uses",
        ],
        async close() {
          await freshSchema(pool, schema);
          await releasePool();
        },
      };
    } catch (error) {
      await releasePool();
      throw error;
    }
  },
};
