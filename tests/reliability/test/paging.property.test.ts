import type { StoreEntry, StoreHandle } from "@store/core";
import { FakeClock } from "@store/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgres, closeAdmin } from "./support/postgres";
import { scale } from "./support/scale";
import { managerOn } from "./support/stores";
import { makeTarget, TARGETS, type Target } from "./support/targets";

/**
 * Issue 14, properties (fast-check): under any pattern of tied timestamps, writes and deletes, and
 * with a TTL hiding the oldest entries, the pages of `listPage` put end to end are exactly `list`,
 * and `list` is the model's order: newest `updatedAt` first, ties by key ascending (JavaScript
 * string order). On every backend, through StoreManager with a FakeClock. (The file backend's key
 * encoding properties live in packages/backend-file/test/key-encoding.property.test.ts.)
 */
const RUNS = scale(200, 2000);
const HOUR = 3_600_000;

/** Keys whose order tells code-unit order from code-point, case-folded or normalised orders. */
const KEYS = [
  "a",
  "B",
  "b",
  "aa",
  "a/b",
  "a b",
  "é",
  "e\u0301",
  "\u{1f600}",
  "\uffff",
  "Z",
  "0",
  "~",
  "k-1",
  "K-1",
];

const step = fc.record({
  key: fc.constantFrom(...KEYS),
  // 0: the same millisecond as the write before (a tie); 7 h: old entries drift past a 1-day TTL.
  advance: fc.constantFrom(0, 0, 0, 1, 2, 7 * HOUR),
  del: fc.constantFrom(false, false, false, true),
});
const scenario = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 40 }),
  limit: fc.integer({ min: 1, max: 7 }),
  ttl: fc.boolean(),
});

async function pages(store: StoreHandle, limit: number): Promise<StoreEntry[]> {
  const out: StoreEntry[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await store.listPage(cursor === undefined ? { limit } : { limit, cursor });
    out.push(...page.entries);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error("listPage never ended");
}

const byListOrder = (a: { key: string; at: number }, b: { key: string; at: number }) =>
  b.at - a.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

const targets: Target[] = [];
beforeAll(() => assertPostgres());
afterAll(async () => {
  for (const t of targets.splice(0)) await t.cleanup();
  await closeAdmin();
});

describe.each(TARGETS)("list paging on %s", (name) => {
  it(`${RUNS} generated histories: listPage pages end to end equal list, in the model's order`, async () => {
    const t = makeTarget(name);
    targets.push(t);
    const clock = new FakeClock();
    const m = managerOn(t, {
      now: clock.now,
      stores: [{ name: "plain" }, { name: "ttl", retention: { ttlDays: 1 } }],
    });
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ steps, limit, ttl }) => {
          // Each run in a project of its own: a fresh namespace on every backend.
          const store = m.store(ttl ? "ttl" : "plain", { project: `r${run++}` });
          const model = new Map<string, number>();
          for (const s of steps) {
            clock.advance(s.advance);
            if (s.del) {
              await store.delete(s.key);
              model.delete(s.key);
            } else {
              await store.put(s.key, { key: s.key, at: clock.now() });
              model.set(s.key, clock.now());
            }
          }
          const cutoff = ttl ? clock.now() - 86_400_000 : Number.NEGATIVE_INFINITY;
          const expected = [...model]
            .map(([key, at]) => ({ key, at }))
            .filter((e) => e.at >= cutoff)
            .sort(byListOrder)
            .map((e) => e.key);
          const full = await store.list({ limit: 1000 });
          const paged = await pages(store, limit);
          const all: StoreEntry[] = [];
          for await (const e of store.entries({ batchSize: limit })) all.push(e);
          expect({ list: full.map((e) => e.key), pages: paged, entries: all }).toEqual({
            list: expected,
            pages: full,
            entries: full,
          });
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    } finally {
      await m.close();
    }
  }, 300_000);
});
