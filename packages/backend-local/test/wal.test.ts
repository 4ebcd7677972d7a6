import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { openManager } from "./helpers";

const LIMIT = 256 * 1024;
const size = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

describe("WAL growth under a long-lived reader", () => {
  it("checkpoints on its own once the reader is gone, and truncates the WAL to journal_size_limit", async () => {
    const { manager, dataDir } = openManager({
      options: { journalSizeLimitBytes: LIMIT, checkpointIntervalMs: 50 },
    });
    const s = manager.store("s");
    await s.put("first", 0);
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    const wal = `${file}-wal`;

    // Another connection holds a read snapshot: no checkpoint may copy pages past it.
    const reader = new Database(file, { readonly: true });
    reader.prepare("BEGIN").run();
    expect(reader.prepare("SELECT count(*) FROM entries").pluck().get()).toBe(1);
    const blob = "x".repeat(8 * 1024);
    for (let i = 0; i < 300; i++) await s.put(`k${i}`, { i, blob });
    await sleep(200); // several checkpoint ticks, all held back by the reader
    expect(size(wal)).toBeGreaterThan(2 * 1024 * 1024);
    const fileBefore = size(file);
    expect(fileBefore).toBeLessThan(1024 * 1024);
    reader.prepare("COMMIT").run();
    reader.close();

    // No write from us now; the periodic passive checkpoint copies the WAL into the database file.
    expect(await until(() => size(file) > 2 * 1024 * 1024, 5000)).toBe(true);
    // The next write restarts the WAL from its beginning and truncates the file to the limit.
    await s.put("after", 1);
    expect(size(wal)).toBeLessThanOrEqual(LIMIT);
    expect(await s.get("k299")).toEqual({ i: 299, blob });
    expect(await s.list({ limit: 1000 })).toHaveLength(302);
  });

  it("a process that only writes keeps the WAL bounded: every kind of put lets SQLite checkpoint", async () => {
    // SQLite runs its automatic checkpoint when a write statement steps to its end; a RETURNING write
    // read with get() stops at the first row, and a busy writer then never checkpointed (the WAL grew
    // by about 17 KB per put). The timer is off, so only the automatic checkpoint can help here.
    const { manager, dataDir } = openManager({ options: { checkpointIntervalMs: 0 } });
    const s = manager.store("s");
    const wal = path.join(dataDir, `${DEFAULT_FILE_NAME}-wal`);
    const pad = "x".repeat(1000);
    const versions = new Map<string, number>();
    const bound = 8 * 1024 * 1024; // the automatic checkpoint restarts the WAL after about 4 MB
    for (let i = 0; i < 3000; i++)
      versions.set(`k${i % 500}`, (await s.put(`k${i % 500}`, { i, pad })).version);
    expect(size(wal), "plain puts").toBeLessThan(bound);
    for (let i = 0; i < 3000; i++) {
      const key = `k${i % 500}`;
      versions.set(key, (await s.put(key, { i, pad }, { ifVersion: versions.get(key) })).version);
    }
    expect(size(wal), "conditional puts").toBeLessThan(bound);
    for (let i = 0; i < 3000; i++) await s.put(`new${i}`, { i, pad }, { ifAbsent: true });
    expect(size(wal), "puts of new keys with ifAbsent").toBeLessThan(bound);
  });
});
