/**
 * One error class with a stable `code`. Recognise errors with `StoreError.isInstance(e)`, never a bare
 * `instanceof`: two installed copies of @store/core have two classes, but share the Symbol.for marker.
 */
export type StoreErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_KEY"
  | "INVALID_VALUE"
  | "VALUE_TOO_LARGE"
  | "SCHEMA_VIOLATION"
  | "INVALID_MANIFEST"
  | "PROVIDER_NOT_FOUND"
  | "PLUGIN_NOT_INSTALLED"
  | "UNSUPPORTED"
  | "PROVIDER_FAILED"
  | "PROVIDER_TIMEOUT"
  | "PROVIDER_PROTOCOL"
  | "BACKEND_IO"
  | "CONFLICT"
  | "CLOSED";

const marker = Symbol.for("@store/core.error");

export interface StoreErrorOptions {
  cause?: unknown;
  /** Machine-readable context: the store, key, field path, exit code… */
  details?: Record<string, unknown>;
}

export class StoreError extends Error {
  readonly [marker] = true;
  readonly code: StoreErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: StoreErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StoreError";
    this.code = code;
    this.details = options.details ?? {};
  }

  /** True for any StoreError, from this copy of core or another; with `code`, only for that code. */
  static isInstance(error: unknown, code?: StoreErrorCode): error is StoreError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[marker] === true &&
      (code === undefined || (error as StoreError).code === code)
    );
  }
}

/**
 * CONFLICT: a conditional write (`ifVersion`, `ifAbsent`) found another version than it expected, and
 * wrote nothing. `currentVersion` is the live entry's version, `undefined` when there is none.
 */
export class ConflictError extends StoreError {
  readonly currentVersion: number | undefined;

  constructor(message: string, currentVersion: number | undefined, details: Record<string, unknown> = {}) {
    super("CONFLICT", message, { details: { ...details, currentVersion: currentVersion ?? null } });
    this.name = "ConflictError";
    this.currentVersion = currentVersion;
  }
}

/** One problem found in a manifest: where it is and what is wrong. */
export interface ManifestIssue {
  /** Field path inside the resource, e.g. `spec.retention.max_entrys` (empty for the document itself). */
  path: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

export function formatIssue(issue: ManifestIssue): string {
  const where = issue.file
    ? `${issue.file}${issue.line ? `:${issue.line}:${issue.col ?? 1}` : ""}`
    : issue.line
      ? `<input>:${issue.line}:${issue.col ?? 1}`
      : "<input>";
  return `${where}: ${issue.path ? `${issue.path}: ` : ""}${issue.message}`;
}

/** INVALID_MANIFEST carrying every issue found in one run, not just the first. */
export class ManifestError extends StoreError {
  readonly issues: ManifestIssue[];

  constructor(issues: ManifestIssue[]) {
    const head = issues.length === 1 ? "invalid manifest" : `invalid manifest (${issues.length} errors)`;
    super("INVALID_MANIFEST", `${head}:\n${issues.map((i) => `  ${formatIssue(i)}`).join("\n")}`, {
      details: { issues },
    });
    this.name = "ManifestError";
    this.issues = issues;
  }
}

/** Wraps an unknown failure from a backend so that callers always see a StoreError. */
export function toStoreError(error: unknown, code: StoreErrorCode, message: string): StoreError {
  if (StoreError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreError(code, `${message}: ${reason}`, { cause: error });
}
