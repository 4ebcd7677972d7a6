import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type FileTestManager, fileManager, valueFiles } from "./helpers";
import { ready, succeed, useChildProcesses } from "./processes";

const { freshDataDir, run } = useChildProcesses();

async function allEntries(t: FileTestManager) {
  const out = [];
  for await (const e of t.manager.store("s").entries({ batchSize: 1000 })) out.push(e);
  return out;
}

describe("several processes on one store", () => {
  it("8 processes × 500 puts of distinct keys → 4,000 entries", async () => {
    const dir = freshDataDir();
    const runs = Array.from({ length: 8 }, (_, id) =>
      run(["distinct", dir, String(id), "500"], { WFSTORE_TEST_FSYNC: id % 4 === 0 ? "always" : "never" }),
    );
    for (const r of runs) await succeed(r);
    const t = await fileManager({ dataDir: dir });
    try {
      const entries = await allEntries(t);
      expect(entries).toHaveLength(4000);
      expect(new Set(entries.map((e) => e.key)).size).toBe(4000);
      for (const e of entries) {
        const [, id, i] = /^w(\d)-(\d+)$/.exec(e.key) ?? [];
        expect(e.value).toEqual({ id: Number(id), i: Number(i) });
        expect(e.taskId).toBe(`w${id}`);
      }
      expect(valueFiles(t.dir("s"))).toHaveLength(4000);
      // List order holds across the writers' interleaved appends.
      for (let i = 1; i < entries.length; i++) {
        const a = entries[i - 1] as (typeof entries)[number];
        const b = entries[i] as (typeof entries)[number];
        expect(a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.key < b.key)).toBe(true);
      }
    } finally {
      await t.cleanup();
    }
  });

  it("2 processes × 1,000 puts to one key while a third reads: never a partial value, never a mismatched task id", async () => {
    const dir = freshDataDir();
    const stop = path.join(dir, "stop");
    const env = { WFSTORE_TEST_FSYNC: "never" };
    const reader = run(["reader", dir, stop], env);
    const writers = [run(["same-key", dir, "1", "1000"], env), run(["same-key", dir, "2", "1000"], env)];
    for (const w of writers) await succeed(w);
    fs.writeFileSync(stop, "");
    const stats = JSON.parse(await succeed(reader)) as { reads: number; raw: number };
    console.info(`reader: ${stats.reads} gets and ${stats.raw} raw reads while 2 writers put 2,000 times`);
    expect(stats.reads).toBeGreaterThan(0);
    expect(stats.raw).toBeGreaterThan(0);
    const t = await fileManager({ dataDir: dir });
    try {
      const entries = await allEntries(t);
      expect(entries).toHaveLength(1);
      const e = entries[0] as (typeof entries)[number];
      const v = e.value as { writer: number; i: number };
      expect(v.i).toBe(999); // the last put of one of the writers
      expect(e.taskId).toBe(`w${v.writer}`);
      expect(valueFiles(t.dir("s"))).toEqual(["shared.json"]);
    } finally {
      await t.cleanup();
    }
  });

  it("prune and list while 3 other processes write", async () => {
    const dir = freshDataDir();
    const env = { WFSTORE_TEST_FSYNC: "never" };
    const writers = [0, 1, 2].map((id) => run(["distinct", dir, String(id), "400"], env));
    const finished = Promise.all(writers.map((w) => w.done));
    let running = true;
    finished.then(() => {
      running = false;
    });
    const t = await fileManager({ dataDir: dir, backend: { fsync: "never" } });
    try {
      const s = t.manager.store("s");
      let rounds = 0;
      while (running) {
        await s.prune({ maxEntries: 50 });
        const listed = await s.list({ limit: 1000 });
        expect(new Set(listed.map((e) => e.key)).size).toBe(listed.length);
        for (let i = 0; i < listed.length; i++) {
          const e = listed[i] as (typeof listed)[number];
          const [, id, n] = /^w(\d)-(\d+)$/.exec(e.key) ?? [];
          expect(e.value).toEqual({ id: Number(id), i: Number(n) });
          const prev = listed[i - 1];
          if (prev)
            expect(prev.updatedAt > e.updatedAt || (prev.updatedAt === e.updatedAt && prev.key < e.key)).toBe(
              true,
            );
        }
        rounds++;
        // Our ops complete synchronously: let the event loop see the children exit.
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const w of writers) await succeed(w);
      expect(rounds).toBeGreaterThan(0);
      // 30 more, written last but dated before the children's puts (this manager's clock is 2026-01-01).
      for (let i = 0; i < 30; i++) await s.put(`w9-${i}`, { id: 9, i });
      const before = await s.list({ limit: 1000 });
      expect(before.length).toBeGreaterThanOrEqual(80);
      await s.prune({ maxEntries: 50 });
      const kept = await s.list({ limit: 1000 });
      expect(kept).toEqual(before.slice(0, 50));
      expect(kept.some((e) => e.key.startsWith("w9-"))).toBe(false);
      expect(valueFiles(t.dir("s"))).toHaveLength(50);
    } finally {
      await t.cleanup();
    }
  });

  it("SIGKILL during writes, 20 rounds: no torn value, no temp file listed, the next writer goes on", async () => {
    const dir = freshDataDir();
    const storeDir = path.join(dir, "stores", "s", "_default");
    let killedWithLock = 0;
    for (let round = 0; round < 20; round++) {
      const r = run(["churn", dir, String(round)], { WFSTORE_TEST_FSYNC: round % 2 ? "never" : "always" });
      await ready(r);
      await new Promise((resolve) => setTimeout(resolve, 10 + ((round * 37) % 90)));
      r.child.kill("SIGKILL");
      const { signal } = await r.done;
      expect(signal).toBe("SIGKILL");
      if (fs.existsSync(path.join(storeDir, ".meta", "lock"))) killedWithLock++;

      // Every file a person would see holds a whole value.
      for (const name of valueFiles(storeDir)) {
        expect(name.endsWith(".json"), name).toBe(true);
        const value = JSON.parse(fs.readFileSync(path.join(storeDir, name), "utf8")) as { key: string };
        expect(typeof value.key).toBe("string");
      }
      // And the store, read by a fresh process, lists only entries, each whole and under its own key.
      const t = await fileManager({ dataDir: dir });
      try {
        const entries = await allEntries(t);
        expect(entries.length).toBeGreaterThan(0);
        for (const e of entries) {
          expect(e.key).toMatch(/^(hot|r\d+-\d+|m\d+-\d+-\d+)$/);
          expect((e.value as { key: string }).key).toBe(e.key);
        }
        expect(entries.length).toBe(valueFiles(storeDir).length);
        // The next writer is not stuck behind the dead one's lock.
        await t.manager.store("s").put("hot", { key: "hot", round: -1 });
      } finally {
        await t.manager.close();
      }
    }
    const leftovers = [
      ...fs.readdirSync(path.join(storeDir, ".meta")).filter((n) => n.startsWith("tmp-") || n === "lock"),
      ...fs.readdirSync(storeDir).filter((n) => n.startsWith(".tmp-")),
    ];
    expect(leftovers).toEqual([]);
    console.info(`SIGKILL rounds: ${killedWithLock} of 20 writers died holding the lock`);
  }, 120_000);
});
