import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WORKER = path.join(packageDir, "test", "fixtures", "worker.mjs");

/** Child processes run the built packages, as users do; fail clearly when a build is missing. */
export function assertBuilt(): void {
  for (const dist of [
    path.join(packageDir, "dist/index.js"),
    path.join(packageDir, "node_modules/@store/core/dist/index.js"),
  ]) {
    if (!fs.existsSync(dist)) {
      throw new Error(
        `${dist} is missing: run \`pnpm --filter @store/backend-postgres... build\` before these tests`,
      );
    }
  }
}

export interface WorkerResult {
  code: number | null;
  stderr: string;
  /** The worker's final JSON line. */
  report: Record<string, unknown> | undefined;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<WorkerResult>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, [WORKER, ...args], {
    cwd: packageDir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith("ready\n")) signalReady();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const result = new Promise<WorkerResult>((resolve) =>
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      let report: Record<string, unknown> | undefined;
      try {
        report = last.startsWith("{") ? JSON.parse(last) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, stderr, report });
    }),
  );
  return { child, ready: Promise.race([ready, result.then(() => undefined)]), result };
}

/** Starts `n` workers, waits until every one is loaded, then lets them all go at the same moment. */
export async function race(n: number, args: (i: number) => string[]): Promise<WorkerResult[]> {
  const workers = Array.from({ length: n }, (_, i) => startWorker(args(i)));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin?.write("go\n");
  return Promise.all(workers.map((w) => w.result));
}
