import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKER = path.resolve(here, "../fixtures/worker.mjs");
const packagesDir = path.resolve(here, "../../../../packages");

/** What a child ended with. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  process: ChildProcess;
  /** Its stdout lines so far. */
  lines: string[];
  /** Resolves with the first line `test` accepts; rejects if the child ends first. */
  line(test: (line: string) => boolean): Promise<string>;
  done: Promise<Ended>;
}

/** The children run the built packages: fail clearly when one is missing. */
export function assertBuilt(packages: string[]): void {
  for (const pkg of packages) {
    const dist = path.join(packagesDir, pkg, "dist", "index.js");
    if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: build first (pnpm build)`);
  }
}

/** Starts `command args` and collects its output by lines. */
export function start(command: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let stdout = "";
  let stderr = "";
  let partial = "";
  proc.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<Ended>((resolve) =>
    proc.on("close", (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal, stdout, stderr });
    }),
  );
  let ended = false;
  done.then(() => {
    ended = true;
  });
  const line = (test: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = lines.find(test);
        if (found !== undefined) {
          waiters.delete(look);
          resolve(found);
        } else if (ended || proc.exitCode !== null || proc.signalCode !== null) {
          waiters.delete(look);
          done.then((d) => reject(new Error(`the child ended (${d.code ?? d.signal}) first: ${d.stderr}`)));
        }
      };
      waiters.add(look);
      look();
    });
  return { process: proc, lines, line, done };
}

/**
 * Registers the hooks of a test file that starts workers: built packages checked, every child still
 * running after a test killed. Returns `worker(mode, config)`.
 */
export function useWorkers(
  packages: string[] = ["core", "backend-local", "backend-file", "backend-command", "backend-postgres"],
) {
  const running = new Set<ChildProcess>();
  beforeAll(() => assertBuilt(packages));
  afterEach(() => {
    for (const child of running) child.kill("SIGKILL");
    running.clear();
  });
  const track = (child: Child) => {
    running.add(child.process);
    child.process.on("exit", () => running.delete(child.process));
    return child;
  };
  return {
    worker(mode: string, config: Record<string, unknown>, env: Record<string, string> = {}): Child {
      return track(start(process.execPath, [WORKER, mode, JSON.stringify(config)], env));
    },
    /** The worker under `sh -c 'ulimit -f <blocks>; exec node …'`: files larger than the limit fail. */
    limitedWorker(blocks: number, mode: string, config: Record<string, unknown>): Child {
      const script = `ulimit -f ${blocks} && exec "$0" "$@"`;
      return track(start("sh", ["-c", script, process.execPath, WORKER, mode, JSON.stringify(config)]));
    },
  };
}

/** Waits until `file` exists is what children do; the parent creates it to let them go. */
export function touch(file: string): void {
  fs.writeFileSync(file, "");
}

/** Resolves once the child ended; fails unless it exited 0 with nothing on stderr. */
export async function succeeded(child: Child): Promise<string[]> {
  const ended = await child.done;
  if (ended.code !== 0 || ended.stderr !== "") {
    throw new Error(
      `child failed (${ended.code ?? ended.signal}): ${ended.stderr || ended.stdout.slice(-500)}`,
    );
  }
  return child.lines;
}
