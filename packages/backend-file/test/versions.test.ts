import fs from "node:fs";
import path from "node:path";
import { type ConflictError, StoreError } from "@store/core";
import { afterEach, describe, expect, it } from "vitest";
import { type FileTestManager, fileManager, listTree, logLines } from "./helpers";

/**
 * Issue 11 on files: versions live in the index log, the floor survives restarts and compactions,
 * and conditions are checked under the directory lock against what every process (and hand edits)
 * wrote. The testkit's "backend" and "versions" groups check the contract itself.
 */

const managers: FileTestManager[] = [];
async function open(options: Parameters<typeof fileManager>[0] = {}) {
  const m = await fileManager(options);
  managers.push(m);
  return m;
}
afterEach(async () => {
  for (const m of managers.splice(0).reverse()) await m.cleanup();
});

async function conflictOf(write: Promise<unknown>): Promise<ConflictError> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.isInstance(error, "CONFLICT"), `expected CONFLICT, got ${String(error)}`).toBe(true);
  return error as ConflictError;
}

describe("versions on files", () => {
  it("the floor survives a restart: a deleted and re-created key never repeats a version", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("k", 1);
    const held = (await s.put("k", 2)).version; // a writer holds version 2
    await s.delete("k");
    await t.manager.close();
    const again = await open({ dataDir: t.dataDir });
    const s2 = again.manager.store("s");
    const recreated = await s2.put("k", "new");
    expect(recreated.version).toBe(3);
    expect((await conflictOf(s2.put("k", "stale", { ifVersion: held }))).currentVersion).toBe(3);
  });

  it("the floor survives a compaction (kept in the header) and a prune", async () => {
    const t = await open({ backend: { fsync: "never" } });
    const s = t.manager.store("s");
    await s.put("old", 0);
    t.clock.advance(1);
    for (let i = 0; i < 5; i++) await s.put("pruned", i); // version 5
    t.clock.advance(1);
    await s.put("keep", 0);
    await s.delete("old");
    expect(await s.prune({ maxEntries: 1 })).toBe(1); // removes "pruned" at version 5
    // A long history of superseded lines (appended directly, for speed) makes the next put compact.
    const log = path.join(t.dir("s"), ".meta", "index.jsonl");
    fs.appendFileSync(log, `${logLines(t.dir("s")).at(-1)}\n`.repeat(10_050));
    t.clock.advance(1);
    await s.put("keep", 1);
    const lines = logLines(t.dir("s"));
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ wfstore_file_index: 2, floor: 5 });
    await t.manager.close();
    const again = await open({ dataDir: t.dataDir });
    expect((await again.manager.store("s").put("pruned", "back")).version).toBe(6);
  });

  it("a condition sees what another process wrote a moment before", async () => {
    const a = await open();
    const b = await open({ dataDir: a.dataDir });
    const sa = a.manager.store("s");
    const sb = b.manager.store("s");
    const v1 = (await sa.put("k", "a1")).version;
    expect((await sb.getEntry("k"))?.version).toBe(v1); // b has read the log
    const v2 = (await sa.put("k", "a2", { ifVersion: v1 })).version;
    // b's index still says v1 until it takes the lock and reads a's line.
    expect((await conflictOf(sb.put("k", "b", { ifVersion: v1 }))).currentVersion).toBe(v2);
    expect((await conflictOf(sb.put("k", "b", { ifAbsent: true }))).currentVersion).toBe(v2);
    expect((await conflictOf(sb.delete("k", { ifVersion: v1 }))).currentVersion).toBe(v2);
    expect(await sb.delete("k", { ifVersion: v2 })).toBe(true);
    expect(await sa.get("k")).toBeUndefined();
    expect((await conflictOf(sa.put("k", "a3", { ifVersion: v2 }))).currentVersion).toBeUndefined();
  });

  it("a hand edit is a write: a writer holding the version read before it conflicts", async () => {
    const t = await open();
    const s = t.manager.store("s");
    const read = (await s.put("k", { by: "task" })).version;
    const file = path.join(t.dir("s"), "k.json");
    fs.writeFileSync(file, '{"by":"hand"}');
    fs.utimesSync(file, new Date("2026-02-01T00:00:00Z"), new Date("2026-02-01T00:00:00Z"));
    const error = await conflictOf(s.put("k", { by: "task, again" }, { ifVersion: read }));
    expect(error.currentVersion).toBe(read + 1);
    expect(await s.get("k")).toEqual({ by: "hand" });
    // A file deleted by hand is absent for a condition, even before anything listed the directory.
    fs.rmSync(file);
    expect((await conflictOf(s.delete("k", { ifVersion: read + 1 }))).currentVersion).toBeUndefined();
    expect((await s.put("k", "new", { ifAbsent: true })).version).toBe(read + 2);
  });

  it("a failed condition changes nothing on disk: no value, no temp file, no log line, no trim", async () => {
    const t = await open({ stores: [{ name: "capped", retention: { maxEntries: 2 } }] });
    const s = t.manager.store("capped");
    const v = (await s.put("a", 1)).version;
    t.clock.advance(1);
    await s.put("b", 2);
    const dir = t.dir("capped");
    const snapshot = () =>
      Object.fromEntries(
        listTree(dir)
          .filter((f) => !f.startsWith(`.meta${path.sep}owner-`))
          .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
      );
    const before = snapshot();
    t.clock.advance(1);
    await conflictOf(s.put("c", 3, { ifVersion: 1 }));
    await conflictOf(s.put("a", 3, { ifAbsent: true }));
    await conflictOf(s.put("a", 3, { ifVersion: v + 1 }));
    await conflictOf(s.delete("b", { ifVersion: v + 5 }));
    expect(snapshot()).toEqual(before);
    // On a store that has no directory yet, a refused write does not make one.
    await conflictOf(t.manager.store("fresh").put("k", 1, { ifVersion: 1 }));
    await conflictOf(t.manager.store("fresh").delete("k", { ifVersion: 1 }));
    expect(fs.existsSync(path.join(t.dataDir, "stores", "fresh"))).toBe(false);
  });

  it("a stale writer loses after the index is rebuilt from the files (.meta/versions keeps the ceiling)", async () => {
    const t = await open();
    const s = t.manager.store("s");
    const held = (await s.put("k", "one")).version;
    await s.put("k", "two"); // version held + 1, which the rebuilt index cannot know
    await t.manager.close();
    fs.rmSync(path.join(t.dir("s"), ".meta", "index.jsonl"));
    const again = await open({ dataDir: t.dataDir });
    const s2 = again.manager.store("s");
    const entry = await s2.getEntry("k");
    expect(entry?.value).toBe("two");
    expect(entry?.version).toBeGreaterThan(held + 1);
    await conflictOf(s2.put("k", "stale", { ifVersion: held }));
    await conflictOf(s2.put("k", "stale", { ifVersion: held + 1 }));
    expect(await s2.get("k")).toBe("two");
  });
});
