import fs from "node:fs";
import path from "node:path";
import { StoreError } from "@store/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { APPLICATION_ID, SCHEMA_VERSION } from "../src/schema";
import { openManager, tempDir } from "./helpers";

type IndexColumn = { name: string | null; desc: number; key: number };

describe("schema", () => {
  it("creates a versioned schema marked as ours: a rowid table, the key index and the recency index", async () => {
    const b = await openManager().backend();
    expect(b.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(b.db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    expect(b.migratedFrom).toBe(0);
    const keyed = (name: string) =>
      (b.db.pragma(`index_xinfo('${name}')`) as IndexColumn[])
        .filter((c) => c.key)
        .map((c) => [c.name, c.desc]);
    expect(keyed("entries_key")).toEqual([
      ["store", 0],
      ["project", 0],
      ["key", 0],
    ]);
    expect(keyed("entries_recency")).toEqual([
      ["store", 0],
      ["project", 0],
      ["updated_at", 1],
      ["key", 0],
      ["version", 0],
    ]);
    const indexes = b.db.pragma("index_list('entries')") as Array<{ name: string; unique: number }>;
    expect(indexes.find((i) => i.name === "entries_key")?.unique).toBe(1);
    const columns = b.db.pragma("table_info('entries')") as Array<{ name: string; type: string; pk: number }>;
    expect(columns.filter((c) => c.pk).map((c) => [c.name, c.type])).toEqual([["id", "INTEGER"]]);
    expect(columns.find((c) => c.name === "updated_at")?.type).toBe("INTEGER");
  });

  it("stores timestamps as integer milliseconds and gives them back exactly", async () => {
    const { manager, clock, backend } = openManager();
    clock.set("2026-03-01T10:00:00.123Z");
    await manager.store("s").put("k", 1);
    const raw = (await backend()).db.prepare("SELECT updated_at, created_at FROM entries").raw().get();
    expect(raw).toEqual([Date.parse("2026-03-01T10:00:00.123Z"), Date.parse("2026-03-01T10:00:00.123Z")]);
    for (const at of ["0001-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"]) {
      await manager.store("s").import([{ key: at, value: at, updatedAt: at, createdAt: at }]);
      expect(await manager.store("s").getEntry(at)).toMatchObject({ updatedAt: at, createdAt: at });
    }
  });

  it("keeps entries across reopening, versions and floors included", async () => {
    const first = openManager();
    first.clock.set("2026-03-01T10:00:00.123Z");
    const s = first.manager.store("s", { project: "p" });
    await s.put("k", { kept: true }, { taskId: "t1" });
    await s.put("gone", 1);
    await s.put("gone", 2);
    await s.delete("gone");
    await first.manager.close();
    const second = openManager({ dataDir: first.dataDir });
    const again = second.manager.store("s", { project: "p" });
    expect(await again.getEntry("k")).toEqual({
      key: "k",
      value: { kept: true },
      createdAt: "2026-03-01T10:00:00.123Z",
      updatedAt: "2026-03-01T10:00:00.123Z",
      taskId: "t1",
      version: 1,
    });
    expect((await second.backend()).migratedFrom).toBeUndefined();
    // "gone" reached version 2 before its delete: its next life starts above that, after a restart too.
    expect((await again.put("gone", 3)).version).toBe(3);
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
    expect((error as Error).message).toMatch(/^local: .*not a database of @store\/backend-local/);
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

  it("lets many connections open one fresh file at the same moment; exactly one creates the schema", async () => {
    const dataDir = tempDir();
    const opened = Array.from({ length: 8 }, () => openManager({ dataDir }));
    await Promise.all(opened.map((o, i) => o.manager.store("s").put(`k${i}`, i)));
    expect(await opened[0]!.manager.store("s").list()).toHaveLength(8);
    const migrated = await Promise.all(opened.map(async (o) => (await o.backend()).migratedFrom));
    expect(migrated.filter((m) => m !== undefined)).toEqual([0]);
  });
});
