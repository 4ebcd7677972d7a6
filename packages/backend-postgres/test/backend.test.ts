import { loadManifests, type StoreError, StoreManager } from "@store/core";
import { compareKeys } from "@store/core/backend";
import { ORDER_KEYS } from "@store/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  POSTGRES_SCHEMA_VERSION,
  postgresBackend,
  postgresMigrationSql,
  postgresStatements,
} from "../src/index";
import { admin, assertServer } from "./database";
import { CONTEXT, managerWith, openBackend, rejection, Schemas } from "./helpers";

const schemas = new Schemas();

beforeAll(assertServer);
afterAll(async () => {
  try {
    await schemas.dropAll();
  } finally {
    await admin.end();
  }
});

const ref = { store: "s", project: "" };
function record(key: string, value: unknown, updatedAt = new Date().toISOString()) {
  return { key, value: value as never, json: JSON.stringify(value), taskId: "", updatedAt };
}

async function connectionsOf(applicationName: string): Promise<number> {
  const { rows } = await admin.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
    [applicationName],
  );
  return rows[0].n;
}

/**
 * The plans the server chose for each statement, nested ones included (those inside the schema's
 * functions), as auto_explain reports them: the statements run for real, on one admin connection.
 */
async function plansOf(statements: Array<[string, unknown[]]>): Promise<string[]> {
  const client = await admin.connect();
  const notices: string[] = [];
  const onNotice = (n: { message?: string }) => notices.push(n.message ?? "");
  client.on("notice", onNotice);
  try {
    await client.query("LOAD 'auto_explain'");
    await client.query("SET auto_explain.log_min_duration = 0");
    await client.query("SET auto_explain.log_nested_statements = on");
    await client.query("SET auto_explain.log_level = notice");
    const plans: string[] = [];
    for (const [text, values] of statements) {
      notices.length = 0;
      await client.query(text, values);
      plans.push(notices.join("\n"));
    }
    return plans;
  } finally {
    client.removeListener("notice", onNotice);
    client.release(true); // its session settings go with it
  }
}

describe("options", () => {
  it("a manifest's snake_case options reach the backend; its schema gets the tables", async () => {
    const schema = schemas.name("manifest");
    const resources = loadManifests({
      text: `
apiVersion: orchestrator.dev/v2
kind: StoreBackendProvider
metadata: { name: shared }
spec:
  plugin: postgres
  options: { schema: ${schema}, pool_max: 2, statement_timeout_ms: 5000, connect_timeout_ms: 5000, application_name: wfs-manifest }
`,
    });
    const manager = new StoreManager({
      resources,
      backends: [postgresBackend],
      defaultProvider: "shared",
      dataDir: "/x",
    });
    try {
      await manager.store("notes").put("k", { ok: true });
      const { rows } = await admin.query(`SELECT key, value FROM "${schema}".entries`);
      expect(rows).toEqual([{ key: "k", value: '{"ok":true}' }]);
      const { rows: settings } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'wfs-manifest'",
      );
      expect(settings[0].n).toBeGreaterThanOrEqual(1);
    } finally {
      await manager.close();
    }
  });

  it("a wrong option is an INVALID_MANIFEST naming the field; nothing connects", async () => {
    const resources = loadManifests({
      text: `
apiVersion: orchestrator.dev/v2
kind: StoreBackendProvider
metadata: { name: shared }
spec:
  plugin: postgres
  options: { pool_size: 3, schema: "robert'); drop table x; --" }
`,
      file: "providers.yaml",
    });
    const manager = new StoreManager({
      resources,
      backends: [postgresBackend],
      defaultProvider: "shared",
      dataDir: "/x",
    });
    try {
      const error = (await rejection(manager.store("s").get("k"))) as StoreError;
      expect(error.code).toBe("INVALID_MANIFEST");
      // Core names the unknown option in camelCase (poolSize), not as written (reported to core).
      expect(error.message).toMatch(
        /providers\.yaml:\d+:\d+: spec\.options: unknown property "pool_?[sS]ize"/,
      );
      expect(error.message).toMatch(/spec\.options\.schema/);
    } finally {
      await manager.close();
    }
  });

  it("an application's pg.Pool from code: used as given, and left open on close", async () => {
    const pool = new pg.Pool({ max: 2, application_name: "wfs-app-pool" });
    const manager = managerWith({ schema: schemas.name("apppool"), pool });
    try {
      await manager.store("s").put("k", 1);
      expect(await manager.store("s").get("k")).toBe(1);
      expect(pool.totalCount).toBeGreaterThanOrEqual(1);
      await manager.close();
      expect(pool.ending).toBe(false);
      expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it("pool with its own settings, or something that is not a pool: INVALID_ARGUMENT", async () => {
    const pool = new pg.Pool({ max: 1 });
    try {
      const clash = (await rejection(openBackend({ pool, poolMax: 3 }))) as StoreError;
      expect(clash.code).toBe("INVALID_ARGUMENT");
      expect(clash.message).toBe(
        "postgres: option pool cannot be combined with poolMax: a pool brings its own connection settings",
      );
      const notAPool = (await rejection(openBackend({ pool: {} as pg.Pool }))) as StoreError;
      expect(notAPool.message).toMatch(/^postgres: option pool must be a pg\.Pool/);
      expect(pool.totalCount).toBe(0);
    } finally {
      await pool.end();
    }
  });
});

describe("close", () => {
  it("drains and ends its own pool; later operations fail with CLOSED", async () => {
    const applicationName = `wfs-close-${process.pid}`;
    const backend = await openBackend({ schema: schemas.name("close"), applicationName });
    await Promise.all([1, 2, 3].map((i) => backend.put(ref, record(`k${i}`, i), {})));
    expect(await connectionsOf(applicationName)).toBeGreaterThanOrEqual(1);
    await backend.close();
    await backend.close(); // twice is fine
    for (let i = 0; i < 400 && (await connectionsOf(applicationName)) > 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await connectionsOf(applicationName)).toBe(0);
    const error = (await rejection(backend.get(ref, "k1", {}))) as StoreError;
    expect(error.code).toBe("CLOSED");
    expect(error.message).toBe("postgres: get: the backend is closed");
  });
});

describe("export", () => {
  it("reads one snapshot through a server-side cursor: a rewrite during the export appears once, as it was", async () => {
    const applicationName = `wfs-export-${process.pid}`;
    const manager = managerWith({ schema: schemas.name("export"), applicationName, poolMax: 2 });
    const store = manager.store("s");
    try {
      const start = Date.parse("2026-01-01T00:00:00.000Z");
      await store.import(
        Array.from({ length: 2500 }, (_, i) => ({
          key: `k${String(i).padStart(4, "0")}`,
          value: i,
          updatedAt: new Date(start + i * 1000).toISOString(),
        })),
      );
      const reader = await store.openReader();
      const seen: Array<{ key: string; value: unknown }> = [];
      try {
        expect(reader.snapshot).toBe(true);
        seen.push(...(await reader.read(100)));
        // The export holds its transaction open between reads, on a connection of its own.
        const { rows } = await admin.query(
          "SELECT state, query FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
          [applicationName],
        );
        expect(rows).toEqual([
          { state: "idle in transaction", query: "FETCH FORWARD 100 FROM wfstore_export" },
        ]);
        // k0000 is the oldest, read last: rewritten now, it moves to the front of the live list.
        await store.put("k0000", "rewritten");
        await store.put("k-new", "new");
        await store.delete("k1000");
        for (;;) {
          const batch = await reader.read(1000);
          if (batch.length === 0) break;
          seen.push(...batch);
        }
      } finally {
        await reader.close();
      }
      expect(seen.length).toBe(2500);
      expect(new Set(seen.map((e) => e.key)).size).toBe(2500);
      expect(seen[0]?.key).toBe("k2499");
      expect(seen.at(-1)).toMatchObject({ key: "k0000", value: 0 });
      expect(seen.some((e) => e.key === "k1000")).toBe(true);
      expect(seen.some((e) => e.key === "k-new")).toBe(false);
      // Closed: the connection went back to the pool, out of its transaction.
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
        [applicationName],
      );
      expect(rows[0].n).toBe(0);
      // entries() reads the live store again, from a new snapshot.
      const keys: string[] = [];
      for await (const e of store.entries({ batchSize: 700 })) keys.push(e.key);
      expect(keys.slice(0, 2)).toEqual(["k-new", "k0000"]);
      expect(keys.length).toBe(2500);
    } finally {
      await manager.close();
    }
  });

  it("a reader left open: closing the backend ends it (the pool does not wait), and reads fail with CLOSED", async () => {
    const applicationName = `wfs-export-open-${process.pid}`;
    const manager = managerWith({ schema: schemas.name("export_open"), applicationName, poolMax: 2 });
    const store = manager.store("s");
    await store.import(Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: i })));
    const reader = await store.openReader();
    expect((await reader.read(10)).length).toBe(10);
    await manager.close(); // would wait for the export's connection forever
    // Not an empty read: an export cut short must not look complete.
    await expect(reader.read(10)).rejects.toMatchObject({ code: "CLOSED" });
    await reader.close();
    for (let i = 0; i < 400 && (await connectionsOf(applicationName)) > 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await connectionsOf(applicationName)).toBe(0);
  });

  it("stopping an entries() loop early ends the snapshot", async () => {
    const applicationName = `wfs-export-early-${process.pid}`;
    const manager = managerWith({ schema: schemas.name("export_early"), applicationName, poolMax: 1 });
    const store = manager.store("s");
    try {
      await store.import(Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: i })));
      for await (const e of store.entries({ batchSize: 10 })) {
        expect(e.key).toBeTypeOf("string");
        break;
      }
      // With a pool of one, this put could not run if the export still held the connection.
      await store.put("after", 1);
      expect(await store.get("after")).toBe(1);
    } finally {
      await manager.close();
    }
  });
});

describe("migrations", () => {
  it("migrate: false on an empty schema refuses to start, saying how to create it", async () => {
    const schema = schemas.name("nomigrate");
    const error = (await rejection(openBackend({ schema, migrate: false }))) as StoreError;
    expect(error.code).toBe("BACKEND_IO");
    expect(error.message).toBe(
      `postgres: schema "${schema}" has no tables of @store/backend-postgres, and this release needs version ${POSTGRES_SCHEMA_VERSION}; automatic migration is off (migrate: false): apply the SQL of postgresMigrationSql() (or \`wfstore migrations print --provider NAME\`) as a role that may create it, or turn migrate on`,
    );
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1", [
      schema,
    ]);
    expect(rows[0].n).toBe(0); // nothing was created
  });

  it("the printed SQL, applied twice by hand, gives a schema a migrate: false backend runs on", async () => {
    const schema = schemas.name("printed");
    const sql = postgresMigrationSql({ schema });
    await admin.query(sql);
    await admin.query(sql); // idempotent
    const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_migrations`);
    expect(rows).toEqual([{ version: 1 }]);
    const backend = await openBackend({ schema, migrate: false });
    try {
      expect(backend.migration).toEqual({
        from: POSTGRES_SCHEMA_VERSION,
        to: POSTGRES_SCHEMA_VERSION,
        applied: [],
      });
      expect(await backend.put(ref, record("k", 1), {})).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it("the default schema is wfstore; a schema name that is not a plain identifier is refused", () => {
    expect(postgresMigrationSql()).toContain('CREATE SCHEMA "wfstore"');
    expect(() => postgresMigrationSql({ schema: 'x"; drop' })).toThrow(
      /option schema "x\\"; drop" is not a plain identifier/,
    );
  });

  it("a schema written by a newer release is refused", async () => {
    const schema = schemas.name("newer");
    await (await openBackend({ schema })).close();
    await admin.query(
      `INSERT INTO "${schema}".schema_migrations (version, description) VALUES (99, 'future')`,
    );
    const error = (await rejection(openBackend({ schema }))) as StoreError;
    expect(error.message).toBe(
      `postgres: schema "${schema}" is at version 99, written by a newer @store/backend-postgres (this release knows version ${POSTGRES_SCHEMA_VERSION}): upgrade the package`,
    );
  });

  it("a schema dropped while running: operations fail naming it, and a restart recreates it", async () => {
    const schema = schemas.name("dropped");
    const backend = await openBackend({ schema });
    try {
      await backend.put(ref, record("k", 1), {});
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      const error = (await rejection(backend.get(ref, "k", {}))) as StoreError;
      expect(error.code).toBe("BACKEND_IO");
      expect(error.message).toMatch(new RegExp(`the schema "${schema}" is missing or incomplete`));
      expect(error.details.failure).toBe("schema");
    } finally {
      await backend.close();
    }
    const again = await openBackend({ schema });
    expect(again.migration.applied).toEqual([1]);
    await again.close();
  });
});

describe("key order", () => {
  it('ties list in UTF-16 order, which UTF-8 byte order (COLLATE "C") gets wrong', async () => {
    const schema = schemas.name("order");
    const backend = await openBackend({ schema });
    try {
      const pick = (chars: string[]) =>
        Array.from(
          { length: (1 + Math.random() * 4) | 0 },
          () => chars[(Math.random() * chars.length) | 0],
        ).join("");
      const alphabet = [
        "a",
        "B",
        "é",
        "\u00ff",
        "\u0800",
        "\ud7ff",
        "\ue000",
        "\uff61",
        "\uffff",
        "😀",
        "\u{10000}",
        "\u{10ffff}",
      ];
      const keys = [...new Set([...ORDER_KEYS, ...Array.from({ length: 300 }, () => pick(alphabet))])];
      const tie = "2026-01-01T00:00:00.000Z";
      await backend.putMany(
        ref,
        keys.map((k) => record(k, k, tie)),
      );
      const listed = (await backend.list(ref, { limit: 1000, offset: 0 })).map((e) => e.key);
      expect(listed).toEqual([...keys].sort(compareKeys));
      const { rows } = await admin.query(`SELECT key FROM "${schema}".entries ORDER BY key COLLATE "C"`);
      expect(rows.map((r) => r.key)).not.toEqual(listed); // why key_order exists
      // Keyset paging resumes correctly after every one of them.
      for (const [i, key] of listed.entries()) {
        const next = await backend.list(ref, { limit: 1, offset: 0, after: { updatedAt: tie, key } });
        expect(next.map((e) => e.key)).toEqual(listed.slice(i + 1, i + 2));
      }
    } finally {
      await backend.close();
    }
  });

  it("before the table has statistics, pages walk the list-order index and gets use the primary key", async () => {
    const schema = schemas.name("plan");
    const backend = await openBackend({ schema });
    try {
      // Two stores of 10,000, just bulk-loaded: autovacuum has not analyzed the table yet. Without the
      // expression index and enable_sort = off, the planner here listed through the primary key and a
      // sort, or found one key by filtering the whole project (see schema-sql.ts).
      const base = Date.parse("2026-01-01T00:00:00.000Z");
      const records = Array.from({ length: 10_000 }, (_, i) =>
        record(`k${i}`, i, new Date(base + i * 1000).toISOString()),
      );
      for (const store of ["other", "s"]) {
        for (let i = 0; i < records.length; i += 1000) {
          await backend.putMany({ store, project: "" }, records.slice(i, i + 1000));
        }
      }
      const sql = postgresStatements(schema);
      const deepAt = records[5000]?.updatedAt;
      const [get, first, deep, single] = await plansOf([
        [sql.get, ["s", "", "k100", ""]],
        [sql.list, ["s", "", "", 50, 0]],
        [sql.listAfter, ["s", "", "", deepAt, Buffer.from("k5000", "utf16le").swap16(), 50, 0]],
        [sql.get, ["other", "", "k9999", "2026-01-01T00:00:00.000Z"]],
      ]);
      for (const p of [get, single]) {
        expect(p).toMatch(/Index Scan using entries_pkey/);
        expect(p).not.toMatch(/entries_recency/);
      }
      for (const p of [first, deep]) {
        expect(p).toMatch(/Index Scan using entries_recency/);
        expect(p).not.toMatch(/Sort/);
      }
    } finally {
      await backend.close();
    }
  });
});

describe("a key lookup before the table has statistics", () => {
  it("uses the primary key in a table of one store, where list order's index looked as cheap", async () => {
    const schema = schemas.name("getplan");
    const backend = await openBackend({ schema });
    try {
      const base = Date.parse("2026-01-01T00:00:00.000Z");
      for (let i = 0; i < 10_000; i += 1000) {
        const batch = Array.from({ length: 1000 }, (_, j) =>
          record(`k${i + j}`, j, new Date(base + (i + j) * 1000).toISOString()),
        );
        await backend.putMany(ref, batch);
      }
      const [plan] = await plansOf([[postgresStatements(schema).get, ["s", "", "k100", ""]]]);
      expect(plan).toMatch(/Index Scan using entries_pkey/);
    } finally {
      await backend.close();
    }
  });
});

describe("versions under concurrency", () => {
  it("puts and deletes of one key racing: no version is ever handed out twice", async () => {
    const backend = await openBackend({ schema: schemas.name("race"), poolMax: 8 });
    try {
      const versions: number[] = [];
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (let i = 0; i < 60; i++) {
            const v = await backend.put(ref, record("k", [w, i]), {});
            versions.push(v as number);
            if (i % 2 === w % 2) await backend.delete(ref, "k", {});
          }
        }),
      );
      expect(new Set(versions).size).toBe(versions.length);
    } finally {
      await backend.close();
    }
  });

  it("ifAbsent puts of a new key racing: exactly one wins, every round (with and without a TTL)", async () => {
    const backend = await openBackend({ schema: schemas.name("absent_race"), poolMax: 8 });
    try {
      const lost: string[] = [];
      for (let round = 0; round < 150; round++) {
        const key = `r${round}`;
        const notBefore = round % 2 === 0 ? "" : new Date(Date.now() - 86_400_000).toISOString();
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, w) =>
            backend.put(ref, record(key, w), { ifAbsent: true, ...(notBefore ? { notBefore } : {}) }),
          ),
        );
        const winners = outcomes.filter((o) => typeof o === "number");
        if (winners.length !== 1) lost.push(`${key}: ${winners.length} writers won`);
        const stored = await backend.get(ref, key, {});
        const winner = outcomes.findIndex((o) => typeof o === "number");
        if (stored?.value !== winner) lost.push(`${key}: holds ${stored?.value}, written by ${winner}`);
      }
      expect(lost).toEqual([]);
    } finally {
      await backend.close();
    }
  });

  it("concurrent puts into a store with max_entries 5: never more than 5 once they return", async () => {
    const manager = managerWith(
      { schema: schemas.name("retention"), poolMax: 8 },
      [],
      [{ name: "capped", provider: "shared", retention: { maxEntries: 5 } }],
    );
    try {
      const store = manager.store("capped");
      for (let round = 0; round < 10; round++) {
        await Promise.all(Array.from({ length: 40 }, (_, i) => store.put(`r${round}-${i}`, i)));
        expect(await store.list({ limit: 1000 })).toHaveLength(5);
      }
    } finally {
      await manager.close();
    }
  });

  it("an import batch that repeats a key writes it twice, in order, in one transaction", async () => {
    const backend = await openBackend({ schema: schemas.name("repeat") });
    try {
      await backend.putMany(ref, [record("a", 1), record("b", 1), record("a", 2), record("a", 3)]);
      const a = await backend.get(ref, "a", {});
      expect(a).toMatchObject({ value: 3, version: 3 });
      expect((await backend.get(ref, "b", {}))?.version).toBe(1);
    } finally {
      await backend.close();
    }
  });
});

it("the definition: v2, every capability native, the options schema of a JSON object", () => {
  expect(postgresBackend.specificationVersion).toBe("v2");
  expect(postgresBackend.capabilities).toEqual({
    retentionOnPut: true,
    cursor: true,
    prune: true,
    conditionalWrites: true,
  });
  expect(CONTEXT.providerName).toBe("test");
});
