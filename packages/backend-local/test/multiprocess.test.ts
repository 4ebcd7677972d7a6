import path from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { SCHEMA_VERSION } from "../src/schema";
import { tempDir } from "./helpers";
import { assertBuilt, startWriter } from "./processes";
import { writeReleaseDatabase } from "./release-0.1";

beforeAll(assertBuilt);

/** Starts `n` writers, waits until all are loaded, then releases them at the same moment. */
async function race(dataDir: string, n: number, puts: number, ...flags: string[]) {
  const writers = Array.from({ length: n }, (_, i) =>
    startWriter([dataDir, `w${i}`, String(puts), "--wait", ...flags]),
  );
  await Promise.all(writers.map((w) => w.waitFor((l) => l === "ready")));
  for (const w of writers) w.child.stdin?.write("go\n");
  const exits = await Promise.all(writers.map((w) => w.exited));
  return writers.map((w, i) => ({
    ...exits[i]!,
    stderr: w.stderr(),
    acked: w.lines.filter((l) => l.startsWith("w")),
    migrated: w.lines.find((l) => l.startsWith("migrated ")),
  }));
}

function inspect(dataDir: string) {
  const db = new Database(path.join(dataDir, DEFAULT_FILE_NAME), { readonly: true });
  try {
    return {
      integrity: db.pragma("integrity_check", { simple: true }),
      keys: new Set(
        db.prepare("SELECT key FROM entries WHERE store = 'reliability'").pluck().all() as string[],
      ),
      ring: db.prepare("SELECT count(*) FROM entries WHERE store = 'ring'").pluck().get(),
      ringCounted: db.prepare("SELECT n FROM projects WHERE store = 'ring'").pluck().get(),
    };
  } finally {
    db.close();
  }
}

describe("several processes on one database", () => {
  it("8 processes opening one fresh file at once, then 500 puts each: 4,000 entries, no error", async () => {
    const dataDir = tempDir();
    // Each put is followed by one into a store with retention (max 25): read-then-write transactions.
    const results = await race(dataDir, 8, 500, "--ring");
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.acked).toHaveLength(500);
    }
    const { integrity, keys, ring, ringCounted } = inspect(dataDir);
    expect(integrity).toBe("ok");
    expect(keys.size).toBe(4000);
    expect(ring).toBe(25);
    expect(ringCounted).toBe(25);
    for (let w = 0; w < 8; w++) for (let i = 0; i < 500; i++) expect(keys.has(`w${w}-${i}`)).toBe(true);
  }, 120_000);

  it("the WAL-conversion race: 8 processes creating a fresh database together all succeed, every time", async () => {
    for (let round = 0; round < 3; round++) {
      const dataDir = tempDir();
      const results = await race(dataDir, 8, 1);
      for (const r of results) {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      }
      expect(inspect(dataDir).keys.size).toBe(8);
    }
  }, 120_000);

  it("8 processes opening a file of the previous release at once: one upgrades it, all succeed, nothing is lost", async () => {
    for (let round = 0; round < 3; round++) {
      const dataDir = tempDir();
      const old = Array.from({ length: 2000 }, (_, i) => ({
        store: "reliability",
        project: "",
        key: `old-${i}`,
        value: { i, pad: "y".repeat(300) },
        taskId: "release-0.1",
        createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
        updatedAt: new Date(Date.UTC(2025, 0, 2, 0, 0, i)).toISOString(),
      }));
      writeReleaseDatabase(path.join(dataDir, DEFAULT_FILE_NAME), old, [{ store: "ring", project: "" }]);
      const results = await race(dataDir, 8, 20, "--ring", "--report");
      for (const r of results) {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      }
      expect(results.map((r) => r.migrated).filter((m) => m !== "migrated none")).toEqual(["migrated 1"]);
      const db = new Database(path.join(dataDir, DEFAULT_FILE_NAME), { readonly: true });
      try {
        expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
        const kept = db
          .prepare(
            "SELECT count(*) FROM entries WHERE key LIKE 'old-%' AND version = 1 AND task_id = 'release-0.1'",
          )
          .pluck()
          .get();
        expect(kept).toBe(2000);
        expect(inspect(dataDir).keys.size).toBe(2000 + 8 * 20);
        expect(inspect(dataDir).ringCounted).toBe(25);
      } finally {
        db.close();
      }
    }
  }, 300_000);
});
