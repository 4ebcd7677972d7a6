import path from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { tempDir } from "./helpers";
import { assertBuilt, COUNTER, startWriter } from "./processes";

beforeAll(assertBuilt);

const PROCESSES = 8;
const INCREMENTS = 200;
/** Work between reading the counter and writing it back, as a task does: it widens the race window. */
const WORK_MS = 1;

/** Starts the processes, waits until every one has opened the database, then releases them together. */
async function race(mode: "update" | "plain") {
  const dataDir = tempDir();
  const processes = Array.from({ length: PROCESSES }, () =>
    startWriter([dataDir, String(INCREMENTS), mode, String(WORK_MS)], COUNTER),
  );
  await Promise.all(processes.map((p) => p.waitFor((l) => l === "ready")));
  for (const p of processes) p.child.stdin?.write("go\n");
  const exits = await Promise.all(processes.map((p) => p.exited));
  const db = new Database(path.join(dataDir, DEFAULT_FILE_NAME), { readonly: true });
  const row = db
    .prepare("SELECT value, version FROM entries WHERE store = 'race' AND key = 'counter'")
    .get() as {
    value: string;
    version: number;
  };
  db.close();
  return {
    value: JSON.parse(row.value) as number,
    version: row.version,
    results: processes.map((p, i) => ({
      ...exits[i],
      stderr: p.stderr(),
      done: p.lines.find((l) => l.startsWith("done ")),
    })),
  };
}

// Several minutes on a loaded 2-core machine: 1,600 read-modify-write cycles in 8 Node processes.
const TIMEOUT = 600_000;

describe(`${PROCESSES} processes incrementing one counter ${INCREMENTS} times each`, () => {
  it(
    "through update(): exactly 1,600, every increment kept, no error",
    async () => {
      const { value, version, results } = await race("update");
      for (const r of results) {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.done).toMatch(/^done \d+$/);
      }
      expect(value).toBe(PROCESSES * INCREMENTS);
      // One version per successful write: no write was lost, none was doubled.
      expect(version).toBe(PROCESSES * INCREMENTS);
      const attempts = results.reduce((sum, r) => sum + Number(r.done?.slice(5)), 0);
      expect(attempts).toBeGreaterThanOrEqual(PROCESSES * INCREMENTS);
    },
    TIMEOUT,
  );

  // Why conditional writes exist: the same race with a plain get + put loses updates, silently. Two
  // processes read the same value, both write it plus one, and one increment is gone. If this ever
  // stops losing updates, the test above no longer shows anything.
  it(
    "through a plain get + put: increments are lost, silently",
    async () => {
      const { value, version, results } = await race("plain");
      for (const r of results) {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      }
      // Every put succeeded (one version each), yet the counter is short.
      expect(version).toBe(PROCESSES * INCREMENTS);
      expect(value).toBeLessThan(PROCESSES * INCREMENTS);
    },
    TIMEOUT,
  );
});
