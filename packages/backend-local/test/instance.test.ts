import type { StoreEntry } from "@store/core/backend";
import { describe, expect, it } from "vitest";
import { openManager, record, ref, ts } from "./helpers";

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
    expect(() => b.putMany(ref, batch)).toThrow(/^local: import of 3 entries of store "s" failed/);
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
      version: 2,
    });
    b.putMany(ref, [record("k", 3, ts(5), { createdAt: ts(4) })]);
    expect(b.get(ref, "k", {})).toMatchObject({ value: 3, createdAt: ts(4), updatedAt: ts(5) });
  });
});
