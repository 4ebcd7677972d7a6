import { isConflict } from "@store/core/backend";
import type Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { mustPut, openManager, projectState, record, ref, ts } from "./helpers";

/** Everything a write could change: the rows and the project bookkeeping. */
function snapshot(db: Database.Database) {
  return {
    entries: db.prepare("SELECT * FROM entries ORDER BY id").all(),
    projects: db.prepare("SELECT * FROM projects ORDER BY store, project").all(),
  };
}

describe("versions and conditional writes (called directly)", () => {
  it("keeps a floor per project: a delete in one project does not move another's versions", async () => {
    const b = await openManager().backend();
    const other = { store: "s", project: "other" };
    for (let i = 0; i < 4; i++) mustPut(b, record("k", i, ts(i)));
    expect(b.delete(ref, "k", {})).toBe(true);
    expect(projectState(b.db).floor).toBe(4);
    expect(mustPut(b, record("k", "again", ts(9)))).toBe(5);
    expect(mustPut(b, record("k", "elsewhere", ts(9)), {}, other)).toBe(1);
  });

  it("a failed condition changes nothing: no row, no count, no floor", async () => {
    const b = await openManager().backend();
    for (let i = 0; i < 3; i++) mustPut(b, record(`k${i}`, i, ts(i)), { maxEntries: 3 });
    const before = snapshot(b.db);
    const attempts = [
      () => b.put(ref, record("k1", "x", ts(9)), { ifVersion: 7 }),
      () => b.put(ref, record("k1", "x", ts(9)), { ifAbsent: true }),
      () => b.put(ref, record("new", "x", ts(9)), { ifVersion: 1, maxEntries: 3 }),
      () => b.put(ref, record("k1", "x", ts(9)), { ifAbsent: true, maxEntries: 1 }),
      () => b.delete(ref, "k1", { ifVersion: 2 }),
      () => b.delete(ref, "absent", { ifVersion: 1 }),
    ];
    for (const attempt of attempts) expect(isConflict(attempt()), String(attempt)).toBe(true);
    expect(snapshot(b.db)).toEqual(before);
  });

  it("an expired entry is absent for conditions; ifAbsent replaces it with a higher version", async () => {
    const b = await openManager().backend();
    mustPut(b, record("k", "old", ts(1)));
    mustPut(b, record("k", "older still", ts(2)));
    const notBefore = ts(10);
    expect(b.put(ref, record("k", "x", ts(20)), { ifVersion: 2, notBefore })).toEqual({
      conflict: true,
      currentVersion: undefined,
    });
    expect(b.delete(ref, "k", { ifVersion: 2, notBefore })).toEqual({
      conflict: true,
      currentVersion: undefined,
    });
    expect(b.put(ref, record("k", "new", ts(20)), { ifAbsent: true, notBefore })).toBe(3);
    // Created anew for the caller, yet the stored row keeps growing its own version.
    expect(b.get(ref, "k", { notBefore })).toMatchObject({ value: "new", version: 3, updatedAt: ts(20) });
  });

  it("deleting an expired entry removes it and raises the floor, but reports that nothing existed", async () => {
    const b = await openManager().backend();
    mustPut(b, record("k", 1, ts(1)));
    mustPut(b, record("k", 2, ts(2)));
    expect(b.delete(ref, "k", { notBefore: ts(5) })).toBe(false);
    expect(b.get(ref, "k", {})).toBeUndefined();
    expect(projectState(b.db)).toMatchObject({ actual: 0, floor: 2 });
    expect(b.delete(ref, "k", {})).toBe(false);
  });

  it("retention: an evicted entry's version, and one evicted at once, are covered by the floor", async () => {
    const b = await openManager().backend();
    for (let i = 0; i < 3; i++) mustPut(b, record("k", i, ts(10))); // version 3
    mustPut(b, record("a", "a", ts(20)), { maxEntries: 2 });
    // Full: "b" takes the row of "k" (the oldest), and goes above its version.
    expect(mustPut(b, record("b", "b", ts(20)), { maxEntries: 2 })).toBe(4);
    expect(b.get(ref, "k", {})).toBeUndefined();
    // Older than everything: written and dropped at once (versions are per key: 4 is free for it).
    expect(mustPut(b, record("old", "x", ts(1)), { maxEntries: 2 })).toBe(4);
    expect(b.get(ref, "old", {})).toBeUndefined();
    // The floor covers both: a new life of either key starts above them.
    expect(projectState(b.db)).toMatchObject({ actual: 2, counted: 2, floor: 4 });
    expect(mustPut(b, record("old", "back", ts(30)), { maxEntries: 2 })).toBe(5);
  });

  it("an imported version is kept for a new key and only ever raises an existing one", async () => {
    const b = await openManager().backend();
    b.putMany(ref, [record("a", 1, ts(1), { version: 40 }), record("b", 1, ts(1), { version: 2 })]);
    expect(b.get(ref, "a", {})?.version).toBe(40);
    mustPut(b, record("b", 2, ts(2))); // 3
    b.putMany(ref, [record("b", 3, ts(3), { version: 1 })]);
    expect(b.get(ref, "b", {})?.version).toBe(4);
    expect(mustPut(b, record("c", 1, ts(3), { version: 9 }), { maxEntries: 10 })).toBe(9);
  });
});
