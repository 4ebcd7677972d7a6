import { type ChildProcess, spawn } from "node:child_process";
import type { Invocation } from "./options";

/** How much of stderr is kept for error messages (the end of it: that is where programs say why). */
export const STDERR_TAIL_BYTES = 4096;

export interface RunRequest {
  invocation: Invocation;
  cwd: string;
  env: Record<string, string>;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  timeoutMs: number;
  maxStdout: number;
}

export type RunResult =
  | {
      kind: "exit";
      code: number | null;
      signal: NodeJS.Signals | null;
      stdout: Buffer;
      stderr: string;
      /** False when the command ended without reading all of its stdin. */
      inputConsumed: boolean;
    }
  | { kind: "timeout"; stderr: string }
  | { kind: "overflow"; stderr: string }
  | { kind: "spawn-error"; error: NodeJS.ErrnoException };

/** Keeps the last `max` bytes of a stream. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max = STDERR_TAIL_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max && this.chunks.length > 1) {
      this.size -= (this.chunks.shift() as Buffer).length;
    }
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    const start = Math.max(0, all.length - this.max);
    // Drop a partial UTF-8 sequence at the cut rather than showing a replacement character.
    let from = start;
    while (from > 0 && from < all.length && ((all[from] as number) & 0xc0) === 0x80) from++;
    return all.subarray(from).toString("utf8").trim();
  }
}

/** Kills the child's whole process group: it was started as a group leader (`detached`). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** v1 commands still running, killed if the host exits first: their own process group would not hear a Ctrl-C. */
const live = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess): void {
  live.add(child);
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => {
      for (const c of live) killGroup(c);
    });
  }
}

/**
 * Runs one command: its own process group (so a timeout kills grandchildren too), a minimal
 * environment, stdout collected up to a cap, stderr drained with only its tail kept.
 * Uses child_process directly: this is the per-op hot path, and every layer on top of spawn costs
 * a visible share of a ~2 ms op.
 */
export function runCommand(request: RunRequest): Promise<RunResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(request.invocation.file, request.invocation.args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: [request.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
    } catch (error) {
      resolve({ kind: "spawn-error", error: error as NodeJS.ErrnoException });
      return;
    }
    let settled = false;
    let stopped: "timeout" | "overflow" | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const stderr = new Tail();
    let inputConsumed = request.input === undefined;

    track(child);
    const settle = (result: RunResult) => {
      if (settled) return;
      settled = true;
      live.delete(child);
      clearTimeout(timer);
      resolve(result);
    };
    const stop = (why: "timeout" | "overflow") => {
      if (stopped || settled) return;
      stopped = why;
      killGroup(child);
      // Do not wait for pipes a stray process might still hold: the group is dead or unreachable.
      child.stdout?.destroy();
      child.stderr?.destroy();
      settle({ kind: why, stderr: stderr.toString() });
    };
    const timer = setTimeout(() => stop("timeout"), request.timeoutMs);

    child.stdout?.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > request.maxStdout) stop("overflow");
      else chunks.push(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) killGroup(child);
      settle({ kind: "spawn-error", error });
    });
    child.on("close", (code, signal) => {
      settle({
        kind: "exit",
        code,
        signal,
        stdout: Buffer.concat(chunks, size),
        stderr: stderr.toString(),
        inputConsumed,
      });
    });
    if (request.input !== undefined && child.stdin) {
      // A provider that takes the value from $VALUE never reads stdin: EPIPE is expected then.
      child.stdin.on("error", () => {});
      child.stdin.on("finish", () => {
        inputConsumed = true;
      });
      child.stdin.end(request.input);
    }
  });
}
