import { type Conflict, compareListOrder, isConflict, type StoreEntry } from "@store/core/backend";
import { type InstanceCheck, type InstanceCheckContext, instanceCheck } from "../check";
import { expect } from "../expect";
import { ORDER_KEYS } from "./list";

/**
 * Checks of the backend instance itself, called directly. Core trims pages to `limit`, filters
 * expired entries and checks list order again, so a backend that ignored `limit`, `notBefore` or
 * `after` would pass every check made through the manager; these catch it.
 */

const DAY = 86_400_000;

async function put(t: InstanceCheckContext, key: string, value: unknown, store?: string): Promise<number> {
  const v = await t.instance.put(t.ref(store), t.record(key, value as never), {});
  if (isConflict(v)) throw new Error(`an unconditional put of ${key} returned a conflict`);
  expect(Number.isSafeInteger(v) && v > 0, `put of ${key} resolves the version written (got ${v})`).toBe(
    true,
  );
  return v;
}

async function keys(
  t: InstanceCheckContext,
  query: Partial<Parameters<InstanceCheckContext["instance"]["list"]>[1]> = {},
) {
  const entries = await t.instance.list(t.ref(), { limit: 1000, offset: 0, ...query });
  return entries.map((e) => e.key);
}

/** Five entries one second apart: k4 newest … k0 oldest. */
async function five(t: InstanceCheckContext): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await put(t, `k${i}`, i);
    t.clock.advance(1000);
  }
}

function isConflictWith(outcome: unknown, currentVersion: number | undefined, what: string): void {
  expect(isConflict(outcome), `${what} is a conflict (got ${JSON.stringify(outcome)})`).toBe(true);
  expect((outcome as Conflict).currentVersion, `${what}: currentVersion`).toBe(currentVersion);
}

export const backendChecks: InstanceCheck[] = [
  instanceCheck("put resolves a version; get returns the entry exactly as written", async (t) => {
    const ref = t.ref();
    expect(await t.instance.get(ref, "k", {})).toBeUndefined();
    const record = t.record("k", { a: [1, "two", null] }, { taskId: "task-1" });
    const version = await put(t, "k", { a: [1, "two", null] });
    await t.instance.put(ref, record, {});
    const entry = (await t.instance.get(ref, "k", {})) as StoreEntry;
    expect(entry).toMatchObject({
      key: "k",
      value: { a: [1, "two", null] },
      createdAt: record.updatedAt,
      updatedAt: record.updatedAt,
      taskId: "task-1",
    });
    expect(entry.version > version, "a second write gives a larger version").toBe(true);
  }),
  instanceCheck("versions grow with every write and never repeat after delete or prune", async (t) => {
    const ref = t.ref();
    const v1 = await put(t, "k", 1);
    const v2 = await put(t, "k", 2);
    expect(v2 > v1, `second write ${v2} > first ${v1}`).toBe(true);
    expect(await t.instance.delete(ref, "k", {})).toBe(true);
    const v3 = await put(t, "k", 3);
    expect(v3 > v2, `after a delete, ${v3} > ${v2}`).toBe(true);
    if (t.capabilities.prune && t.instance.prune) {
      const v4 = await put(t, "k", 4);
      t.clock.advance(1000);
      await put(t, "other", 0);
      expect(await t.instance.prune(ref, { maxEntries: 1 })).toBe(1);
      const v5 = await put(t, "k", 5);
      expect(v5 > v4, `after a prune, ${v5} > ${v4}`).toBe(true);
    }
  }),
  instanceCheck("list honours limit and offset itself", async (t) => {
    await five(t);
    expect(await keys(t, { limit: 2 })).toEqual(["k4", "k3"]);
    expect(await keys(t, { limit: 2, offset: 2 })).toEqual(["k2", "k1"]);
    expect(await keys(t, { limit: 10, offset: 4 })).toEqual(["k0"]);
    expect(await keys(t, { limit: 3, offset: 5 })).toEqual([]);
  }),
  instanceCheck("list orders ties by key as JavaScript compares strings", async (t) => {
    for (const k of [...ORDER_KEYS].reverse()) await put(t, k, k);
    expect(await keys(t)).toEqual([...ORDER_KEYS].sort());
    const entries = await t.instance.list(t.ref(), { limit: 1000, offset: 0 });
    expect(entries.every((e, i) => i === 0 || compareListOrder(entries[i - 1] as StoreEntry, e) < 0)).toBe(
      true,
    );
  }),
  instanceCheck("get and list honour notBefore themselves", async (t) => {
    await five(t); // k0 at +0 s … k4 at +4 s
    const notBefore = new Date(t.clock.now() - 2500).toISOString(); // k3 and k4 are live
    expect(await t.instance.get(t.ref(), "k0", { notBefore })).toBeUndefined();
    expect((await t.instance.get(t.ref(), "k3", { notBefore }))?.key).toBe("k3");
    expect(await keys(t, { notBefore })).toEqual(["k4", "k3"]);
    expect(await keys(t, { notBefore, limit: 1, offset: 1 })).toEqual(["k3"]);
  }),
  instanceCheck(
    "list honours after: entries strictly after the position, ties by key",
    async (t) => {
      for (const k of ["a", "b", "c"]) await put(t, k, k); // one timestamp
      t.clock.advance(-1000);
      for (const k of ["d", "e"]) await put(t, k, k); // an older one
      const tie = t.record("b", null).updatedAt;
      const all = await t.instance.list(t.ref(), { limit: 1000, offset: 0 });
      const newest = all[0] as StoreEntry;
      expect(all.map((e) => e.key)).toEqual(["a", "b", "c", "d", "e"]);
      expect(await keys(t, { after: { updatedAt: newest.updatedAt, key: "b" } })).toEqual(["c", "d", "e"]);
      expect(await keys(t, { after: { updatedAt: newest.updatedAt, key: "c" }, limit: 1 })).toEqual(["d"]);
      expect(await keys(t, { after: { updatedAt: tie, key: "d" } })).toEqual(["e"]);
      expect(await keys(t, { after: { updatedAt: tie, key: "e" } })).toEqual([]);
    },
    { requires: ["cursor"] },
  ),
  instanceCheck(
    "put with maxEntries trims the project to the newest entries in the same step",
    async (t) => {
      const ref = t.ref();
      for (let i = 0; i < 4; i++) {
        await t.instance.put(ref, t.record(`k${i}`, i), { maxEntries: 3 });
        t.clock.advance(1000);
      }
      expect(await keys(t)).toEqual(["k3", "k2", "k1"]);
      await t.instance.put(ref, t.record("k1", "again"), { maxEntries: 2 });
      expect(await keys(t)).toEqual(["k1", "k3"]);
      await put(t, "other", 0, "another-store");
      expect(await keys(t)).toEqual(["k1", "k3"]);
    },
    { requires: ["retentionOnPut"] },
  ),
  instanceCheck(
    "prune removes by count and by age and says how many",
    async (t) => {
      const ref = t.ref();
      const prune = t.instance.prune as NonNullable<typeof t.instance.prune>;
      await five(t);
      expect(await prune.call(t.instance, ref, { maxEntries: 4 })).toBe(1);
      expect(await keys(t)).toEqual(["k4", "k3", "k2", "k1"]);
      const olderThan = new Date(t.clock.now() - 2500).toISOString(); // k3 and k4 stay
      expect(await prune.call(t.instance, ref, { olderThan })).toBe(2);
      expect(await keys(t)).toEqual(["k4", "k3"]);
      expect(await prune.call(t.instance, ref, { maxEntries: 5, olderThan })).toBe(0);
      expect(await prune.call(t.instance, ref, { maxEntries: 0 })).toBe(2);
      expect(await keys(t)).toEqual([]);
    },
    { requires: ["prune"] },
  ),
  instanceCheck(
    "conditional put: ifVersion and ifAbsent check and write in one step",
    async (t) => {
      const ref = t.ref();
      const v1 = await put(t, "k", "one");
      isConflictWith(
        await t.instance.put(ref, t.record("k", "x"), { ifAbsent: true }),
        v1,
        "ifAbsent on a live key",
      );
      isConflictWith(
        await t.instance.put(ref, t.record("k", "x"), { ifVersion: v1 + 1 }),
        v1,
        "a stale ifVersion",
      );
      expect((await t.instance.get(ref, "k", {}))?.value).toBe("one");
      const v2 = await t.instance.put(ref, t.record("k", "two"), { ifVersion: v1 });
      expect(typeof v2 === "number" && v2 > v1, "ifVersion that matches writes").toBe(true);
      isConflictWith(
        await t.instance.put(ref, t.record("absent", "x"), { ifVersion: 1 }),
        undefined,
        "ifVersion on an absent key",
      );
      const v = await t.instance.put(ref, t.record("new", "x"), { ifAbsent: true });
      expect(typeof v === "number" && v > 0, "ifAbsent on an absent key writes").toBe(true);
    },
    { requires: ["conditionalWrites"] },
  ),
  instanceCheck(
    "racing conditional puts: exactly one ifAbsent and one ifVersion writer wins, every round",
    async (t) => {
      const ref = t.ref();
      const problems: string[] = [];
      for (let round = 0; round < 20; round++) {
        const key = `race${round}`;
        // Eight writers at once, as eight tasks would: a check and a write that are two steps let
        // several of them see the key absent (or at the same version) and all write.
        const created = await Promise.all(
          Array.from({ length: 8 }, (_, w) => t.instance.put(ref, t.record(key, w), { ifAbsent: true })),
        );
        const creators = created.filter((o) => !isConflict(o));
        if (creators.length !== 1) problems.push(`${key}: ${creators.length} ifAbsent writers won`);
        const version = creators[0] as number;
        const updated = await Promise.all(
          Array.from({ length: 8 }, (_, w) =>
            t.instance.put(ref, t.record(key, 100 + w), { ifVersion: version }),
          ),
        );
        const updaters = updated.filter((o) => !isConflict(o));
        if (updaters.length !== 1) problems.push(`${key}: ${updaters.length} ifVersion writers won`);
        const stored = await t.instance.get(ref, key, {});
        const winner = updated.findIndex((o) => !isConflict(o));
        if (stored?.value !== 100 + winner) {
          problems.push(`${key}: holds ${JSON.stringify(stored?.value)}, the winner wrote ${100 + winner}`);
        }
      }
      expect(problems, "every race has one winner, whose value is stored").toEqual([]);
    },
    { requires: ["conditionalWrites"] },
  ),
  instanceCheck(
    "conditional delete: ifVersion must match the live entry",
    async (t) => {
      const ref = t.ref();
      const v1 = await put(t, "k", "one");
      isConflictWith(await t.instance.delete(ref, "k", { ifVersion: v1 + 1 }), v1, "a stale delete");
      expect((await t.instance.get(ref, "k", {}))?.value).toBe("one");
      expect(await t.instance.delete(ref, "k", { ifVersion: v1 })).toBe(true);
      expect(await t.instance.get(ref, "k", {})).toBeUndefined();
      isConflictWith(
        await t.instance.delete(ref, "k", { ifVersion: v1 }),
        undefined,
        "a delete of an absent key",
      );
    },
    { requires: ["conditionalWrites"] },
  ),
  instanceCheck(
    "conditions see an expired entry as absent",
    async (t) => {
      const ref = t.ref();
      const v1 = await put(t, "k", "old");
      t.clock.advance(2 * DAY);
      const notBefore = new Date(t.clock.now() - DAY).toISOString();
      isConflictWith(
        await t.instance.put(ref, t.record("k", "x"), { ifVersion: v1, notBefore }),
        undefined,
        "ifVersion of an expired entry",
      );
      isConflictWith(
        await t.instance.delete(ref, "k", { ifVersion: v1, notBefore }),
        undefined,
        "delete ifVersion of an expired entry",
      );
      const v2 = await t.instance.put(ref, t.record("k", "new"), { ifAbsent: true, notBefore });
      expect(
        typeof v2 === "number" && v2 > v1,
        `ifAbsent over an expired entry writes, with a larger version (${v2} > ${v1})`,
      ).toBe(true);
      expect((await t.instance.get(ref, "k", { notBefore }))?.value).toBe("new");
    },
    { requires: ["conditionalWrites"] },
  ),
  instanceCheck(
    "a failed condition leaves retention untouched",
    async (t) => {
      const ref = t.ref();
      for (let i = 0; i < 3; i++) {
        await t.instance.put(ref, t.record(`k${i}`, i), { maxEntries: 3 });
        t.clock.advance(1000);
      }
      isConflictWith(
        await t.instance.put(ref, t.record("k9", 9), { maxEntries: 3, ifVersion: 1_000_000 }),
        undefined,
        "a conditional put of a new key",
      );
      expect(await keys(t)).toEqual(["k2", "k1", "k0"]);
    },
    { requires: ["conditionalWrites", "retentionOnPut"] },
  ),
  instanceCheck("putMany keeps timestamps, task ids and imported versions", async (t) => {
    const ref = t.ref();
    const putMany = t.instance.putMany;
    if (!putMany) return; // optional: core imports one put at a time without it
    const existing = await put(t, "b", "old");
    await putMany.call(t.instance, ref, [
      t.record("a", 1, {
        createdAt: "2025-01-01T00:00:00.000Z",
        updatedAt: "2025-06-01T00:00:00.000Z",
        taskId: "t1",
        version: 7,
      }),
      t.record("b", 2, {
        createdAt: "2025-02-01T00:00:00.000Z",
        updatedAt: "2025-07-01T00:00:00.000Z",
        version: existing + 5,
      }),
    ]);
    expect(await t.instance.get(ref, "a", {})).toEqual({
      key: "a",
      value: 1,
      createdAt: "2025-01-01T00:00:00.000Z",
      updatedAt: "2025-06-01T00:00:00.000Z",
      taskId: "t1",
      version: 7,
    });
    expect(
      (await t.instance.get(ref, "b", {}))?.version,
      "an existing key takes the larger version plus one",
    ).toBe(existing + 6);
  }),
  instanceCheck("delete says whether the key existed, and keeps other keys and projects", async (t) => {
    await put(t, "k", 1);
    await put(t, "j", 2);
    await t.instance.put(t.ref("conformance", "other"), t.record("k", 3), {});
    expect(await t.instance.delete(t.ref(), "k", {})).toBe(true);
    expect(await t.instance.delete(t.ref(), "k", {})).toBe(false);
    expect(await keys(t)).toEqual(["j"]);
    expect((await t.instance.get(t.ref("conformance", "other"), "k", {}))?.value).toBe(3);
  }),
  instanceCheck("a snapshot reads every entry in list order, as it was when opened", async (t) => {
    const snapshot = t.instance.snapshot;
    if (!snapshot) return; // optional: core exports by keyset pages without it
    const ref = t.ref();
    await five(t); // k4 newest … k0 oldest
    await t.instance.put(t.ref("conformance", "other"), t.record("elsewhere", 0), {});
    const reader = await snapshot.call(t.instance, ref, {});
    const read: StoreEntry[] = [];
    try {
      const first = await reader.read(2);
      expect(first.length, "the first read returns what it was asked for").toBe(2);
      read.push(...first);
      // Writes after the snapshot was opened: a rewrite that moves k0 to the front, a new key, a delete.
      t.clock.advance(1000);
      await put(t, "k0", "rewritten");
      await put(t, "new", 1);
      expect(await t.instance.delete(ref, "k2", {})).toBe(true);
      for (;;) {
        const more = await reader.read(2);
        expect(more.length <= 2, `a read returns at most the limit (got ${more.length})`).toBe(true);
        if (more.length === 0) break;
        read.push(...more);
      }
    } finally {
      await reader.close();
    }
    expect(read.map((e) => e.key)).toEqual(["k4", "k3", "k2", "k1", "k0"]);
    expect(read[4]?.value, "k0 as it was when the snapshot was opened").toBe(0);
    expect(read.map((e) => e.version).every((v) => Number.isSafeInteger(v) && v > 0)).toBe(true);

    // notBefore leaves expired entries out; closing early releases the snapshot.
    const since = (await t.instance.get(ref, "k3", {}))?.updatedAt as string;
    const live = await snapshot.call(t.instance, ref, { notBefore: since });
    try {
      expect((await live.read(1000)).map((e) => e.key)).toEqual(["k0", "new", "k4", "k3"]);
    } finally {
      await live.close();
    }
    const early = await snapshot.call(t.instance, ref, {});
    expect((await early.read(1)).map((e) => e.key)).toEqual(["k0"]);
    await early.close();
    expect((await t.instance.get(ref, "k4", {}))?.value, "the backend works after an early close").toBe(4);
  }),
];
