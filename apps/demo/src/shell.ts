import fs from "node:fs";
import { PassThrough, type Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { run } from "@store/cli";
import { say } from "./print";

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

/** Runs `wfstore ...args`, prints it and its output, resolves its exit code and output. */
export type Shell = (args: string[], options?: ShellOptions) => Promise<ShellResult>;

/**
 * `wfstore` as a shell user runs it, through `run(argv, io)` of @store/cli: the code the bin runs,
 * with the same exit codes and output, in this process. One Node process for the whole demo keeps it
 * quick, and steady on a busy machine (issue 15), where starting Node twenty times was not.
 */
export function shell(env: Record<string, string>, cwd: string): Shell {
  return async (args, options = {}) => {
    const shown = options.shown ?? `wfstore ${args.map(quote).join(" ")}`;
    if (!options.hidden) say.command(shown);
    let stdin: Readable;
    if (options.stdinFile) stdin = fs.createReadStream(options.stdinFile);
    else {
      const input = new PassThrough();
      input.end(options.input ?? "");
      stdin = input;
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const collected = { stdout: "", stderr: "" };
    stderr.setEncoding("utf8").on("data", (s: string) => {
      collected.stderr += s;
    });
    const file = options.stdoutFile ? fs.createWriteStream(options.stdoutFile) : undefined;
    if (file) stdout.pipe(file);
    else
      stdout.setEncoding("utf8").on("data", (s: string) => {
        collected.stdout += s;
      });
    const code = await run(args, { stdin, stdout, stderr, env: { ...process.env, ...env }, cwd });
    stdout.end();
    stderr.end();
    await finished(file ?? stdout);
    await finished(stderr);
    stdin.destroy();
    const result = { code, ...collected };
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
