import { describe, expect, it } from "vitest";
import { openManager } from "./helpers";

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

describe("pages deep in a large store", () => {
  it("pages at deep offsets (a deferred join) and cursor pages follow list order exactly", async () => {
    const { manager } = openManager();
    const s = manager.store("s");
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 3) * 1000).toISOString();
    // 3,000 entries, three per timestamp, inserted in no particular order.
    const order = Array.from({ length: 3000 }, (_, i) => (i * 1237) % 3000);
    const key = (i: number) => `k${String(i).padStart(4, "0")}`;
    await s.import(order.map((i) => ({ key: key(i), value: i, updatedAt: at(i) })));
    // Newest timestamp first; within one, keys ascending.
    const all = Array.from({ length: 3000 }, (_, i) => i)
      .sort((a, b) => Math.floor(b / 3) - Math.floor(a / 3) || a - b)
      .map(key);
    const streamed: string[] = [];
    for await (const e of s.entries({ batchSize: 1000 })) streamed.push(e.key);
    expect(streamed).toEqual(all);
    for (const offset of [1, 999, 1500, 2950]) {
      expect(
        (await s.list({ limit: 50, offset })).map((e) => e.key),
        `offset ${offset}`,
      ).toEqual(all.slice(offset, offset + 50));
    }
  });
});
