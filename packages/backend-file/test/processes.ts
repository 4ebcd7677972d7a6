import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect } from "vitest";

/**
 * Real child processes for the multi-process tests, each with its own StoreManager on one shared data
 * directory (test/fixtures/worker.mjs). The children run the BUILT packages (`pnpm --filter
 * @store/backend-file... build`; turbo builds before test in CI), by name, as a user would.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..");
const worker = path.join(here, "fixtures", "worker.mjs");

export interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Registers the hooks of a test file that starts children: builds checked, children and dirs cleaned up. */
export function useChildProcesses() {
  const dataDirs: string[] = [];
  const children = new Set<ChildProcess>();
  beforeAll(() => {
    for (const dist of [
      path.join(packageDir, "dist", "index.js"),
      path.join(packageDir, "..", "core", "dist", "index.js"),
    ]) {
      if (!fs.existsSync(dist)) {
        throw new Error(`${dist} is missing: build first (pnpm --filter @store/backend-file... build)`);
      }
    }
  });
  afterEach(() => {
    // A failed test must not leave a child running (a reader waits for a stop file that never comes).
    for (const child of children) child.kill("SIGKILL");
    children.clear();
  });
  afterAll(() => {
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  return {
    freshDataDir(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-file-mp-"));
      dataDirs.push(dir);
      return dir;
    },
    run(args: string[], env: Record<string, string> = {}): Run {
      const child = spawn(process.execPath, [worker, ...args], {
        cwd: packageDir,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.add(child);
      child.on("exit", () => children.delete(child));
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (d) => {
        stdout += d;
      });
      child.stderr?.on("data", (d) => {
        stderr += d;
      });
      const done = new Promise<Awaited<Run["done"]>>((resolve) =>
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
      );
      return { child, done };
    },
  };
}

/** Waits until the child printed "ready" (and fails if it ends first). */
export function ready(r: Run): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let seen = "";
    r.child.stdout?.on("data", (d: Buffer) => {
      seen += d.toString();
      if (seen.includes("ready")) resolve();
    });
    r.done.then((x) => reject(new Error(`the child ended before it was ready: ${x.stderr}`)));
  });
}

/** The child's stdout, once it exited 0 with nothing on stderr. */
export async function succeed(r: Run): Promise<string> {
  const { code, stdout, stderr } = await r.done;
  expect(stderr, "child stderr").toBe("");
  expect(code).toBe(0);
  return stdout;
}
