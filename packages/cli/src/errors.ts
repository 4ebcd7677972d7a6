import { formatIssue, type ManifestIssue, printable, StoreError, type StoreErrorCode } from "@store/core";

/** The exit codes (packages/cli/README.md, "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** `store get` of an absent key. */
  ABSENT: 1,
  /** Invalid input: usage, bad JSON, schema violation, invalid manifest, name, key, or value. */
  INVALID_INPUT: 2,
  /** A backend or provider failed: command failed or timed out, I/O error. */
  BACKEND_FAILURE: 3,
  /** A conditional write's condition failed (`--if-version N`, `--if-absent`): nothing was written. */
  CONFLICT: 4,
} as const;

/** Codes the CLI adds to core's: a command line it cannot understand, or something that is not there. */
export type CliErrorCode = "USAGE" | "NOT_FOUND";

/** An error of the command line itself, before any store is touched. */
export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

const INVALID_INPUT_CODES = new Set<StoreErrorCode | CliErrorCode>([
  "USAGE",
  "NOT_FOUND",
  "INVALID_ARGUMENT",
  "INVALID_KEY",
  "INVALID_VALUE",
  "VALUE_TOO_LARGE",
  "SCHEMA_VIOLATION",
  "INVALID_MANIFEST",
  "PROVIDER_NOT_FOUND",
]);

/**
 * Exit 2 for what the user can fix in their input, 4 for a condition that did not hold, 3 for
 * everything that failed underneath.
 */
export function exitCodeFor(error: unknown): number {
  const code = errorCode(error);
  if (code === "CONFLICT") return EXIT.CONFLICT;
  return INVALID_INPUT_CODES.has(code as StoreErrorCode) ? EXIT.INVALID_INPUT : EXIT.BACKEND_FAILURE;
}

/** The code shown on the error line: core's, the CLI's, or INTERNAL for a bug. */
export function errorCode(error: unknown): string {
  if (StoreError.isInstance(error)) return error.code;
  if (error instanceof CliError) return error.code;
  return "INTERNAL";
}

/**
 * The lines printed on stderr for an error: `wfstore: error CODE: message`, then one line per manifest
 * issue; with `verbose`, the cause chain (and the stack of an unexpected error).
 */
export function formatError(error: unknown, verbose: boolean): string[] {
  const code = errorCode(error);
  const issues = StoreError.isInstance(error, "INVALID_MANIFEST")
    ? ((error.details.issues as ManifestIssue[] | undefined) ?? [])
    : [];
  const lines: string[] = [];
  if (issues.length > 0) {
    lines.push(
      `wfstore: error ${code}: ${issues.length === 1 ? "invalid manifest" : `invalid manifest (${issues.length} errors)`}`,
    );
    for (const issue of issues) lines.push(`  ${oneLine(formatIssue(issue))}`);
  } else {
    lines.push(`wfstore: error ${code}: ${oneLine(messageOf(error))}`);
  }
  if (verbose) {
    const details = StoreError.isInstance(error) ? { ...error.details } : {};
    delete details.issues;
    if (Object.keys(details).length > 0) lines.push(`  details: ${oneLine(safeJson(details))}`);
    let cause = (error as { cause?: unknown })?.cause;
    const seen = new Set<unknown>([error]);
    while (cause !== undefined && cause !== null && !seen.has(cause)) {
      seen.add(cause);
      const c = cause as { code?: unknown; message?: unknown };
      const tag = typeof c.code === "string" ? `[${c.code}] ` : "";
      lines.push(`  caused by: ${oneLine(tag + messageOf(cause))}`);
      cause = (cause as { cause?: unknown }).cause;
    }
    if (code === "INTERNAL" && error instanceof Error && error.stack) {
      lines.push(...error.stack.split("\n").map((l) => `  ${printable(l.trim())}`));
    }
  } else if (code === "INTERNAL") {
    lines.push("  (this is a bug in wfstore; run again with --verbose for the stack trace)");
  }
  return lines;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { message?: unknown }).message === "string"
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}

/**
 * Error lines are one line each: a multi-line message (a command's stderr) is folded with " | ", and
 * what is left of control and bidi characters is escaped (`\x1b`, `\u202e`), so a message quoting a
 * provider can neither move the cursor nor reorder the line on the user's terminal.
 */
function oneLine(text: string): string {
  return printable(
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .join(" | "),
  );
}
