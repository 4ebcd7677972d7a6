import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built bin: tests drive the real `wfstore` as a child process. */
export const BIN = path.resolve(here, "../dist/bin.js");
export const EXAMPLES = path.resolve(here, "../../../examples");

export function assertBuilt(): void {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm --filter @store/cli build\` first`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the child in bytes (Linux only; sampled from /proc). */
  peakRss?: number;
}

export interface CliOptions {
  /** Written to the child's stdin, which is then closed. Without it, stdin is empty (/dev/null). */
  input?: string | Buffer;
  /** A file to connect as stdin (like `< file`). */
  stdinFile?: string;
  /** A file stdout goes to (like `> file`), for outputs too large to collect. */
  stdoutFile?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Sample the child's RSS every few milliseconds. */
  measureRss?: boolean;
}

/** Runs `node dist/bin.js ...args` with a data directory (WFSTORE_DATA_DIR) unless env overrides it. */
export function wfstore(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.stdinFile
      ? fs.openSync(options.stdinFile, "r")
      : options.input === undefined
        ? "ignore"
        : "pipe";
    const stdout = options.stdoutFile ? fs.openSync(options.stdoutFile, "w") : "pipe";
    const env: Record<string, string> = {};
    // As a user's shell runs it: without the NODE_PATH pnpm sets for scripts, which points at pnpm's
    // hoisted store and hid a module-resolution crash once.
    const { NODE_PATH: _hidden, ...inherited } = process.env;
    for (const [k, v] of Object.entries({ ...inherited, ...options.env })) if (v !== undefined) env[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? os.tmpdir(),
      env,
      stdio: [stdin, stdout, "pipe"],
    });
    if (typeof stdin === "number") fs.closeSync(stdin);
    if (typeof stdout === "number") fs.closeSync(stdout);
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      err += s;
    });
    let peakRss: number | undefined;
    let sampler: NodeJS.Timeout | undefined;
    if (options.measureRss && process.platform === "linux") {
      const sample = () => {
        try {
          const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
          const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? /VmRSS:\s+(\d+)/.exec(status)?.[1]);
          if (kb) peakRss = Math.max(peakRss ?? 0, kb * 1024);
        } catch {
          // exited between samples
        }
      };
      sampler = setInterval(sample, 5);
    }
    child.on("error", reject);
    child.on("close", (code) => {
      if (sampler) clearInterval(sampler);
      resolve({ code, stdout: out, stderr: err, ...(peakRss === undefined ? {} : { peakRss }) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A fresh data directory (and a working directory beside it), removed by the returned cleanup. */
export function tempDir(prefix = "wfstore-cli-"): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A CLI bound to one data directory: `cli(["store", "get", "s", "k"])`. */
export function boundCli(dataDir: string, cwd?: string) {
  return (args: string[], options: CliOptions = {}) =>
    wfstore(args, {
      ...options,
      cwd: options.cwd ?? cwd ?? dataDir,
      env: { WFSTORE_DATA_DIR: dataDir, ...options.env },
    });
}

/** Writes a file (creating its directory) and returns its path. */
export function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
