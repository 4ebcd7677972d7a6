import { type Check, check } from "../check";
import { expect } from "../expect";

export const upsertChecks: Check[] = [
  check(
    "upsert",
    "put on an existing key keeps created_at and updates value, updated_at and task_id",
    async (t) => {
      const s = t.store();
      t.clock.set("2026-03-01T10:00:00.000Z");
      await s.put("k", { v: 1 }, { taskId: "first" });
      t.clock.set("2026-03-02T11:30:00.500Z");
      const r = await s.put("k", { v: 2 }, { taskId: "second" });
      expect(r).toMatchObject({ key: "k", updatedAt: "2026-03-02T11:30:00.500Z", taskId: "second" });
      expect(await s.getEntry("k")).toEqual({
        version: r.version,
        key: "k",
        value: { v: 2 },
        createdAt: "2026-03-01T10:00:00.000Z",
        updatedAt: "2026-03-02T11:30:00.500Z",
        taskId: "second",
      });
      expect(await s.list()).toHaveLength(1);
    },
  ),
  check("upsert", "an upsert moves the key to the front of the list", async (t) => {
    const s = t.store();
    for (const k of ["a", "b", "c"]) {
      await s.put(k, k);
      t.clock.advance(1000);
    }
    await s.put("a", "again");
    expect((await s.list()).map((e) => e.key)).toEqual(["a", "c", "b"]);
  }),
];

export const deleteChecks: Check[] = [
  check("delete", "delete says whether the key existed and is idempotent", async (t) => {
    const s = t.store();
    await s.put("k", 1);
    expect(await s.delete("k")).toBe(true);
    expect(await s.get("k")).toBeUndefined();
    expect(await s.delete("k")).toBe(false);
    expect(await s.delete("never")).toBe(false);
    expect(await s.list()).toEqual([]);
  }),
  check("delete", "a deleted key can be written again as a new entry", async (t) => {
    const s = t.store();
    t.clock.set("2026-01-01T00:00:00.000Z");
    await s.put("k", 1);
    await s.delete("k");
    t.clock.set("2026-01-02T00:00:00.000Z");
    await s.put("k", 2);
    expect(await s.getEntry("k")).toMatchObject({ value: 2, createdAt: "2026-01-02T00:00:00.000Z" });
  }),
];
