import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { say } from "./print";

const require = createRequire(import.meta.url);

/** The built `wfstore` bin of @store/cli, found the way Node finds the package. */
export function wfstoreBin(): string {
  const pkgFile = require.resolve("@store/cli/package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { bin: Record<string, string> };
  const bin = path.resolve(path.dirname(pkgFile), pkg.bin.wfstore as string);
  if (!fs.existsSync(bin))
    throw new Error(`${bin} is missing: build the CLI first (pnpm demo builds everything)`);
  return bin;
}

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ShellOptions {
  input?: string;
  stdinFile?: string;
  stdoutFile?: string;
  /** Printed instead of the command line (e.g. to show a redirection). */
  shown?: string;
  /** Print the command line but not its output. */
  quiet?: boolean;
  /** Print nothing: a check behind the scenes. */
  hidden?: boolean;
}

/** Runs `wfstore ...args` as a child process (a shell user's view), prints it and its output. */
export type Shell = (args: string[], options?: ShellOptions) => ShellResult;

export function shell(env: Record<string, string>, cwd: string): Shell {
  const bin = wfstoreBin();
  return (args, options = {}) => {
    const shown = options.shown ?? `wfstore ${args.map(quote).join(" ")}`;
    if (!options.hidden) say.command(shown);
    const stdin = options.stdinFile ? fs.openSync(options.stdinFile, "r") : "pipe";
    const stdout = options.stdoutFile ? fs.openSync(options.stdoutFile, "w") : "pipe";
    const r = spawnSync(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, ...env },
      input: options.input,
      stdio: [stdin, stdout, "pipe"],
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (typeof stdin === "number") fs.closeSync(stdin);
    if (typeof stdout === "number") fs.closeSync(stdout);
    if (r.error) throw r.error;
    const result = { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    if (!options.quiet && !options.hidden) {
      say.output(result.stdout);
      say.output(result.stderr, true);
      if (result.code !== 0) say.note(`(exit code ${result.code})`);
    }
    return result;
  };
}

/** Quotes an argument the way a POSIX shell user would type it. */
export function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
