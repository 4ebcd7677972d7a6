import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { run } from "../src/index";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.resolve(here, "../package.json"), "utf8")) as {
  bin: Record<string, string>;
};
/** The built bin, as package.json names it: process-level tests drive the real `wfstore`. */
export const BIN = path.resolve(here, "..", pkg.bin.wfstore as string);
export const EXAMPLES = path.resolve(here, "../../../examples");

export function assertBuilt(): void {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm --filter @store/cli build\` first`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the child in bytes (Linux only; from /proc). */
  peakRss?: number;
}

export interface CliOptions {
  /** Written to stdin, which is then closed. Without it, stdin is empty. */
  input?: string | Buffer;
  /** A file to connect as stdin (like `< file`). */
  stdinFile?: string;
  /** A file stdout goes to (like `> file`), for outputs too large to collect. */
  stdoutFile?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Sample the child's peak RSS (process runs only). */
  measureRss?: boolean;
  /** Extra arguments for node itself (process runs only), e.g. ["--max-old-space-size=64"]. */
  nodeArgs?: string[];
}

/**
 * Runs `wfstore ...args` in this process through `run(argv, io)`: the same code as the bin, without
 * starting Node for every call (issue 15: tests that hold on a loaded machine). The environment the
 * CLI sees is `options.env` only, over an empty one.
 */
export async function inProcess(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stderr.setEncoding("utf8").on("data", (s: string) => {
    err += s;
  });
  let file: fs.WriteStream | undefined;
  if (options.stdoutFile) {
    file = fs.createWriteStream(options.stdoutFile);
    stdout.pipe(file);
  } else {
    stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
  }
  let stdin: Readable & { fd?: number };
  if (options.stdinFile) stdin = fs.createReadStream(options.stdinFile);
  else {
    const p = new PassThrough();
    p.end(options.input ?? "");
    stdin = p;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const code = await run(args, { stdin, stdout, stderr, env, cwd: options.cwd ?? os.tmpdir() });
  stdout.end();
  stderr.end();
  if (file) await finished(file);
  else await finished(stdout);
  await finished(stderr);
  if (!stdin.destroyed) stdin.destroy();
  return { code, stdout: out, stderr: err };
}

/** Runs `node <bin> ...args` as a child process, with the environment of this one (minus NODE_PATH). */
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
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
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
      // VmHWM is the kernel's own high-water mark: sampling it late still sees the peak.
      const sample = () => {
        try {
          const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
          const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
          if (kb) peakRss = Math.max(peakRss ?? 0, kb * 1024);
        } catch {
          // exited between samples
        }
      };
      sampler = setInterval(sample, 20);
    }
    child.on("error", reject);
    child.on("close", (code) => {
      if (sampler) clearInterval(sampler);
      resolve({ code, stdout: out, stderr: err, ...(peakRss === undefined ? {} : { peakRss }) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A fresh directory, removed by the returned cleanup. */
export function tempDir(prefix = "wfstore-cli-"): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The CLI in-process, bound to one data directory: `cli(["store", "get", "s", "k"])`. */
export function boundCli(dataDir: string, cwd?: string) {
  return (args: string[], options: CliOptions = {}) =>
    inProcess(args, {
      ...options,
      cwd: options.cwd ?? cwd ?? dataDir,
      env: { WFSTORE_DATA_DIR: dataDir, ...options.env },
    });
}

/** The real bin as a child process, bound to one data directory (for what needs a process). */
export function boundBin(dataDir: string, cwd?: string) {
  return (args: string[], options: CliOptions = {}) =>
    wfstore(args, {
      ...options,
      cwd: options.cwd ?? cwd ?? dataDir,
      env: { WFSTORE_DATA_DIR: dataDir, ...options.env },
    });
}

/** Writes a file (creating its directory) and returns its path. */
export function write(file: string, text: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
