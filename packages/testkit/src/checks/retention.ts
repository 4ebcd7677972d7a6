import { type Check, type CheckContext, check } from "../check";
import { expect } from "../expect";

async function fill(t: CheckContext, store: string, count: number, stepMs: number, project?: string) {
  const s = t.store(store, project);
  for (let i = 0; i < count; i++) {
    await s.put(`k${String(i).padStart(3, "0")}`, i);
    t.clock.advance(stepMs);
  }
  return s;
}

const DAY = 86_400_000;

export const pruneChecks: Check[] = [
  check("prune", "prune by count keeps the newest max_entries and returns how many it removed", async (t) => {
    const s = await fill(t, "conformance", 10, 1000);
    expect(await s.prune({ maxEntries: 3 })).toBe(7);
    expect((await s.list()).map((e) => e.key)).toEqual(["k009", "k008", "k007"]);
    expect(await s.prune({ maxEntries: 3 })).toBe(0);
    expect(await s.get("k000")).toBeUndefined();
  }),
  check("prune", "prune by count breaks timestamp ties by key, like list", async (t) => {
    const s = t.store();
    for (const k of ["d", "a", "c", "b", "e"]) await s.put(k, k);
    expect(await s.prune({ maxEntries: 2 })).toBe(3);
    expect((await s.list()).map((e) => e.key)).toEqual(["a", "b"]);
  }),
  check("prune", "prune by age removes entries older than ttl_days", async (t) => {
    const s = await fill(t, "conformance", 6, DAY); // k000 is 6 days old … k005 is 1 day old
    expect(await s.prune({ ttlDays: 3 })).toBe(3);
    expect((await s.list()).map((e) => e.key)).toEqual(["k005", "k004", "k003"]);
  }),
  check("prune", "prune by count and age together; max_entries 0 empties the project", async (t) => {
    const s = await fill(t, "conformance", 6, DAY);
    expect(await s.prune({ maxEntries: 4, ttlDays: 2 })).toBe(4);
    expect((await s.list()).map((e) => e.key)).toEqual(["k005", "k004"]);
    expect(await s.prune({ maxEntries: 0 })).toBe(2);
    expect(await s.list()).toEqual([]);
  }),
  check("prune", "prune with nothing to apply removes nothing", async (t) => {
    const s = await fill(t, "conformance", 3, DAY);
    expect(await s.prune()).toBe(0);
    expect(await s.prune({ ttlDays: 0 })).toBe(0);
    expect(await s.list()).toHaveLength(3);
    expect(await t.manager.execute({ op: "prune", store: "conformance", maxEntries: 1 })).toEqual({
      op: "prune",
      removed: 2,
    });
  }),
];

export const retentionChecks: Check[] = [
  check(
    "retention",
    "after every put the project holds at most max_entries, the newest",
    async (t) => {
      const s = t.store("capped");
      for (let i = 0; i < 12; i++) {
        await s.put(`k${String(i).padStart(2, "0")}`, i);
        t.clock.advance(1);
        expect((await s.list()).length).toBe(Math.min(i + 1, 5));
      }
      expect((await s.list()).map((e) => e.key)).toEqual(["k11", "k10", "k09", "k08", "k07"]);
      await s.put("k08", "updated"); // an upsert does not push anything out
      expect((await s.list()).map((e) => e.key)).toEqual(["k08", "k11", "k10", "k09", "k07"]);
    },
    { stores: [{ name: "capped", retention: { maxEntries: 5 } }] },
  ),
  check(
    "retention",
    "prune without arguments applies the store's retention",
    async (t) => {
      const s = t.store("kept");
      await s.import(
        Array.from({ length: 8 }, (_, i) => ({
          key: `k${i}`,
          value: i,
          updatedAt: new Date(t.clock.now() - (8 - i) * DAY).toISOString(),
        })),
      );
      // import applied max_entries 6; two of the remaining are older than ttl_days 3
      expect(await s.list({ limit: 100 })).toHaveLength(3);
      expect(await s.prune()).toBe(3);
      expect((await s.list()).map((e) => e.key)).toEqual(["k7", "k6", "k5"]);
    },
    { stores: [{ name: "kept", retention: { maxEntries: 6, ttlDays: 3 } }] },
  ),
  check(
    "retention",
    "retention is per project",
    async (t) => {
      for (const project of ["p1", "p2"]) {
        const s = t.store("capped", project);
        for (let i = 0; i < 4; i++) await s.put(`k${i}`, i);
      }
      expect(await t.store("capped", "p1").list()).toHaveLength(2);
      expect(await t.store("capped", "p2").list()).toHaveLength(2);
    },
    { stores: [{ name: "capped", retention: { maxEntries: 2 } }] },
  ),
];

export const ttlChecks: Check[] = [
  check(
    "ttl",
    "an entry older than ttl_days is never returned by get or list, even before a prune",
    async (t) => {
      const s = t.store("short");
      await s.put("old", 1);
      t.clock.advanceDays(1);
      await s.put("new", 2);
      t.clock.advance(DAY + 1); // "old" is now 2 days and 1 ms old, "new" one day and 1 ms
      expect(await s.get("old")).toBeUndefined();
      expect(await s.getEntry("old")).toBeUndefined();
      expect(await s.get("new")).toBe(2);
      expect((await s.list()).map((e) => e.key)).toEqual(["new"]);
      expect(await s.prune()).toBe(1);
    },
    { stores: [{ name: "short", retention: { ttlDays: 2 } }] },
  ),
  check(
    "ttl",
    "rewriting an expired key makes it visible again",
    async (t) => {
      const s = t.store("short");
      await s.put("k", 1);
      t.clock.advanceDays(3);
      expect(await s.get("k")).toBeUndefined();
      await s.put("k", 2);
      expect(await s.get("k")).toBe(2);
    },
    { stores: [{ name: "short", retention: { ttlDays: 2 } }] },
  ),
  check(
    "ttl",
    "offsets count only visible entries",
    async (t) => {
      const s = t.store("short");
      for (let i = 0; i < 6; i++) {
        await s.put(`k${i}`, i);
        t.clock.advanceDays(1);
      }
      // now k0 is 6 days old … k5 is 1 day old; ttl 3 days leaves k5, k4, k3
      expect((await s.list({ limit: 2, offset: 1 })).map((e) => e.key)).toEqual(["k4", "k3"]);
      expect(await s.list({ offset: 3 })).toEqual([]);
    },
    { stores: [{ name: "short", retention: { ttlDays: 3 } }] },
  ),
];
