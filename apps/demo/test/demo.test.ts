import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const main = path.resolve(here, "../dist/main.js");

/**
 * One child process runs the whole demo (its `wfstore` commands run in-process through `run()`), so
 * on a loaded machine only its total time matters: the limits below are minutes, not seconds.
 */
describe("pnpm demo", () => {
  it("runs the whole scenario and every check passes", () => {
    if (!fs.existsSync(main))
      throw new Error(`${main} is missing: run \`pnpm --filter @store/demo build\` first`);
    const r = spawnSync(process.execPath, [main], {
      cwd: path.resolve(here, ".."),
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = r.stdout;
    expect(r.stderr).toBe("");
    // The steps, in order.
    const steps = [...out.matchAll(/^Step (\d) · (.*)$/gm)].map((m) => m[2]);
    expect(steps).toEqual([
      "Declare the stores: apply the example manifests",
      "Benchmark tasks record what they measured (library API, one StoreManager per task)",
      "A later plan task reads them: cross-task memory",
      "The schema rejects a bad write, with a readable error",
      "Retention trims the journal store (max_entries: 5)",
      "The metrics store moves to the file provider: export, apply, import",
      "A command provider serves the notes store (examples/kv-store.mjs)",
    ]);
    // What happened at each step.
    expect(out).toContain("$ wfstore apply -f examples/");
    expect(out).toContain('[task plan-1] metrics.get("last-benchmark") → written by benchmark-3');
    expect(out).toMatch(
      /wfstore: error SCHEMA_VIOLATION: value for key "last-benchmark" does not match the schema of store "metrics": test_count: must be integer/,
    );
    expect(out).toContain('imported 4 entries into store "metrics"');
    expect(out).toContain("kv-script/notes/_default.json holds: lesson/plan-1, lesson/demo");
    // The summary: every claim checked.
    const summary = out.slice(out.indexOf("\nSummary\n"));
    expect(summary.match(/^ {2}✓ /gm)).toHaveLength(6);
    expect(summary).not.toContain("✗");
    expect(summary).toContain("✓ cross-task memory: plan-1 read what benchmark-3 wrote and planned 3 steps");
    expect(summary).toContain("✓ retention kept the newest 5 of 8 journal entries");
    expect(summary).toContain(
      "✓ metrics moved from local (SQLite) to file: 4 entries, timestamps and task ids intact",
    );
    expect(summary).toContain("All 6 checks passed.");
    // The fresh data directory is gone afterwards.
    const dataDir = /data directory: (\S+)/.exec(out)?.[1];
    expect(dataDir).toBeTruthy();
    expect(fs.existsSync(dataDir as string)).toBe(false);
  }, 360_000);
});
