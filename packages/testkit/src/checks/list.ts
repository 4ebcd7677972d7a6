import { compareKeys } from "@store/core/backend";
import { type Check, check } from "../check";
import { expect } from "../expect";

/** Keys whose order differs between UTF-16 (JavaScript) and UTF-8 byte or locale order. */
export const ORDER_KEYS = ["b", "B", "a", "ä", "z", "😀", "\uff61", "\ue000", "a-b", "10", "9", "A"];

export const listChecks: Check[] = [
  check("list", "lists newest first by updated_at", async (t) => {
    const s = t.store();
    for (let i = 0; i < 5; i++) {
      await s.put(`k${i}`, i);
      t.clock.advance(10);
    }
    const entries = await s.list();
    expect(entries.map((e) => e.key)).toEqual(["k4", "k3", "k2", "k1", "k0"]);
    expect(entries[0]).toMatchObject({ key: "k4", value: 4, taskId: "" });
  }),
  check(
    "list",
    "ties on updated_at are broken by key ascending, as JavaScript compares strings",
    async (t) => {
      const s = t.store();
      const shuffled = [...ORDER_KEYS].sort(() => 0.5 - Math.random());
      for (const k of shuffled) await s.put(k, k); // the clock stands still: every timestamp ties
      expect((await s.list()).map((e) => e.key)).toEqual([...ORDER_KEYS].sort(compareKeys));
    },
  ),
  check("list", "limit and offset page stably through tied timestamps", async (t) => {
    const s = t.store();
    const keys = Array.from({ length: 37 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
    for (const [i, k] of keys.entries()) {
      await s.put(k, i);
      if (i % 5 === 4) t.clock.advance(1); // groups of five share a timestamp
    }
    const all = (await s.list({ limit: 1000 })).map((e) => e.key);
    expect(all).toHaveLength(37);
    const paged: string[] = [];
    for (let offset = 0; offset < 40; offset += 6) {
      paged.push(...(await s.list({ limit: 6, offset })).map((e) => e.key));
    }
    expect(paged).toEqual(all);
    expect(await s.list({ limit: 5, offset: 37 })).toEqual([]);
    expect(await s.list({ limit: 5, offset: 1000 })).toEqual([]);
  }),
  check("list", "limit defaults to 100 and caps the page", async (t) => {
    const s = t.store();
    await s.import(Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, value: i })));
    expect(await s.list()).toHaveLength(100);
    expect(await s.list({ limit: 1 })).toHaveLength(1);
    expect(await s.list({ offset: 100 })).toHaveLength(20);
  }),
  check("list", "an empty store lists nothing", async (t) => {
    expect(await t.store("never-used").list()).toEqual([]);
  }),
];

export const cursorChecks: Check[] = [
  check("cursor", "listPage walks every entry once, in list order, while timestamps tie", async (t) => {
    const s = t.store();
    for (let i = 0; i < 53; i++) {
      await s.put(`k${String(i).padStart(2, "0")}`, i);
      if (i % 7 === 0) t.clock.advance(1);
    }
    const expected = (await s.list({ limit: 1000 })).map((e) => e.key);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.listPage({ limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.key));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(expected);
    expect(pages).toBe(6);
  }),
  check("cursor", "a cursor stays valid when newer entries arrive", async (t) => {
    const s = t.store();
    for (let i = 0; i < 10; i++) {
      await s.put(`old${i}`, i);
      t.clock.advance(1);
    }
    const first = await s.listPage({ limit: 4 });
    t.clock.advance(100);
    await s.put("newer", 1);
    const second = await s.listPage({ limit: 4, cursor: first.nextCursor });
    expect(first.entries.map((e) => e.key)).toEqual(["old9", "old8", "old7", "old6"]);
    expect(second.entries.map((e) => e.key)).toEqual(["old5", "old4", "old3", "old2"]);
  }),
  check("cursor", "entries() streams the whole store in list order", async (t) => {
    const s = t.store();
    await s.import(Array.from({ length: 1234 }, (_, i) => ({ key: `k${i}`, value: i })));
    const keys: string[] = [];
    for await (const e of s.entries({ batchSize: 100 })) keys.push(e.key);
    expect(keys).toHaveLength(1234);
    expect(keys).toEqual([...keys].sort(compareKeys));
    expect(new Set(keys).size).toBe(1234);
  }),
];
