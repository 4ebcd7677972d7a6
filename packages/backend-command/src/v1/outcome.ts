import type { StoreError } from "@store/core/backend";
import { type OpLabel, providerError, withStderr } from "../errors";
import type { Invocation } from "../options";
import { spawnFailure } from "../spawn-errors";
import { elide } from "../trace";
import type { RunResult } from "./run";
import { type StdinOnly, stdinOnlyHint, unreadValue } from "./value";

/** The exit code of a v1 command whose condition (IF_VERSION, IF_ABSENT) failed: EX_TEMPFAIL. */
export const CONFLICT_EXIT_CODE = 75;

/** How one op runs its command, beyond the command itself. */
export interface Exec {
  /** Written to stdin (put). */
  input?: string;
  /** The value went on stdin only (too large for `$VALUE`). */
  stdinOnly?: StdinOnly;
  /** A condition was passed: exit 75 is a conflict, not a failure. */
  conditional?: boolean;
}

interface Context extends Exec {
  invocation: Invocation;
  label: OpLabel;
  cwd: string;
  timeoutMs: number;
  maxOutputBytes: number;
}

/**
 * What a command's run means for its op: stdout after exit 0 (or 75 on a condition), else the error
 * that says why, quoting the end of its stderr.
 */
export function outcome(result: RunResult, c: Context): { stdout: Buffer; conflict: boolean } {
  const { invocation, label } = c;
  switch (result.kind) {
    case "exit": {
      if (result.code === 0) {
        if (c.stdinOnly && !result.inputConsumed) throw unreadValue(c.stdinOnly, label);
        return { stdout: result.stdout, conflict: false };
      }
      if (result.code === CONFLICT_EXIT_CODE && c.conditional)
        return { stdout: result.stdout, conflict: true };
      throw failed(result, c);
    }
    case "timeout":
      throw providerError(
        "PROVIDER_TIMEOUT",
        label,
        withStderr(
          `command ${invocation.display} did not finish within ${c.timeoutMs / 1000} s; its process group was killed`,
          result.stderr,
        ),
        { details: { timeoutSeconds: c.timeoutMs / 1000, stderr: result.stderr } },
      );
    case "overflow":
      throw providerError(
        "PROVIDER_PROTOCOL",
        label,
        `command ${invocation.display} printed more than max_output_bytes (${c.maxOutputBytes}) on stdout; its output was cut off and its process group killed`,
        { details: { maxOutputBytes: c.maxOutputBytes } },
      );
    case "spawn-error":
      throw spawnFailure(label, invocation, c.cwd, result);
  }
}

function failed(result: Extract<RunResult, { kind: "exit" }>, c: Context): StoreError {
  const how =
    result.code === undefined ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  let reason = `command ${c.invocation.display} ${how}`;
  if (result.code === 127) reason += " (the shell could not find a program it runs)";
  else if (result.code === 126) reason += " (a program it runs is not executable)";
  return providerError(
    "PROVIDER_FAILED",
    c.label,
    withStderr(reason, result.stderr) + (c.stdinOnly ? stdinOnlyHint(c.stdinOnly) : ""),
    { details: { exitCode: result.code, signal: result.signal, stderr: result.stderr } },
  );
}

/** `STORE_OP="put" KEY="k" VALUE="…" (stdin: N chars)`, values elided, for STORE_TRACE. */
export function traceRequest(vars: Record<string, string>, input: string | undefined): string {
  const variables = Object.entries(vars)
    .map(([name, value]) => `${name}=${JSON.stringify(elide(value))}`)
    .join(" ");
  return input === undefined ? variables : `${variables} (stdin: ${input.length} chars)`;
}

/** `exit 0: stdout "…", stderr "…"`, or how the command ended otherwise, for STORE_TRACE. */
export function traceResult(result: RunResult): string {
  if (result.kind !== "exit") return result.kind;
  const stderr = result.stderr ? `, stderr ${JSON.stringify(elide(result.stderr))}` : "";
  return `exit ${result.code ?? result.signal}: stdout ${JSON.stringify(elide(result.stdout.toString("utf8")))}${stderr}`;
}
