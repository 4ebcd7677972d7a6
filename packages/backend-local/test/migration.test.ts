import path from "node:path";
import { StoreError } from "@store/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { decodeKey } from "../src/key-encoding";
import { DEFAULT_FILE_NAME } from "../src/options";
import { MIGRATIONS, SCHEMA_VERSION } from "../src/schema";
import { openManager, tempDir } from "./helpers";
import { RELEASE_MIGRATION_1_SHA256, type ReleaseEntry, sha256, writeReleaseDatabase } from "./release-0.1";

const KEYS = [
  "plain",
  "with spaces / slashes \\ and ..",
  "CON",
  ".hidden",
  "é",
  "e\u0301",
  "É",
  "日本語のキー",
  "😀",
  "👩‍👩‍👧",
  // Stored escaped (key-encoding.ts): U+E000–U+FFFF and U+10FFFF.
  "\ue000",
  "\uff61",
  "\uffff",
  "\u{10ffff}",
  "a\u{10ffff}b\uffffc\ue000",
  "\u{10000}",
];
const VALUES: unknown[] = [
  null,
  0,
  -1.5,
  true,
  "text",
  [],
  [1, "two", null],
  { nested: { deep: [true] } },
  { big: "x".repeat(50_000) },
];

/** A varied 0.1.0 database: two stores, three projects, ties, created ≠ updated, task ids, all JSON types. */
function releaseEntries(): ReleaseEntry[] {
  const entries: ReleaseEntry[] = [];
  const places = [
    ["notes", ""],
    ["notes", "proj-a"],
    ["metrics", "proj-b"],
  ] as const;
  let n = 0;
  for (const [store, project] of places) {
    for (let i = 0; i < 120; i++) {
      const key = i < KEYS.length ? (KEYS[i] as string) : `k${String(i).padStart(3, "0")}`;
      // Three entries per timestamp, so ties are ordered by key.
      const updated = Date.UTC(2025, 5, 1) + Math.floor(i / 3) * 60_000 + (n % 7);
      entries.push({
        store,
        project,
        key,
        value: VALUES[n % VALUES.length],
        taskId: n % 4 === 0 ? "" : `task-${n}`,
        createdAt: new Date(updated - 86_400_000 - n).toISOString(),
        updatedAt: new Date(updated).toISOString(),
      });
      n++;
    }
  }
  return entries;
}

describe("upgrading a database written by @store/backend-local 0.1.0", () => {
  it("keeps migration 1 exactly as that release shipped it", () => {
    expect(sha256(MIGRATIONS[0] as string)).toBe(RELEASE_MIGRATION_1_SHA256);
    expect(SCHEMA_VERSION).toBe(2);
  });

  it("keeps every entry intact (keys, values, timestamps, task ids), gives each a version, keeps list order", async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    const entries = releaseEntries();
    writeReleaseDatabase(file, entries, [{ store: "metrics", project: "proj-b" }]);
    // List order as the release's own recency index gives it.
    const old = new Database(file, { readonly: true });
    const oldOrder = (store: string, project: string) =>
      (
        old
          .prepare(
            "SELECT key FROM entries INDEXED BY entries_recency WHERE store = ? AND project = ? ORDER BY updated_at DESC, key",
          )
          .pluck()
          .all(store, project) as string[]
      ).map(decodeKey);
    const before = {
      notes: oldOrder("notes", ""),
      a: oldOrder("notes", "proj-a"),
      b: oldOrder("metrics", "proj-b"),
    };
    old.close();
    expect(before.notes).toHaveLength(120);

    const { manager, backend } = openManager({
      dataDir,
      stores: [{ name: "metrics", retention: { maxEntries: 500 } }],
    });
    for (const e of entries) {
      expect(
        await manager.store(e.store, { project: e.project }).getEntry(e.key),
        JSON.stringify(e.key),
      ).toEqual({
        key: e.key,
        value: e.value,
        createdAt: e.createdAt,
        updatedAt: e.updatedAt,
        taskId: e.taskId,
        version: 1,
      });
    }
    const b = await backend("notes");
    expect(b.migratedFrom).toBe(1);
    expect(b.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(b.db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(b.db.prepare("SELECT name FROM sqlite_schema WHERE name = 'entry_counts'").get()).toBeUndefined();

    const listed = async (store: string, project: string) => {
      const keys: string[] = [];
      for await (const e of manager.store(store, { project }).entries({ batchSize: 50 })) keys.push(e.key);
      return keys;
    };
    expect(await listed("notes", "")).toEqual(before.notes);
    expect(await listed("notes", "proj-a")).toEqual(before.a);
    expect(await listed("metrics", "proj-b")).toEqual(before.b);
    // The same order JavaScript gives: newest first, ties by key as `<` compares strings.
    const expected = entries
      .filter((e) => e.store === "notes" && e.project === "")
      .sort((x, y) =>
        x.updatedAt === y.updatedAt ? (x.key < y.key ? -1 : 1) : x.updatedAt < y.updatedAt ? 1 : -1,
      )
      .map((e) => e.key);
    expect(before.notes).toEqual(expected);
    for (const offset of [0, 7, 60, 119]) {
      expect((await manager.store("notes").list({ limit: 10, offset })).map((e) => e.key)).toEqual(
        expected.slice(offset, offset + 10),
      );
    }

    // The release's count carried over, and the entries go on as usual.
    expect(
      b.db.prepare("SELECT n FROM projects WHERE store = 'metrics' AND project = 'proj-b'").pluck().get(),
    ).toBe(120);
    const notes = manager.store("notes");
    expect((await notes.put("😀", "new")).version).toBe(2);
    await notes.delete("\uff61");
    expect((await notes.put("\uff61", "again")).version).toBe(2);
    // The delete raised the project's floor to 1: a new key starts above it.
    expect((await notes.put("brand new", 1)).version).toBe(2);
  });

  it("a file the upgrade cannot read is refused whole, unchanged, with the reason", async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    writeReleaseDatabase(file, releaseEntries().slice(0, 10));
    const raw = new Database(file);
    raw.prepare("UPDATE entries SET updated_at = 'yesterday' WHERE key = 'CON'").run();
    raw.close();
    const error = await openManager({ dataDir })
      .manager.store("notes")
      .get("plain")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(
      /^local: .*store\.sqlite: upgrading the schema from version 1 to 2 failed, nothing was changed: NOT NULL constraint failed/,
    );
    const check = new Database(file, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(1);
    expect(check.prepare("SELECT count(*) FROM entries").pluck().get()).toBe(10);
    check.close();
  });
});
