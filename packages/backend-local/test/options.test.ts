import fs from "node:fs";
import path from "node:path";
import { StoreError } from "@store/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { openManager, tempDir } from "./helpers";

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

  it("takes the snake_case names a manifest uses (core converts them), but not both spellings at once", async () => {
    const snake = await openManager({
      options: { busy_timeout_ms: 777, journal_size_limit_bytes: 4096 } as never,
    }).backend();
    expect(snake.db.pragma("busy_timeout", { simple: true })).toBe(777);
    expect(snake.db.pragma("journal_size_limit", { simple: true })).toBe(4096);
    const both = openManager({ options: { busy_timeout_ms: 1, busyTimeoutMs: 2 } as never });
    const error = await both.manager
      .store("s")
      .get("k")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/busy_timeout_ms.*busyTimeoutMs/);
  });

  it("rejects unknown and ill-typed options through its JSON Schema, naming the field, before creating a file", async () => {
    for (const [options, field] of [
      [{ pathh: "x.sqlite" }, "pathh"],
      [{ synchronous: "off" }, "synchronous"],
      [{ busyTimeoutMs: -1 }, "busyTimeoutMs"],
      [{ path: "" }, "path"],
      [{ checkpoint_interval_ms: "soon" }, "checkpoint_interval_ms"],
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
