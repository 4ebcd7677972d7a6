import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { openManager, projectState, tempDir, ts } from "./helpers";

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
      expect(projectState(db)).toMatchObject({ actual: Math.min(i + 1, 3), counted: Math.min(i + 1, 3) });
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
    expect(projectState((await backend()).db)).toMatchObject({ actual: 3, counted: 3 });
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
    expect(projectState((await second.backend()).db)).toMatchObject({ actual: 2, counted: 2 });
  });

  it("keeps the counts exact through deletes, prunes, imports and rows other programs insert", async () => {
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
    expect(projectState(db)).toMatchObject({ actual: 29, counted: 29 });
    await s.import(Array.from({ length: 20 }, (_, i) => ({ key: `imported${i}`, value: i })));
    expect(projectState(db)).toMatchObject({ actual: 49, counted: 49 });
    expect(await s.prune({ maxEntries: 40 })).toBe(9);
    expect(projectState(db)).toMatchObject({ actual: 40, counted: 40 });
    expect(await s.prune({ ttlDays: 1 })).toBe(0);
    clock.advanceDays(2);
    await s.put("fresh", 1);
    expect(await s.prune({ ttlDays: 1 })).toBe(40);
    expect(projectState(db)).toMatchObject({ actual: 1, counted: 1 });
    // The insert trigger counts rows written by another program too.
    const other = new Database(path.join(manager.dataDir, DEFAULT_FILE_NAME));
    other
      .prepare(
        "INSERT INTO entries (store, project, key, updated_at, version, created_at, task_id, value) VALUES ('s', '', 'by-hand', 0, 1, 0, '', '1')",
      )
      .run();
    other.close();
    expect(projectState(db)).toMatchObject({ actual: 2, counted: 2 });
  });

  it("rows another program deletes leave the count high; the next prune by count corrects it", async () => {
    const { manager, clock, backend } = openManager({
      stores: [{ name: "s", retention: { maxEntries: 10 } }],
    });
    const s = manager.store("s");
    for (let i = 0; i < 10; i++) {
      await s.put(`k${i}`, i);
      clock.advance(10);
    }
    const db = (await backend()).db;
    const other = new Database(path.join(manager.dataDir, DEFAULT_FILE_NAME));
    other.prepare("DELETE FROM entries WHERE key IN ('k8', 'k9')").run();
    other.close();
    expect(projectState(db)).toMatchObject({ actual: 8, counted: 10 });
    // Removal by position is right whatever the count says: nothing beyond the newest 10 is removed.
    expect(await s.prune({ maxEntries: 10 })).toBe(0);
    expect(projectState(db)).toMatchObject({ actual: 8, counted: 8 });
    await s.put("k10", 10);
    await s.put("k11", 11);
    expect(await s.list({ limit: 100 })).toHaveLength(10);
  });

  it("every removal raises the project's floor to the largest version it removed", async () => {
    const { manager, clock, backend } = openManager({
      stores: [{ name: "s", retention: { maxEntries: 3 } }],
    });
    const s = manager.store("s");
    const db = (await backend()).db;
    for (let i = 0; i < 5; i++) await s.put("hot", i); // version 5
    clock.advance(10);
    for (const k of ["a", "b"]) await s.put(k, k);
    clock.advance(10);
    await s.put("c", "c"); // full: "hot" (the oldest) is evicted
    expect(await s.get("hot")).toBeUndefined();
    expect(projectState(db)).toMatchObject({ actual: 3, counted: 3, floor: 5 });
    // Back as a new key, it starts above its old life (and evicts "b", last in list order).
    expect((await s.put("hot", "back")).version).toBe(6);
    expect((await s.list()).map((e) => e.key)).toEqual(["c", "hot", "a"]);
    // Keeps "c"; removes "hot" (version 6) and "a" (version 1).
    expect(await s.prune({ maxEntries: 1 })).toBe(2);
    expect(projectState(db).floor).toBe(6);
    expect((await s.put("a", "back")).version).toBe(7);
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
