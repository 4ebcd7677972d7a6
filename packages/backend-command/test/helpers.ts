import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { StoreError, type StoreErrorCode } from "@store/core";
import { createTestManager, type TestManager } from "@store/testkit";
import { afterEach, expect } from "vitest";
import { commandBackend } from "../src/index";

const open: TestManager[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((t) => t.cleanup()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh manager whose stores use the command backend with `options(dataDir)`; cleaned up after the test. */
export async function managerWith(
  options: (dataDir: string) => Record<string, unknown>,
  extra: Parameters<typeof createTestManager>[0]["stores"] = [],
) {
  const t = await createTestManager({
    backend: commandBackend,
    options: ({ dataDir }) => options(dataDir),
    stores: extra,
  });
  open.push(t);
  return t;
}

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-cmd-test-"));
  dirs.push(dir);
  return dir;
}

/** The StoreError a promise rejects with, checked for its code. */
export async function failure(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.isInstance(error), `expected a StoreError ${code}, got ${String(error)}`).toBe(true);
  expect((error as StoreError).code, (error as StoreError).message).toBe(code);
  return error as StoreError;
}

/** Pids of live processes whose command line contains `marker` (zombies have none, so they do not count). */
export function processesWith(marker: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.includes(marker) && !/^\s*\d+\s+Z/.test(line))
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => pid !== process.pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `test` holds (or fails the test after `ms`). */
export async function eventually(test: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** v1 options where every op runs the same shell snippet (for providers that misbehave on purpose). */
export function shellProvider(dataDir: string, script: string, extra: Record<string, unknown> = {}) {
  return {
    commands: { get: script, put: script, delete: script, list: script, prune: script },
    workingDir: dataDir,
    ...extra,
  };
}
