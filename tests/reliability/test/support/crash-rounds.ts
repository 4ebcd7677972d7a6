import fs from "node:fs";
import path from "node:path";
import type { StoreEntry } from "@store/core";
import { afterAll, describe, expect, it } from "vitest";
import { type Child, useWorkers } from "./children";
import { importRoundProblems, PruneRounds, putRoundProblems } from "./crash-checks";
import { seededRandom } from "./random";
import { scale } from "./scale";
import { allEntries, withManager } from "./stores";
import { makeTarget, type Target, type TargetName } from "./targets";

/**
 * Issue 14, crashes: a child writes and reports every acknowledged write on stdout; the test kills it
 * with SIGKILL at a random moment; then the store must reopen, hold every acknowledged write exactly,
 * hold nothing that was not written (a temp file is never an entry), and pass `integrity`. All rounds
 * of a backend share one data directory, so the damage of one round meets the next.
 */
export const CRASH_ROUNDS = scale(20, 100);
/** The longest wait after the chosen acknowledgement before the kill. */
const MAX_KILL_DELAY_MS = 40;
const KEY_SPACE = 40;
const IMPORT_BATCH = 40;
const PRUNE_KEEP = 15;
const PRUNE_PER_ROUND = 10;

export interface CrashOptions {
  /**
   * The backend may recover a write the kill interrupted from its value file alone (value and
   * updated_at exact; created_at, task id and version as for a file added by hand).
   */
  recoversFromFiles?: boolean;
  /**
   * Checks the backend's own files after each round, and once more (`final`) after every store was
   * written again by a clean process.
   */
  integrity(dataDir: string, when?: { final: boolean }): void | Promise<void>;
}

/**
 * Kills the child with SIGKILL after its `acks`-th acknowledgement and `delay` ms more: a random
 * point of its work, whatever the machine's speed.
 */
async function killAtRandom(child: Child, acks: number, delay: number): Promise<void> {
  await child.line((l) => l === "ready");
  if (acks > 0) {
    let seen = 0;
    await child.line((l) => l.startsWith("ack ") && ++seen >= acks).catch(() => undefined);
  }
  await new Promise((resolve) => setTimeout(resolve, delay));
  child.process.kill("SIGKILL");
  const ended = await child.done;
  // A child that failed on its own (stderr, exit 1) is a failure, not a crash under test.
  if (ended.signal !== "SIGKILL" && ended.code !== 0) throw new Error(`child failed: ${ended.stderr}`);
}

/** Every entry of `store`, by key, read by the suite's own process. */
async function entriesOf(target: Target, store: string): Promise<Map<string, StoreEntry>> {
  const entries = await withManager(target, async (m) => allEntries(m.store(store)));
  return new Map(entries.map((e) => [e.key, e]));
}

export function crashRounds(name: TargetName, options: CrashOptions): void {
  const { worker } = useWorkers(["core", name === "local" ? "backend-local" : "backend-file"]);
  const target = makeTarget(name);
  const random = seededRandom(`crashes on ${name}`);
  const base = { spec: target.spec, dataDir: target.dataDir };
  afterAll(() => target.cleanup());

  describe(`SIGKILL at random moments on ${name}, ${CRASH_ROUNDS} rounds each`, () => {
    it("during puts (small and 50–100 KB values, overwrites): every acknowledged put is there, whole", async () => {
      const model = new Map<string, number>(); // key → put number of its value, after the last round
      for (let round = 0; round < CRASH_ROUNDS; round++) {
        const child = worker("crash-put", {
          ...base,
          store: "puts",
          round,
          count: 1_000_000,
          keySpace: KEY_SPACE,
        });
        await killAtRandom(child, random.int(60), random.int(MAX_KILL_DELAY_MS));
        const found = await entriesOf(target, "puts");
        const problems = putRoundProblems({ round, keySpace: KEY_SPACE, model, lines: child.lines, found });
        expect(problems, `round ${round} (seed ${random.seed})`).toEqual([]);
        await options.integrity(target.dataDir);
        model.clear();
        for (const [key, entry] of found) model.set(key, (entry.value as { i: number }).i);
      }
    }, 600_000);

    it(`during imports (batches of ${IMPORT_BATCH}): every acknowledged batch is there with its timestamps`, async () => {
      const model = new Map<string, StoreEntry>();
      for (let round = 0; round < CRASH_ROUNDS; round++) {
        const start = Date.parse("2026-03-01T00:00:00.000Z") + round * 10_000_000;
        const child = worker("crash-import", {
          ...base,
          store: "imports",
          round,
          count: IMPORT_BATCH * 12,
          batchSize: IMPORT_BATCH,
          base: start,
        });
        await killAtRandom(child, random.int(10), random.int(MAX_KILL_DELAY_MS));
        const found = await entriesOf(target, "imports");
        const recoversFromFiles = options.recoversFromFiles === true;
        const problems = importRoundProblems({
          round,
          start,
          model,
          lines: child.lines,
          found,
          recoversFromFiles,
        });
        expect(problems, `round ${round} (seed ${random.seed})`).toEqual([]);
        await options.integrity(target.dataDir);
        model.clear();
        for (const [key, entry] of found) model.set(key, entry);
      }
    }, 600_000);

    it(`during prunes (keep ${PRUNE_KEEP}, ${PRUNE_PER_ROUND} puts between prunes): the newest acknowledged entries stay`, async () => {
      const rounds = new PruneRounds(PRUNE_KEEP, PRUNE_PER_ROUND);
      for (let round = 0; round < CRASH_ROUNDS; round++) {
        const config = { ...base, store: "prunes", round, perRound: PRUNE_PER_ROUND, keep: PRUNE_KEEP };
        const child = worker("crash-prune", config);
        await killAtRandom(child, random.int(4 * PRUNE_PER_ROUND), random.int(MAX_KILL_DELAY_MS));
        const problems = rounds.problems(child.lines, await entriesOf(target, "prunes"));
        expect(problems, `round ${round} (seed ${random.seed})`).toEqual([]);
        await options.integrity(target.dataDir);
      }
    }, 600_000);

    it("afterwards every store takes writes again, and a final integrity check passes", async () => {
      await withManager(target, async (m) => {
        for (const store of ["puts", "imports", "prunes"]) {
          await m.store(store).put("after-crashes", { ok: store });
          expect(await m.store(store).get("after-crashes")).toEqual({ ok: store });
        }
      });
      await options.integrity(target.dataDir, { final: true });
    });
  });
}

/** Files of a directory tree whose name starts with `prefix`. */
export function filesNamed(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.name.startsWith(prefix)) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}
