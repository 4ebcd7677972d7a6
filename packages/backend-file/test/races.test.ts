import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fileManager, valueFiles } from "./helpers";
import { type Run, ready, succeed, useChildProcesses } from "./processes";

/**
 * Issue 11: tasks that read, change and write back one entry. Eight real processes race on one
 * counter in one file store, each with its own StoreManager.
 */
const { freshDataDir, run } = useChildProcesses();

const PROCESSES = 8;
const INCREMENTS = 200;

/** Starts the racers, waits until every one has loaded its store, then lets them all go at once. */
async function race(mode: "increment" | "increment-plain"): Promise<{ dir: string; runs: Run[] }> {
  const dir = freshDataDir();
  const go = path.join(dir, "go");
  const runs = Array.from({ length: PROCESSES }, (_, id) =>
    run([mode, dir, go, String(INCREMENTS)], { WFSTORE_TEST_FSYNC: id % 4 === 0 ? "always" : "never" }),
  );
  await Promise.all(runs.map(ready));
  fs.writeFileSync(go, "");
  return { dir, runs };
}

async function counter(dir: string): Promise<{ value: unknown; version: number | undefined }> {
  const t = await fileManager({ dataDir: dir });
  try {
    const entry = await t.manager.store("s").getEntry("counter");
    expect(valueFiles(t.dir("s"))).toEqual(["counter.json"]);
    return { value: entry?.value, version: entry?.version };
  } finally {
    await t.manager.close();
  }
}

describe("8 processes × 200 increments of one counter", () => {
  it("with update(): exactly 1,600, and no error escapes", async () => {
    const { dir, runs } = await race("increment");
    const stats = [];
    for (const r of runs) {
      const last = (await succeed(r)).trim().split("\n").at(-1) as string;
      stats.push(JSON.parse(last) as { attempts: number; mostAttempts: number });
    }
    const { value, version } = await counter(dir);
    expect(value).toBe(PROCESSES * INCREMENTS);
    // Every increment was one write, and nothing else wrote: the version counts them.
    expect(version).toBe(PROCESSES * INCREMENTS);
    const attempts = stats.reduce((sum, s) => sum + s.attempts, 0);
    const most = Math.max(...stats.map((s) => s.mostAttempts));
    console.info(
      `update() race: ${attempts} attempts for ${PROCESSES * INCREMENTS} increments (${attempts - PROCESSES * INCREMENTS} conflicts retried), at most ${most} for one increment`,
    );
  }, 300_000);

  // Why conditional writes exist: the same tasks with a plain get and put lose increments, silently.
  // If this ever reached 1,600, the race above would prove nothing.
  it("with a plain get and put: updates are lost", async () => {
    const { dir, runs } = await race("increment-plain");
    for (const r of runs) await succeed(r);
    const { value } = await counter(dir);
    expect(typeof value).toBe("number");
    expect(value as number).toBeLessThan(PROCESSES * INCREMENTS);
    console.info(`plain get + put race: ${value} of ${PROCESSES * INCREMENTS} increments kept`);
  }, 300_000);
});

describe("a writer holding a stale version", () => {
  it("killed at random moments, 10 rounds: never writes, leaves no temp file", async () => {
    const dir = freshDataDir();
    const t = await fileManager({ dataDir: dir });
    const s = t.manager.store("s");
    const stale = (await s.put("guarded", { original: true })).version;
    const current = (await s.put("guarded", { current: true })).version;
    await t.manager.close();
    for (let round = 0; round < 10; round++) {
      const r = run(["stale-writer", dir, String(stale)], {
        WFSTORE_TEST_FSYNC: round % 2 ? "never" : "always",
      });
      await ready(r);
      await new Promise((resolve) => setTimeout(resolve, 5 + ((round * 37) % 60)));
      r.child.kill("SIGKILL");
      const { signal, stderr } = await r.done;
      expect(stderr).toBe("");
      expect(signal).toBe("SIGKILL");
    }
    const storeDir = path.join(dir, "stores", "s", "_default");
    expect(fs.readdirSync(storeDir).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    const after = await fileManager({ dataDir: dir });
    try {
      expect(await after.manager.store("s").getEntry("guarded")).toMatchObject({
        value: { current: true },
        version: current,
      });
    } finally {
      await after.manager.close();
    }
  }, 120_000);
});
