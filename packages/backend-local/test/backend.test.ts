import fs from "node:fs";
import path from "node:path";
import { type PutRecord, type StoreEntry, StoreError, type StoreRef } from "@store/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { APPLICATION_ID, DEFAULT_FILE_NAME, SCHEMA_VERSION, SQL } from "../src/index";
import { openManager, tempDir } from "./helpers";

const ref: StoreRef = { store: "s", project: "" };

function record(key: string, value: unknown, updatedAt: string, extra: Partial<PutRecord> = {}): PutRecord {
  return {
    key,
    value: value as PutRecord["value"],
    json: JSON.stringify(value),
    taskId: "",
    updatedAt,
    ...extra,
  };
}

const ts = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

function countsOf(db: Database.Database, store = "s", project = "") {
  const actual = db
    .prepare("SELECT count(*) FROM entries WHERE store = ? AND project = ?")
    .pluck()
    .get(store, project);
  const counted = db
    .prepare("SELECT n FROM entry_counts WHERE store = ? AND project = ?")
    .pluck()
    .get(store, project);
  return { actual, counted };
}

describe("files and options", () => {
  it("keeps one file at <dataDir>/store.sqlite by default, in WAL mode", async () => {
    const { manager, dataDir } = openManager();
    await manager.store("s").put("k", 1);
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("SELECT key, value FROM entries").all()).toEqual([{ key: "k", value: "1" }]);
    raw.close();
  });

  it("resolves a relative path against the data directory, creating directories", async () => {
    const { manager, dataDir } = openManager({ options: { path: "nested/deeper/db.sqlite" } });
    await manager.store("s").put("k", 1);
    expect(fs.existsSync(path.join(dataDir, "nested/deeper/db.sqlite"))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, DEFAULT_FILE_NAME))).toBe(false);
  });

  it("uses an absolute path as given", async () => {
    const elsewhere = path.join(tempDir(), "abs.sqlite");
    const { manager } = openManager({ options: { path: elsewhere } });
    await manager.store("s").put("k", 1);
    expect(fs.existsSync(elsewhere)).toBe(true);
  });

  it("keeps a :memory: database in the process only", async () => {
    const { manager, dataDir } = openManager({ options: { path: ":memory:" } });
    await manager.store("s").put("k", { a: 1 });
    expect(await manager.store("s").get("k")).toEqual({ a: 1 });
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it("applies its connection settings: WAL, synchronous, busy timeout, journal size limit", async () => {
    const defaults = await openManager().backend();
    expect(defaults.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(defaults.db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(defaults.db.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(defaults.db.pragma("journal_size_limit", { simple: true })).toBe(32 * 1024 * 1024);
    expect(defaults.db.pragma("temp_store", { simple: true })).toBe(2); // MEMORY

    const tuned = await openManager({
      options: { synchronous: "full", busyTimeoutMs: 1234, journalSizeLimitBytes: 65536 },
    }).backend();
    expect(tuned.db.pragma("synchronous", { simple: true })).toBe(2); // FULL
    expect(tuned.db.pragma("busy_timeout", { simple: true })).toBe(1234);
    expect(tuned.db.pragma("journal_size_limit", { simple: true })).toBe(65536);
  });

  it("accepts the snake_case spelling a manifest uses, but not both spellings at once", async () => {
    const snake = await openManager({ options: { busy_timeout_ms: 777 } as never }).backend();
    expect(snake.db.pragma("busy_timeout", { simple: true })).toBe(777);
    const both = openManager({ options: { busy_timeout_ms: 1, busyTimeoutMs: 2 } as never });
    const error = await both.manager
      .store("s")
      .get("k")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/busy_timeout_ms.*busyTimeoutMs/);
  });

  it("rejects unknown and ill-typed options through its JSON Schema, naming the field", async () => {
    for (const [options, field] of [
      [{ pathh: "x.sqlite" }, "pathh"],
      [{ synchronous: "off" }, "synchronous"],
      [{ busyTimeoutMs: -1 }, "busyTimeoutMs"],
      [{ path: "" }, "path"],
    ] as const) {
      const { manager, dataDir } = openManager({ options: options as never });
      const error = await manager
        .store("s")
        .get("k")
        .catch((e: unknown) => e);
      expect(StoreError.isInstance(error, "INVALID_MANIFEST"), JSON.stringify(options)).toBe(true);
      expect((error as Error).message).toContain(field);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    }
  });
});

describe("schema", () => {
  it("creates a versioned schema marked as ours, with the recency index newest first", async () => {
    const b = await openManager().backend();
    expect(b.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(b.db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    const columns = b.db.pragma("index_xinfo('entries_recency')") as Array<{
      name: string | null;
      desc: number;
      key: number;
    }>;
    expect(columns.filter((c) => c.key).map((c) => [c.name, c.desc])).toEqual([
      ["store", 0],
      ["project", 0],
      ["updated_at", 1],
      ["key", 0],
    ]);
    const pk = b.db.pragma("table_info('entries')") as Array<{ name: string; pk: number }>;
    expect(pk.filter((c) => c.pk).map((c) => c.name)).toEqual(["store", "project", "key"]);
  });

  it("keeps entries across reopening", async () => {
    const first = openManager();
    first.clock.set("2026-03-01T10:00:00.123Z");
    await first.manager.store("s", { project: "p" }).put("k", { kept: true }, { taskId: "t1" });
    await first.manager.close();
    const second = openManager({ dataDir: first.dataDir });
    expect(await second.manager.store("s", { project: "p" }).getEntry("k")).toEqual({
      key: "k",
      value: { kept: true },
      createdAt: "2026-03-01T10:00:00.123Z",
      updatedAt: "2026-03-01T10:00:00.123Z",
      taskId: "t1",
    });
  });

  it("sets up an existing empty file", async () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, DEFAULT_FILE_NAME), "");
    const { manager } = openManager({ dataDir });
    await manager.store("s").put("k", 1);
    expect(await manager.store("s").get("k")).toBe(1);
  });

  it("refuses a database written by a newer version of the package", async () => {
    const dataDir = tempDir();
    const raw = new Database(path.join(dataDir, DEFAULT_FILE_NAME));
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const error = await openManager({ dataDir })
      .manager.store("s")
      .get("k")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(/^local: .*newer @store\/backend-local/);
  });

  it("refuses to touch a SQLite file that holds someone else's data", async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    const raw = new Database(file);
    raw.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (1)");
    raw.close();
    const error = await openManager({ dataDir })
      .manager.store("s")
      .get("k")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(/not a database of @store\/backend-local/);
    const check = new Database(file);
    expect(check.prepare("SELECT name FROM sqlite_schema").pluck().all()).toEqual(["invoices"]);
    check.close();
  });

  it("retries lock contention during setup, also when SQLite reports it without waiting", async () => {
    // With no busy timeout SQLite answers SQLITE_BUSY at once, as it does for some steps of the
    // WAL-conversion race whatever the timeout; setup must retry rather than fail.
    const dataDir = tempDir();
    const raw = new Database(path.join(dataDir, DEFAULT_FILE_NAME));
    raw.pragma("journal_mode = WAL");
    raw.prepare("BEGIN IMMEDIATE").run();
    const { manager } = openManager({ dataDir, options: { busyTimeoutMs: 0 } });
    const put = manager.store("s").put("k", 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    raw.prepare("ROLLBACK").run();
    raw.close();
    await put;
    expect(await manager.store("s").get("k")).toBe(1);
  });

  it("lets many connections open one fresh file at the same moment", async () => {
    const dataDir = tempDir();
    const opened = Array.from({ length: 8 }, () => openManager({ dataDir }));
    await Promise.all(opened.map((o, i) => o.manager.store("s").put(`k${i}`, i)));
    expect(await opened[0]!.manager.store("s").list()).toHaveLength(8);
  });
});

describe("query plans", () => {
  const plan = (db: Database.Database, sql: string) => {
    const params = (sql.match(/\?/g) ?? []).map(() => null);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map(
      (r) => r.detail,
    );
  };

  it("never scans a table or sorts: every statement is an index seek", async () => {
    const b = await openManager().backend();
    for (const [name, sql] of Object.entries(SQL)) {
      if (/^(BEGIN|COMMIT|ROLLBACK|PRAGMA)/.test(sql)) continue;
      const steps = plan(b.db, sql);
      for (const step of steps) {
        // Scanning a one-row subquery result is fine; scanning a table or sorting is not.
        expect(step, `${name}: ${steps.join(" | ")}`).not.toMatch(/^SCAN (?!\(subquery)|TEMP B-TREE/);
      }
    }
  });

  it("pages, cursors and retention walk the recency index; point operations use the primary key", async () => {
    const b = await openManager().backend();
    for (const name of ["list", "listTies", "listOlder", "listAfterOffset", "deleteOlder"] as const) {
      expect(plan(b.db, SQL[name]).join(" | "), name).toMatch(/USING (COVERING )?INDEX entries_recency/);
    }
    for (const name of ["deleteOldestOne", "deleteOldest", "deleteBeyond", "recycleOldest"] as const) {
      expect(plan(b.db, SQL[name]).join(" | "), name).toMatch(/COVERING INDEX entries_recency/);
    }
    for (const name of ["get", "deleteKey", "updateExisting", "recycleOldest"] as const) {
      expect(plan(b.db, SQL[name]).join(" | "), name).toMatch(
        /USING PRIMARY KEY \(store=\? AND project=\? AND key=\?\)/,
      );
    }
  });
});

const TRICKY = [
  "a",
  "B",
  "é",
  "\ud7ff",
  "\ue000",
  "\uff61",
  "\uffff",
  "😀",
  "\u{10000}",
  "\u{10ffff}",
  "x/y",
  "X/y",
];

describe("key order and round trip", () => {
  it("lists tied timestamps by key exactly as JavaScript sorts strings, in every paging mode", async () => {
    const { manager } = openManager();
    const s = manager.store("s");
    const keys = new Set<string>();
    for (const a of TRICKY) for (const b of TRICKY) keys.add(a + b);
    const all = [...keys];
    await s.import(all.map((key) => ({ key, value: key, updatedAt: "2026-01-01T00:00:00.000Z" })));
    const expected = [...all].sort();
    expect((await s.list({ limit: 1000 })).map((e) => e.key)).toEqual(expected);
    const byOffset: string[] = [];
    for (let offset = 0; offset < all.length; offset += 7) {
      byOffset.push(...(await s.list({ limit: 7, offset })).map((e) => e.key));
    }
    expect(byOffset).toEqual(expected);
    const byCursor: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.listPage({ limit: 7, ...(cursor ? { cursor } : {}) });
      byCursor.push(...page.entries.map((e) => e.key));
      cursor = page.nextCursor;
    } while (cursor);
    expect(byCursor).toEqual(expected);
  });

  it("stores ordinary keys verbatim, so the file stays readable", async () => {
    const { manager, backend } = openManager();
    await manager.store("s").put("plain/key with spaces", 1);
    await manager.store("s").put("\uff61", 2);
    const stored = (await backend()).db.prepare("SELECT key FROM entries ORDER BY key").pluck().all();
    expect(stored).toEqual(["plain/key with spaces", "\u{10ffff}\uff61"]);
  });

  it("keeps keys that differ only in case or normalisation apart", async () => {
    const { manager } = openManager();
    const s = manager.store("s");
    const keys = ["\u00e9", "e\u0301", "\u00c9", "E\u0301", "\u212b", "\u00c5", "\ufb01", "fi"];
    for (const [i, key] of keys.entries()) await s.put(key, i);
    for (const [i, key] of keys.entries()) expect(await s.getEntry(key)).toMatchObject({ key, value: i });
    expect((await s.list()).map((e) => e.key).sort()).toEqual([...keys].sort());
  });
});

describe("retention, prune and the entry counts", () => {
  it("a put with retention keeps the newest max_entries, dropping the end of list order", async () => {
    const { manager, clock, backend } = openManager({
      stores: [{ name: "s", retention: { maxEntries: 3 } }],
    });
    const s = manager.store("s");
    for (let i = 0; i < 10; i++) {
      await s.put(`k${i}`, i);
      clock.advance(1000);
      const db = (await backend()).db;
      expect(countsOf(db)).toEqual({ actual: Math.min(i + 1, 3), counted: Math.min(i + 1, 3) });
    }
    expect((await s.list()).map((e) => e.key)).toEqual(["k9", "k8", "k7"]);
    // Tied timestamps: the largest key is last in list order, so it goes first.
    clock.advance(1000);
    for (const key of ["b", "c", "a"]) await s.put(key, key);
    expect((await s.list()).map((e) => e.key)).toEqual(["a", "b", "c"]);
    await s.put("d", "d");
    expect((await s.list()).map((e) => e.key)).toEqual(["a", "b", "c"]);
  });

  it("in a full project, a new entry that would itself be last in list order is the one dropped", async () => {
    const { manager, clock, backend } = openManager({
      stores: [{ name: "s", retention: { maxEntries: 3 } }],
    });
    const s = manager.store("s");
    for (const [key, at] of [
      ["k1", 10],
      ["k2", 20],
      ["m", 30],
    ] as const) {
      clock.set(ts(at));
      await s.put(key, key);
    }
    clock.set(ts(5)); // a clock that went backwards, or a skewed writer
    await s.put("older", 1);
    expect(await s.get("older")).toBeUndefined();
    clock.set(ts(10)); // ties with k1: "z" sorts after k1, so it goes; "a" sorts before, so k1 goes
    await s.put("z", 1);
    expect((await s.list()).map((e) => e.key)).toEqual(["m", "k2", "k1"]);
    await s.put("a", 1);
    expect((await s.list()).map((e) => e.key)).toEqual(["m", "k2", "a"]);
    expect(await s.getEntry("a")).toMatchObject({ createdAt: ts(10), updatedAt: ts(10) });
    expect(countsOf((await backend()).db)).toEqual({ actual: 3, counted: 3 });
  });

  it("an update of an existing key does not evict, and a lowered max_entries applies at the next put", async () => {
    const dataDir = tempDir();
    const first = openManager({ dataDir, stores: [{ name: "s", retention: { maxEntries: 5 } }] });
    for (let i = 0; i < 5; i++) {
      await first.manager.store("s").put(`k${i}`, i);
      first.clock.advance(1000);
    }
    await first.manager.store("s").put("k0", "updated");
    expect(await first.manager.store("s").list()).toHaveLength(5);
    await first.manager.close();

    const second = openManager({ dataDir, stores: [{ name: "s", retention: { maxEntries: 2 } }] });
    second.clock.set("2027-01-01T00:00:00.000Z");
    await second.manager.store("s").put("k1", "updated too");
    expect((await second.manager.store("s").list()).map((e) => e.key)).toEqual(["k1", "k0"]);
    expect(countsOf((await second.backend()).db)).toEqual({ actual: 2, counted: 2 });
  });

  it("keeps the counts exact through deletes, prunes, imports and writes by other programs", async () => {
    const { manager, clock, backend } = openManager({
      stores: [{ name: "s", retention: { maxEntries: 100 } }],
    });
    const s = manager.store("s");
    for (let i = 0; i < 30; i++) {
      await s.put(`k${i}`, i);
      clock.advance(10);
    }
    const db = (await backend()).db;
    await s.delete("k3");
    await s.delete("k3");
    expect(countsOf(db)).toEqual({ actual: 29, counted: 29 });
    await s.import(Array.from({ length: 20 }, (_, i) => ({ key: `imported${i}`, value: i })));
    expect(countsOf(db)).toEqual({ actual: 49, counted: 49 });
    expect(await s.prune({ maxEntries: 40 })).toBe(9);
    expect(countsOf(db)).toEqual({ actual: 40, counted: 40 });
    const other = new Database(path.join(manager.dataDir, DEFAULT_FILE_NAME));
    other.prepare("DELETE FROM entries WHERE key LIKE 'imported1%'").run();
    other
      .prepare("INSERT INTO entries VALUES ('s', '', 'by-hand', '1', '', ?, ?)")
      .run("2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z");
    other.close();
    expect(countsOf(db)).toEqual({ actual: 30, counted: 30 });
  });

  it("prunes by age and by count in one transaction, counting what it removed", async () => {
    const { manager, clock } = openManager();
    const s = manager.store("s");
    for (let i = 0; i < 10; i++) {
      await s.put(`k${i}`, i);
      clock.advanceDays(1);
    }
    // Now day 10: k0..k2 are older than 7 days; of the rest keep the newest 4.
    expect(await s.prune({ ttlDays: 7, maxEntries: 4 })).toBe(6);
    expect((await s.list()).map((e) => e.key)).toEqual(["k9", "k8", "k7", "k6"]);
    expect(await s.prune({ maxEntries: 4 })).toBe(0);
    expect(await s.prune({ maxEntries: 0 })).toBe(4);
    expect(await s.list()).toEqual([]);
  });

  it("prunes only its own (store, project)", async () => {
    const { manager } = openManager();
    for (const [store, project] of [
      ["s", ""],
      ["s", "p"],
      ["t", ""],
    ] as const) {
      for (let i = 0; i < 5; i++) await manager.store(store, { project }).put(`k${i}`, i);
    }
    expect(await manager.store("s", { project: "p" }).prune({ maxEntries: 1 })).toBe(4);
    expect(await manager.store("s").list()).toHaveLength(5);
    expect(await manager.store("t").list()).toHaveLength(5);
    expect(await manager.store("s", { project: "p" }).list()).toHaveLength(1);
  });
});

describe("native TTL filtering and keyset paging (called directly, without core's own filtering)", () => {
  async function seeded() {
    const b = await openManager().backend();
    // Three timestamps, several keys each.
    const records = [
      ...["a", "b", "c"].map((k) => record(k, k, ts(30))),
      ...["d", "e"].map((k) => record(k, k, ts(20))),
      ...["f", "g", "h"].map((k) => record(k, k, ts(10))),
    ];
    b.putMany(ref, records);
    return b;
  }
  const keys = (entries: StoreEntry[]) => entries.map((e) => e.key);

  it("get and list skip entries updated before notBefore", async () => {
    const b = await seeded();
    expect(b.get(ref, "f", { notBefore: ts(11) })).toBeUndefined();
    expect(b.get(ref, "f", { notBefore: ts(10) })).toMatchObject({ key: "f" });
    expect(keys(b.list(ref, { limit: 100, offset: 0, notBefore: ts(20) }))).toEqual([
      "a",
      "b",
      "c",
      "d",
      "e",
    ]);
    expect(
      keys(b.list(ref, { limit: 100, offset: 0, after: { updatedAt: ts(30), key: "b" }, notBefore: ts(15) })),
    ).toEqual(["c", "d", "e"]);
    expect(
      keys(b.list(ref, { limit: 100, offset: 0, after: { updatedAt: ts(10), key: "f" }, notBefore: ts(15) })),
    ).toEqual([]);
  });

  it("continues strictly after a cursor, inside and across tied timestamps", async () => {
    const b = await seeded();
    const after = (updatedAt: string, key: string, limit = 100, offset = 0) =>
      keys(b.list(ref, { limit, offset, after: { updatedAt, key } }));
    expect(after(ts(30), "a")).toEqual(["b", "c", "d", "e", "f", "g", "h"]);
    expect(after(ts(30), "a", 2)).toEqual(["b", "c"]);
    expect(after(ts(30), "b", 3)).toEqual(["c", "d", "e"]);
    expect(after(ts(30), "c", 1)).toEqual(["d"]);
    expect(after(ts(25), "zzz")).toEqual(["d", "e", "f", "g", "h"]);
    expect(after(ts(20), "0")).toEqual(["d", "e", "f", "g", "h"]);
    expect(after(ts(10), "h")).toEqual([]);
    // A cursor with an offset skips that many more.
    expect(after(ts(30), "a", 3, 2)).toEqual(["d", "e", "f"]);
  });

  it("putMany writes a batch atomically: one failing record stores none of it", async () => {
    const b = await openManager().backend();
    b.put(ref, record("kept", 1, ts(1)), {});
    const batch = [
      record("x", 1, ts(2)),
      record("kept", 2, ts(2)),
      { ...record("y", 1, ts(2)), json: null as never },
    ];
    expect(() => b.putMany(ref, batch)).toThrow(/local: import of 3 entries into store "s" failed/);
    expect(b.get(ref, "x", {})).toBeUndefined();
    expect(b.get(ref, "kept", {})).toMatchObject({ value: 1, updatedAt: ts(1) });
  });

  it("an upsert keeps createdAt unless the record sets it", async () => {
    const b = await openManager().backend();
    b.put(ref, record("k", 1, ts(1)), {});
    b.put(ref, record("k", 2, ts(2), { taskId: "t2" }), {});
    expect(b.get(ref, "k", {})).toEqual({
      key: "k",
      value: 2,
      createdAt: ts(1),
      updatedAt: ts(2),
      taskId: "t2",
    });
    b.putMany(ref, [record("k", 3, ts(5), { createdAt: ts(4) })]);
    expect(b.get(ref, "k", {})).toMatchObject({ value: 3, createdAt: ts(4), updatedAt: ts(5) });
  });
});

describe("errors and closing", () => {
  it("a write blocked past the busy timeout fails as BACKEND_IO naming the store and key, keeping the cause", async () => {
    const { manager, dataDir } = openManager({ options: { busyTimeoutMs: 50 } });
    const s = manager.store("s", { project: "p1" });
    await s.put("k", 1);
    const blocker = new Database(path.join(dataDir, DEFAULT_FILE_NAME));
    blocker.prepare("BEGIN IMMEDIATE").run();
    try {
      const error = (await s.put("blocked", 2).catch((e: unknown) => e)) as StoreError;
      expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
      expect(error.message).toMatch(
        /^local: put of key "blocked" in store "s" \(project "p1"\) failed: database is locked/,
      );
      expect(error.details).toMatchObject({
        store: "s",
        project: "p1",
        key: "blocked",
        sqliteCode: "SQLITE_BUSY",
      });
      expect((error.cause as { code?: string }).code).toBe("SQLITE_BUSY");
      // Reads still work while another connection writes (WAL).
      expect(await s.get("k")).toBe(1);
    } finally {
      blocker.prepare("ROLLBACK").run();
      blocker.close();
    }
    await s.put("blocked", 2);
    expect(await s.get("blocked")).toBe(2);
  });

  it("close releases the file: the WAL is folded back and no descriptor stays open", async () => {
    const { manager, dataDir, backend } = openManager();
    await manager.store("s").put("k", 1);
    const b = await backend();
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    const openOnFile = () =>
      fs.readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
        } catch {
          return false;
        }
      });
    if (process.platform === "linux") expect(openOnFile().length).toBeGreaterThan(0);
    await manager.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(fs.existsSync(`${file}-shm`)).toBe(false);
    if (process.platform === "linux") expect(openOnFile()).toEqual([]);
    b.close(); // a second close is harmless
    const closed = (() => {
      try {
        b.get(ref, "k", {});
      } catch (e) {
        return e;
      }
    })();
    expect(StoreError.isInstance(closed, "CLOSED")).toBe(true);
    expect((closed as Error).message).toBe('local: get of key "k" in store "s": the backend is closed');
    // The data is in the main file now.
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("SELECT count(*) FROM entries").pluck().get()).toBe(1);
    raw.close();
  });
});
