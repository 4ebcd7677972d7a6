import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..");
export const WRITER = path.join(here, "fixtures", "writer.mjs");
export const COUNTER = path.join(here, "fixtures", "counter.mjs");

/** Child processes run the built packages; fail clearly when they are missing. */
export function assertBuilt(): void {
  for (const dist of [
    path.join(packageDir, "dist/index.js"),
    path.join(packageDir, "node_modules/@store/core/dist/index.js"),
  ]) {
    if (!fs.existsSync(dist)) {
      throw new Error(
        `${dist} is missing: run \`pnpm --filter @store/backend-local... build\` before these tests`,
      );
    }
  }
}

export interface Writer {
  child: ChildProcess;
  /** Complete stdout lines so far. */
  lines: string[];
  stderr: () => string;
  /** Resolves when a line satisfying `predicate` has arrived. */
  waitFor(predicate: (line: string) => boolean): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <script> …args` in the package directory, collecting its output line by line. */
export function startWriter(args: string[], script = WRITER): Writer {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: packageDir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  let err = "";
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: () => void }> = [];
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.predicate(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    err += chunk;
  });
  // 'close' fires after stdout has been read to its end, so `lines` is then complete.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(predicate) {
      if (lines.some(predicate)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        exited.then(() => reject(new Error(`writer exited before the expected line; stderr: ${err}`)));
      });
    },
  };
}
