import { StoreError, type StoreErrorCode } from "@store/core";
import { type Check, check } from "../check";
import { expect } from "../expect";

async function rejects(promise: Promise<unknown> | (() => unknown), code: StoreErrorCode, pattern?: RegExp) {
  let error: unknown;
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(StoreError.isInstance(error), `expected a StoreError ${code}, got ${String(error)}`).toBe(true);
  expect((error as StoreError).code).toBe(code);
  if (pattern) expect((error as StoreError).message).toMatch(pattern);
}

export const limitChecks: Check[] = [
  check("limits", "invalid store names and project ids are INVALID_ARGUMENT", async (t) => {
    for (const bad of ["", "..", "a/b", "a\\b", "a b", "-x", ".x", "a..b", "x".repeat(64), "é"]) {
      await rejects(() => t.manager.store(bad), "INVALID_ARGUMENT", /store name/);
      await rejects(() => t.manager.store("ok", { project: bad || "/" }), "INVALID_ARGUMENT", /project id/);
    }
    expect(t.manager.store("a".repeat(63), { project: "P-1_x.y" }).project).toBe("P-1_x.y");
  }),
  check("limits", "invalid keys are INVALID_KEY, and nothing is written", async (t) => {
    const s = t.store();
    for (const bad of [
      "",
      "a\u0000b",
      "tab\there",
      "new\nline",
      "del\u007f",
      "\ud800lone",
      "x".repeat(513),
    ]) {
      await rejects(s.put(bad, 1), "INVALID_KEY");
      await rejects(s.get(bad), "INVALID_KEY");
      await rejects(s.delete(bad), "INVALID_KEY");
    }
    await s.put("😀".repeat(512), "512 code points is the limit");
    expect(await s.list()).toHaveLength(1);
  }),
  check("limits", "non-JSON values are INVALID_VALUE and leave the stored value intact", async (t) => {
    const s = t.store();
    await s.put("k", "original");
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const bad: unknown[] = [
      undefined,
      () => 1,
      10n,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { a: [1, Number.NEGATIVE_INFINITY] },
      circular,
      new Date(0),
      new Map(),
      Symbol("s"),
      { x: undefined },
      // biome-ignore lint/suspicious/noSparseArray: a hole is one of the inputs under test
      [1, , 3],
    ];
    for (const value of bad) await rejects(s.put("k", value as never), "INVALID_VALUE");
    await rejects(s.put("k", { a: [1, Number.NaN] } as never), "INVALID_VALUE", /value\.a\[1\]/);
    expect(await s.get("k")).toBe("original");
  }),
  check("limits", "list and prune arguments are checked", async (t) => {
    const s = t.store();
    for (const limit of [0, 1001, 1.5, -1, Number.NaN])
      await rejects(s.list({ limit }), "INVALID_ARGUMENT", /limit/);
    for (const offset of [-1, 0.5]) await rejects(s.list({ offset }), "INVALID_ARGUMENT", /offset/);
    await rejects(s.prune({ maxEntries: -1 }), "INVALID_ARGUMENT", /max_entries/);
    await rejects(s.prune({ ttlDays: 1.5 }), "INVALID_ARGUMENT", /ttl_days/);
    expect(await s.list({ limit: 1000 })).toEqual([]);
  }),
];

export { rejects };
