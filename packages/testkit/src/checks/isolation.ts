import { type Check, check } from "../check";
import { expect } from "../expect";

export const isolationChecks: Check[] = [
  check("isolation", "the same key in other projects and stores is a different entry", async (t) => {
    const places = [
      t.store("alpha"),
      t.store("alpha", "p1"),
      t.store("alpha", "p2"),
      t.store("beta"),
      t.store("beta", "p1"),
    ];
    for (const [i, s] of places.entries()) await s.put("shared", i);
    for (const [i, s] of places.entries()) {
      expect(await s.get("shared")).toBe(i);
      expect((await s.list()).map((e) => e.value)).toEqual([i]);
    }
    expect(await places[1]!.delete("shared")).toBe(true);
    expect(await places[2]!.get("shared")).toBe(2);
    expect(await places[0]!.get("shared")).toBe(0);
  }),
  check("isolation", "prune touches only its own store and project", async (t) => {
    const a = t.store("alpha", "p1");
    const b = t.store("alpha", "p2");
    const c = t.store("beta", "p1");
    for (const s of [a, b, c]) for (let i = 0; i < 5; i++) await s.put(`k${i}`, i);
    expect(await a.prune({ maxEntries: 1 })).toBe(4);
    expect(await b.list()).toHaveLength(5);
    expect(await c.list()).toHaveLength(5);
  }),
  check("isolation", "no key escapes its project or store, however it is spelled", async (t) => {
    const inside = t.store("alpha", "p1");
    const escapes = [
      "../p2/k",
      "..\\p2\\k",
      "../../beta/p1/k",
      "/k",
      "p2/k",
      "../_default/k",
      "./k",
      "../../../../../../tmp/k",
      "%2e%2e%2fp2%2fk",
    ];
    for (const key of escapes) await inside.put(key, key);
    for (const [store, project] of [
      ["alpha", "p2"],
      ["alpha", ""],
      ["beta", "p1"],
      ["beta", ""],
      ["p2", ""],
    ] as const) {
      const other = t.store(store, project);
      expect(await other.list(), `${store}/${project || "(default)"}`).toEqual([]);
      expect(await other.get("k")).toBeUndefined();
    }
    for (const key of escapes) expect(await inside.get(key)).toBe(key);
    expect(await inside.list()).toHaveLength(escapes.length);
  }),
];
