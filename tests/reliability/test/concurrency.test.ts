import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { distinctValue, sharedDefect, sharedValue } from "./fixtures/values.mjs";
import { succeeded, touch, useWorkers } from "./support/children";
import { assertPostgres, closeAdmin } from "./support/postgres";
import { scale } from "./support/scale";
import { allEntries, withManager } from "./support/stores";
import { makeTarget, TARGETS, type Target, type TargetName } from "./support/targets";

/**
 * Issue 14, concurrency: real processes on one store, on every backend. Nothing lost, no error, no
 * partial value. Each child is its own StoreManager on the built packages (fixtures/worker.mjs).
 */
const WRITERS = 8;
const DISTINCT_PUTS = scale(60, 500);
const SHARED_PUTS = scale(150, 1000);
const PRUNE_WRITERS = 3;
const PRUNE_PUTS = scale(80, 400);
const PRUNE_KEEP = 25;
const OPENERS = 8;

/**
 * Known defects, by target and scenario: the test stays, marked `it.fails`, until the owner fixes it.
 * Each names the defect (see docs/RELIABILITY.md, "Open defects").
 */
const KNOWN: Partial<Record<TargetName, Partial<Record<Scenario, string>>>> = {};

type Scenario = "distinct" | "same-key" | "prune" | "open";

const { worker } = useWorkers();
const targets: Target[] = [];

beforeAll(async () => {
  await assertPostgres();
});
afterAll(async () => {
  for (const t of targets.splice(0)) await t.cleanup();
  await closeAdmin();
});

function fresh(name: TargetName): Target {
  const t = makeTarget(name);
  targets.push(t);
  return t;
}

/** `it`, or `it.fails` for a scenario with a known defect on this target. */
function scenario(name: TargetName, which: Scenario, title: string, body: () => Promise<void>) {
  const defect = KNOWN[name]?.[which];
  if (defect) it.fails(`${title} [known defect: ${defect}]`, body, 240_000);
  else it(title, body, 240_000);
}

describe.each(TARGETS)("concurrency on %s", (name) => {
  scenario(
    name,
    "distinct",
    `${WRITERS} processes × ${DISTINCT_PUTS} puts of distinct keys: every one kept, whole`,
    async () => {
      const t = fresh(name);
      const go = path.join(t.dataDir, "go");
      const children = Array.from({ length: WRITERS }, (_, id) =>
        worker("distinct", { spec: t.spec, dataDir: t.dataDir, id, count: DISTINCT_PUTS, goFile: go }),
      );
      await Promise.all(children.map((c) => c.line((l) => l === "ready")));
      touch(go);
      await Promise.all(children.map(succeeded));
      const entries = await withManager(t, (m) => allEntries(m.store("s")));
      const expected = new Map<string, unknown>();
      for (let id = 0; id < WRITERS; id++)
        for (let i = 0; i < DISTINCT_PUTS; i++) expected.set(`w${id}-${i}`, distinctValue(id, i));
      const found = new Map(entries.map((e) => [e.key, e.value]));
      expect(found).toEqual(expected);
    },
  );

  scenario(
    name,
    "same-key",
    `2 processes × ${SHARED_PUTS} puts to one key while a third reads: only whole values`,
    async () => {
      const t = fresh(name);
      const go = path.join(t.dataDir, "go");
      const stop = path.join(t.dataDir, "stop");
      const writers = [0, 1].map((id) =>
        worker("same-key", { spec: t.spec, dataDir: t.dataDir, id, count: SHARED_PUTS, goFile: go }),
      );
      const reader = worker("reader", { spec: t.spec, dataDir: t.dataDir, goFile: go, stopFile: stop });
      await Promise.all([...writers, reader].map((c) => c.line((l) => l === "ready")));
      touch(go);
      await Promise.all(writers.map(succeeded));
      touch(stop);
      const lines = await succeeded(reader);
      const reads = Number(lines.find((l) => l.startsWith("done "))?.split(" ")[1]);
      expect(reads).toBeGreaterThan(0);
      const last = await withManager(t, (m) => m.store("s").getEntry("shared"));
      // The survivor is whole, and one writer's last write.
      const writer = (last?.value as { writer?: number } | undefined)?.writer ?? -1;
      expect({ defect: last && sharedDefect(last), value: last?.value }).toEqual({
        defect: undefined,
        value: sharedValue(writer, SHARED_PUTS - 1),
      });
    },
  );

  scenario(
    name,
    "prune",
    `prune in a loop while ${PRUNE_WRITERS} processes write: each entry kept or counted removed`,
    async () => {
      const t = fresh(name);
      const go = path.join(t.dataDir, "go");
      const stop = path.join(t.dataDir, "stop");
      const writers = Array.from({ length: PRUNE_WRITERS }, (_, id) =>
        worker("distinct", { spec: t.spec, dataDir: t.dataDir, id, count: PRUNE_PUTS, goFile: go }),
      );
      const pruner = worker("pruner", {
        spec: t.spec,
        dataDir: t.dataDir,
        goFile: go,
        stopFile: stop,
        maxEntries: PRUNE_KEEP,
      });
      await Promise.all([...writers, pruner].map((c) => c.line((l) => l === "ready")));
      touch(go);
      await Promise.all(writers.map(succeeded));
      touch(stop);
      const [, removed] = ((await succeeded(pruner)).find((l) => l.startsWith("done ")) ?? "").split(" ");
      const entries = await withManager(t, (m) => allEntries(m.store("s")));
      const defects = entries.filter((e) => {
        const [id, i] = e.key.slice(1).split("-").map(Number);
        return JSON.stringify(e.value) !== JSON.stringify(distinctValue(id as number, i as number));
      });
      expect({
        accounted: Number(removed) + entries.length,
        atLeastKept: entries.length >= PRUNE_KEEP,
        defects: defects.map((e) => e.key),
      }).toEqual({ accounted: PRUNE_WRITERS * PRUNE_PUTS, atLeastKept: true, defects: [] });
    },
  );

  scenario(
    name,
    "open",
    `${OPENERS} processes opening a fresh store at once: all open, each sees every write`,
    async () => {
      const t = fresh(name);
      const go = path.join(t.dataDir, "go");
      const allWritten = path.join(t.dataDir, "all-written");
      const children = Array.from({ length: OPENERS }, (_, id) =>
        worker("open", {
          spec: t.spec,
          dataDir: t.dataDir,
          id,
          processes: OPENERS,
          goFile: go,
          allWrittenFile: allWritten,
        }),
      );
      await Promise.all(children.map((c) => c.line((l) => l === "ready")));
      touch(go);
      await Promise.all(children.map((c) => c.line((l) => l === "written")));
      touch(allWritten);
      // Each process sees every other's write, and so does a process that opens the store afterwards.
      await Promise.all(children.map(succeeded));
      const keys = await withManager(t, async (m) => (await allEntries(m.store("s"))).map((e) => e.key));
      expect(keys.sort()).toEqual(Array.from({ length: OPENERS }, (_, id) => `o${id}`).sort());
    },
  );
});
