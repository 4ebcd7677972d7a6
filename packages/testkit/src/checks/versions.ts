import { type ConflictError, SKIP_UPDATE, StoreError } from "@store/core";
import { type Check, check } from "../check";
import { expect } from "../expect";

async function conflictOf(write: Promise<unknown>): Promise<ConflictError> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.isInstance(error, "CONFLICT"), `expected CONFLICT, got ${String(error)}`).toBe(true);
  return error as ConflictError;
}

export const versionChecks: Check[] = [
  check("versions", "every read reports the version the write returned, and it grows", async (t) => {
    const s = t.store();
    const first = await s.put("k", 1);
    expect(first.version >= 1).toBe(true);
    const second = await s.put("k", 2);
    expect(second.version > first.version, `${second.version} > ${first.version}`).toBe(true);
    expect((await s.getEntry("k"))?.version).toBe(second.version);
    expect((await s.list())[0]?.version).toBe(second.version);
    expect((await s.listPage()).entries[0]?.version).toBe(second.version);
    for await (const e of s.entries()) expect(e.version).toBe(second.version);
    const r = await t.manager.execute({ op: "get", store: "conformance", key: "k" });
    expect(r).toEqual({ op: "get", found: true, value: 2, version: second.version });
  }),
  check(
    "versions",
    "put with ifVersion writes only over that version; a stale one is a CONFLICT that writes nothing",
    async (t) => {
      const s = t.store();
      const v1 = (await s.put("k", "one")).version;
      const v2 = (await s.put("k", "two", { ifVersion: v1 })).version;
      const error = await conflictOf(s.put("k", "stale", { ifVersion: v1 }));
      expect(error.currentVersion).toBe(v2);
      expect(error.details.currentVersion).toBe(v2);
      expect(error.message).toMatch(new RegExp(`expected version ${v1}, found version ${v2}`));
      expect(await s.getEntry("k")).toMatchObject({ value: "two", version: v2 });
    },
    { requires: ["conditionalWrites"] },
  ),
  check(
    "versions",
    "put with ifAbsent writes only a new key",
    async (t) => {
      const s = t.store();
      const created = await s.put("k", "first", { ifAbsent: true });
      const error = await conflictOf(s.put("k", "second", { ifAbsent: true }));
      expect(error.currentVersion).toBe(created.version);
      expect(await s.get("k")).toBe("first");
    },
    { requires: ["conditionalWrites"] },
  ),
  check(
    "versions",
    "delete with ifVersion removes only that version",
    async (t) => {
      const s = t.store();
      const v1 = (await s.put("k", 1)).version;
      const v2 = (await s.put("k", 2)).version;
      expect((await conflictOf(s.delete("k", { ifVersion: v1 }))).currentVersion).toBe(v2);
      expect(await s.get("k")).toBe(2);
      expect(await s.delete("k", { ifVersion: v2 })).toBe(true);
      expect(await s.get("k")).toBeUndefined();
    },
    { requires: ["conditionalWrites"] },
  ),
  check(
    "versions",
    "a deleted and re-created key does not let a writer holding the old version win",
    async (t) => {
      const s = t.store();
      const old = (await s.put("k", "old")).version;
      await s.delete("k");
      const recreated = await s.put("k", "new");
      expect(recreated.version > old, `${recreated.version} > ${old}`).toBe(true);
      const error = await conflictOf(s.put("k", "stale", { ifVersion: old }));
      expect(error.currentVersion).toBe(recreated.version);
      expect(await s.get("k")).toBe("new");
    },
    { requires: ["conditionalWrites"] },
  ),
  check(
    "versions",
    "an expired entry is absent for ifAbsent and ifVersion, and its version is not exposed",
    async (t) => {
      const s = t.store("with-ttl");
      const old = (await s.put("k", "old")).version;
      t.clock.advanceDays(3);
      expect(await s.getEntry("k")).toBeUndefined();
      expect((await conflictOf(s.put("k", "x", { ifVersion: old }))).currentVersion).toBeUndefined();
      expect((await conflictOf(s.delete("k", { ifVersion: old }))).currentVersion).toBeUndefined();
      const fresh = await s.put("k", "new", { ifAbsent: true });
      expect(fresh.version > old).toBe(true);
      expect(await s.get("k")).toBe("new");
    },
    { requires: ["conditionalWrites"], stores: [{ name: "with-ttl", retention: { ttlDays: 2 } }] },
  ),
  check(
    "versions",
    "a failed condition leaves retention untouched",
    async (t) => {
      const s = t.store("capped");
      for (let i = 0; i < 3; i++) {
        await s.put(`k${i}`, i);
        t.clock.advance(1000);
      }
      await conflictOf(s.put("k9", 9, { ifVersion: 1_000_000 }));
      expect((await s.list()).map((e) => e.key)).toEqual(["k2", "k1", "k0"]);
    },
    { requires: ["conditionalWrites"], stores: [{ name: "capped", retention: { maxEntries: 3 } }] },
  ),
  check(
    "versions",
    "update reads, applies and writes; SKIP_UPDATE writes nothing",
    async (t) => {
      const s = t.store();
      const created = await s.update("counter", (n) => ((n as number | undefined) ?? 0) + 1);
      expect(created).toMatchObject({ written: true, attempts: 1 });
      expect(created.entry?.value).toBe(1);
      const next = await s.update("counter", (n) => (n as number) + 1, { taskId: "t" });
      expect(next.entry).toMatchObject({ value: 2, taskId: "t" });
      expect((await s.getEntry("counter"))?.version).toBe(next.entry?.version);
      const skipped = await s.update("counter", () => SKIP_UPDATE);
      expect(skipped).toMatchObject({ written: false, attempts: 1 });
      expect((await s.getEntry("counter"))?.version).toBe(next.entry?.version);
    },
    { requires: ["conditionalWrites"] },
  ),
  check(
    "versions",
    "concurrent updates of one key lose nothing",
    async (t) => {
      const s = t.store();
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          s.update("counter", async (list) => {
            await new Promise((resolve) => setTimeout(resolve, i % 3)); // interleave the read-modify-write
            return [...((list as number[] | undefined) ?? []), i];
          }),
        ),
      );
      expect(((await s.get("counter")) as number[]).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 25 }, (_, i) => i),
      );
    },
    { requires: ["conditionalWrites"] },
  ),
  check(
    "versions",
    "without conditional writes, a condition is UNSUPPORTED and writes nothing",
    async (t) => {
      if (t.capabilities.conditionalWrites) return; // the checks above apply instead
      const s = t.store();
      const error = await s.put("k", 1, { ifAbsent: true }).catch((e: unknown) => e);
      expect(StoreError.isInstance(error, "UNSUPPORTED")).toBe(true);
      expect(await s.get("k")).toBeUndefined();
    },
  ),
  check(
    "versions",
    "import keeps versions; over an existing key it takes the larger one plus one",
    async (t) => {
      const s = t.store();
      const existing = (await s.put("b", "old")).version;
      await s.import([
        { key: "a", value: 1, version: 41 },
        { key: "b", value: 2, version: existing + 10 },
      ]);
      expect((await s.getEntry("a"))?.version).toBe(41);
      expect((await s.getEntry("b"))?.version).toBe(existing + 11);
      const exported = [];
      for await (const e of s.entries()) exported.push(e);
      const copy = t.store("copy");
      await copy.import(exported);
      expect(await copy.list()).toEqual(await s.list());
    },
  ),
];
